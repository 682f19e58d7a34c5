// LiveLog: a running part's records stored as the lines of a pseudo-file, on DuckDB and ClickHouse:
// appended in order, numbered on across reopenings, read back as written, never mistaken for a file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckdbStore } from './duckdb/store.js';
import { openClickhouse } from './clickhouse/open.js';
import { LiveLog } from './live.js';
import type { Store } from './types.js';
import { registerTestTables, testKinds } from '../testing/record-file.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../testing/clickhouse.js';
import { live, table } from '../sql/dialect.js';
import { sql } from '../sql/sql.js';

registerTestTables();

async function rows(s: Store) {
  const got = await s.query<{ file_id: number; line: number; source: string; record_id: number; message: string; value: number }>(
    'live rows',
    sql`SELECT file_id, line, source, record_id, message, value FROM ${table(testKinds.records)} WHERE ${live(testKinds.records)} ORDER BY line`,
  );
  return got.map((r) => [Number(r.line), r.source, Number(r.record_id), r.message, Number(r.value)]);
}

function suite(openNamed: (name: string) => Promise<Store>) {
  test('rows are appended as numbered lines of one pseudo-file, across reopenings', async () => {
    const open = () => openNamed('a');
    let s = await open();
    try {
      const a = await LiveLog.open(s, 'probe-test');
      await a.append({
        [testKinds.records]: [
          ['live/one', 1, 'first', 10],
          ['live/one', 2, 'second\twith tab', 20],
        ],
      });
      await a.append({ [testKinds.records]: [] });
      assert.equal(a.count, 2);
      await s.close();
      s = await open();
      const b = await LiveLog.open(s, 'probe-test');
      assert.equal(b.fileId, a.fileId);
      assert.equal(b.count, 2);
      await b.append({ [testKinds.records]: [['live/one', 3, 'third', 30]] });
      const other = await LiveLog.open(s, 'other-source');
      assert.notEqual(other.fileId, b.fileId);
      assert.deepEqual(await rows(s), [
        [1, 'live/one', 1, 'first', 10],
        [2, 'live/one', 2, 'second with tab', 20],
        [3, 'live/one', 3, 'third', 30],
      ]);
      // one file however often the source was opened (a source without rows may not be recorded yet)
      const files = await s.query<{ path: string }>('files', sql`SELECT DISTINCT path FROM ingested_files WHERE path = 'live:probe-test'`);
      assert.equal(files.length, 1);
    } finally {
      await s.close();
    }
  });

  test('a tail: rows of a sibling pseudo-file in the same batch, its provisional rows replaced, across reopenings', async () => {
    const open = () => openNamed('c');
    let s = await open();
    try {
      const main = await LiveLog.open(s, 'main');
      const tail = await main.sibling('main-tail');
      const r = (n: number, v: number) => ['tail', n, `row ${n}`, v];
      await main.append({ [testKinds.records]: [['main', 1, 'm1', 1]] }, { to: tail, rows: { [testKinds.records]: [r(1, 10), r(2, 20)] }, provisionalFrom: 1 });
      await main.append({ [testKinds.records]: [['main', 2, 'm2', 2]] }, { to: tail, rows: { [testKinds.records]: [r(3, 30)] }, provisionalFrom: 1 });
      assert.deepEqual([main.count, tail.count, tail.provisionalFrom], [2, 3, 1]);
      await s.close();
      s = await open();
      const main2 = await LiveLog.open(s, 'main');
      const tail2 = await LiveLog.open(s, 'main-tail');
      assert.deepEqual([main2.count, tail2.count, tail2.provisionalFrom], [2, 3, 1], 'the tail and where it is provisional, read back');
      // lines 1-3 replaced by two rows: the first kept, the second provisional
      await main2.append(
        { [testKinds.records]: [['main', 3, 'm3', 3]] },
        { to: tail2, rows: { [testKinds.records]: [r(4, 60), r(5, 5)] }, replaceFrom: 1, provisionalFrom: 2 },
      );
      assert.deepEqual([main2.count, tail2.count, tail2.provisionalFrom], [3, 2, 2]);
      await main2.append({}, { to: tail2, rows: { [testKinds.records]: [r(6, 6)] }, replaceFrom: 2, provisionalFrom: 2 });
      const got = await s.query<{ file_id: number; line: number; source: string; value: number }>(
        'live rows',
        sql`SELECT file_id, line, source, value FROM ${table(testKinds.records)} WHERE ${live(testKinds.records)} ORDER BY source, line`,
      );
      assert.deepEqual(
        got.map((g) => [Number(g.file_id) === main2.fileId ? 'main' : Number(g.file_id) === tail2.fileId ? 'tail' : '?', Number(g.line), Number(g.value)]),
        [
          ['main', 1, 1],
          ['main', 2, 2],
          ['main', 3, 3],
          ['tail', 1, 60],
          ['tail', 2, 6],
        ],
      );
      await assert.rejects(main2.append({}, { to: main2, rows: {}, provisionalFrom: null }), /another LiveLog/);
      await assert.rejects(main2.append({}, { to: tail2, rows: {}, replaceFrom: 9, provisionalFrom: null }), /replaced from a line it has/);
    } finally {
      await s.close();
    }
  });

  test('a row of the wrong width and a bad source name are refused', async () => {
    const s = await openNamed('b');
    try {
      await assert.rejects(LiveLog.open(s, 'Bad Name'), /lower case letters/);
      const l = await LiveLog.open(s, 'width');
      await assert.rejects(l.append({ [testKinds.records]: [['x', 1]] }), /has 2 values, the table has 4 columns/);
      assert.equal(l.count, 0);
    } finally {
      await s.close();
    }
  });
}

const dir = mkdtempSync(join(tmpdir(), 'mxray-live-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('LiveLog on DuckDB', () => {
  suite((name) => DuckdbStore.open(join(dir, `${name}.duckdb`)));
});

describeClickhouse('LiveLog on ClickHouse', () => {
  let server: ClickhouseServer;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  suite((name) => openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/live_${process.pid}_${name}`));
});
