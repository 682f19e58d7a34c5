// What a log format is: a plain object listed once in formats/registry.ts. Two kinds:
//   text formats   sniff() the first lines and give a parser() of lines. Framing (bytes -> lines,
//                  encodings, gzip, offsets) is done by ingest/framer.ts; a format only turns lines
//                  into rows. Lines arrive as byte ranges of a Buffer holding valid UTF-8, without
//                  the line terminator (\n or \r\n), so the hot formats can copy fields into the row
//                  writer without ever making JavaScript strings.
//   binary formats (`binary: true`: Outlook .msg, .evtx …) sniffBytes() the first bytes and read
//                  the file themselves with records(): streaming, in bounded memory. A row's origin
//                  is then the record's number in the file (1-based), stored in the `line` column.
// A format writes rows to one or more tables (`tables`; ctx.out(kind) gives each one's writer).
import type { RecordKind } from '../schema/tables.js';
import type { TsvWriter } from '../schema/tsv.js';
import type { BulkCsv } from '../schema/bulk.js';

/** The first lines of a file, for sniffing: decoded text, BOM removed, at most 40 lines. */
export interface Sample {
  /** base name of the file (MSGTRK20240101-1.LOG, u_ex240101.log …): a hint, never the only evidence */
  readonly name: string;
  readonly lines: readonly string[];
}

export interface Sniffed {
  /** 0–100: 100 = a header that names the format; 50 = the data lines fit; lower = a guess */
  readonly confidence: number;
  /** why, in words an admin understands: shown by `mxray ingest` when it picks or refuses a format */
  readonly reason: string;
}

export { rejectReasons, type RejectReason } from '../schema/rejects.js';
import type { RejectReason } from '../schema/rejects.js';

/** What a format is given to write rows with, text or binary. */
export interface RowContext {
  /** path of the file as the user named it, for messages */
  readonly file: string;
  /** the row writer of one of the format's tables (Format.tables): call begin(lineNo) … end() per
   *  row. It is the same object for the whole file, so a format may keep it. */
  out(kind: RecordKind): TsvWriter;
  /** count a rejected line or record (the pipeline keeps the first examples with file and line) */
  reject(line: number, reason: RejectReason, detail?: string): void;
  /** an observation about the file shown once in the ingest summary, e.g. "no header: inferred
   *  the Exchange 2010 layout from 26 fields" */
  note(message: string): void;
  /** what the user said about the files at ingest (`mailbox`: whose calendar export they are) */
  readonly hints?: Readonly<Record<string, string>>;
}

export type ParseContext = RowContext;

export interface Parser {
  /** one complete line: bytes buf[start, end) without terminator; lineNo is 1-based; offset is
   *  the byte offset of the line start in the (decoded) file */
  line(buf: Buffer, start: number, end: number, lineNo: number, offset: number): void;
  /** end of input: flush any entry still buffered */
  end(): void;
  /** JSON-serialisable state needed to continue parsing after the last line whose rows are final
   *  (e.g. the column map of the last #Fields header). Passed back to parser() on resume. */
  state(): unknown;
  /** for formats whose entries span lines (Exchange 5.5): the first line (and its byte offset)
   *  whose rows have not been written yet; undefined when every line seen is final */
  pending?(): { line: number; offset: number } | undefined;
}

/** Where a binary format's reading stands: every record before `record` is written, and reading
 *  may continue at byte `offset` with `state`. */
export interface RecordPosition {
  /** byte offset in the file where the next record (or the block holding it) starts */
  readonly offset: number;
  /** number of the next record (1-based): the `line` of its rows */
  readonly record: number;
  /** JSON-serialisable state the format needs to continue there (undefined: none) */
  readonly state?: unknown;
}

export interface RecordContext extends RowContext {
  /** Every record before `at.record` is written: the pipeline may commit the batch here (and wait
   *  for the store), with `at` as the file's resume point. Call it between records, e.g. once per
   *  block of the file; it costs nothing when the batch is not full. */
  checkpoint(at: RecordPosition): Promise<void>;
}

/** the file a binary format is asked to read */
export interface RecordFile {
  readonly path: string;
  /** bytes of the file when the ingest looked (read no further: it may be growing) */
  readonly size: number;
  /** resume: continue from here (a position this format gave in an earlier run) */
  readonly from?: RecordPosition;
}

export interface RecordsRead {
  /** after the last record read: the resume point when the file grows */
  readonly end: RecordPosition;
  /** the first record whose rows may still change (the file ends inside it, or inside the block
   *  holding it: a log still being written): its rows (and rejects) from here on are read again
   *  when the file grows */
  readonly provisional?: RecordPosition;
  /** records read in this run (rejected ones included): the summary's "lines" */
  readonly records: number;
}

interface FormatBase {
  /** registry key, stable: stored in the database and printed in summaries */
  readonly name: string;
  /** one line for humans: "Exchange 2007–SE message tracking log (CSV)" */
  readonly title: string;
  /** the tables its rows go to; the first is its main one */
  readonly tables: readonly RecordKind[];
  /** from the first text lines: how sure it is and why (a binary format answers undefined) */
  sniff(sample: Sample): Sniffed | undefined;
}

export interface TextFormat extends FormatBase {
  readonly binary?: false;
  parser(ctx: ParseContext, state?: unknown): Parser;
  /** how a store with its own CSV reader may load whole files of this format (schema/bulk.ts) */
  readonly bulk?: BulkCsv;
}

export interface BinaryFormat extends FormatBase {
  readonly binary: true;
  /** from the first bytes of the file (up to 4 KiB; magic numbers such as CFB's D0 CF 11 E0 A1 B1
   *  1A E1 or EVTX's `ElfFile\0`) and its base name: how sure it is and why */
  sniffBytes(head: Buffer, name: string): Sniffed | undefined;
  /** each file is one record that never grows (an Outlook .msg): files are told apart by the hash
   *  of their whole content, not of their first 4 KiB, which files of one kind may share */
  readonly wholeFileIdentity?: boolean;
  /** read the file (from `file.from` when resuming), writing rows through ctx; never holds more
   *  than a bounded part of the file in memory */
  records(ctx: RecordContext, file: RecordFile): Promise<RecordsRead>;
}

export type Format = TextFormat | BinaryFormat;

/** a format's text sniffer when it has none (binary formats): never matches */
export function noTextSniff(): undefined {
  return undefined;
}
