// The Store: what mxray keeps, in the words of its domain. Backends (store/duckdb, store/clickhouse)
// implement it. Capabilities write their queries once with sql`` (capabilities/NAME/queries.ts) and
// run them with query(); values are bound or escaped inside the backend only. A backend declares
// what it cannot do in `capabilities`.
import type { RecordKind } from '../schema/tables.js';
import type { Sql } from '../sql/sql.js';
import type { Dialect } from '../sql/dialect.js';
import type { RejectReason } from '../schema/rejects.js';
import type { BulkCsv, BulkPlan } from '../schema/bulk.js';
import type { VerifyOptions, VerifyResult } from './integrity/seal.js';

/** A UTC time range: from inclusive, to exclusive, as `YYYY-MM-DD HH:MM:SS` strings (see capabilities/params.ts) */
export interface TimeRange {
  readonly from?: string;
  readonly to?: string;
}

/** What the store remembers of an ingested file: its identity and how far it was read. */
export interface IngestedFile {
  id: number;
  path: string;
  /** bytes of the file when last read */
  size: number;
  /** identity: hash of the first fpLen bytes (fpLen = min(size, 4096) when recorded) */
  fpLen: number;
  fpHash: string;
  format: string;
  /** resume point: byte offset (only meaningful when seekable) and the next line number */
  offset: number;
  nextLine: number;
  seekable: boolean;
  /** parser state at the resume point (the column map of the last header, …) */
  state: unknown;
  /** rows from this line on are provisional (an unterminated last line, an entry still open):
   *  a resume deletes them and reads them again */
  provisionalFrom: number | null;
  /** the last run read the file to its end */
  complete: boolean;
  lines: number;
  rejects: number;
}

export interface RejectExample {
  fileId: number;
  line: number;
  reason: RejectReason;
  detail: string;
}

/** One atomic step of an ingest: rows (of one or more files), rejects and the files' new resume
 *  points, all or nothing. Small files share a batch; a large file spans several. */
export interface Batch {
  /** the new resume point of every file that has rows (or only a new checkpoint) in this batch */
  files: IngestedFile[];
  /** tab-separated rows per table, as written by schema/tsv.ts */
  rows: Partial<Record<RecordKind, Buffer>>;
  rowCounts: Partial<Record<RecordKind, number>>;
  rejects: RejectExample[];
  /** before inserting, delete each named file's rows with line >= fromLine (provisional rows that
   *  are read again: an unterminated last line, an entry still open) */
  replace: { fileId: number; fromLine: number }[];
}

/** A file a store may load whole with its own CSV reader (Store.bulkLoad, schema/bulk.ts). */
export interface BulkFile {
  /** the file as it is to be recorded once its rows are in (complete, resume point at its end) */
  file: IngestedFile;
  plan: BulkPlan;
  /** lines after the header block: the rows the file must give, one per line */
  dataLines: number;
}

export interface BulkOutcome {
  fileId: number;
  /** true: its rows and its record are committed; false: nothing of it was stored */
  loaded: boolean;
  rows: number;
  /** why it was not loaded (the ingest then reads it with the format's parser) */
  why?: string;
}

/** A connection of the store's own that keeps one transaction open over several batches and
 *  commits when the ingest says so (Store.openLane). A bulk load costs less in a big transaction
 *  (DuckDB writes its rows straight into the database file instead of the log first), and two
 *  lanes load batches of two files at once. Each file's batches go to one lane only, so the file's
 *  resume point never commits before its rows. */
export interface BatchLane {
  /** apply the batch inside the lane's transaction (opened when none is open) */
  append(b: Batch): Promise<void>;
  /** commit what the lane holds (nothing happens when it holds nothing) */
  commit(): Promise<void>;
  /** roll back what is not committed and release the connection */
  close(): Promise<void>;
}

export interface StoreCapabilities {
  /** the backend reads \\ and \N escapes in TSV (ClickHouse) or takes bytes literally (DuckDB) */
  readonly tsvBackslashEscapes: boolean;
  /** a Batch is applied atomically by a transaction (else: by idempotent replacement) */
  readonly transactions: boolean;
}

/** how a query may be run; a store ignores what does not apply to it */
export interface QueryOptions {
  /** ClickHouse cluster: every group of the query's inner GROUP BY holds rows of one shard only (the
   *  sharding key puts them there), so each shard finishes its groups and the initiator only adds the
   *  results up (distributed_group_by_no_merge) */
  readonly groupsWithinShard?: boolean;
}

export interface Store {
  readonly kind: 'duckdb' | 'clickhouse';
  /** how this store spells what differs (sql/dialect.ts) */
  readonly dialect: Dialect;
  /** where it is, for messages (no credentials) */
  readonly location: string;
  readonly capabilities: StoreCapabilities;
  close(): Promise<void>;

  // ingest state
  /** files whose identity hash over the first `fpLen` bytes is `fpHash` */
  filesByFingerprint(fpLen: number, fpHash: string): Promise<IngestedFile[]>;
  /** the fingerprints shorter than 4096 bytes (files that were small when first read) */
  shortFingerprints(): Promise<{ fpLen: number; fpHash: string }[]>;
  /** record a new file (id assigned by the store) */
  addFile(f: Omit<IngestedFile, 'id'>): Promise<IngestedFile>;
  /** update identity/size/format of a known file without rows (a grown file's new fingerprint) */
  updateFile(f: IngestedFile): Promise<void>;
  /** apply one batch atomically (its rows, rejects, replacements and files' resume points) */
  appendBatch(b: Batch): Promise<void>;
  /** optional: a lane of its own for batches (see BatchLane); without it every batch commits alone */
  openLane?(): Promise<BatchLane>;
  /** optional: load whole files with the store's own CSV reader, each file all or nothing (see
   *  schema/bulk.ts). Files it does not load are left untouched for the parser path. */
  bulkLoad?(spec: BulkCsv, files: readonly BulkFile[]): Promise<BulkOutcome[]>;
  /** bulk loading is about to start / has ended: a backend may tune itself for it, or wait for
   *  another ingest to finish (ClickHouse: one at a time, saying so through `onWait`) (optional) */
  ingestStarting?(onWait?: (message: string) => void): Promise<void>;
  ingestFinished?(): Promise<void>;
  /** the ingest failed after ingestStarting(): release what it held (optional; never throws) */
  ingestAborted?(): Promise<void>;

  /** optional: this process keeps the store open for a long time and writes small batches now and
   *  then (the presence poller): the backend keeps its own memory small for it. `alone`: nothing
   *  else queries the store in this process (`mxray presence poll`, not `mxray serve`). */
  longRunningWriter?(o: { alone: boolean }): Promise<void>;
  /** optional: a long-running writer finished a burst of batches (a poller's cycle): the backend
   *  writes what it keeps in memory of them to its files and frees that memory (DuckDB: CHECKPOINT) */
  checkpoint?(): Promise<void>;

  /** optional: delete the rows of a record table that meet `where` (a retention limit: `presence
   *  prune`), rows of every file; returns when they are gone */
  deleteRows?(kind: RecordKind, where: Sql): Promise<void>;

  /** optional: check the sealed chain of batches, the row hashes and the rows (store/integrity) */
  verify?(o: VerifyOptions): Promise<VerifyResult>;

  // reading
  /** the rows of a statement written with sql`` (capabilities/NAME/queries.ts): values as JSON gives
   *  them (text stays text, numbers are numbers, NULL is null). `what` names it in errors. */
  query<T = Record<string, unknown>>(what: string, statement: Sql, options?: QueryOptions): Promise<T[]>;
}

/** a value of one column of a live row (store/live.ts): text, a number, a timestamp as
 *  `YYYY-MM-DD HH:MM:SS[.fff]` UTC text (or a Date), or null */
export type LiveValue = string | number | Date | null;

/** Rows of a running part appended to the store (store/live.ts LiveLog implements it): the view
 *  capabilities get of it, since they see the store through its types only. */
export interface LiveAppender {
  /** append rows to one or more tables in one atomic batch, in the tables' column order after
   *  file_id and line; `tail`: in the same batch, rows of another pseudo-file of the same store
   *  whose last rows are provisional (LiveTail) */
  append(rows: LiveRows, tail?: LiveTailPart): Promise<void>;
  /** optional: another pseudo-file of the same store (store/live.ts), for `tail` */
  sibling?(source: string): Promise<LiveTail>;
}

export type LiveRows = Partial<Record<RecordKind, readonly (readonly LiveValue[])[]>>;

/** A pseudo-file whose rows from line `provisionalFrom` on are provisional: a later batch may
 *  replace them (a sealed retraction on both stores, as an ingest replaces a file's unfinished last
 *  lines), e.g. the presence recorder's daily totals of days not over yet (recorder.ts). */
export interface LiveTail {
  readonly fileId: number;
  /** rows appended so far (the next one gets line count + 1) */
  readonly count: number;
  /** the first provisional line; null when none was ever set */
  readonly provisionalFrom: number | null;
}

/** rows for a LiveTail in another pseudo-file's batch: its rows from line `replaceFrom` on are
 *  deleted first (the new rows take their line numbers), and its provisional rows start at line
 *  `provisionalFrom` afterwards */
export interface LiveTailPart {
  readonly to: LiveTail;
  readonly rows: LiveRows;
  readonly replaceFrom?: number;
  readonly provisionalFrom: number | null;
}
