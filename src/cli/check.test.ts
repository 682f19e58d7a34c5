// mxray check as a Monitoring Plugin, in-process: exit codes 0/1/2/3 (3 also for any bad command
// line, while mxray's other commands keep 2), UNKNOWN on stdout for Nagios to show, --help saying so,
// --json as the ProbeResult[] contract, passwords only by reference.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxrayInProcess as mxray } from '../testing/run-cli.js';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** a listening port (all tcp:// asks of an instance) and a port that is closed */
async function ports(): Promise<{ open: number; closed: number }> {
  const a = createServer((s) => s.end());
  servers.push(a);
  await new Promise<void>((r) => a.listen(0, '127.0.0.1', r));
  const b = createServer();
  await new Promise<void>((r) => b.listen(0, '127.0.0.1', r));
  const closed = (b.address() as { port: number }).port;
  await new Promise<void>((r) => b.close(() => r()));
  return { open: (a.address() as { port: number }).port, closed };
}

test('bad command lines exit 3 with MXRAY UNKNOWN on stdout', async () => {
  const cases: [string[], RegExp][] = [
    [['check', '--no-such-option', 'tcp://127.0.0.1:1'], /unknown option '--no-such-option'/],
    [['check', '-w', '5:1', 'tcp://127.0.0.1:1'], /-w: range "5:1": the start 5 is greater than the end 1/],
    [['check', '-c', 'abc', 'tcp://127.0.0.1:1'], /-c: range "abc": the end "abc" is not a number/],
    [['check'], /no URL to check/],
    [['check', 'gopher://x'], /unknown scheme "gopher"/],
    [['check', 'imap://alice:pw@127.0.0.1'], /a password in the URL/],
    [['check', '--timeout', 'soon', 'tcp://127.0.0.1:1'], /--timeout: expected a number/],
    [['check', '--password-env', 'MXRAY_TEST_NO_SUCH_VAR', 'imap://alice@127.0.0.1'], /no such environment variable/],
    [['check', '--http-status', '20x', 'http://127.0.0.1'], /--http-status: expected codes/],
    [['check', '-w'], /argument missing/],
  ];
  for (const [args, message] of cases) {
    const r = await mxray(args);
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^MXRAY UNKNOWN - /, args.join(' '));
    assert.match(r.stdout + r.stderr, message, args.join(' '));
  }
  // other commands keep mxray's own exit code for usage errors
  assert.equal((await mxray(['formats', '--no-such-option'])).code, 2);
});

test('--help names the plugin exit codes and exits 0', async () => {
  const r = await mxray(['check', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout.replace(/\s+/g, ' '), /0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN \(also 3 for a bad command line\)/);
});

test('all up: 0; one instance down: 2 and its line starts with *', async () => {
  const { open, closed } = await ports();
  const up = await mxray(['check', `tcp://127.0.0.1:${open}`]);
  assert.equal(up.code, 0, up.stdout);
  assert.match(up.stdout, /^MXRAY OK - 1 of 1 instance OK/);
  const r = await mxray(['check', `tcp://127.0.0.1:${open}`, `tcp://127.0.0.1:${closed}`]);
  assert.equal(r.code, 2);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(
    lines[0]!,
    new RegExp(`^MXRAY CRITICAL - 1 of 2 instances not OK: tcp://127.0.0.1:${closed} refused \\| 'time_tcp_127.0.0.1_${open}'=[0-9.]+s;;;0;10 `),
  );
  assert.match(lines[1]!, new RegExp(`^127\\.0\\.0\\.1:${open} \\(TCP\\): OK`));
  assert.match(lines[2]!, new RegExp(`^\\*127\\.0\\.0\\.1:${closed} \\(TCP\\): CRITICAL refused`));
});

test('-w/-c on the response time: an impossible range gives 1 and 2 with failure slow', async () => {
  const { open } = await ports();
  const w = await mxray(['check', '-w', '@0:', `tcp://127.0.0.1:${open}`]);
  assert.equal(w.code, 1, w.stdout);
  assert.match(w.stdout, /^MXRAY WARNING - 1 of 1 instance not OK: tcp:\/\/127\.0\.0\.1:\d+ slow/);
  assert.match(w.stdout, /=[0-9.]+s;@0:;;0;10/);
  const c = await mxray(['check', '-w', '@0:', '-c', '~:0', `tcp://127.0.0.1:${open}`]);
  assert.equal(c.code, 2);
  const ok = await mxray(['check', '-w', '10', '-c', '20', `tcp://127.0.0.1:${open}`]);
  assert.equal(ok.code, 0);
});

test('--json is the ProbeResult[] contract', async () => {
  const { open, closed } = await ports();
  const r = await mxray(['check', '--json', `tcp://127.0.0.1:${open}`, `tcp://127.0.0.1:${closed}`]);
  assert.equal(r.code, 2);
  const results = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.equal(results.length, 2);
  assert.deepEqual(
    Object.keys(results[0]!).sort(),
    ['at', 'certDaysLeft', 'detail', 'durationMs', 'failure', 'host', 'instance', 'phases', 'service', 'status', 'transcript', 'url'].sort(),
  );
  assert.deepEqual(
    results.map((x) => [x.url, x.status, x.failure, x.host, x.service]),
    [
      [`tcp://127.0.0.1:${open}`, 'ok', null, '127.0.0.1', 'TCP'],
      [`tcp://127.0.0.1:${closed}`, 'critical', 'refused', '127.0.0.1', 'TCP'],
    ],
  );
  assert.equal(results[0]!.transcript, null);
  assert.ok(Array.isArray(results[1]!.transcript));
});

test('--matrix prints letters when not a terminal', async () => {
  const { open, closed } = await ports();
  const r = await mxray(['check', '--matrix', `tcp://127.0.0.1:${open}`, `tcp://localhost:${closed}`]);
  assert.equal(r.code, 2);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^MXRAY CRITICAL/);
  assert.equal(lines[1], '2 hosts, 2 instances: 1 OK, 0 warning, 1 critical, 0 unknown  (O OK, W warning, C critical, U unknown)');
  assert.equal(lines[2], '127.0.0.1 O C');
  assert.doesNotMatch(r.stdout, /\x1b/);
});

test('a password comes from --password-file or --password-env, never echoed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-check-'));
  const file = join(dir, 'pw');
  writeFileSync(file, 'Pw-From-File-77\n');
  const { closed } = await ports();
  const r = await mxray(['check', '--json', '--password-file', file, `imap://alice@127.0.0.1:${closed}`]);
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stdout + r.stderr, /Pw-From-File-77/);
  const both = await mxray(['check', '--password-file', file, '--password-env', 'X', `imap://alice@127.0.0.1:${closed}`]);
  assert.equal(both.code, 3);
});

test('--config probes every instance of the monitor section; --service and --host narrow it; a bad config is UNKNOWN', async () => {
  const { open, closed } = await ports();
  const dir = mkdtempSync(join(tmpdir(), 'mxray-check-config-'));
  const file = join(dir, 'mxray.yaml');
  writeFileSync(
    file,
    [
      'monitor:',
      '  hosts:',
      '    - name: mx1',
      '      services:',
      '        - name: SMTP',
      `          instances: [tcp://127.0.0.1:${open}, tcp://127.0.0.1:${closed}]`,
      '        - name: IMAP',
      `          instances: [tcp://127.0.0.1:${open}]`,
      '',
    ].join('\n'),
  );
  const all = await mxray(['check', '--config', file]);
  assert.equal(all.code, 2, all.stdout + all.stderr);
  const lines = all.stdout.split('\n');
  assert.equal(lines.filter((l) => l.startsWith('*')).length, 1, all.stdout);
  assert.ok(
    lines.some((l) => l.startsWith('*') && l.includes(String(closed))),
    all.stdout,
  );
  const imap = await mxray(['check', '--config', file, '--service', 'imap', '--json']);
  assert.equal(imap.code, 0, imap.stdout + imap.stderr);
  const results = JSON.parse(imap.stdout) as { service: string; host: string; status: string }[];
  assert.deepEqual(
    results.map((r) => [r.host, r.service, r.status]),
    [['mx1', 'IMAP', 'ok']],
  );
  const none = await mxray(['check', '--config', file, '--service', 'POP3']);
  assert.equal(none.code, 3);
  assert.match(none.stdout, /^MXRAY UNKNOWN - no instance of .* matches --service POP3; services: SMTP, IMAP/);
  writeFileSync(file, 'monitor:\n  hosts: 7\n');
  const bad = await mxray(['check', '--config', file]);
  assert.equal(bad.code, 3);
  assert.match(bad.stdout, /^MXRAY UNKNOWN - .*mxray\.yaml:2: monitor\.hosts/);
});
