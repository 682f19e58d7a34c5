// Tamper-evident storage: what every backend shares. A store seals each batch it commits: the
// batch's entry (the tables, files, line ranges, row counts and row-hash sums it added, and the rows
// it retracted) is chained to the previous seal of its chain:
//
//   seal = SHA-256(previous seal || "\n" || entry)            (no key)
//   seal = HMAC-SHA-256(key, previous seal || "\n" || entry)  (MXRAY_SEAL_KEY / MXRAY_SEAL_KEY_FILE)
//
// A chain kept beside the data can be recomputed by whoever can change the data, so its heads are
// anchored: written to a file the admin keeps elsewhere (Anchor below), which `mxray verify --anchor`
// compares with the store; with a key, a rewritten seal does not even match without the anchor.
//
// SCHEMA CHANGES: a row hash covers every column of the row, so a migration that adds a column to a
// record table would change the hash of every row stored before it (verify would call them all
// modified). Hence a column added once stores were sealed (schema/tables.ts Column.added) enters the
// row hash only where it is set: the hash is that of the row's other columns, XORed with a hash of
// (column name, value) for each added column that is not NULL (rows stored before the migration have
// it NULL). A row sealed before keeps its hash; setting, clearing or changing the added column
// changes it. So no seal needs to say which columns it covers, and verify hashes every row with one
// expression (baseColumns / addedColumns below; each backend writes it in its SQL). The columns of
// a table when sealing began are its base; a column added without `added` is caught by the tests'
// list of base columns (store/integrity/schema.test.ts).
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import type { Column, RecordTable } from '../../schema/tables.js';

/** how the seals of a store were made: a plain hash chain, or keyed */
export type SealMode = 'sha256' | 'hmac-sha256';

/** rows a batch added to one table from one file: lines first..last, `rows` rows whose row hashes
 *  (computed by the database, see the backend) sum to `sum` (a decimal integer) */
export interface SealedRange {
  table: string;
  file: number;
  path: string;
  first: number;
  last: number;
  rows: number;
  sum: string;
  /** ClickHouse: the batch id written on these rows (its `batch` column) */
  id?: number;
}

/** rows of one table and file that a batch retracted (legitimately removed: provisional rows read
 *  again, a retention prune) */
export interface Retracted {
  table: string;
  file: number;
  rows: number;
  sum: string;
  /** ClickHouse: the batch id of the rows retracted */
  id?: number;
  /** ClickHouse: the mark of the retracted rows' hashes in integrity_rows (a prune; none when a whole
   *  batch stopped counting) */
  by?: number;
}

/** what a seal covers (stored as canonical JSON text: keys in this order, arrays sorted by table and file) */
export interface SealEntry {
  v: 1;
  /** the batch: a store-wide number, increasing with time */
  batch: number;
  chain: number;
  seq: number;
  /** why: an ingest batch, live rows, a prune … (for messages) */
  what: string;
  added: SealedRange[];
  retracted: Retracted[];
}

export function canonicalEntry(e: SealEntry): string {
  const byKey = <T extends { table: string; file: number; id?: number }>(a: T, b: T) =>
    a.table < b.table ? -1 : a.table > b.table ? 1 : a.file !== b.file ? a.file - b.file : (a.id ?? 0) - (b.id ?? 0);
  // the ClickHouse ids only when present: DuckDB entries keep their form
  const ids = (r: { id?: number; by?: number }) => ({ ...(r.id !== undefined && { id: r.id }), ...(r.by !== undefined && { by: r.by }) });
  return JSON.stringify({
    v: e.v,
    batch: e.batch,
    chain: e.chain,
    seq: e.seq,
    what: e.what,
    added: [...e.added]
      .sort(byKey)
      .map((r) => ({ table: r.table, file: r.file, path: r.path, first: r.first, last: r.last, rows: r.rows, sum: r.sum, ...ids(r) })),
    retracted: [...e.retracted].sort(byKey).map((r) => ({ table: r.table, file: r.file, rows: r.rows, sum: r.sum, ...ids(r) })),
  });
}

/** the seal of `entry` after `prev` (hex; '' starts a chain) */
export function sealOf(prev: string, entry: string, key: Buffer | undefined): string {
  const h = key ? createHmac('sha256', key) : createHash('sha256');
  return h.update(prev).update('\n').update(entry).digest('hex');
}

/** The sealing key, when one is configured: MXRAY_SEAL_KEY (the key's text) or MXRAY_SEAL_KEY_FILE
 *  (a file holding it; a trailing line break is not part of it). Never printed. */
export function sealKey(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  if (env.MXRAY_SEAL_KEY !== undefined && env.MXRAY_SEAL_KEY !== '') return Buffer.from(env.MXRAY_SEAL_KEY, 'utf8');
  const file = env.MXRAY_SEAL_KEY_FILE;
  if (file === undefined || file === '') return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new Error(`MXRAY_SEAL_KEY_FILE: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (text === '') throw new Error(`MXRAY_SEAL_KEY_FILE: ${file} is empty`);
  return Buffer.from(text, 'utf8');
}

/** sealing is on unless MXRAY_SEAL=off (for the benchmark that measures its cost: rows stored
 *  unsealed are reported by verify as inserted rows) */
export function sealingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.MXRAY_SEAL !== 'off';
}

/** the columns every row hash covers: all but those added once stores were sealed (see the top) */
export function baseColumns(t: RecordTable): readonly Column[] {
  return t.columns.filter((c) => c.added === undefined);
}

/** the columns added once stores were sealed: each counts in a row's hash where it is not NULL */
export function addedColumns(t: RecordTable): readonly Column[] {
  return t.columns.filter((c) => c.added !== undefined);
}

/** the head of one chain: its last seal */
export interface ChainHead {
  chain: number;
  seq: number;
  seal: string;
}

/** The anchor: the chains' heads at a moment, kept by the admin away from the store. */
export interface Anchor {
  mxrayAnchor: 1;
  store: string;
  mode: SealMode;
  written: string;
  heads: ChainHead[];
}

export function readAnchor(path: string): Anchor {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`--anchor: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let a: Anchor;
  try {
    a = JSON.parse(text) as Anchor;
  } catch (e) {
    throw new Error(`--anchor: ${path} is not an anchor file written by mxray verify (${(e as Error).message})`);
  }
  const ok =
    a?.mxrayAnchor === 1 &&
    Array.isArray(a.heads) &&
    a.heads.every((h) => Number.isInteger(h?.chain) && Number.isInteger(h?.seq) && typeof h?.seal === 'string' && /^[0-9a-f]{64}$/.test(h.seal));
  if (!ok) throw new Error(`--anchor: ${path} is not an anchor file written by mxray verify (expected {"mxrayAnchor": 1, "heads": [{chain, seq, seal}…]})`);
  return a;
}

/** write the anchor whole (a temporary file renamed over it: a crash leaves the old one) */
export function writeAnchor(path: string, a: Anchor): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify(a, null, 2) + '\n');
    renameSync(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`--anchor: cannot write ${path}: ${code ?? (e as Error).message}${code === 'ENOENT' ? ' (its folder does not exist)' : ''}`);
  }
}

/** one thing verify found wrong (the first of each kind are kept, see VerifyResult.findings) */
export interface Finding {
  kind: 'modified' | 'deleted' | 'inserted' | 'seal' | 'anchor' | 'hashes';
  table?: string;
  file?: number;
  path?: string;
  line?: number;
  /** the sealed batch the row or seal belongs to */
  batch?: number;
  chain?: number;
  seq?: number;
  /** ClickHouse cluster: the server(s) holding the row (a deleted row: that held it), host:port */
  server?: string;
  detail: string;
}

export interface VerifyResult {
  intact: boolean;
  store: string;
  mode: SealMode | 'none';
  rows: number;
  batches: number;
  retractions: number;
  heads: ChainHead[];
  /** how many rows (or seals) of each kind were found wrong */
  counts: Record<Finding['kind'], number>;
  /** the first findings, the first modified/deleted/inserted row first (by table, file, line) */
  findings: Finding[];
  /** the anchor checked (heads: how many chains it holds), or written by --update-anchor */
  anchor?: { path: string; heads: number; written?: boolean };
  seconds: number;
}

/** no finding of any kind yet */
export function emptyCounts(): VerifyResult['counts'] {
  return { modified: 0, deleted: 0, inserted: 0, seal: 0, anchor: 0, hashes: 0 };
}

/** a store's verify result: the row findings (already in table, file, line order) before the others,
 *  at most maxFindings; intact when nothing of any kind was counted */
export function verifyResult(
  o: VerifyOptions,
  r: Omit<VerifyResult, 'intact' | 'mode' | 'findings' | 'anchor' | 'seconds'> & {
    modes: ReadonlySet<SealMode>;
    findings: Finding[];
    rowFindings: readonly Finding[];
    started: number;
  },
): VerifyResult {
  const max = o.maxFindings ?? 20;
  const findings = [...r.rowFindings.slice(0, max), ...r.findings].slice(0, max);
  return {
    intact: Object.values(r.counts).every((n) => n === 0),
    store: r.store,
    mode: r.modes.size === 0 ? 'none' : r.modes.has('hmac-sha256') ? 'hmac-sha256' : 'sha256',
    rows: r.rows,
    batches: r.batches,
    retractions: r.retractions,
    heads: r.heads,
    counts: r.counts,
    findings,
    anchor: o.anchor ? { path: o.anchorPath ?? '', heads: o.anchor.heads.length } : undefined,
    seconds: (performance.now() - r.started) / 1000,
  };
}

export interface VerifyOptions {
  key?: Buffer;
  anchor?: Anchor;
  anchorPath?: string;
  /** keep at most this many findings (default 20) */
  maxFindings?: number;
}
