// mxray config check: in-process for what it prints, one process for the exit code; and a config
// error from any command exits with 2, one `mxray: file:line: …` line per problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configCheck } from './config.js';
import { run } from './main.js';
import { mxray } from '../testing/cli.js';
import { repoPath } from '../testing/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'mxray-cli-config-'));
const SECRET = 'Very-Secret-Smtp-9';

test('config check: the effective config with secrets by reference, as text and JSON', async () => {
  const config = join(tmp, 'ok.yaml');
  writeFileSync(
    config,
    'notify:\n  smtp:\n    host: smtp.corp.example\n    security: tls\n    user: svc\n    passwordEnv: MXRAY_TEST_SMTP\n    from: mxray@corp.example\n',
  );
  const env = { MXRAY_TEST_SMTP: SECRET, MXRAY_STORE: 'duckdb:x' };
  const text = await configCheck({ config }, env);
  assert.equal(text.code, 0);
  assert.equal(
    text.stdout,
    [
      `# ${config}: valid. What mxray makes of it: defaults filled in, paths absolute, secrets by where they come from.`,
      'notify:',
      '  smtp:',
      '    host: smtp.corp.example',
      '    port: 465',
      '    security: tls',
      '    user: svc',
      '    password: (from env MXRAY_TEST_SMTP)',
      '    from: mxray@corp.example',
      '    tls:',
      '      verify: true',
      '    timeoutMs: 30000',
      '',
    ].join('\n'),
  );
  const json = await configCheck({ config, json: true }, env);
  assert.deepEqual(JSON.parse(json.stdout).config.notify.smtp.password, '(from env MXRAY_TEST_SMTP)');
  assert.ok(!text.stdout.includes(SECRET) && !json.stdout.includes(SECRET));
  // the note on MXRAY_STORE appears when the file has a store: section
  writeFileSync(config, 'store:\n  db: x.duckdb\n');
  assert.match((await configCheck({ config }, env)).stdout, /^# note: MXRAY_STORE is set and wins over store: below$/m);
});

test('config check: problems on stderr and in JSON, exit 2; no file at all is fine', async () => {
  const fixture = repoPath('fixtures', 'config', 'invalid-ldap-url.yaml');
  const r = await configCheck({ config: fixture }, {});
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [2, '', `${fixture}:3: directory.url: expected an ldap:// or ldaps:// URL, got "http://x"\n${fixture}: 1 problem(s)\n`],
  );
  const j = JSON.parse((await configCheck({ config: fixture, json: true }, {})).stdout);
  assert.deepEqual(j, {
    file: fixture,
    valid: false,
    issues: [{ file: fixture, line: 3, path: 'directory.url', message: 'expected an ldap:// or ldaps:// URL, got "http://x"' }],
    config: {},
  });
  // a file that is not YAML: the load error is reported the same way
  const flow = repoPath('fixtures', 'config', 'invalid-yaml-flow.yaml');
  assert.equal((await configCheck({ config: flow }, {})).code, 2);
  const cwd = process.cwd();
  process.chdir(tmp);
  try {
    const none = await configCheck({}, {});
    assert.equal(none.code, 0);
    assert.match(none.stdout, /^no config file/);
  } finally {
    process.chdir(cwd);
  }
});

test('a config error stops a store command with exit 2, one line per problem', async () => {
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await run([
      'node',
      'mxray',
      'tracking',
      'users',
      '--db',
      join(tmp, 'none.duckdb'),
      '--config',
      repoPath('fixtures', 'config', 'invalid-unknown-key.yaml'),
    ]);
  } finally {
    process.stderr.write = write;
  }
  // serve: is wrong, but tracking does not read it: the command goes on to look for its database
  // (missing here, which is its own exit 2)
  assert.equal(code, 2);
  assert.equal(written.join(''), `mxray: no database at ${join(tmp, 'none.duckdb')}: run \`mxray ingest PATH…\` first, or name one with --db\n`);
  assert.ok(!written.join('').includes('serve.'), written.join(''));
  written.length = 0;
  process.stderr.write = ((chunk: string) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    code = await run(['node', 'mxray', 'tracking', 'users', '--config', repoPath('fixtures', 'config', 'invalid-unknown-section.yaml')]);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(code, 2);
  assert.equal(
    written.join(''),
    `mxray: ${repoPath('fixtures', 'config', 'invalid-unknown-section.yaml')}:3: diretory: unknown section; did you mean directory?\n`,
  );
});

test('the process exits with 2 for an invalid config', async () => {
  const bad = await mxray(['config', 'check', '--config', repoPath('fixtures', 'config', 'invalid-serve-listen.yaml')]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /invalid-serve-listen\.yaml:5: serve\.listen\.port: expected a port number from 1 to 65535, got 70000\n/);
});
