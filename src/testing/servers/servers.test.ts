// The shared test servers answer real clients, and their TLS verifies against the test CA with the
// default trust (NODE_EXTRA_CA_CERTS set by scripts/run.mjs; run alone, the CA is passed as `ca`).
// Only node:net/node:tls and the protocol libraries here, no product code.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Client as LdapClient } from 'ldapts';
import { caTrustedByDefault, testCaTrust } from '../test-ca.js';
import { describeWithServers } from './describe.js';
import { DIRECTORY_USER_COUNT, directoryTruth, OPT_OUT_GROUP } from './directory.js';
import { prosodySkipReason, type ProsodyServer, sharedProsody, xmppPassword } from './prosody.js';
import { type SlapdServer, sharedSlapd, slapdSkipReason } from './slapd.js';

const WAIT_MS = 10_000;

// @xmpp/client ships no types; the little used here, typed (a non-literal specifier keeps tsc from
// looking for a declaration, so this file adds no ambient one that could clash with the product's)
interface XmppElement {
  attrs: Record<string, string | undefined>;
  is(name: string): boolean;
  getChildText(name: string): string | null;
}
interface XmppClient {
  on(event: 'error', fn: (e: Error) => void): void;
  on(event: 'stanza', fn: (s: XmppElement) => void): void;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(el: unknown): Promise<unknown>;
}
interface XmppModule {
  client(opts: { service: string; domain: string; username: string; password: string; resource?: string }): XmppClient;
  xml(name: string, attrs?: Record<string, string>, ...children: unknown[]): unknown;
}
const xmppModule = '@xmpp/client';

const defaultTrust = caTrustedByDefault();
it('the test CA is trusted by default under scripts/run.mjs', { skip: !process.env.MXRAY_TEST_CA_DIR && 'not run by scripts/run.mjs' }, () => {
  assert.ok(defaultTrust, 'NODE_EXTRA_CA_CERTS should hold the run\u2019s CA');
});

describeWithServers('slapd', [slapdSkipReason()], () => {
  let ldap: SlapdServer;
  before(async () => {
    ldap = await sharedSlapd();
  });
  after(() => ldap?.stop());
  const truth = directoryTruth();

  it('StartTLS, bind as the reader, and a paged search returns every user as the generator made them', async () => {
    const c = new LdapClient({ url: ldap.url, timeout: WAIT_MS, connectTimeout: WAIT_MS });
    try {
      await c.startTLS({ servername: 'localhost', ...testCaTrust() });
      await c.bind(ldap.reader.dn, ldap.reader.password);
      // un-paged: the soft size limit cuts it short (so paging is what gets everyone)
      const unpaged = await c.search(ldap.base, { scope: 'sub', filter: '(objectClass=inetOrgPerson)', attributes: ['uid'] }).then(
        (r) => r.searchEntries.length,
        (e: Error) => e.name,
      );
      assert.ok(unpaged === 'SizeLimitExceededError' || (typeof unpaged === 'number' && unpaged <= ldap.sizeLimit), `un-paged: ${unpaged}`);
      let pages = 0;
      const got = new Map<string, { im: string | null; optOut: boolean; groups: string[] }>();
      for await (const page of c.searchPaginated(ldap.base, {
        scope: 'sub',
        filter: '(objectClass=inetOrgPerson)',
        attributes: ['uid', 'msExchIMAddress', 'labeledURI', 'presenceOptOut', 'memberOf'],
        paged: { pageSize: 250 },
      })) {
        pages++;
        for (const e of page.searchEntries) {
          const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
          const im = list(e.msExchIMAddress)[0] ?? list(e.labeledURI)[0] ?? null;
          assert.ok(!got.has(e.dn), `${e.dn} twice`);
          got.set(e.dn, { im, optOut: list(e.presenceOptOut)[0] === 'TRUE', groups: list(e.memberOf).sort() });
        }
      }
      assert.equal(got.size, DIRECTORY_USER_COUNT);
      assert.ok(pages >= Math.ceil(DIRECTORY_USER_COUNT / 250), `${pages} pages`);
      const want = new Map(truth.users.map((u) => [u.dn, { im: u.imValue, optOut: u.optOut === 'attribute', groups: [...u.groups].sort() }]));
      assert.deepEqual(got, want);
      // the opt-out group's members, and the nested group
      const g = await c.search(OPT_OUT_GROUP, { scope: 'base', attributes: ['member'] });
      assert.deepEqual(
        [g.searchEntries[0]?.member].flat(),
        truth.users.filter((u) => u.optOut === 'group').map((u) => u.dn),
      );
    } finally {
      await c.unbind().catch(() => {});
    }
  });

  it('ldaps: implicit TLS verifies and an ordinary user binds', async () => {
    const c = new LdapClient({ url: ldap.ldapsUrl, timeout: WAIT_MS, connectTimeout: WAIT_MS, tlsOptions: { ...testCaTrust() } });
    try {
      const alice = truth.users.find((u) => u.uid === 'alice')!;
      await c.bind(alice.dn, alice.password);
      const r = await c.search(alice.dn, { scope: 'base', attributes: ['msExchIMAddress'] });
      assert.equal(r.searchEntries[0]?.msExchIMAddress, 'alice@example.org');
      await assert.rejects(c.bind(alice.dn, 'wrong'));
    } finally {
      await c.unbind().catch(() => {});
    }
  });
});

describeWithServers('prosody', [prosodySkipReason(), !defaultTrust && '@xmpp/client has no TLS options: run through node scripts/run.mjs test'], () => {
  let xmpp: ProsodyServer;
  before(async () => {
    xmpp = await sharedProsody();
  });
  after(() => xmpp?.stop());

  it('alice logs in over STARTTLS and the observer (direct TLS) sees her presence through the shared roster', async () => {
    const { client: xmppClient, xml } = (await import(xmppModule)) as XmppModule;
    const mk = (username: string, service: string): XmppClient =>
      xmppClient({ service, domain: xmpp.domain, username, password: xmppPassword(username), resource: 'test' });
    const alice = mk('alice', xmpp.service);
    const observer = mk('observer', xmpp.directTlsService);
    const errors: Error[] = [];
    alice.on('error', (e: Error) => errors.push(e));
    observer.on('error', (e: Error) => errors.push(e));
    try {
      await alice.start();
      await alice.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'at lunch')));
      const seen = new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('observer saw no presence of alice')), WAIT_MS);
        observer.on('stanza', (s) => {
          if (s.is('presence') && String(s.attrs.from).startsWith(`alice@${xmpp.domain}/`)) {
            clearTimeout(t);
            resolve(`${s.getChildText('show')}|${s.getChildText('status')}`);
          }
        });
      });
      await observer.start();
      await observer.send(xml('presence', {}, xml('priority', {}, '-1')));
      assert.equal(await seen, 'away|at lunch');
      assert.deepEqual(errors, []);
    } finally {
      await Promise.allSettled([alice.stop(), observer.stop()]);
    }
  });
});
