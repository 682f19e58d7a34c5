// The DuckDB backend against the Store contract, plus what only DuckDB does (schema versions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../contract.js';
import { DuckdbStore } from './store.js';
import { schemaVersion } from './migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-duckdb-'));
let n = 0;
storeContract('duckdb', { open: () => DuckdbStore.open(join(dir, `s${++n}.duckdb`)) });

test('duckdb: schema version is recorded, reopening migrates nothing twice, a newer database is refused', async () => {
  const p = join(dir, 'versions.duckdb');
  let s = await DuckdbStore.open(p);
  await s.close();
  s = await DuckdbStore.open(p);
  const rows = await s.rows<{ version: number }>('SELECT version FROM schema_version ORDER BY version');
  assert.deepEqual(rows.map((r) => r.version), Array.from({ length: schemaVersion }, (_, i) => i + 1));
  await s.run('INSERT INTO schema_version VALUES (999, now(), $w)', { w: 'from the future' });
  await s.close();
  await assert.rejects(DuckdbStore.open(p), /schema version 999, newer than this mxray understands/);
});
