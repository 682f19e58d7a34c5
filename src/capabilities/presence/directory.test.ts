// Enrolment against a real slapd: the whole subtree in pages (the server's soft size limit makes an
// unpaged search come back short), users without an IM address left out, opt-out and exclude list
// applied, the enrolled set equal to the generator's truth; and clear errors for a refused bind, an
// unreachable server and a base that does not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { sections } from '../../config/sections.js';
import { enrol, imAddressOf, normalDn } from './directory.js';
import { slapdForTest, type TestSlapd } from './test-servers.fixture.js';
import { OPT_OUT_ATTRIBUTE, OPT_OUT_GROUP } from '../../testing/servers/directory.js';

// servers: sharedSlapd() (the run's slapd, through test-servers.fixture.ts)

/** the presence keys that make the test directory's truth: its IM attributes, and its two opt-outs */
const enrolKeys = ['    imAddress: [msExchIMAddress, labeledURI]', '    filter: (&(objectClass=inetOrgPerson)(|(msExchIMAddress=*)(labeledURI=*)))'];
const optOutKeys = ['  optOut:', `    group: ${OPT_OUT_GROUP}`, `    attribute: ${OPT_OUT_ATTRIBUTE}`, '    value: TRUE'];

function configFor(s: TestSlapd, presence: string[] = [], directory: string[] = [], env: Record<string, string> = {}) {
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
    ...directory,
    'presence:',
    '  source: xmpp',
    '  xmpp:',
    '    service: xmpp://127.0.0.1:5222',
    '    jid: observer@example.org',
    '    passwordEnv: XMPP_PW',
    '  enrol:',
    ...enrolKeys,
    ...presence,
  ].join('\n');
  const c = parseConfig(text, { path: '/x/mxray.yaml', shown: 'mxray.yaml', via: '--config' }, sections, {
    env: { LDAP_PW: s.password, XMPP_PW: 'x', ...env },
  });
  return { directory: c.section('directory')!, presence: c.section('presence')! };
}

test('IM addresses: schemes stripped in any case, labels dropped, other schemes and non-addresses refused', () => {
  assert.equal(imAddressOf('sip:Alice@Corp.Example'), 'alice@corp.example');
  assert.equal(imAddressOf('SIP:bob@corp.example'), 'bob@corp.example');
  assert.equal(imAddressOf('xmpp:carol@example.org XMPP'), 'carol@example.org');
  assert.equal(imAddressOf('dave@example.org'), 'dave@example.org');
  assert.equal(imAddressOf('SMTP:dave@corp.example'), undefined);
  assert.equal(imAddressOf('X500:/o=Corp/ou=x'), undefined);
  assert.equal(imAddressOf('Administrator'), undefined);
  assert.equal(normalDn('CN=No Presence, OU=Groups,DC=corp'), normalDn('cn=no presence,ou=groups,dc=corp'));
});

test("enrolment from slapd: the whole subtree, paged, equals the generator's truth; opt-out by group and attribute; exclude list", async (t) => {
  const s = await slapdForTest(t);
  if (!s) return;
  const { directory, presence } = configFor(s, ['    pageSize: 250', ...optOutKeys]);
  const e = await enrol(directory, presence);
  assert.ok(s.enrolled.size > 700, `the truth is more than a page (${s.enrolled.size})`);
  assert.deepEqual(new Map(e.users.map((u) => [u.imAddress, u.username])), s.enrolled);
  assert.ok(e.pages >= 4, `paged (${e.pages} pages)`);
  assert.equal(e.optedOut, 2, 'one by the attribute, one by the group');
  // nested OUs and an AD-style container
  assert.ok(e.users.some((u) => /ou=Berlin,ou=Europe,ou=People,/i.test(u.dn)));
  assert.ok(e.users.some((u) => /,cn=Users,dc=example,dc=org$/i.test(u.dn)));

  // without the opt-outs, the two opted-out users are back
  const open = configFor(s, ['    pageSize: 1000']);
  assert.equal((await enrol(open.directory, open.presence)).users.length, s.enrolled.size + 2);

  const some = [...s.enrolled.keys()];
  const excluded = some[0]!;
  const byName = s.enrolled.get(some[1]!)!;
  const c2 = configFor(s, [`  exclude: [${excluded.toUpperCase()}, ${byName}]`, ...optOutKeys]);
  const e2 = await enrol(c2.directory, c2.presence);
  assert.deepEqual(e2.users.map((u) => u.imAddress).sort(), some.slice(2).sort());
  assert.equal(e2.excluded, 2);
});

test('enrolment errors say which server, which step and why', async (t) => {
  const s = await slapdForTest(t);
  if (!s) return;
  const wrong = configFor({ ...s, password: 'wrong' });
  await assert.rejects(enrol(wrong.directory, wrong.presence), {
    name: 'DirectoryError',
    message: `directory ${s.url}: the bind as ${s.bindDn} was refused: invalid credentials`,
  });
  const noBase = configFor({ ...s, base: 'ou=Nowhere,dc=example,dc=org' });
  await assert.rejects(enrol(noBase.directory, noBase.presence), {
    name: 'DirectoryError',
    message: `directory ${s.url}: the base ou=Nowhere,dc=example,dc=org does not exist (noSuchObject)`,
  });
  const group = configFor(s, ['  optOut:', '    group: cn=nobody,dc=example,dc=org']);
  await assert.rejects(enrol(group.directory, group.presence), /the opt-out group cn=nobody,dc=example,dc=org does not exist/);
  // a port nobody listens on
  const down = configFor({ ...s, url: 'ldap://127.0.0.1:9' }, [], ['  timeoutMs: 2000']);
  await assert.rejects(enrol(down.directory, down.presence), {
    name: 'DirectoryError',
    message: 'directory ldap://127.0.0.1:9: connection refused (is the server running?)',
  });
});
