// Report commands built from the specs read the store from `--config FILE` (its store: section) and
// keep the precedence command line > environment > config file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTracking } from '../generate/tracking/index.js';
import { generatedLogs } from '../generate/layout.js';
import { mxrayInProcess } from '../testing/run-cli.js';

test('a report command opens the store named by --config, and --db wins over it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-report-config-'));
  try {
    await generateTracking({ users: 8, days: 1, servers: 1, version: '2013', out: join(dir, 'set'), seed: 3 });
    const db = join(dir, 'team.duckdb');
    const ingest = await mxrayInProcess(['ingest', generatedLogs(join(dir, 'set')), '--db', db, '--json']);
    assert.equal(ingest.code, 0, ingest.stderr);
    const config = join(dir, 'elsewhere.yaml');
    writeFileSync(config, `store:\n  db: ${JSON.stringify(db)}\n`);
    const viaDb = await mxrayInProcess(['tracking', 'users', '--db', db, '--json'], { env: { MXRAY_STORE: undefined, MXRAY_CONFIG: undefined } });
    assert.equal(viaDb.code, 0, viaDb.stderr);
    assert.equal((JSON.parse(viaDb.stdout) as unknown[]).length, 8);
    const viaConfig = await mxrayInProcess(['tracking', 'users', '--config', config, '--json'], { env: { MXRAY_STORE: undefined, MXRAY_CONFIG: undefined } });
    assert.equal(viaConfig.code, 0, viaConfig.stderr);
    assert.equal(viaConfig.stdout, viaDb.stdout);
    // --db on the command line wins over the config file: a missing file named by --db is the error
    const missing = join(dir, 'missing.duckdb');
    const both = await mxrayInProcess(['tracking', 'users', '--config', config, '--db', missing, '--json'], { env: { MXRAY_STORE: undefined } });
    assert.equal(both.code, 2);
    assert.match(both.stderr, new RegExp(`no database at ${missing.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
