// Sealing and verifying a ClickHouse store, on one server or a sharded cluster (the shared part is
// store/integrity/seal.ts, the DuckDB backend's is store/duckdb/integrity.ts). Only what 18.16 allows: no
// window functions, no transactions, no query parameters; ALTER UPDATE/DELETE are mutations.
//
// WHERE THE ROW HASH IS COMPUTED: by ClickHouse, at insert, where the row lands. A second materialized
//   view on each record table's staging table (`<table>_seal_mv`, beside the one that stores the rows)
//   writes for every inserted row cityHash64(file_id, line, <every stored column, NULL told from '' and
//   0>) with its batch id to the row hashes — the same expression verify computes over the stored row
//   (rowHash; a column added since sealing began counts only where set: seal.ts, SCHEMA CHANGES). On a cluster the view is on each host's local staging table and writes to that host's
//   `integrity_rows_local`: a shard hashes the rows it receives, and no row travels to be hashed; the
//   seals and verify read the hashes through the Distributed `integrity_rows_all` (integrityNames).
//   Rows copied server-side under a new batch id (store.ts copyLines, rare) are hashed by an
//   INSERT … SELECT after the copy. Rows a keyed load left out never reach the staging table: not hashed.
// WHAT A SEAL COVERS: per batch id (one per file and insert, store.ts), its table, file, lines, row
//   count and row-hash sum (mod 2^64: ClickHouse's UInt64 sum, which adds up the same over the shards),
//   read from the row hashes by the batch ids' primary key; and the rows it retracted. Chained by
//   SHA-256 or HMAC-SHA-256 (seal.ts).
// ATOMIC WITH THE COMMIT: the seal rides in the commit itself, the `seal` column of the first
//   ingest_log row of the commit's single insert (migrations.ts version 3): a batch is live and sealed,
//   or neither. A retried commit writes the same seal again; verify takes identical copies as one.
// ONE CHAIN (0), ON A CLUSTER TOO: ClickHouse ingests take turns (claim.ts), so one chain costs no
//   concurrency; and on a cluster a batch is spread over every shard (tracking rows by message id,
//   tables.ts) while its commit is one insert into the unsharded ingest_log on the server in the URL:
//   a chain per shard would need a commit per shard, which is no longer atomic, for nothing gained.
//   The head is read from ingest_log when an ingest starts and after any failed commit, and kept in
//   memory between commits. Writers outside an ingest (serve's live rows, presence prune) seal on the
//   same chain, in the same turn an ingest takes (store.ts sealTurn: the claim, and one sealed write at
//   a time within a process), reading the head afresh: two writers never extend the same head.
// RETRACTIONS: a batch a commit stops counting (provisional rows read again, a resumed ingest) is listed
//   with the rows and hash sum it held; presence prune (an ALTER DELETE mutation, on every host of a
//   cluster) first copies the hashes of the rows it removes into the row hashes marked `retracted` = a
//   fresh id and seals them, then deletes, all in one turn. A prune cut short between its seal and its
//   mutation leaves rows that verify reports as inserted until the prune is run again.
// VERIFY: (1) the chain, seal by seal, and its head against the anchor; (2) per batch, the live rows'
//   count and hash sum against what the seals say it holds (added minus retracted), in one GROUP BY
//   batch per table — on a cluster each shard hashes and sums its own rows and sends one (batch,
//   count, sum) per batch, which the server in the URL adds up; (3) where a batch differs, its rows
//   line by line against the kept hashes, to name the row. Memory: one entry per sealed batch, and the
//   lines of one differing batch at a time. On a cluster each finding reported names the server that
//   holds the row (a deleted row: whose kept hashes hold it), asked of each host. Every shard must
//   answer (a shard down is an error naming it, never a partial verify: its rows would look deleted).
//   Rows of batches that never counted (failed insert attempts, rows inserted with batch 0) are not
//   data and are not checked; a live batch no seal covers is reported as inserted rows (so is a store
//   sealed only from some version on).
import { recordTables, type Column, type RecordTable } from '../../schema/tables.js';
import {
  type ChainHead,
  type Finding,
  type Retracted,
  type SealEntry,
  type SealMode,
  type SealedRange,
  type VerifyOptions,
  type VerifyResult,
  addedColumns,
  baseColumns,
  canonicalEntry,
  emptyCounts,
  sealOf,
  verifyResult,
} from '../integrity/seal.js';
import { type Sql, ident, join, list, raw, sql } from '../../sql/sql.js';
import type { ClickhouseHttp } from './http.js';
import { BATCH_COLUMN, layoutNames } from './tables.js';

export const INTEGRITY_ROWS = 'integrity_rows';

const integrityColumns = sql`(tbl String, file_id Int32, line Int32, h UInt64, batch UInt64, retracted UInt64)`;

export const integrityRowsDdl = sql`CREATE TABLE IF NOT EXISTS ${ident(INTEGRITY_ROWS)}
  ${integrityColumns} ENGINE = MergeTree() ORDER BY (batch, line)`;

/** Where the row hashes are, in a layout (like tables.ts's LayoutNames): on a single server one
 *  MergeTree table (migrations.ts version 3); on a cluster a MergeTree table on every host, beside the
 *  rows it hashes, and a Distributed table over them that the seals and verify read through. */
export interface IntegrityNames {
  /** what seals and verify read, and copies and prune marks write (with insert_distributed_sync) */
  readonly read: string;
  /** on each host: the table the hashing views write to */
  readonly local: string;
}

const CLUSTER_NAMES: IntegrityNames = { read: `${INTEGRITY_ROWS}_all`, local: `${INTEGRITY_ROWS}_local` };

export function integrityNames(cluster?: string): IntegrityNames {
  return cluster === undefined ? { read: INTEGRITY_ROWS, local: INTEGRITY_ROWS } : CLUSTER_NAMES;
}

/** cluster mode, on every host: the local table of row hashes (made before the hashing views) */
export const integrityLocalDdl = sql`CREATE TABLE IF NOT EXISTS ${ident(CLUSTER_NAMES.local)} ${integrityColumns} ENGINE = MergeTree() ORDER BY (batch, line)`;

/** cluster mode, on every host and the server in the URL: the Distributed table over the local ones
 *  (what lands through it, copies and prune marks, is spread by origin: no query depends on where a
 *  hash is, every one adds up over the cluster) */
export function integrityDistributedDdl(cluster: string, database: string): Sql {
  const n = integrityNames(cluster);
  return sql`CREATE TABLE IF NOT EXISTS ${ident(n.read)} ${integrityColumns}
    ENGINE = Distributed(${ident(cluster)}, ${database}, ${ident(n.local)}, cityHash64(file_id, line))`;
}

/** the arguments of a column in the row hash, over the stored row or over the staging row (timestamps
 *  split the way tables.ts's view splits them); a Nullable column is two: whether it is NULL, and its
 *  value */
function columnArgs(c: Column, from: 'stored' | 'load'): Sql[] {
  const name = ident(c.name);
  if (c.type === 'timestamp') {
    if (from === 'stored') return [name, ident(`${c.name}_ms`)];
    const text = ident(`${c.name}_text`);
    return [sql`toDateTime(substring(${text}, 1, 19), 'UTC')`, sql`toUInt16OrZero(substring(${text}, 21, 3))`];
  }
  if (c.name === 'file_id' || c.name === 'line') return [name];
  return [sql`isNull(${name})`, sql`ifNull(${name}, ${raw(c.type === 'text' ? "''" : '0')})`];
}

/** the row hash of a record table's stored row (see the top of this file): its base columns' hash,
 *  XORed with a hash of each added column that is set (seal.ts, SCHEMA CHANGES; a timestamp, which
 *  ClickHouse stores without NULL, is unset at 0) */
export function rowHash(t: RecordTable, from: 'stored' | 'load' = 'stored'): Sql {
  let h = sql`cityHash64(${join(baseColumns(t).flatMap((c) => columnArgs(c, from)))})`;
  for (const c of addedColumns(t)) {
    const args = columnArgs(c, from);
    const unset = c.type === 'timestamp' ? sql`toUInt32(${args[0]!}) = 0 AND ${args[1]!} = 0` : sql`isNull(${ident(c.name)})`;
    const value = c.type === 'timestamp' ? join(args) : sql`assumeNotNull(${ident(c.name)})`;
    h = sql`bitXor(${h}, if(${unset}, toUInt64(0), cityHash64(${c.name}, ${value})))`;
  }
  return h;
}

/** the materialized view hashing every row inserted into a table's staging table: on a single server,
 *  or on each host of a cluster (its local staging table, into its local integrity_rows) */
export function sealViewDdl(t: RecordTable, cluster?: string): Sql {
  const n = layoutNames(t, cluster);
  return sql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${ident(sealViewName(t))} TO ${ident(integrityNames(cluster).local)} AS
    SELECT ${t.name} AS tbl, file_id, line, ${rowHash(t, 'load')} AS h, ${ident(BATCH_COLUMN)} AS batch, toUInt64(0) AS retracted FROM ${ident(n.localLoad)}`;
}

export function sealViewName(t: RecordTable): string {
  return `${t.name}_seal_mv`;
}

export function tableByName(name: string): RecordTable | undefined {
  return Object.values(recordTables).find((t) => t.name === name);
}

/** what the `seal` column of an ingest_log row holds: flat fields first (read with visitParamExtract*) */
export interface SealRow {
  chain: number;
  seq: number;
  mode: SealMode;
  prev: string;
  seal: string;
  entry: string;
}

const M64 = (1n << 64n) - 1n;
const sub64 = (a: string, b: string) => ((BigInt(a) - BigInt(b)) & M64).toString();

/** per batch id: the rows hashed at insert (not marked retracted) minus those a prune marked */
interface HashGroup {
  id: number;
  tbl: string;
  file: number;
  n: number;
  s: string;
  first: number;
  last: number;
}

/** the hashes of some batch ids, as they now stand (inserted minus retracted by a prune) */
export async function hashGroups(ch: ClickhouseHttp, names: IntegrityNames, ids: readonly number[]): Promise<Map<number, HashGroup>> {
  const out = new Map<number, HashGroup>();
  if (ids.length === 0) return out;
  const rows = await ch.query<{ id: string; t: string; f: number; n: number; s: string; r: number; rs: string; first: number; last: number }>(
    sql`SELECT toString(batch) AS id, any(tbl) AS t, any(file_id) AS f, countIf(retracted = 0) AS n, toString(sumIf(h, retracted = 0)) AS s,
      countIf(retracted != 0) AS r, toString(sumIf(h, retracted != 0)) AS rs, minIf(line, retracted = 0) AS first, maxIf(line, retracted = 0) AS last
      FROM ${ident(names.read)} WHERE batch IN ${list(ids)} GROUP BY batch`,
  );
  for (const r of rows) {
    const id = Number(r.id);
    out.set(id, { id, tbl: r.t, file: Number(r.f), n: Number(r.n) - Number(r.r), s: sub64(r.s, r.rs), first: Number(r.first), last: Number(r.last) });
  }
  return out;
}

/** the sealed ranges of the batch parts a commit adds */
export async function sealedRanges(
  ch: ClickhouseHttp,
  names: IntegrityNames,
  parts: readonly { id: number; table: string; fileId: number; first: number; last: number }[],
  pathOf: (fileId: number) => string,
): Promise<SealedRange[]> {
  const groups = await hashGroups(
    ch,
    names,
    parts.map((p) => p.id),
  );
  return parts.map((p) => {
    const g = groups.get(p.id);
    return {
      table: p.table,
      file: p.fileId,
      path: pathOf(p.fileId),
      first: g && g.n > 0 ? g.first : p.first,
      last: g && g.n > 0 ? g.last : p.last,
      rows: g?.n ?? 0,
      sum: g?.s ?? '0',
      id: p.id,
    };
  });
}

/** the retracted entries of whole batches a commit stops counting */
export async function retractedBatches(
  ch: ClickhouseHttp,
  names: IntegrityNames,
  batches: readonly { id: number; table: string; fileId: number }[],
): Promise<Retracted[]> {
  const groups = await hashGroups(
    ch,
    names,
    batches.map((b) => b.id),
  );
  return batches.map((b) => ({ table: b.table, file: b.fileId, rows: groups.get(b.id)?.n ?? 0, sum: groups.get(b.id)?.s ?? '0', id: b.id }));
}

/** the chain's head: the seal with the highest seq (undefined: no seal yet) */
export async function readHead(ch: ClickhouseHttp): Promise<SealRow | undefined> {
  const [r] = await ch.query<{ seal: string }>(sql`SELECT seal FROM ingest_log WHERE seal != '' ORDER BY visitParamExtractUInt(seal, 'seq') DESC LIMIT 1`);
  return r ? (JSON.parse(r.seal) as SealRow) : undefined;
}

/** the seal of the next entry after `head`, as the `seal` column's text */
export function nextSeal(
  head: SealRow | undefined,
  what: string,
  added: SealedRange[],
  retracted: Retracted[],
  key: Buffer | undefined,
): { row: SealRow; text: string } {
  if (head && head.mode === 'hmac-sha256' && !key)
    throw new Error('this store is sealed with a key (HMAC-SHA-256): give it in MXRAY_SEAL_KEY or MXRAY_SEAL_KEY_FILE to add to it');
  const seq = head ? head.seq + 1 : 1;
  const prev = head ? head.seal : '';
  const entry = canonicalEntry({ v: 1, batch: seq, chain: 0, seq, what, added, retracted });
  const row: SealRow = { chain: 0, seq, mode: key ? 'hmac-sha256' : 'sha256', prev, seal: sealOf(prev, entry, key), entry };
  return { row, text: JSON.stringify(row) };
}

// ---------------------------------------------------------------- verify

const SEAL_PAGE = 1000;
/** differing batches searched line by line (each one's lines are read whole: a batch is bounded) */
const BATCHES_SEARCHED = 20;

interface Expected {
  table: string;
  file: number;
  path: string;
  first: number;
  last: number;
  /** sealed when added */
  rows: number;
  sum: string;
  /** the rows it should hold now: added minus retracted */
  liveRows: number;
  liveSum: string;
  /** the seal that added it */
  seq: number;
}

/** a cluster's servers, one client each, to name the server holding a row that verify finds wrong */
export interface ClusterServers {
  readonly cluster: string;
  clients(): Promise<readonly ClickhouseHttp[]>;
}

export async function verifyClickhouse(
  ch: ClickhouseHttp,
  location: string,
  o: VerifyOptions,
  names: IntegrityNames = integrityNames(),
  servers?: ClusterServers,
): Promise<VerifyResult> {
  const hashes = ident(names.read);
  const started = performance.now();
  const max = o.maxFindings ?? 20;
  const counts = emptyCounts();
  const findings: Finding[] = [];
  const found = (f: Finding, n = 1) => {
    counts[f.kind] += n;
    if (findings.length < max) findings.push(f);
  };
  const modes = new Set<SealMode>();
  const expected = new Map<number, Expected>();
  /** integrity_rows marks of sealed prunes */
  const marks = new Set<number>();
  const pathOf = new Map<number, string>();
  let batches = 0;
  let retractions = 0;

  // (1) the chain, in pages of seq numbers (a retried commit wrote its seal twice: identical copies are one)
  const [top] = await ch.query<{ n: number }>(sql`SELECT max(visitParamExtractUInt(seal, 'seq')) AS n FROM ingest_log WHERE seal != ''`);
  const maxSeq = Number(top?.n ?? 0);
  let head: ChainHead | undefined;
  let prevSeal = '';
  let prevSeq = 0;
  const pendingRetractions: (Retracted & { seq: number })[] = [];
  /** the seals found at the seqs the anchor holds */
  const anchorSeqs = new Set((o.anchor?.heads ?? []).filter((h) => h.chain === 0).map((h) => h.seq));
  const anchorSeen = new Map<number, string[]>();
  for (let from = 1; from <= maxSeq; from += SEAL_PAGE) {
    const page = await ch.query<{ seal: string }>(
      sql`SELECT DISTINCT seal FROM ingest_log WHERE seal != '' AND visitParamExtractUInt(seal, 'seq') BETWEEN ${from} AND ${from + SEAL_PAGE - 1}
        ORDER BY visitParamExtractUInt(seal, 'seq'), seal`,
    );
    for (const p of page) {
      let r: SealRow;
      try {
        r = JSON.parse(p.seal) as SealRow;
      } catch (e) {
        found({ kind: 'seal', chain: 0, detail: `a seal in ingest_log is unreadable (${(e as Error).message})` });
        continue;
      }
      const at = { batch: r.seq, chain: 0, seq: r.seq };
      if (anchorSeqs.has(r.seq)) anchorSeen.set(r.seq, [...(anchorSeen.get(r.seq) ?? []), r.seal]);
      modes.add(r.mode);
      if (r.mode === 'hmac-sha256' && !o.key)
        throw new Error(`the store ${location} is sealed with a key (HMAC-SHA-256): give it in MXRAY_SEAL_KEY or MXRAY_SEAL_KEY_FILE to verify`);
      if (r.seq === prevSeq)
        found({
          kind: 'seal',
          ...at,
          detail: `chain 0 has two different seals ${r.seq}: a seal was rewritten beside the original, or two writers forked the chain`,
        });
      else if (r.seq !== prevSeq + 1) found({ kind: 'seal', ...at, detail: `chain 0 jumps from seal ${prevSeq} to ${r.seq}: sealed batches were removed` });
      if (r.prev !== prevSeal) found({ kind: 'seal', ...at, detail: `chain 0 seal ${r.seq} does not follow seal ${prevSeq}` });
      if (r.mode !== 'hmac-sha256' && o.key)
        found({ kind: 'seal', ...at, detail: `chain 0 seal ${r.seq} is not keyed while a key is given: it was written without the key` });
      else if (sealOf(r.prev, r.entry, o.key) !== r.seal)
        found({ kind: 'seal', ...at, detail: `chain 0 seal ${r.seq} does not match its entry: the entry or its seal was changed` });
      prevSeq = r.seq;
      prevSeal = r.seal;
      head = { chain: 0, seq: r.seq, seal: r.seal };
      let entry: SealEntry;
      try {
        entry = JSON.parse(r.entry) as SealEntry;
        if (entry.seq !== r.seq) throw new Error('names another seal');
      } catch (e) {
        found({ kind: 'seal', ...at, detail: `chain 0 seal ${r.seq}: its entry is unreadable (${(e as Error).message})` });
        continue;
      }
      batches++;
      for (const a of entry.added) {
        if (a.id === undefined) continue;
        expected.set(a.id, { ...a, liveRows: a.rows, liveSum: a.sum, seq: r.seq });
        if (a.path) pathOf.set(a.file, a.path);
      }
      if (entry.retracted.length) retractions++;
      for (const x of entry.retracted) {
        if (x.by !== undefined) marks.add(x.by);
        pendingRetractions.push({ ...x, seq: r.seq });
      }
    }
  }
  for (const x of pendingRetractions) {
    const e = x.id === undefined ? undefined : expected.get(x.id);
    if (!e) continue; // a batch stored before sealing
    e.liveRows -= x.rows;
    e.liveSum = sub64(e.liveSum, x.sum);
  }
  const heads = head ? [head] : [];

  // the anchor: the chain it names reaches its head through the same seal (checked during the walk)
  if (o.anchor) {
    for (const h of o.anchor.heads) {
      const copies = anchorSeen.get(h.seq);
      if (h.chain !== 0 || !copies)
        found({
          kind: 'anchor',
          chain: h.chain,
          seq: h.seq,
          detail: `chain ${h.chain} has no seal ${h.seq}, which the anchor holds: sealed batches were removed`,
        });
      else if (!copies.includes(h.seal))
        found({
          kind: 'anchor',
          chain: h.chain,
          seq: h.seq,
          batch: h.seq,
          detail: `chain ${h.chain} seal ${h.seq} differs from the anchor: the chain was rewritten (seal ${h.seq} or one before it)`,
        });
    }
  }

  // the hashes kept at insert against the seals
  const kept = await ch.query<{ id: string; n: number; s: string }>(
    sql`SELECT toString(batch) AS id, count() AS n, toString(sum(h)) AS s FROM ${hashes} WHERE retracted = 0 GROUP BY batch`,
  );
  for (const k of kept) {
    const e = expected.get(Number(k.id));
    if (e && (e.rows !== Number(k.n) || e.sum !== k.s))
      found({
        kind: 'hashes',
        table: e.table,
        file: e.file,
        path: e.path,
        batch: e.seq,
        detail: `the row hashes of batch id ${k.id} (${e.path || `file ${e.file}`} lines ${e.first}–${e.last}, ${e.rows} rows, seal ${e.seq}) were changed: ${Number(k.n)} rows, another sum`,
      });
  }

  // (2) the live rows per batch against the seals; (3) line by line where a batch differs
  let rows = 0;
  let searched = 0;
  const rowFindings: Finding[] = [];
  /** the batch id of each row finding */
  const idOf = new Map<Finding, number>();
  const seen = new Set<number>();
  const differing: { t: RecordTable; id: number; e: Expected | undefined; n: number }[] = [];
  for (const t of Object.values(recordTables)) {
    const table = ident(layoutNames(t).read);
    const groups = await ch.query<{ id: string; n: number; s: string }>(
      sql`SELECT toString(batch) AS id, count() AS n, toString(sum(h)) AS s
        FROM (SELECT batch, ${rowHash(t)} AS h FROM ${table} WHERE batch GLOBAL IN (SELECT batch FROM live_batches))
        GROUP BY batch`,
    );
    for (const g of groups) {
      const id = Number(g.id);
      rows += Number(g.n);
      const e = expected.get(id);
      if (e) seen.add(id);
      if (e && e.table === t.name && e.liveRows === Number(g.n) && e.liveSum === g.s) continue;
      differing.push({ t, id, e: e?.table === t.name ? e : undefined, n: Number(g.n) });
    }
  }
  // sealed batches with rows that no longer count at all
  for (const [id, e] of expected) {
    if (seen.has(id) || e.liveRows === 0) continue;
    const t = tableByName(e.table);
    if (t) differing.push({ t, id, e, n: 0 });
  }
  for (const d of differing) {
    const where = (line: number) => `${d.t.name} row of ${d.e?.path || `file ${d.e?.file ?? '?'}`} line ${line}`;
    if (!d.e) {
      // a live batch no seal covers: every row of it was added after sealing
      counts.inserted += d.n;
      const first = await ch.query<{ file_id: number; line: number }>(
        sql`SELECT file_id, line FROM ${ident(layoutNames(d.t).read)} WHERE batch = ${d.id} ORDER BY file_id, line LIMIT ${max}`,
      );
      for (const r of first) {
        const f: Finding = {
          kind: 'inserted',
          table: d.t.name,
          file: Number(r.file_id),
          path: pathOf.get(Number(r.file_id)),
          line: Number(r.line),
          detail: `inserted: ${d.t.name} row of ${pathOf.get(Number(r.file_id)) ?? `file ${r.file_id}`} line ${r.line} counts (batch id ${d.id}) but no seal covers it`,
        };
        rowFindings.push(f);
        idOf.set(f, d.id);
      }
      continue;
    }
    const e = d.e;
    if (searched++ >= BATCHES_SEARCHED) {
      // beyond the batches searched: counted by the difference of rows alone
      if (d.n > e.liveRows) counts.inserted += d.n - e.liveRows;
      else if (d.n < e.liveRows) counts.deleted += e.liveRows - d.n;
      else counts.modified += 1;
      continue;
    }
    const data = await ch.query<{ line: number; n: number; s: string }>(
      sql`SELECT line, count() AS n, toString(sum(h)) AS s FROM (SELECT line, ${rowHash(d.t)} AS h FROM ${ident(layoutNames(d.t).read)} WHERE batch = ${d.id})
        GROUP BY line ORDER BY line`,
    );
    const sealedMarks = [...marks];
    const kept = await ch.query<{ line: number; n: number; s: string; rn: number; rs: string }>(
      sql`SELECT line, countIf(retracted = 0) AS n, toString(sumIf(h, retracted = 0)) AS s,
        countIf(retracted IN ${list(sealedMarks.length ? sealedMarks : [0])}) AS rn, toString(sumIf(h, retracted IN ${list(sealedMarks.length ? sealedMarks : [0])})) AS rs
        FROM ${hashes} WHERE batch = ${d.id} GROUP BY line ORDER BY line`,
    );
    const want = new Map<number, { n: number; s: string }>();
    for (const k of kept) {
      const n = Number(k.n) - (sealedMarks.length ? Number(k.rn) : 0);
      if (n !== 0) want.set(Number(k.line), { n, s: sealedMarks.length ? sub64(k.s, k.rs) : k.s });
    }
    const have = new Map(data.map((r) => [Number(r.line), { n: Number(r.n), s: r.s }]));
    const lines = [...new Set([...want.keys(), ...have.keys()])].sort((a, b) => a - b);
    let located = 0;
    for (const line of lines) {
      const w = want.get(line) ?? { n: 0, s: '0' };
      const h = have.get(line) ?? { n: 0, s: '0' };
      if (w.n === h.n && w.s === h.s) continue;
      located++;
      const kind: Finding['kind'] = w.n === h.n ? 'modified' : h.n < w.n ? 'deleted' : 'inserted';
      counts[kind] += kind === 'modified' ? 1 : Math.abs(h.n - w.n);
      const sealed = `sealed by seal ${e.seq}, batch id ${d.id}`;
      const detail =
        kind === 'modified'
          ? `modified: ${where(line)} (${sealed}) no longer has the values it was sealed with`
          : kind === 'deleted'
            ? `deleted: ${where(line)} (${sealed}) is gone${h.n ? ` (${w.n - h.n} of ${w.n} copies)` : ''}`
            : `inserted: ${where(line)} was added after sealing (${sealed}${w.n ? `: ${h.n - w.n} more cop${h.n - w.n === 1 ? 'y' : 'ies'} of the sealed row` : ''})`;
      if (rowFindings.length < max * BATCHES_SEARCHED) {
        const f: Finding = { kind, table: d.t.name, file: e.file, path: e.path, line, batch: e.seq, detail };
        rowFindings.push(f);
        idOf.set(f, d.id);
      }
    }
    if (located === 0) {
      // the rows match the hashes kept at insert, not the seal: both were changed
      found({
        kind: 'hashes',
        table: e.table,
        file: e.file,
        path: e.path,
        batch: e.seq,
        detail: `the rows of batch id ${d.id} (${e.path} lines ${e.first}–${e.last}, seal ${e.seq}) differ from their seal (${d.n} rows, sealed ${e.liveRows}), and their kept hashes were changed to match`,
      });
    }
  }
  // the rows first (the question is "which row"), by table, file and line
  rowFindings.sort((a, b) => (a.table! < b.table! ? -1 : a.table! > b.table! ? 1 : (a.path ?? '').localeCompare(b.path ?? '') || a.line! - b.line!));
  if (servers) await nameServers(rowFindings.slice(0, max), idOf, names, servers);
  return verifyResult(o, { store: location, modes, rows, batches, retractions, heads, counts, findings, rowFindings, started });
}

/** On a cluster, the server(s) each row finding is about: those whose local table holds the row (a
 *  deleted row: whose kept hashes hold it, the view hashed it where it landed). One small query per
 *  finding and server, for the findings reported only. */
async function nameServers(findings: readonly Finding[], idOf: ReadonlyMap<Finding, number>, names: IntegrityNames, servers: ClusterServers): Promise<void> {
  if (findings.length === 0) return;
  const clients = await servers.clients();
  for (const f of findings) {
    const id = idOf.get(f);
    const t = f.table === undefined ? undefined : tableByName(f.table);
    if (id === undefined || t === undefined || f.line === undefined) continue;
    const [table, cond] =
      f.kind === 'deleted'
        ? [names.local, sql`tbl = ${t.name} AND batch = ${id} AND line = ${f.line} AND retracted = 0`]
        : [layoutNames(t, servers.cluster).local, sql`batch = ${id} AND line = ${f.line}`];
    const on: string[] = [];
    for (const c of clients) {
      const [r] = await c.query<{ n: number }>(sql`SELECT count() AS n FROM ${ident(table)} WHERE ${cond}`);
      if (Number(r?.n)) on.push(c.endpoint);
    }
    if (on.length === 0) continue;
    f.server = on.join(', ');
    const at = `${f.kind === 'deleted' ? 'was on' : 'on'} ${f.server}`;
    f.detail = f.detail.replace(/\((sealed by|batch id)/, `(${at}; $1`);
  }
}
