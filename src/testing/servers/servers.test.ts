// The shared test servers answer real clients, and their TLS verifies against the test CA with the
// default trust (NODE_EXTRA_CA_CERTS set by scripts/run.mjs; run alone, the CA is passed as `ca`).
// Only node:net/node:tls and the protocol libraries here, no product code.
import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { after, before, it } from 'node:test';
import { Client as LdapClient } from 'ldapts';
import { caTrustedByDefault, testCaTrust } from '../test-ca.js';
import { Conversation } from './conversation.js';
import { describeWithServers } from './describe.js';
import { DOVECOT_INBOX_MESSAGE, type DovecotServer, dovecotSkipReason, sharedDovecot } from './dovecot.js';
import { innSkipReason, type InnServer, sharedInn } from './inn.js';
import { NGINX_EXPIRING_DAYS, NGINX_PAGE_BODY, type NginxServer, nginxSkipReason, sharedNginx } from './nginx.js';
import { sharedVsftpd, type VsftpdServer, vsftpdSkipReason } from './vsftpd.js';
import { DIRECTORY_USER_COUNT, directoryTruth, OPT_OUT_GROUP } from './directory.js';
import { type PostfixInfo, type PostfixPair, postfixSkipReason, sharedPostfix, startPostfix } from './postfix.js';
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

describeWithServers('postfix', [postfixSkipReason()], () => {
  let mail: PostfixPair;
  before(async () => {
    mail = await sharedPostfix();
  });
  after(() => mail?.stop());

  const smtp = async (pf: PostfixInfo): Promise<void> => {
    const c = await Conversation.open(pf.smtpPort);
    try {
      assert.match(await c.read(/^220 .*\r\n/m), new RegExp(`^220 ${pf.hostname.replace(/\./g, '\\.')} ESMTP`));
      assert.match(await c.cmd('EHLO test.example.org', /^250 .*\r\n/m), /STARTTLS/);
      await c.cmd('STARTTLS', /^220 .*\r\n/m);
      assert.match(await c.upgrade(), /^TLSv1\.[23]$/);
      assert.ok(c.authorized);
      assert.match(await c.cmd('EHLO test.example.org', /^250 .*\r\n/m), /^250/m);
      await c.cmd('QUIT', /^221 .*\r\n/m);
    } finally {
      c.end();
    }
  };
  it('both instances: banner, EHLO, STARTTLS verified against the test CA', async () => {
    assert.notEqual(mail.primary.smtpPort, mail.second.smtpPort);
    await smtp(mail.primary);
    await smtp(mail.second);
  });
  it('implicit TLS (465-style) and submission (STARTTLS required)', async () => {
    const s = await Conversation.open(mail.primary.smtpsPort, true);
    assert.ok(s.authorized);
    assert.match(await s.read(/^220 .*\r\n/m), /^220 mail\.example\.org/);
    s.end();
    const c = await Conversation.open(mail.second.submissionPort);
    try {
      await c.read(/^220 .*\r\n/m);
      await c.cmd('EHLO t', /^250 .*\r\n/m);
      assert.match(await c.cmd('MAIL FROM:<a@example.org>', /^\d{3} .*\r\n/m), /^530 /, 'submission refuses mail before STARTTLS');
    } finally {
      c.end();
    }
  });
  it('a private instance goes down and comes back on the same port', async () => {
    const pf = await startPostfix();
    try {
      await pf.down();
      await assert.rejects(Conversation.open(pf.smtpPort));
      await pf.up();
      await smtp(pf);
    } finally {
      await pf.stop();
    }
  });
});

describeWithServers('dovecot', [dovecotSkipReason()], () => {
  let imap: DovecotServer;
  before(async () => {
    imap = await sharedDovecot();
  });
  after(() => imap?.stop());

  it('IMAP: STARTTLS, LOGIN, and alice\u2019s INBOX holds the one message', async () => {
    const c = await Conversation.open(imap.imapPort);
    try {
      assert.match(await c.read(/\r\n/), /^\* OK .*STARTTLS/);
      await c.cmd('a STARTTLS', /^a OK.*\r\n/m);
      await c.upgrade();
      assert.ok(c.authorized);
      assert.match(await c.cmd('b LOGIN alice alicepw', /^b (OK|NO|BAD).*\r\n/m), /^b OK/m);
      assert.match(await c.cmd('c SELECT INBOX', /^c (OK|NO|BAD).*\r\n/m), /^\* 1 EXISTS/m);
      const body = await c.cmd('d FETCH 1 BODY.PEEK[]', /^d (OK|NO|BAD).*\r\n/m);
      assert.ok(body.includes(DOVECOT_INBOX_MESSAGE), body);
      assert.match(await c.cmd('e LOGIN bob wrong', /^e (OK|NO|BAD).*\r\n/m), /^e (NO|BAD)/m);
    } finally {
      c.end();
    }
  });
  it('IMAPS, POP3 STLS + login, POP3S', async () => {
    const s = await Conversation.open(imap.imapsPort, true);
    assert.ok(s.authorized);
    assert.match(await s.read(/\r\n/), /^\* OK/);
    s.end();
    const c = await Conversation.open(imap.pop3Port);
    try {
      await c.read(/^\+OK.*\r\n/m);
      assert.match(await c.cmd('CAPA', /\r\n\.\r\n/), /^STLS/m);
      await c.cmd('STLS', /^\+OK.*\r\n/m);
      await c.upgrade();
      assert.ok(c.authorized);
      await c.cmd('USER bob', /^\+OK.*\r\n/m);
      assert.match(await c.cmd('PASS bobpw', /^[+-].*\r\n/m), /^\+OK/);
      assert.match(await c.cmd('STAT', /^[+-].*\r\n/m), /^\+OK 0 0/);
    } finally {
      c.end();
    }
    const p = await Conversation.open(imap.pop3sPort, true);
    assert.ok(p.authorized);
    assert.match(await p.read(/\r\n/), /^\+OK/);
    p.end();
  });
});

describeWithServers('inn', [innSkipReason()], () => {
  let news: InnServer;
  before(async () => {
    news = await sharedInn();
  });
  after(() => news?.stop());

  it('NNTP: STARTTLS, then the test group; NNTPS (nnrpd -S) greets over verified TLS', async () => {
    const c = await Conversation.open(news.nntpPort);
    try {
      assert.match(await c.read(/\r\n/), /^20[01] /);
      assert.match(await c.cmd('CAPABILITIES', /\r\n\.\r\n/), /^STARTTLS/m);
      await c.cmd('STARTTLS', /^382.*\r\n/m);
      await c.upgrade();
      assert.ok(c.authorized);
      assert.match(await c.cmd('GROUP local.test', /\r\n/), /^211 \d+ \d+ \d+ local\.test/);
    } finally {
      c.end();
    }
    const s = await Conversation.open(news.nntpsPort, true);
    assert.ok(s.authorized);
    assert.match(await s.read(/\r\n/), /^20[01] /);
    s.end();
  });
});

describeWithServers('vsftpd', [vsftpdSkipReason()], () => {
  let ftp: VsftpdServer;
  before(async () => {
    ftp = await sharedVsftpd();
  });
  after(() => ftp?.stop());

  it('FTP: AUTH TLS and an anonymous login; implicit FTPS greets over verified TLS', async () => {
    const c = await Conversation.open(ftp.ftpPort);
    try {
      assert.match(await c.read(/^220 .*\r\n/m), /mxray-test FTP server/);
      await c.cmd('AUTH TLS', /^234 .*\r\n/m);
      await c.upgrade();
      assert.ok(c.authorized);
      let r = await c.cmd('USER anonymous', /^\d{3} .*\r\n/m);
      if (r.startsWith('331')) r = await c.cmd('PASS test@example.org', /^\d{3} .*\r\n/m);
      assert.match(r, /^230 /m);
      assert.match(await c.cmd('SIZE hello.txt', /^\d{3} .*\r\n/m), /^(213 18|550 )/m);
    } finally {
      c.end();
    }
    const s = await Conversation.open(ftp.ftpsPort, true);
    assert.ok(s.authorized);
    assert.match(await s.read(/^220 .*\r\n/m), /^220 /);
    s.end();
  });
});

describeWithServers('nginx', [nginxSkipReason()], () => {
  let web: NginxServer;
  before(async () => {
    web = await sharedNginx();
  });
  after(() => web?.stop());

  const get = (url: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const mod = url.startsWith('https:') ? httpsGet : httpGet;
      const req = mod(url, { timeout: 10_000, ...testCaTrust() }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error(`${url}: timeout`)));
      req.on('error', reject);
    });

  it('HTTP and HTTPS (verified) serve the known page', async () => {
    assert.deepEqual(await get(`http://127.0.0.1:${web.httpPort}/`), { status: 200, body: NGINX_PAGE_BODY });
    assert.deepEqual(await get(`https://localhost:${web.httpsPort}/`), { status: 200, body: NGINX_PAGE_BODY });
    assert.equal((await get(`https://127.0.0.1:${web.httpsPort}/health`)).body, 'ok\n');
  });

  it('the third port serves a certificate from the test CA expiring in 5 days', async () => {
    const notAfter = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: web.expiringPort, servername: 'localhost', ...testCaTrust() }, () => {
        resolve(s.getPeerCertificate().valid_to);
        s.destroy();
      });
      s.once('error', reject);
      s.setTimeout(10_000, () => s.destroy(new Error('timeout')));
    });
    const days = (Date.parse(notAfter) - Date.now()) / 86_400_000;
    assert.ok(days > NGINX_EXPIRING_DAYS - 1 && days <= NGINX_EXPIRING_DAYS, `expires in ${days} days`);
  });
});
