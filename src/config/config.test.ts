// The config file: every invalid-*.yaml fixture with its exact messages (lines counted by hand in
// the fixture), file encodings (CRLF, BOM, empty), sections validated lazily and one by one, and a
// capability registering a section of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { loadConfig, type LoadOptions } from './config.js';
import { ConfigError, formatIssue } from './errors.js';
import { sections } from './sections.js';
import { defineSection, registry } from './section.js';
import { wholeNumber } from './fields.js';
import { exampleConfig } from './example.js';
import { closest, unknownKeyMessage } from './issues.js';
import { repoPath } from '../testing/paths.js';

const fixtures = repoPath('fixtures', 'config');
const tmp = mkdtempSync(join(tmpdir(), 'mxray-config-'));

/** every problem of a file as the admin reads them: load errors, else every section's */
async function problems(file: string, opts: LoadOptions = {}): Promise<string[]> {
  try {
    const config = await loadConfig(file, { cwd: fixtures, env: {}, ...opts });
    return config.check().map(formatIssue);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues.map(formatIssue);
  }
}

const ldapEnv = { MXRAY_TEST_LDAP_PASSWORD: 'env-secret-value' };

const expected: Record<string, { env?: Record<string, string>; messages: string[] }> = {
  'invalid-ldap-url.yaml': { messages: ['invalid-ldap-url.yaml:3: directory.url: expected an ldap:// or ldaps:// URL, got "http://x"'] },
  'invalid-literal-password.yaml': {
    messages: [
      'invalid-literal-password.yaml:4: directory.password: a password does not belong in the config file: give passwordFile: PATH (a file holding it) or passwordEnv: NAME (an environment variable)',
    ],
  },
  'invalid-unknown-section.yaml': { messages: ['invalid-unknown-section.yaml:3: diretory: unknown section; did you mean directory?'] },
  'invalid-unknown-key.yaml': {
    messages: [
      'invalid-unknown-key.yaml:4: serve.listen.prot: unknown key; did you mean port?',
      'invalid-unknown-key.yaml:5: serve.tokenFile: unknown key; known keys: listen, auth, tls',
    ],
  },
  'invalid-yaml-escape.yaml': {
    messages: [
      `invalid-yaml-escape.yaml:2: not valid YAML: Invalid escape sequence \\m (in "double quotes" a backslash starts an escape: write Windows paths without quotes or in 'single quotes')`,
    ],
  },
  'invalid-yaml-flow.yaml': {
    messages: ['invalid-yaml-flow.yaml:4: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  },
  'invalid-both-secrets.yaml': { env: ldapEnv, messages: ['invalid-both-secrets.yaml:5: directory.passwordEnv: give passwordFile or passwordEnv, not both'] },
  'invalid-serve-listen.yaml': {
    messages: [
      'invalid-serve-listen.yaml:4: serve.listen.host: listening on 0.0.0.0 (beyond this machine) needs auth: give auth.tokenFile or auth.user with auth.passwordFile, or listen on 127.0.0.1',
      'invalid-serve-listen.yaml:5: serve.listen.port: expected a port number from 1 to 65535, got 70000',
    ],
  },
  'invalid-top-level.yaml': {
    messages: [
      'invalid-top-level.yaml:1: expected sections at the top level (store, directory, notify, serve, presence, monitor, rules, integrity), got a list',
    ],
  },
  'invalid-presence-source.yaml': {
    env: { MXRAY_TEST_XMPP_PASSWORD: 'p' },
    messages: [
      'invalid-presence-source.yaml:2: presence.source: source: graph needs its settings under graph:',
      'invalid-presence-source.yaml:8: presence.logDir: aggregateOnly writes no per-sample history: remove logDir (the daily log files are that history)',
    ],
  },
  'invalid-presence.yaml': {
    env: { MXRAY_TEST_GRAPH_SECRET: 's' },
    messages: [
      'invalid-presence.yaml:2: presence.interval: expected an interval from 10s to 1d, like 30s, 15m, 2h or 90d, got "5s"',
      'invalid-presence.yaml:3: presence.source: expected xmpp or graph, got "teams"',
      'invalid-presence.yaml:5: presence.xmpp.service: expected xmpp://host[:5222] (STARTTLS) or xmpps://host[:5223] (TLS from the start), got "http://im.corp.example"',
      'invalid-presence.yaml:6: presence.xmpp.jid: expected the observer account as user@domain, got "observer"',
      'invalid-presence.yaml:7: presence.xmpp.password: a password does not belong in the config file: give passwordFile: PATH (a file holding it) or passwordEnv: NAME (an environment variable)',
      'invalid-presence.yaml:11: presence.graph.batchSize: expected ids per call from 1 to 650, got 1000',
      'invalid-presence.yaml:13: presence.enrol.filter: expected an LDAP filter in balanced parentheses, got "msExchIMAddress=*"',
      'invalid-presence.yaml:14: presence.enrol.pageSize: expected entries per page from 1 to 1000, got 5000',
      'invalid-presence.yaml:16: presence.optOut.value: a value without attribute: say which attribute holds it',
      'invalid-presence.yaml:19: presence.retention: expected a retention from 1d to 3650d, like 30s, 15m, 2h or 90d, got "forever"',
    ],
  },
  'invalid-store-url.yaml': { messages: ['invalid-store-url.yaml:2: store.url: expected clickhouse://host:8123/database or duckdb:PATH, got "http://x"'] },
  'invalid-store-password.yaml': {
    messages: [
      'invalid-store-password.yaml:2: store.url: the URL holds a password: keep it out of the file; set MXRAY_CLICKHOUSE_USER and MXRAY_CLICKHOUSE_PASSWORD_FILE in the environment instead',
    ],
  },
  'invalid-missing-keys.yaml': {
    env: ldapEnv,
    messages: [
      'invalid-missing-keys.yaml:1: directory.url: missing: expected an ldap:// or ldaps:// URL',
      'invalid-missing-keys.yaml:1: directory.base: missing: expected the search base DN, like DC=corp,DC=example',
    ],
  },
  'invalid-header-secret.yaml': {
    messages: [
      'invalid-header-secret.yaml:6: notify.webhook.headers.Authorization: the Authorization header carries a secret: give { valueFile: PATH } or { valueEnv: NAME } (the file or variable holds the whole value)',
    ],
  },
  'invalid-secret-refs.yaml': {
    messages: [
      'invalid-secret-refs.yaml:5: notify.smtp.passwordEnv: environment variable MXRAY_TEST_UNSET is not set',
      `invalid-secret-refs.yaml:9: serve.auth.tokenFile: cannot read ${join(fixtures, 'secrets', 'missing.token')}: no such file (ENOENT)`,
    ],
  },
};

test('every invalid-*.yaml fixture gives exactly its messages, and no secret in them', async () => {
  const files = readdirSync(fixtures)
    .filter((f) => /^invalid-.*\.yaml$/.test(f))
    .sort();
  assert.deepEqual(files, Object.keys(expected).sort(), 'each fixture has its expected messages here');
  for (const [file, { env, messages }] of Object.entries(expected)) {
    const got = await problems(file, { env: env ?? {} });
    assert.deepEqual(got, messages, file);
    for (const secret of ['hunter2', 's3cr3t', 'abc123', 'not-a-real-secret', 'env-secret-value']) {
      assert.ok(!got.join('\n').includes(secret), `${file}: a message shows the secret ${secret}`);
    }
  }
});

test('a YAML error is not a section error: the whole file is refused at load', async () => {
  await assert.rejects(loadConfig('invalid-yaml-flow.yaml', { cwd: fixtures, env: {} }), ConfigError);
  await assert.rejects(loadConfig('invalid-unknown-section.yaml', { cwd: fixtures, env: {} }), ConfigError);
  // a file named but missing is an error; only the implicit ./mxray.yaml may be absent
  await assert.rejects(loadConfig('nope.yaml', { cwd: fixtures, env: {} }), (e: ConfigError) => {
    assert.equal(e.issues.length, 1);
    assert.equal(formatIssue(e.issues[0]!), `nope.yaml: cannot read the config file ${join(fixtures, 'nope.yaml')} (named by --config): no such file`);
    return true;
  });
  await assert.rejects(loadConfig(undefined, { cwd: fixtures, env: { MXRAY_CONFIG: 'gone.yaml' } }), /gone\.yaml \(named by MXRAY_CONFIG\)/);
});

test('no config file: every section absent', async () => {
  const none = await loadConfig(undefined, { cwd: tmp, env: {} });
  assert.equal(none.file, undefined);
  assert.equal(none.section('store'), undefined);
  assert.deepEqual(none.check(), []);
  // the implicit ./mxray.yaml is read when present
  const dir = mkdtempSync(join(tmp, 'implicit-'));
  writeFileSync(join(dir, 'mxray.yaml'), 'store:\n  db: here.duckdb\n');
  const found = await loadConfig(undefined, { cwd: dir, env: {} });
  assert.equal(found.file?.shown, 'mxray.yaml');
  assert.deepEqual(found.section('store'), { db: join(dir, 'here.duckdb') });
  // MXRAY_CONFIG wins over ./mxray.yaml, and --config over MXRAY_CONFIG
  writeFileSync(join(dir, 'other.yaml'), 'store:\n  db: other.duckdb\n');
  writeFileSync(join(dir, 'third.yaml'), 'store:\n  db: third.duckdb\n');
  assert.deepEqual((await loadConfig(undefined, { cwd: dir, env: { MXRAY_CONFIG: 'other.yaml' } })).section('store'), { db: join(dir, 'other.duckdb') });
  assert.deepEqual((await loadConfig('third.yaml', { cwd: dir, env: { MXRAY_CONFIG: 'other.yaml' } })).section('store'), { db: join(dir, 'third.duckdb') });
});

test('an error in one section stops only the commands that read it', async () => {
  const file = join(tmp, 'lazy.yaml');
  writeFileSync(
    file,
    [
      'store:',
      '  db: data.duckdb',
      'notify:',
      '  smtp:',
      '    host: smtp.corp.example',
      '    port: 0',
      '    from: mxray@corp.example',
      'directory:',
      '  url: ldaps://dc1.corp.example',
      '  base: DC=corp,DC=example',
      '  bindDn: CN=svc-mxray,DC=corp,DC=example',
      '  passwordFile: unreadable.password',
      '',
    ].join('\n'),
  );
  const config = await loadConfig(file, { env: {} });
  // what `mxray ingest` reads works, although notify is wrong and the LDAP password file is missing
  assert.deepEqual(config.section('store'), { db: join(tmp, 'data.duckdb') });
  assert.deepEqual(config.present, ['store', 'directory', 'notify']);
  assert.throws(
    () => config.section('notify'),
    (e: ConfigError) => {
      assert.deepEqual(e.issues.map(formatIssue), [`${file}:6: notify.smtp.port: expected a port number from 1 to 65535, got 0`]);
      return true;
    },
  );
  assert.throws(() => config.section('directory'), /:12: directory\.passwordFile: cannot read .*unreadable\.password: no such file \(ENOENT\)$/);
  assert.equal(config.section('serve'), undefined);
  // check() sees everything, in file order; effective() shows the valid sections only
  assert.deepEqual(
    config.check().map((i) => [i.line, i.path]),
    [
      [6, 'notify.smtp.port'],
      [12, 'directory.passwordFile'],
    ],
  );
  assert.deepEqual(Object.keys(config.effective()), ['store']);
});

test('CRLF line ends, a UTF-8 byte order mark and empty files', async () => {
  const crlf = join(tmp, 'crlf.yaml');
  writeFileSync(crlf, '\uFEFF# saved by Notepad\r\nstore:\r\n  db: x.duckdb\r\ndirectory:\r\n  url: http://x\r\n  base: DC=corp\r\n');
  const config = await loadConfig(crlf, { env: {} });
  // no \r in values, and lines counted as an editor counts them
  assert.deepEqual(config.section('store'), { db: join(tmp, 'x.duckdb') });
  assert.deepEqual(config.check().map(formatIssue), [`${crlf}:5: directory.url: expected an ldap:// or ldaps:// URL, got "http://x"`]);
  const bomOnly = join(tmp, 'bom-error.yaml');
  writeFileSync(bomOnly, '\uFEFFstor:\n  db: x\n');
  await assert.rejects(
    loadConfig(bomOnly, { env: {} }),
    (e: ConfigError) => formatIssue(e.issues[0]!) === `${bomOnly}:1: stor: unknown section; did you mean store?`,
  );
  for (const [name, text] of [
    ['empty.yaml', ''],
    ['comments.yaml', '# nothing yet\n#store:\n#  db: x\n'],
    ['bom-empty.yaml', '\uFEFF'],
    ['blank-section.yaml', 'directory:\n  # url: ldaps://dc1\n'],
  ] as const) {
    const f = join(tmp, name);
    writeFileSync(f, text);
    const c = await loadConfig(f, { env: {} });
    assert.deepEqual([c.present, c.check(), c.section('directory')], [[], [], undefined], name);
  }
});

test('unknown keys: "did you mean" only when close, never the refused secret key itself', () => {
  assert.equal(closest('urll', ['url', 'base']), 'url');
  assert.equal(closest('bindDN', ['bindDn', 'base']), 'bindDn');
  assert.equal(closest('timeout', ['timeoutMs', 'url']), 'timeoutMs');
  assert.equal(closest('prot', ['host', 'port']), 'port');
  assert.equal(closest('host', ['port']), undefined);
  assert.equal(closest('tokenFile', ['listen', 'auth', 'tls']), undefined);
  const known = ['url', 'passwordFile', 'passwordEnv', 'password', 'base'];
  assert.equal(unknownKeyMessage('pasword', known, 'key'), 'unknown key; did you mean passwordFile or passwordEnv?');
  assert.equal(unknownKeyMessage('secret', known, 'key'), 'unknown key; known keys: url, passwordFile, passwordEnv, base');
});

test('a capability registers its section: typed, validated with lines, in the example', async () => {
  // what src/capabilities/presence/config.ts will do, and sections.ts list
  const presenceSection = defineSection({
    key: 'polling',
    schema: z.strictObject({ intervalMs: wholeNumber('milliseconds', 1000, 3_600_000).default(60_000) }),
    doc: '# Presence polling\npolling:\n  intervalMs: 60000\n',
  });
  const mine = registry([sections.store, sections.directory, sections.notify, sections.serve, presenceSection]);
  const file = join(tmp, 'presence.yaml');
  writeFileSync(file, 'store:\n  db: x.duckdb\npolling:\n  intervalMs: 500\n  intervalMS: 1\n');
  const config = await loadConfig(file, { sections: mine, env: {} });
  assert.deepEqual(config.check().map(formatIssue), [
    `${file}:4: polling.intervalMs: expected milliseconds from 1000 to 3600000, got 500`,
    `${file}:5: polling.intervalMS: unknown key; did you mean intervalMs?`,
  ]);
  writeFileSync(file, 'polling: {}\n');
  const ok = await loadConfig(file, { sections: mine, env: {} });
  const presence: { intervalMs: number } | undefined = ok.section('polling');
  assert.deepEqual(presence, { intervalMs: 60_000 });
  assert.ok(exampleConfig(mine).endsWith('# Presence polling\npolling:\n  intervalMs: 60000\n'));
  // without the registration the same file is refused
  await assert.rejects(loadConfig(file, { env: {} }), /polling: unknown section; sections: store, directory, notify, serve, presence, monitor/);
  assert.throws(() => registry([sections.store, sections.store]), /"store" is registered twice/);
});
