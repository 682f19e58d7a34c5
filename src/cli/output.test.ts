// A reader that goes away early (`mxray check … | head -1`) ends mxray's output, never the command:
// no stack on stderr, and the command's own exit code (the plugin's status for check). The real CLI
// in a child process: `mxray check … | head -1` in a shell (the check's answer is far more than a pipe
// holds, so most of it is written after head has gone), and a report whose stdout this test closes
// before it writes anything.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxray } from '../testing/cli.js';
import { repoPath } from '../testing/paths.js';
import { sharedTrackingSet } from '../testing/shared-sets.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-output-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Closed {
  code: number | null;
  /** what was read before the pipe was closed */
  read: string;
  stderr: string;
}

/** `argv` with its stdout a pipe that this side closes once `enough(read so far)` says so */
function closingStdout(argv: string[], enough: (read: string) => boolean): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let read = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.slice(0, 4).join(' ')}… did not end within 120 s`));
    }, 120_000);
    const close = () => {
      child.stdout.removeAllListeners('data');
      child.stdout.destroy();
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      read += d;
      if (enough(read)) close();
    });
    if (enough('')) close();
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, read, stderr });
    });
  });
}

test('mxray check | head -1: the status line, no stack, and the plugin exit code of the whole check', async () => {
  // a TCP service with a banner on loopback, probed as 1,000 instances (tcp://…), then port 1: refused
  const server: Server = createServer((s) => {
    s.on('error', () => undefined);
    s.end('220 output-test ready\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as { port: number }).port;
    const urls = [...Array.from({ length: 1000 }, () => `tcp://127.0.0.1:${port}`), 'tcp://127.0.0.1:1'];
    // the shell's pipe, as a Nagios admin types it (node's own 'pipe' stdio is a socket pair, whose
    // buffer would take the whole answer); mxray's exit code and stderr come back on the shell's stderr
    const script = `"$@" | head -1; echo "mxray exit \${PIPESTATUS[0]}" >&2`;
    const r = await closingStdout(
      ['bash', '-c', script, 'bash', process.execPath, repoPath('bin', 'mxray.js'), 'check', '--timeout', '20', '--expect', '^220 ', ...urls],
      () => false,
    );
    assert.match(r.read, /^MXRAY CRITICAL - 1 of 1001 instances not OK: tcp:\/\/127\.0\.0\.1:1 refused \|[^\n]*\n$/);
    assert.equal(r.stderr, 'mxray exit 2\n', 'nothing else on stderr (no EPIPE, no stack); CRITICAL: the exit code of the check, not of the closed pipe');
    assert.equal(r.code, 0);
  } finally {
    server.close();
  }
});

test('a report whose reader has gone before it writes: no stack, exit code 0', async () => {
  const logs = await sharedTrackingSet({ users: 5, days: 1, servers: 1, version: '2013', seed: 22 }, join(dir, 'logs'));
  const db = join(dir, 'mxray.duckdb');
  const ing = await mxray(['ingest', '--db', db, logs]);
  assert.equal(ing.code, 0, ing.stderr);
  // read in full, the report has rows (the closed case below is not an empty report)
  const full = await mxray(['tracking', 'users', '--db', db, '--format', 'csv']);
  assert.equal(full.code, 0, full.stderr);
  assert.ok(full.stdout.split('\n').length > 2, full.stdout);
  const r = await closingStdout([process.execPath, repoPath('bin', 'mxray.js'), 'tracking', 'users', '--db', db, '--format', 'csv'], () => true);
  assert.equal(r.read, '');
  assert.equal(r.stderr, '', 'nothing on stderr: no EPIPE, no stack');
  assert.equal(r.code, 0);
});
