// What a log format is: a plain object with sniff() and parser(), listed once in formats/registry.ts.
// Framing (bytes -> lines, encodings, gzip, offsets) is done by ingest/framer.ts; a format only turns
// lines into rows. Lines arrive as byte ranges of a Buffer holding valid UTF-8, without the line
// terminator (\n or \r\n), so the hot formats can copy fields into the row writer without ever
// making JavaScript strings.
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

export interface ParseContext {
  /** path of the file as the user named it, for messages */
  readonly file: string;
  /** rows of this format's table; call out.begin(lineNo) … out.end() per row */
  readonly out: TsvWriter;
  /** count a rejected line (the pipeline keeps the first examples with file and line) */
  reject(line: number, reason: RejectReason, detail?: string): void;
  /** an observation about the file shown once in the ingest summary, e.g. "no header: inferred
   *  the Exchange 2010 layout from 26 fields" */
  note(message: string): void;
}

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

export interface Format {
  /** registry key, stable: stored in the database and printed in summaries */
  readonly name: string;
  /** one line for humans: "Exchange 2007–SE message tracking log (CSV)" */
  readonly title: string;
  /** the table its rows go to */
  readonly kind: RecordKind;
  sniff(sample: Sample): Sniffed | undefined;
  parser(ctx: ParseContext, state?: unknown): Parser;
  /** how a store with its own CSV reader may load whole files of this format (schema/bulk.ts) */
  readonly bulk?: BulkCsv;
}
