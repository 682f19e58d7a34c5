// Rows of a table with a record key (schema/tables.ts: the same record in several files, such as
// overlapping exports of one event log) go in only when no live row has their key yet.
//
// ClickHouse has no unique constraints, so the check is an anti-join at insert time: the batch's
// rows (with their batch ids, batches.ts) go into a scratch Memory table on the server, then
//   INSERT INTO <load table> SELECT … FROM scratch
//   WHERE (key) NOT IN (SELECT key FROM <table> WHERE <batch is live> AND batch NOT IN <replaced>
//                                                AND (key) GLOBAL IN (SELECT key FROM scratch))
//   ORDER BY file_id, line LIMIT 1 BY key
// The stored keys are narrowed to the batch's own (the set built stays batch-sized however big the
// table), dead rows (failed attempts, retracted batches) never hide a record, nor do the rows this
// very batch replaces (their retraction commits with it), and LIMIT 1 BY keeps one row per key
// within the batch. Why not ReplacingMergeTree with FINAL: it collapses rows at merge or read time
// whatever their batch, so a row of a dead attempt could replace the live one, and every report
// would pay for FINAL. The check sees the rows committed before the batch: the ingest commits one
// batch before it sends the next, so one ingest stores each record once; two ingests of
// overlapping files at the same moment may both store a record.
import { recordKeyColumns, type RecordTable } from '../../schema/tables.js';
import { ident, join, list, sql, type Sql } from '../../sql/sql.js';
import { newBatchId } from './batches.js';
import type { ClickhouseHttp, Settings } from './http.js';
import { BATCH_COLUMN, columnType, loadColumns, stagingColumnDefs, type LayoutNames } from './tables.js';

export async function insertKeyedRows(
  ch: ClickhouseHttp,
  t: RecordTable,
  names: LayoutNames,
  body: Buffer,
  replaced: readonly number[],
  settings: Settings,
): Promise<void> {
  const key = join(recordKeyColumns(t).map((k) => ident(k)));
  const scratch = ident(`${t.name}_keyed_${newBatchId()}`);
  const columns = join(loadColumns(t).map((c) => ident(c)));
  const defs = join(stagingColumnDefs(t).map((c) => sql`${ident(c.name)} ${columnType(c)}`));
  const batch = ident(BATCH_COLUMN);
  const notReplaced: Sql = replaced.length ? sql`AND ${batch} NOT IN ${list(replaced)}` : sql``;
  await ch.exec(sql`CREATE TABLE ${scratch} (${defs}) ENGINE = Memory`);
  try {
    await ch.insertTsv(scratch, loadColumns(t), body);
    await ch.exec(
      sql`INSERT INTO ${ident(names.load)} (${columns})
      SELECT ${columns} FROM ${scratch}
      WHERE (${key}) NOT IN (
        SELECT ${key} FROM ${ident(names.read)}
        WHERE ${batch} GLOBAL IN (SELECT batch FROM live_batches) ${notReplaced} AND (${key}) GLOBAL IN (SELECT ${key} FROM ${scratch}))
      ORDER BY file_id, line LIMIT 1 BY ${key}`,
      { settings },
    );
  } finally {
    await ch.exec(sql`DROP TABLE IF EXISTS ${scratch}`).catch(() => {});
  }
}
