// The Store: what mxray keeps, in the words of its domain. Backends (store/duckdb, store/clickhouse)
// implement it; nothing outside a backend's folder writes SQL. Values are bound or escaped inside the
// backend only. A backend declares what it cannot do in `capabilities`.
import type { RecordKind } from './schema.js';
import type { RejectReason } from '../formats/types.js';

/** A UTC time range: from inclusive, to exclusive, as `YYYY-MM-DD HH:MM:SS` strings (see reports/range.ts) */
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
  /** tab-separated rows per table, as written by ingest/tsv.ts */
  rows: Partial<Record<RecordKind, Buffer>>;
  rowCounts: Partial<Record<RecordKind, number>>;
  rejects: RejectExample[];
  /** before inserting, delete each named file's rows with line >= fromLine (provisional rows that
   *  are read again: an unterminated last line, an entry still open) */
  replace: { fileId: number; fromLine: number }[];
}

export interface UserTotals {
  user: string;
  sent: number;
  received: number;
  sentBytes: number;
  receivedBytes: number;
}

export interface TrafficRow {
  period: string;
  messages: number;
  bytes: number;
  deliveries: number;
}

export interface StoreCapabilities {
  /** the backend reads \\ and \N escapes in TSV (ClickHouse) or takes bytes literally (DuckDB) */
  readonly tsvBackslashEscapes: boolean;
  /** a Batch is applied atomically by a transaction (else: by idempotent replacement) */
  readonly transactions: boolean;
}

export interface Store {
  readonly kind: 'duckdb' | 'clickhouse';
  /** where it is, for messages (no credentials) */
  readonly location: string;
  readonly capabilities: StoreCapabilities;
  close(): Promise<void>;

  // ingest state
  /** files whose identity hash over the first `fpLen` bytes is `fpHash` */
  filesByFingerprint(fpLen: number, fpHash: string): Promise<IngestedFile[]>;
  /** the distinct fingerprint lengths below 4096 (files that were small when first read) */
  shortFingerprintLengths(): Promise<number[]>;
  /** record a new file (id assigned by the store) */
  addFile(f: Omit<IngestedFile, 'id'>): Promise<IngestedFile>;
  /** update identity/size/format of a known file without rows (a grown file's new fingerprint) */
  updateFile(f: IngestedFile): Promise<void>;
  appendBatch(b: Batch): Promise<void>;

  // message tracking
  trackingUserTotals(range: TimeRange, recipients: 'once' | 'each'): Promise<UserTotals[]>;
  /** number of distinct UTC dates with any tracking event in the range */
  trackingActiveDays(range: TimeRange): Promise<number>;
  trackingTraffic(range: TimeRange, by: 'day' | 'hour'): Promise<TrafficRow[]>;
  trackingEventCount(range: TimeRange): Promise<number>;
}
