// Versioned schema of the ClickHouse store, like the DuckDB backend's: a `schema_version` table and
// numbered migrations applied once, in order (on the server in the URL; in cluster mode that is
// where the ingest state lives, unsharded: it is small, and one server makes each commit a single
// atomic insert). Record tables are made from their descriptions in schema/tables.ts by
// ensureRecordTables() (tables.ts has the layouts), on every host of the cluster, and widened with
// ADD COLUMN when a description gains a column; rows written by earlier versions are rewritten there
// too when a column's meaning changed (rowFixes).
//
// The ingest state is an append-only log, `ingest_log`: one row per step of a file (added, updated,
// a batch committed), holding the file's whole resume point and what the step changed — the batch ids
// whose rows now count (`added`), the ids whose rows stop counting (`retracted`: rows replaced by a
// re-read) and the line from which earlier reject examples were replaced (`reject_cut`, 0: none).
// The rows of one commit are inserted by ONE insert, and an insert of one block is atomic in
// ClickHouse: that insert is the commit (store.ts explains the rest). The resume point and the lines
// each batch covers are one JSON document (`step`), not columns: every column of a MergeTree part is
// files on disk, and 26 columns made each commit ~60 ms on 18.16, 10 make it ~15 ms. Reject examples
// go to `ingest_rejects_log` before the commit, under the step's random id: they count once a log row
// with that step_id exists. The views give the DuckDB backend's relations to people querying the
// database (visitParamExtract* reads the flat fields of `step`, which come first in it):
//   ingested_files   the latest step of each file (id, path, fingerprint, resume point …)
//   ingest_rejects   reject examples still in force (file_id, line, reason, detail)
//   live_batches     the batch ids whose rows count (reports read `WHERE batch IN live_batches`)
import { createHash } from 'node:crypto';
import { recordTables, type RecordKind } from '../../schema/tables.js';
import type { ClickhouseHttp } from './http.js';
import { type Sql, ident, raw, sql } from '../../sql/sql.js';
import { integrityDistributedDdl, integrityLocalDdl, integrityRowsDdl, sealViewDdl, sealViewName } from './integrity.js';
import { type ColumnDef, columnType, distributedDdl, hostDdl, layoutNames, stagingColumnDefs, storedColumns } from './tables.js';
import type { Topology } from './topology.js';

/** columns of ingest_log, in insert order (`at` has a default; `seal`: integrity.ts, version 3) */
export const logColumns = ['file_id', 'seq', 'step_id', 'fp_len', 'fp_hash', 'added', 'retracted', 'reject_cut', 'step', 'seal'] as const;

/** a migration: statements, and columns added to a table when missing (18.16 has no ADD COLUMN IF
 *  NOT EXISTS; a migration cut short is run again) */
const migrations: { version: number; what: string; sql: Sql[]; columns?: { table: string; name: string; type: string }[] }[] = [
  {
    version: 1,
    what: "ingest state: a log of each file's steps (resume points, committed batches), reject examples, and their views",
    sql: [
      sql`CREATE TABLE IF NOT EXISTS ingest_log (
        file_id Int32, seq UInt32, step_id UInt64, at DateTime('UTC') DEFAULT now(), fp_len UInt32, fp_hash String,
        added Array(UInt64), retracted Array(UInt64), reject_cut UInt64, step String
      ) ENGINE = MergeTree() ORDER BY (file_id, seq)`,
      sql`CREATE TABLE IF NOT EXISTS ingest_rejects_log (step_id UInt64, file_id Int32, line UInt64, reason String, detail String)
        ENGINE = MergeTree() ORDER BY (file_id, line)`,
      sql`CREATE VIEW IF NOT EXISTS ingested_files AS
        SELECT file_id AS id, visitParamExtractString(step, 'path') AS path, visitParamExtractUInt(step, 'size') AS size, fp_len, fp_hash,
          visitParamExtractString(step, 'format') AS format, visitParamExtractUInt(step, 'offset') AS resume_offset,
          visitParamExtractUInt(step, 'nextLine') AS next_line, visitParamExtractBool(step, 'seekable') AS seekable,
          visitParamExtractRaw(step, 'provisionalFrom') AS provisional_from, visitParamExtractBool(step, 'complete') AS complete,
          visitParamExtractUInt(step, 'lines') AS lines, visitParamExtractUInt(step, 'rejects') AS rejects,
          visitParamExtractString(step, 'parserState') AS state, at AS last_ingest
        FROM ingest_log WHERE (file_id, seq) IN (SELECT file_id, max(seq) FROM ingest_log GROUP BY file_id)
        ORDER BY file_id LIMIT 1 BY file_id`,
      sql`CREATE VIEW IF NOT EXISTS live_batches AS
        SELECT b AS batch FROM (SELECT arrayJoin(added) AS b FROM ingest_log)
        WHERE b NOT IN (SELECT arrayJoin(retracted) FROM ingest_log)`,
      // a reject example counts once its step is committed, until a later step of its file re-read
      // lines from reject_cut <= its line (a join, not a lambda: 18.16 loses columns captured by
      // lambdas after a JOIN)
      sql`CREATE VIEW IF NOT EXISTS ingest_rejects AS
        SELECT file_id, line, reason, detail FROM (
          SELECT file_id, rej_seq, line, reason, detail, cut_seq, cut_line FROM (
            SELECT file_id, seq AS rej_seq, line, reason, detail FROM ingest_rejects_log
            ANY INNER JOIN (SELECT step_id, seq FROM ingest_log) USING step_id)
          ALL LEFT JOIN (SELECT file_id, seq AS cut_seq, reject_cut AS cut_line FROM ingest_log WHERE reject_cut > 0) USING file_id)
        GROUP BY file_id, rej_seq, line, reason, detail HAVING sum(cut_seq > rej_seq AND cut_line <= line) = 0
        ORDER BY file_id, line`,
    ],
  },
  {
    version: 2,
    what: 'ingest claims: one ingest at a time per database (claim.ts)',
    sql: [
      sql`CREATE TABLE IF NOT EXISTS ingest_claims (token UInt64, holder String, at DateTime('UTC') DEFAULT now(), state UInt8)
        ENGINE = MergeTree() ORDER BY (token, at)`,
    ],
  },
  {
    version: 3,
    what: 'integrity: the seal of each commit in ingest_log, and the row hashes computed at insert (integrity.ts)',
    sql: [integrityRowsDdl],
    columns: [{ table: 'ingest_log', name: 'seal', type: "String DEFAULT ''" }],
  },
];

export const schemaVersion = migrations[migrations.length - 1]!.version;

/** apply the migrations the database has not seen; refuse a database newer than this code */
export async function migrate(ch: ClickhouseHttp): Promise<void> {
  await ch.exec(sql`CREATE TABLE IF NOT EXISTS schema_version (version UInt32, applied DateTime('UTC') DEFAULT now(), what String)
    ENGINE = MergeTree() ORDER BY version`);
  const [cur] = await ch.query<{ v: number }>(sql`SELECT max(version) AS v FROM schema_version`);
  const current = Number(cur?.v ?? 0);
  if (current > schemaVersion) {
    throw new Error(`the database has schema version ${current}, newer than this mxray understands (${schemaVersion}); upgrade mxray`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    // no transactions: every statement is re-runnable (IF NOT EXISTS), and the version is recorded
    // last, so a migration cut short is simply run again
    for (const s of m.sql) await ch.exec(s);
    for (const c of m.columns ?? []) {
      const [have] = await ch.query<{ n: number }>(
        sql`SELECT count() AS n FROM system.columns WHERE database = currentDatabase() AND table = ${c.table} AND name = ${c.name}`,
      );
      if (!Number(have?.n)) await ch.exec(sql`ALTER TABLE ${ident(c.table)} ADD COLUMN ${ident(c.name)} ${raw(c.type)}`);
    }
    await ch.exec(sql`INSERT INTO schema_version (version, what) VALUES (${m.version}, ${m.what})`);
  }
}

// ---------------------------------------------------------------- record tables

// 2: iis_requests rows of earlier versions rewritten by rowFixes (the Log= value stored once)
const LAYOUT_VERSION = 2;

/** Rows stored by earlier versions brought to the current meaning of their columns, on each host's
 *  table once it is made or widened. Each is a mutation (ALTER … UPDATE, which the server applies in
 *  the background) whose WHERE leaves rows already in the current form alone: running it again
 *  changes nothing. */
export function rowFixes(kind: RecordKind, table: string): Sql[] {
  if (kind !== 'iis') return [];
  // the Log= value is stored once, in eas_log: cut it out of uri_query where it is eas_log (the
  // rule of formats/iis/query.ts, the same statement as the DuckDB store's migration 2)
  return [
    sql`ALTER TABLE ${ident(table)} UPDATE uri_query = replaceRegexpOne(uri_query, ${'(^|&)([Ll][Oo][Gg]=)[^&]*'}, ${'\\1\\2'})
    WHERE ifNull(eas_log, '') != '' AND extract(ifNull(uri_query, ''), ${'(?:^|&)[Ll][Oo][Gg]=([^&]*)'}) = eas_log`,
  ];
}

/** everything the record tables' DDL depends on: when it changes, ensureRecordTables() runs again */
export function layoutFingerprint(topology: Topology, database: string): string {
  const parts: string[] = [String(LAYOUT_VERSION), database, topology.cluster ?? ''];
  for (const h of topology.hosts) parts.push(`${h.shard}/${h.replica}/${h.tcp}`);
  if (topology.cluster !== undefined) parts.push(integrityLocalDdl.text, integrityDistributedDdl(topology.cluster, database).text);
  for (const [kind, t] of Object.entries(recordTables) as [RecordKind, (typeof recordTables)[RecordKind]][]) {
    parts.push(...hostDdl(t, topology.cluster).map((s) => s.text), sealViewDdl(t, topology.cluster).text);
    if (topology.cluster !== undefined) parts.push(...distributedDdl(kind, t, topology.cluster, database).map((s) => s.text));
  }
  return createHash('sha1').update(parts.join('\n')).digest('hex');
}

async function columnsOf(ch: ClickhouseHttp, database: string, table: string): Promise<Set<string>> {
  const rows = await ch.query<{ name: string }>(sql`SELECT name FROM system.columns WHERE database = ${database} AND table = ${table}`);
  return new Set(rows.map((r) => r.name));
}

function missing(have: Set<string>, want: readonly ColumnDef[]): ColumnDef[] {
  return want.filter((c) => !have.has(c.name));
}

/**
 * Create (or widen) the record tables of every kind in schema/tables.ts. Skipped when the layout
 * fingerprint recorded by the last run is the current one — so opening a cluster store does not need
 * every shard up (a report with a shard down can then fail with a clear message, or be partial).
 * `hosts()` gives an HTTP client per host of the cluster (only called when there is work to do).
 */
export async function ensureRecordTables(ch: ClickhouseHttp, topology: Topology, database: string, hosts: () => Promise<ClickhouseHttp[]>): Promise<void> {
  await ch.exec(sql`CREATE TABLE IF NOT EXISTS schema_layout (layout String, applied DateTime('UTC') DEFAULT now()) ENGINE = MergeTree() ORDER BY applied`);
  const layout = layoutFingerprint(topology, database);
  const [done] = await ch.query<{ n: number }>(sql`SELECT count() AS n FROM schema_layout WHERE layout = ${layout}`);
  if (done && done.n > 0) return;

  const cluster = topology.cluster;
  const targets = cluster === undefined ? [ch] : await hosts();
  for (const host of targets) {
    // a cluster's row hashes are kept on each host, beside its rows (integrity.ts)
    if (cluster !== undefined) await host.exec(integrityLocalDdl);
    for (const [kind, t] of Object.entries(recordTables) as [RecordKind, (typeof recordTables)[RecordKind]][]) {
      const [table, staging, view] = hostDdl(t, cluster) as [Sql, Sql, Sql];
      await host.exec(table);
      await host.exec(staging);
      // widen: a description that gained a column adds it to the table and the staging table, and
      // the view (whose SELECT lists the columns) is made again
      const n = layoutNames(t, cluster);
      const addTable = missing(await columnsOf(host, database, n.local), storedColumns(t));
      const addStaging = missing(await columnsOf(host, database, n.localLoad), stagingColumnDefs(t));
      for (const c of addTable) await host.exec(sql`ALTER TABLE ${ident(n.local)} ADD COLUMN ${ident(c.name)} ${columnType(c)}`);
      for (const c of addStaging) await host.exec(sql`ALTER TABLE ${ident(n.localLoad)} ADD COLUMN ${ident(c.name)} ${columnType(c)}`);
      if (addTable.length || addStaging.length) await host.exec(sql`DROP TABLE IF EXISTS ${ident(n.view)}`);
      await host.exec(view);
      // the row hashes of sealing (integrity.ts), made again with the view
      if (addTable.length || addStaging.length) await host.exec(sql`DROP TABLE IF EXISTS ${ident(sealViewName(t))}`);
      await host.exec(sealViewDdl(t, cluster));
      for (const fix of rowFixes(kind, n.local)) await host.exec(fix);
    }
  }
  if (cluster !== undefined) {
    // Distributed tables on the server in the URL and on every host (any of them can be the entry
    // point); they hold nothing (inserts are synchronous), so a changed one is simply made again
    const everywhere = [ch, ...targets.filter((h) => h.endpoint !== ch.endpoint)];
    for (const host of everywhere) {
      await host.exec(integrityDistributedDdl(cluster, database));
      for (const [kind, t] of Object.entries(recordTables) as [RecordKind, (typeof recordTables)[RecordKind]][]) {
        const n = layoutNames(t, cluster);
        const ddl = distributedDdl(kind, t, cluster, database);
        const want = [storedColumns(t), stagingColumnDefs(t)];
        for (const [i, table] of [n.read, n.load].entries()) {
          const have = await columnsOf(host, database, table);
          if (have.size > 0 && missing(have, want[i]!).length > 0) await host.exec(sql`DROP TABLE IF EXISTS ${ident(table)}`);
          await host.exec(ddl[i]!);
        }
      }
    }
  }
  await ch.exec(sql`INSERT INTO schema_layout (layout) VALUES (${layout})`);
}
