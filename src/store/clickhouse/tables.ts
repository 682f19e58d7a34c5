// How a record table (schema/tables.ts) is laid out in ClickHouse, and how TsvWriter rows get in.
// Chosen for Debian's 18.16 and valid on current releases; tested on real servers in insert.test.ts and
// cluster.test.ts.
//
// Timestamps. The writer gives 'YYYY-MM-DD HH:MM:SS.fff' (UTC). 18.16 has no DateTime64, its DateTime
// has whole seconds, and its TSV reader rejects the fraction (date_time_input_format=best_effort would
// accept it but drop the milliseconds, which order the events of one message). So a timestamp column
// `ts` is stored as two columns:
//     ts     DateTime('UTC')   whole seconds: partitions, range filters, toStartOfHour() …
//     ts_ms  UInt16            the milliseconds 0–999, the tie-breaker within a second
//
// Loading. Rows go to a staging table `<name>_load` with ENGINE = Null (stores nothing), whose columns
// are the TSV's as written (the timestamp as String `ts_text`); a materialized view `<name>_load_mv`
// moves every inserted block into `<name>`, splitting the timestamp. Columns the schema marks `lower`
// arrive lowercased already (schema/tsv.ts does it for every backend, so ClickHouse and DuckDB store
// the same bytes). One INSERT … FORMAT TabSeparated does it all, no second pass. Pitfall: in 18.16 an
// alias shadows the column of the same name in the whole SELECT (`toDateTime(substring(ts, …)) AS ts`
// fails with "Illegal type DateTime of argument of function substring", even written t.ts), hence the
// staging column is named ts_text, not ts.
//
// Types: int Int32, bigint Int64, tinyint Int8, double Float64, text String; every column but the
// origin (file_id, line) and the timestamp is Nullable, since a format writes \N for absent fields.
//
// One column is ClickHouse's own: `batch UInt64`, the id of the insert attempt that wrote the row
// (store.ts appends it to every TSV row). A row counts only once its batch is committed in the ingest
// log: that is how a batch is all-or-nothing without transactions (see store.ts). Rows inserted
// without it (the tests of this file) have batch 0, which is never committed.
//
// Two layouts, with the same names for what queries read and what inserts write:
//   single server   tracking_events (MergeTree) <- MV tracking_events_load_mv <- tracking_events_load (Null)
//   cluster NAME    on every host of the cluster (created over HTTP on each, since ON CLUSTER needs
//                   ZooKeeper):  tracking_events_local <- MV <- tracking_events_load_local;
//                   on every host and on the server in the URL: tracking_events = Distributed over the
//                   _local tables, tracking_events_load = Distributed over the _load_local tables.
//   Both Distributed tables shard by the same key (shardKeys below), computed from columns that are
//   equal in the staging and the stored row, so a row copied from tracking_events back into it lands
//   on the shard it came from.
import { recordTables, type Column, type ColumnType, type RecordKind, type RecordTable } from '../../schema/tables.js';
import { type Sql, ident, join, raw, sql } from '../../sql/sql.js';

const TYPES: Record<ColumnType, string> = {
  int: 'Int32',
  bigint: 'Int64',
  tinyint: 'Int8',
  double: 'Float64',
  text: 'String',
  timestamp: "DateTime('UTC')",
};

const NOT_NULL = new Set(['file_id', 'line']);

/** the column holding the insert attempt (batch id) of a row */
export const BATCH_COLUMN = 'batch';

export interface TableNames {
  /** the MergeTree table queries read */
  readonly table: string;
  /** the Null-engine table TSV rows are inserted into */
  readonly staging: string;
  /** the materialized view that moves staged rows into the table */
  readonly view: string;
}

export function tableNames(t: RecordTable): TableNames {
  return { table: t.name, staging: `${t.name}_load`, view: `${t.name}_load_mv` };
}

/** Names of a record table's parts in a layout (cluster undefined: single server). */
export interface LayoutNames {
  /** what queries read and copies write: the MergeTree table, or the Distributed table over the local ones */
  readonly read: string;
  /** what TSV inserts go to: the staging table, or the Distributed table over the local staging tables */
  readonly load: string;
  /** on each host: the MergeTree table */
  readonly local: string;
  /** on each host: the Null staging table */
  readonly localLoad: string;
  /** on each host: the materialized view localLoad -> local */
  readonly view: string;
}

export function layoutNames(t: RecordTable, cluster?: string): LayoutNames {
  const n = tableNames(t);
  if (cluster === undefined) return { read: n.table, load: n.staging, local: n.table, localLoad: n.staging, view: n.view };
  return { read: n.table, load: n.staging, local: `${n.table}_local`, localLoad: `${n.staging}_local`, view: n.view };
}

/** name of the staging column for a schema column */
function stagingName(c: Column): string {
  return c.type === 'timestamp' ? `${c.name}_text` : c.name;
}

/** the staging columns, in the order TsvWriter writes them: give these to insertTsv() */
export function stagingColumns(t: RecordTable): string[] {
  return t.columns.map(stagingName);
}

/** the staging columns of a TSV row with its batch id appended (what store.ts inserts) */
export function loadColumns(t: RecordTable): string[] {
  return [...stagingColumns(t), BATCH_COLUMN];
}

function nullable(c: Column, type: string): string {
  return NOT_NULL.has(c.name) || c.type === 'timestamp' ? type : `Nullable(${type})`;
}

export interface ColumnDef {
  readonly name: string;
  readonly type: string;
}

/** the stored columns (a timestamp is two: ts, ts_ms), batch last */
export function storedColumns(t: RecordTable): ColumnDef[] {
  const out: ColumnDef[] = [];
  for (const c of t.columns) {
    if (c.type === 'timestamp') out.push({ name: c.name, type: TYPES.timestamp }, { name: `${c.name}_ms`, type: 'UInt16' });
    else out.push({ name: c.name, type: nullable(c, TYPES[c.type]) });
  }
  out.push({ name: BATCH_COLUMN, type: 'UInt64' });
  return out;
}

/** the staging columns with their types, batch last */
export function stagingColumnDefs(t: RecordTable): ColumnDef[] {
  return [
    ...t.columns.map((c) => ({ name: stagingName(c), type: c.type === 'timestamp' ? 'String' : nullable(c, TYPES[c.type]) })),
    { name: BATCH_COLUMN, type: 'UInt64' },
  ];
}

/** the type of a column, as SQL (type names are this file's constants, never values) */
export function columnType(c: ColumnDef): Sql {
  return raw(c.type);
}

function defs(cols: readonly ColumnDef[]): Sql {
  return join(cols.map((c) => sql`${ident(c.name)} ${raw(c.type)}`));
}

/** the materialized view's SELECT list: split timestamps, the rest as is, batch */
function viewSelect(t: RecordTable): Sql {
  const select: Sql[] = [];
  for (const c of t.columns) {
    const name = ident(c.name);
    if (c.type === 'timestamp') {
      const text = ident(stagingName(c));
      select.push(sql`toDateTime(substring(${text}, 1, 19), 'UTC') AS ${name}`, sql`toUInt16OrZero(substring(${text}, 21, 3)) AS ${ident(`${c.name}_ms`)}`);
    } else {
      select.push(name);
    }
  }
  select.push(ident(BATCH_COLUMN));
  return join(select);
}

/** Leading sorting-key expressions per record table, before the time. tracking: the role, as
 *  ifNull(role, 0) (a sorting key cannot be Nullable on current releases): most events (transport
 *  hops, shadow copies …) count neither as sent nor as received, and with the role first their
 *  granules are skipped by the reports' conditions on it (capabilities/tracking/tuned/clickhouse.ts). */
const sortPrefix: Partial<Record<RecordKind, Sql>> = {
  tracking: sql`ifNull(${ident('role')}, 0)`,
};

function kindOf(t: RecordTable): RecordKind | undefined {
  return (Object.keys(recordTables) as RecordKind[]).find((k) => recordTables[k].name === t.name);
}

function mergeTreeLayout(t: RecordTable): Sql {
  const ts = t.columns.find((c) => c.type === 'timestamp');
  const kind = kindOf(t);
  const prefix = kind && sortPrefix[kind] ? [sortPrefix[kind]!] : [];
  const key = [...prefix, ...(ts ? [ident(ts.name), ident(`${ts.name}_ms`)] : []), ident('file_id'), ident('line')];
  return ts ? sql`PARTITION BY toYYYYMM(${ident(ts.name)}) ORDER BY (${join(key)})` : sql`ORDER BY (${join(key)})`;
}

/** CREATE statements for one host: table, staging table and view, in order (IF NOT EXISTS:
 *  re-runnable). Single server: the whole layout; cluster: the host's local part. */
export function hostDdl(t: RecordTable, cluster?: string): Sql[] {
  const n = layoutNames(t, cluster);
  return [
    sql`CREATE TABLE IF NOT EXISTS ${ident(n.local)} (${defs(storedColumns(t))}) ENGINE = MergeTree() ${mergeTreeLayout(t)}`,
    sql`CREATE TABLE IF NOT EXISTS ${ident(n.localLoad)} (${defs(stagingColumnDefs(t))}) ENGINE = Null`,
    viewDdl(t, cluster),
  ];
}

/** the materialized view (dropped and created again when the table gains a column) */
export function viewDdl(t: RecordTable, cluster?: string): Sql {
  const n = layoutNames(t, cluster);
  return sql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${ident(n.view)} TO ${ident(n.local)} AS SELECT ${viewSelect(t)} FROM ${ident(n.localLoad)}`;
}

/** CREATE statements of the single-server layout (kept for the insert and cluster tests) */
export function recordTableDdl(t: RecordTable): Sql[] {
  return hostDdl(t);
}

/** How rows are spread over the shards. The key is computed from columns that are equal in the
 *  staging row and the stored row (the view changes only timestamps), so the load table and the
 *  read table agree on every row.
 *
 *  tracking: by message id. Every event of one message (its submission on one server, its
 *    deliveries on others, every file that logged it) lands on one shard, so each distinct count of
 *    the reports (messages per sender, (message, recipient) deliveries, messages per period) is a
 *    sum of per-shard distinct counts: no message is counted on two shards. That lets a shard finish
 *    its per-message grouping itself (distributed_group_by_no_merge for those subqueries, see
 *    capabilities/tracking/tuned/clickhouse.ts) instead of shipping every message's partial group
 *    to the initiator. A sharding by sender would not do: a message's delivery events carry the
 *    recipients, not the sender; by (file_id, line) a message's events from two servers would land
 *    on different shards.
 *  iis: ActiveSync requests by user (eas_user), so a user's devices and requests are on one shard;
 *    other requests (no eas_user) spread evenly by their (file_id, line).
 *  Any other record table: by (file_id, line) — even spread; its reports must use aggregations that
 *  merge exactly across shards (count, uniqExact, min/max …), which Distributed tables do. */
export const shardKeys: Partial<Record<RecordKind, Sql>> = {
  tracking: sql`cityHash64(ifNull(${ident('message_id')}, ''))`,
  iis: sql`if(ifNull(${ident('eas_user')}, '') = '', cityHash64(${ident('file_id')}, ${ident('line')}), cityHash64(ifNull(${ident('eas_user')}, '')))`,
};

export function shardKey(kind: RecordKind): Sql {
  return shardKeys[kind] ?? sql`cityHash64(${ident('file_id')}, ${ident('line')})`;
}

/** CREATE statements of the Distributed tables of a record table (cluster mode; on every host and on
 *  the server in the URL). Columns are spelled out, since the server in the URL need not hold the
 *  local tables. */
export function distributedDdl(kind: RecordKind, t: RecordTable, cluster: string, database: string): Sql[] {
  const n = layoutNames(t, cluster);
  const key = shardKey(kind);
  const engine = (local: string) => sql`ENGINE = Distributed(${ident(cluster)}, ${database}, ${ident(local)}, ${key})`;
  return [
    sql`CREATE TABLE IF NOT EXISTS ${ident(n.read)} (${defs(storedColumns(t))}) ${engine(n.local)}`,
    sql`CREATE TABLE IF NOT EXISTS ${ident(n.load)} (${defs(stagingColumnDefs(t))}) ${engine(n.localLoad)}`,
  ];
}

/** an expression giving a stored timestamp back as 'YYYY-MM-DD HH:MM:SS.fff' */
export function timestampText(column: string): Sql {
  return sql`concat(toString(${ident(column)}), '.', substring(toString(1000 + ${ident(`${column}_ms`)}), 2, 3))`;
}

/** a column list that reads rows back as TsvWriter wrote them (timestamps re-joined), for tests */
export function selectAsWritten(t: RecordTable): Sql {
  return join(t.columns.map((c) => (c.type === 'timestamp' ? sql`${timestampText(c.name)} AS ${ident(c.name)}` : ident(c.name))));
}
