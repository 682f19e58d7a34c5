// `memberOf` against the test run's real slapd (OpenLDAP: no in-chain matching rule, so mxray walks the
// nesting itself): every shape of user value (address, smtp: alias, DOMAIN\user, bare account, legacy
// Exchange DN, an X500: proxy address, an LDAP DN) against the generator's truth of direct and nested
// groups (directoryTruth, not the code under test); a cycle of two groups; a user in no group; an
// unknown user; the cache; and a stopped slapd, a clear error and not a silent false.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../config/load.js';
import { sections } from '../../../config/sections.js';
import { normalDn } from '../../presence/directory.js';
import { slapdForTest } from '../../presence/test-servers.fixture.js';
import { DELEGATES, directoryTruth, EXECUTIVE_ASSISTANTS, legacyDnOf, oldLegacyDnOf } from '../../../testing/servers/directory.js';
import { ldapMembership, userQuery } from './member-of.js';

// servers: sharedSlapd() (the run's slapd, through the presence test-servers fixture)

function directoryFor(s: { url: string; base: string; bindDn: string; password: string }, extra: string[] = []) {
  const text = [
    'directory:',
    `  url: ${s.url}`,
    `  bindDn: ${s.bindDn}`,
    '  passwordEnv: LDAP_PW',
    `  base: ${s.base}`,
    '  attributes:',
    '    account: uid',
    '  tls:',
    '    starttls: true',
    ...extra,
  ].join('\n');
  return parseConfig(text, { path: '/x/mxray.yaml', shown: 'mxray.yaml', via: '--config' }, sections, { env: { LDAP_PW: s.password } }).section('directory')!;
}

const truth = directoryTruth();
const user = (uid: string) => truth.users.find((u) => u.uid === uid)!;

test('the shape of a user value decides how the user is found', () => {
  const d = directoryFor({ url: 'ldap://127.0.0.1:389', base: 'dc=example,dc=org', bindDn: 'cn=x', password: 'p' });
  const shape = (v: string) => userQuery(v, d)?.shape ?? 'none';
  assert.equal(shape('alice@example.org'), 'address');
  assert.equal(shape('SMTP:alice@example.org'), 'address');
  assert.equal(shape('EXAMPLE\\alice'), 'account');
  assert.equal(shape('alice'), 'account');
  assert.equal(shape('/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice'), 'legacy-dn');
  assert.equal(shape('X500:/o=Example Old/cn=Recipients/cn=alice'), 'legacy-dn');
  assert.equal(shape('uid=alice,ou=Berlin,ou=Europe,ou=People,dc=example,dc=org'), 'dn');
  assert.equal(shape(''), 'none');
  assert.equal(shape('-'), 'none');
  assert.equal(shape('Alice Example'), 'none');
  // filter characters in log data are escaped, not obeyed
  const q = userQuery('*)(uid=*', d);
  assert.ok(q === undefined || !('filter' in q) || !q.filter.includes('(uid=*)'));
  const star = userQuery('EXAMPLE\\a*', d);
  assert.ok(star && 'filter' in star && star.filter === '(uid=a\\2a)', JSON.stringify(star));
});

test("memberOf over slapd: every shape of user, direct and nested groups, as the generator's truth says", async (t) => {
  const s = await slapdForTest(t);
  if (!s) return;
  const m = ldapMembership(directoryFor(s), { cacheTtlMs: 60_000 });
  t.after(() => m.close());
  const groups = truth.groups.map((g) => g.dn);
  // named users in every shape, and a sample of generated users, against every group
  const sample = [...truth.users.slice(0, 5), ...truth.users.filter((_, i) => i % 97 === 0)];
  let yes = 0;
  for (const u of sample) {
    const shapes = [u.mail, u.mail.toUpperCase(), `EXAMPLE\\${u.uid}`, u.uid, u.dn];
    if (u.legacyExchangeDN) shapes.push(u.legacyExchangeDN, oldLegacyDnOf(u.uid), `smtp:${u.uid}@corp.example`, `${u.uid}@corp.example`);
    for (const shape of shapes) {
      for (const g of groups) {
        const want = u.allGroups.includes(g);
        assert.equal(await m.isMember(shape, g), want, `${shape} in ${g}`);
        if (want) yes++;
      }
    }
  }
  assert.ok(yes > 50, `${yes} memberships held`);
  // nested: a Berlin user is in Europe through Berlin Office only
  const berliner = truth.users.find((u) => u.groups.length === 1 && u.groups[0]!.startsWith('cn=Berlin Office'))!;
  assert.ok(
    berliner.allGroups.some((g) => g.startsWith('cn=Europe')),
    'the truth has a nested membership',
  );
  assert.equal(await m.isMember(berliner.mail, `CN=Europe, OU=Groups, DC=example, DC=org`), true, 'DNs compared without regard to case and spaces');
  assert.equal(await m.isMember(legacyDnOf('alice'), 'cn=Europe,ou=Groups,dc=example,dc=org'), true);
});

test('a cycle of groups, a user in no group, an unknown user', async (t) => {
  const s = await slapdForTest(t);
  if (!s) return;
  const m = ldapMembership(directoryFor(s), { cacheTtlMs: 60_000 });
  t.after(() => m.close());
  // Executive Assistants and Delegates are members of each other: carol and dave are in both, the walk ends
  for (const uid of ['carol', 'dave']) {
    assert.equal(await m.isMember(`${uid}@example.org`, EXECUTIVE_ASSISTANTS), true, `${uid} in EA`);
    assert.equal(await m.isMember(`${uid}@example.org`, DELEGATES), true, `${uid} in Delegates`);
    assert.deepEqual([...(await m.groupsOf(`${uid}@example.org`))!].sort(), user(uid).allGroups.map(normalDn).sort());
  }
  assert.equal(await m.isMember('alice@example.org', EXECUTIVE_ASSISTANTS), false);
  const loner = truth.users.find((u) => u.allGroups.length === 0)!;
  assert.deepEqual(await m.groupsOf(loner.mail), new Set(), 'found, in no group');
  assert.equal(await m.isMember(loner.mail, 'cn=Staff,ou=Groups,dc=example,dc=org'), false);
  assert.equal(await m.groupsOf('nobody@example.org'), null, 'unknown: no such user');
  assert.equal(await m.isMember('nobody@example.org', 'cn=Staff,ou=Groups,dc=example,dc=org'), false);
  assert.equal(await m.isMember('EXAMPLE\\nobody', 'cn=Staff,ou=Groups,dc=example,dc=org'), false);
  assert.equal(await m.isMember('uid=nobody,ou=People,dc=example,dc=org', 'cn=Staff,ou=Groups,dc=example,dc=org'), false);
  assert.equal(await m.isMember('*', 'cn=Staff,ou=Groups,dc=example,dc=org'), false, 'a wildcard in log data matches nobody');
  assert.equal(await m.isMember('Alice Example', 'cn=Staff,ou=Groups,dc=example,dc=org'), false);
  // a depth bound of one level: carol's direct groups only
  const shallow = ldapMembership(directoryFor(s), { maxDepth: 1 });
  t.after(() => shallow.close());
  assert.deepEqual([...(await shallow.groupsOf('carol@example.org'))!].sort(), user('carol').groups.map(normalDn).sort());
});

test('the cache: one look-up per user and period; a new period asks again', async (t) => {
  const s = await slapdForTest(t);
  if (!s) return;
  let now = 1_000_000;
  const m = ldapMembership(directoryFor(s), { cacheTtlMs: 60_000, now: () => now }) as ReturnType<typeof ldapMembership> & { searches: number };
  t.after(() => m.close());
  await m.isMember('alice@example.org', 'cn=Staff,ou=Groups,dc=example,dc=org');
  const first = m.searches;
  assert.ok(first >= 2, `${first} searches: the user, then the groups`);
  for (const g of truth.groups) await m.isMember('alice@example.org', g.dn);
  await Promise.all([m.isMember('ALICE@example.org ', EXECUTIVE_ASSISTANTS), m.isMember('alice@example.org', DELEGATES)]);
  assert.equal(m.searches, first, 'the cached groups answered');
  now += 61_000;
  await m.isMember('alice@example.org', 'cn=Staff,ou=Groups,dc=example,dc=org');
  // the root DSE (is it Active Directory?) is read once per resolver, the user and groups again
  assert.equal(m.searches, 2 * first - 1, 'expired: asked again');
});

test('a directory that cannot be reached is an error naming it, not a silent false; it answers again once back', async (t) => {
  const s = await slapdForTest(t, { private: true });
  if (!s) return;
  const d = directoryFor(s, ['  timeoutMs: 3000']);
  const m = ldapMembership(d, { cacheTtlMs: 60_000 });
  t.after(() => m.close());
  assert.equal(await m.isMember('alice@example.org', 'cn=Staff,ou=Groups,dc=example,dc=org'), true);
  await s.stop();
  await assert.rejects(m.isMember('bob@example.org', 'cn=Staff,ou=Groups,dc=example,dc=org'), (e: Error) => {
    assert.equal(e.name, 'DirectoryError');
    assert.match(e.message, new RegExp(`^directory ${s.url.replaceAll('.', '\\.')}: `));
    return true;
  });
  // what was learned before the outage still answers within its period
  assert.equal(await m.isMember('alice@example.org', 'cn=Staff,ou=Groups,dc=example,dc=org'), true);
  await s.start();
  assert.equal(await m.isMember('bob@example.org', 'cn=Staff,ou=Groups,dc=example,dc=org'), true, 'connected again');

  // no directory section at all
  const none = ldapMembership(undefined);
  await assert.rejects(none.isMember('alice@example.org', 'cn=Staff,ou=Groups,dc=example,dc=org'), /memberOf needs the directory section/);
});

test('directory.groupCacheSeconds reaches the resolver the CLI and serve build (0: every look-up asks the directory)', async (t) => {
  const s = await slapdForTest(t);
  if (!s) return;
  const { buildPorts } = await import('../../../cli/rules.js');
  const searchesFor = async (extra: string[]) => {
    const text = [
      'directory:',
      `  url: ${s.url}`,
      `  bindDn: ${s.bindDn}`,
      '  passwordEnv: LDAP_PW',
      `  base: ${s.base}`,
      '  attributes:',
      '    account: uid',
      '  tls:',
      '    starttls: true',
      ...extra,
    ].join('\n');
    const config = parseConfig(text, { path: '/x/mxray.yaml', shown: 'mxray.yaml', via: '--config' }, sections, { env: { LDAP_PW: s.password } });
    const ports = await buildPorts(config);
    try {
      const m = ports.members as NonNullable<typeof ports.members> & { searches: number };
      await m.isMember('alice@example.org', 'cn=Staff,ou=Groups,dc=example,dc=org');
      const one = m.searches;
      await m.isMember('alice@example.org', 'cn=Staff,ou=Groups,dc=example,dc=org');
      return { one, two: m.searches };
    } finally {
      await ports.close();
    }
  };
  const cached = await searchesFor([]);
  assert.equal(cached.two, cached.one, 'the default (300 s) answers the second look-up from the cache');
  const uncached = await searchesFor(['  groupCacheSeconds: 0']);
  assert.ok(uncached.two > uncached.one, `groupCacheSeconds: 0 asks again (${uncached.one} then ${uncached.two} searches)`);
});
