// The progress line: drawn on stderr when it is a terminal (run under `script`, which gives the
// command a pseudo-terminal), never when stderr is a pipe or a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../testing/paths.js';
import { mxray } from '../testing/cli.js';

const logs = repoPath('fixtures', 'reports', 'two-servers');

test('ingest draws a progress line on a terminal, and none on a pipe', {
  skip: !existsSync('/usr/bin/script') && 'util-linux script is not installed',
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-progress-'));
  const cmd = `${process.execPath} ${repoPath('bin', 'mxray.js')} ingest ${logs} --db ${join(dir, 'tty.duckdb')}`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\r\[#+\.*\] \d+% file \d+\/2 .* lines\/s rejects 0/);
  assert.match(r.stdout, /ingested 2 file\(s\)/);
  const piped = await mxray(['ingest', logs, '--db', join(dir, 'pipe.duckdb')]);
  assert.equal(piped.code, 0);
  assert.equal(piped.stderr, '');
  assert.match(piped.stdout, /^ingested 2 file\(s\)/);
});
