// The DuckDB backend against the Store contract, plus what only DuckDB does (schema versions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../../testing/store-contract.js';
import { DuckdbStore } from './store.js';
import { schemaVersion } from './migrations.js';
import { fullUriQuery } from '../../formats/iis/query.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-duckdb-'));
let n = 0;
storeContract('duckdb', { open: () => DuckdbStore.open(join(dir, `s${++n}.duckdb`)) });

test('duckdb: schema version is recorded, reopening migrates nothing twice, a newer database is refused', async () => {
  const p = join(dir, 'versions.duckdb');
  let s = await DuckdbStore.open(p);
  await s.close();
  s = await DuckdbStore.open(p);
  const rows = await s.rows<{ version: number }>('SELECT version FROM schema_version ORDER BY version');
  assert.deepEqual(
    rows.map((r) => r.version),
    Array.from({ length: schemaVersion }, (_, i) => i + 1),
  );
  await s.run('INSERT INTO schema_version VALUES (999, now(), $w)', { w: 'from the future' });
  await s.close();
  await assert.rejects(DuckdbStore.open(p), /schema version 999, newer than this mxray understands/);
});

test('duckdb: migration 2 cuts the Log= value out of the uri_query of rows stored before (eas_log keeps it)', async () => {
  const p = join(dir, 'log-once.duckdb');
  let s = await DuckdbStore.open(p);
  // a database as version 1 left it: the whole query in uri_query
  await s.run('DELETE FROM schema_version WHERE version >= 2');
  const rows: [string, string | null][] = [
    ['Cmd=Sync&User=a&Log=V141_Ty:Em_S1&DeviceId=x', 'V141_Ty:Em_S1'],
    ['log=V2_S1', 'V2_S1'],
    ['Cmd=Ping&Log=', ''],
    ['a=1&Log=not-activesync', null],
    ['Cmd=Ping&Log=other', 'not the value in the query'], // left alone: cutting would lose it
  ];
  for (const [i, [q, log]] of rows.entries()) {
    await s.run(`INSERT INTO iis_requests (file_id, line, uri_query, eas_log) VALUES (1, $line, $q, $log)`, { line: i + 1, q, log });
  }
  await s.close();
  s = await DuckdbStore.open(p);
  const got = await s.rows<{ uri_query: string; eas_log: string | null }>('SELECT uri_query, eas_log FROM iis_requests ORDER BY line');
  assert.deepEqual(
    got.map((r) => r.uri_query),
    ['Cmd=Sync&User=a&Log=&DeviceId=x', 'log=', 'Cmd=Ping&Log=', 'a=1&Log=not-activesync', 'Cmd=Ping&Log=other'],
  );
  assert.deepEqual(
    got.slice(0, 3).map((r) => fullUriQuery(r.uri_query, r.eas_log)),
    rows.slice(0, 3).map(([q]) => q),
  );
  await s.close();
});

test('duckdb: while ingesting, the allocator gives freed memory back after each statement over 8 MB, as a poller store does', async () => {
  const s = await DuckdbStore.open(join(dir, 'allocator.duckdb'));
  const settings = () =>
    s.rows<{ flush: string; bulk: string; bg: boolean }>(
      "SELECT current_setting('allocator_flush_threshold') AS flush, current_setting('allocator_bulk_deallocation_flush_threshold') AS bulk, current_setting('allocator_background_threads') AS bg",
    );
  // DuckDB's defaults keep 128 MB (512 MB after a bulk free) of what a statement used
  assert.deepEqual(await settings(), [{ flush: '128.0 MiB', bulk: '512.0 MiB', bg: false }]);
  await s.ingestStarting();
  assert.deepEqual(await settings(), [{ flush: '7.6 MiB', bulk: '7.6 MiB', bg: true }]);
  await s.ingestFinished();
  await s.close();
});
