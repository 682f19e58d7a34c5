// Secrets by reference: read from a file or the environment when the section is read, shown
// everywhere as where they come from, never as their value; relative, Windows and UNC file paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, win32 } from 'node:path';
import { format, inspect } from 'node:util';
import { loadConfig } from './config.js';
import { ConfigError, formatIssue } from './errors.js';
import { parseConfig } from './load.js';
import { sections } from './sections.js';
import { Secret } from './refs.js';

const tmp = mkdtempSync(join(tmpdir(), 'mxray-secrets-'));
const LDAP = 'Ldap-Pa55-from-file';
const SMTP = 'Smtp-Pa55-from-env';

function write(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

test('passwordFile and passwordEnv are read, and never shown', async () => {
  write('ldap.password', `${LDAP}\r\n`);
  const file = write(
    'secrets.yaml',
    [
      'directory:',
      '  url: ldaps://dc1.corp.example',
      '  bindDn: CN=svc-mxray,DC=corp,DC=example',
      '  passwordFile: ldap.password',
      '  base: DC=corp,DC=example',
      'notify:',
      '  smtp:',
      '    host: smtp.corp.example',
      '    user: svc-mxray@corp.example',
      '    passwordEnv: MXRAY_TEST_SMTP',
      '    from: mxray@corp.example',
      '',
    ].join('\n'),
  );
  const config = await loadConfig(file, { env: { MXRAY_TEST_SMTP: SMTP } });
  const ldap = config.section('directory')!.password!;
  const smtp = config.section('notify')!.smtp!.password!;
  // the file's one trailing CRLF is the editor's
  assert.equal(ldap.reveal(), LDAP);
  assert.equal(smtp.reveal(), SMTP);
  assert.equal(ldap.describe(), `(from file ${join(tmp, 'ldap.password')})`);
  assert.equal(smtp.describe(), '(from env MXRAY_TEST_SMTP)');
  // every ordinary way of printing shows the reference
  const printed = [
    String(ldap),
    `${smtp}`,
    JSON.stringify({ ldap, smtp }),
    inspect(ldap),
    inspect({ nested: { smtp } }, { depth: 5 }),
    format('%s %o %O %j', ldap, smtp, ldap, smtp),
    JSON.stringify(config.effective()),
  ];
  for (const p of printed) {
    assert.ok(!p.includes(LDAP) && !p.includes(SMTP), p);
  }
  const eff = config.effective() as { directory: { password: string }; notify: { smtp: { password: string; port: number } } };
  assert.equal(eff.directory.password, `(from file ${join(tmp, 'ldap.password')})`);
  assert.equal(eff.notify.smtp.password, '(from env MXRAY_TEST_SMTP)');
  assert.equal(eff.notify.smtp.port, 587, 'port follows security: starttls');
});

test('a missing, empty or unreadable secret is an error naming the reference', async () => {
  write('empty.password', '\n');
  const folder = join(tmp, 'a-folder');
  mkdirSync(folder);
  const file = write(
    'bad-secrets.yaml',
    [
      'directory:',
      '  url: ldap://dc1.corp.example',
      '  bindDn: CN=svc-mxray,DC=corp,DC=example',
      '  passwordFile: empty.password',
      '  base: DC=corp,DC=example',
      'notify:',
      '  smtp:',
      '    host: smtp.corp.example',
      '    user: svc-mxray@corp.example',
      '    passwordEnv: MXRAY_TEST_EMPTY',
      '    from: mxray@corp.example',
      '  webhook:',
      '    url: https://chat.corp.example/hooks/x',
      '    headers:',
      '      Authorization: { valueEnv: "1BAD" }',
      'serve:',
      '  auth:',
      '    user: admin',
      `    passwordFile: ${folder}`,
      '',
    ].join('\n'),
  );
  const config = await loadConfig(file, { env: { MXRAY_TEST_EMPTY: '' } });
  assert.deepEqual(config.check().map(formatIssue), [
    `${file}:4: directory.passwordFile: ${join(tmp, 'empty.password')} is empty`,
    `${file}:10: notify.smtp.passwordEnv: environment variable MXRAY_TEST_EMPTY is empty`,
    `${file}:15: notify.webhook.headers.Authorization.valueEnv: expected the name of an environment variable (letters, digits and _), got "1BAD"`,
    `${file}:19: serve.auth.passwordFile: cannot read ${folder}: it is a folder (EISDIR)`,
  ]);
});

test('a user without a password, a password without a user, both token and basic', () => {
  const file = { path: join(tmp, 'pairs.yaml'), shown: 'pairs.yaml', via: '--config' as const };
  const env = { T: 'x' };
  const issues = (text: string) => parseConfig(text, file, sections, { env }).check().map(formatIssue);
  assert.deepEqual(issues('directory:\n  url: ldap://dc1\n  base: DC=x\n  bindDn: CN=x\n'), [
    'pairs.yaml:4: directory.bindDn: a bind DN needs its password: give passwordFile: PATH or passwordEnv: NAME',
  ]);
  assert.deepEqual(issues('directory:\n  url: ldap://dc1\n  base: DC=x\n  passwordEnv: T\n'), [
    'pairs.yaml:4: directory.passwordEnv: a password without bindDn: say whom to bind as (or remove the password for an anonymous bind)',
  ]);
  assert.deepEqual(issues('serve:\n  auth:\n    tokenEnv: T\n    user: admin\n    passwordEnv: T\n'), [
    'pairs.yaml:3: serve.auth.tokenEnv: give a token (tokenFile/tokenEnv) or a user with a password, not both',
  ]);
  assert.deepEqual(issues('serve:\n  auth: {}\n'), [
    'pairs.yaml:2: serve.auth: give tokenFile: PATH (or tokenEnv: NAME), or user: with passwordFile: PATH (or passwordEnv: NAME)',
  ]);
  assert.deepEqual(issues('serve:\n  auth:\n    token: abc\n'), [
    'pairs.yaml:3: serve.auth.token: a token does not belong in the config file: give tokenFile: PATH (a file holding it) or tokenEnv: NAME (an environment variable)',
  ]);
  assert.deepEqual(issues('notify:\n  smtp:\n    host: h\n    security: none\n    user: u\n    passwordEnv: T\n    from: a@b\n'), [
    'pairs.yaml:4: notify.smtp.security: a password over a connection without TLS: use security: starttls or tls',
  ]);
  // with a login, serve may listen beyond loopback
  assert.deepEqual(issues('serve:\n  listen: { host: "::", port: 8443 }\n  auth: { tokenEnv: T }\n'), []);
});

test("Windows and UNC paths, relative to the config file's folder", () => {
  const asked: string[] = [];
  const readFile = (p: string) => {
    asked.push(p);
    return 'x';
  };
  const text = [
    'store:',
    '  db: data\\mxray.duckdb',
    'directory:',
    '  url: ldaps://dc1.corp.example',
    '  bindDn: CN=svc-mxray,DC=corp,DC=example',
    '  passwordFile: secrets\\ldap.password',
    '  base: DC=corp,DC=example',
    '  tls:',
    '    caFile: \\\\pki.corp.example\\certs\\corp-ca.pem',
    'notify:',
    '  smtp:',
    '    host: smtp.corp.example',
    '    user: svc',
    '    passwordFile: \\\\files.corp.example\\secrets$\\smtp.password',
    '    from: mxray@corp.example',
    'serve:',
    '  auth:',
    "    tokenFile: 'D:\\mxray\\api.token'",
    '',
  ].join('\r\n');
  const config = parseConfig(text, { path: 'C:\\ProgramData\\mxray\\mxray.yaml', shown: 'mxray.yaml', via: '--config' }, sections, {
    path: win32,
    readFile,
    env: {},
  });
  assert.deepEqual(config.check(), []);
  assert.deepEqual(config.section('store'), { db: 'C:\\ProgramData\\mxray\\data\\mxray.duckdb' });
  assert.equal(config.section('directory')!.tls.caFile, '\\\\pki.corp.example\\certs\\corp-ca.pem');
  assert.deepEqual(asked, ['C:\\ProgramData\\mxray\\secrets\\ldap.password', '\\\\files.corp.example\\secrets$\\smtp.password', 'D:\\mxray\\api.token']);
});

test('a Secret made by hand prints the same way', () => {
  const s = new Secret('env', 'X', 'passwordEnv', 'value-123');
  assert.equal(`${s}|${JSON.stringify(s)}|${inspect(s)}`, '(from env X)|"(from env X)"|Secret (from env X)');
  assert.ok(!(Object.keys(s) as string[]).some((k) => String((s as unknown as Record<string, unknown>)[k]).includes('value-123')));
  assert.throws(() => {
    throw new ConfigError([{ file: 'f', path: 'p', message: String(s) }]);
  }, /^ConfigError: f: p: \(from env X\)$/);
});
