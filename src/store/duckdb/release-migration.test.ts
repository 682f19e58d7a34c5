// A database written by an earlier release opens and reports the same. The database in
// fixtures/migration/ was written by release 285f602 (before the SQL layer and the capability
// folders): `generate tracking --users 12 --days 1 --servers 2` and `generate iis --users 4 --days 1`,
// ingested by that release; release-285f602.expected.json holds that release's own JSON answers to
// each command below, so the truth here is the old code's output, not the new code's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoPath } from '../../testing/paths.js';
import { mxrayInProcess } from '../../testing/run-cli.js';

test('a database written by release 285f602 opens, migrates nothing it should not, and every report answers as that release did', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-release-'));
  try {
    const db = join(dir, 'release.duckdb');
    writeFileSync(db, gunzipSync(readFileSync(repoPath('fixtures', 'migration', 'release-285f602.duckdb.gz'))));
    const expected = JSON.parse(readFileSync(repoPath('fixtures', 'migration', 'release-285f602.expected.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(Object.keys(expected).length, 10);
    for (const [command, answer] of Object.entries(expected)) {
      // the commands were recorded with one space between words; the --user value has none
      const words = command.replace('--from 2024-03-04 06:00', '--from=2024-03-04T06:00').split(' ');
      const r = await mxrayInProcess([...words, '--db', db, '--json']);
      assert.equal(r.code, 0, `${command}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout), answer, command);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
