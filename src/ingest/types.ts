// What the parts of the ingest pipeline hand each other: a file ready to be read, and what came of
// each file and of the whole run.
import type { Format, RejectReason } from '../formats/types.js';
import type { IngestedFile } from '../store/types.js';
import type { FoundFile } from './files.js';
import type { Position } from './framer.js';

export interface IngestProgress {
  file: string;
  fileIndex: number;
  fileCount: number;
  bytesDone: number;
  bytesTotal: number;
  lines: number;
  rejects: number;
}

export interface FileOutcome {
  path: string;
  action: 'ingested' | 'resumed' | 'skipped' | 'failed';
  why?: string;
  format?: string;
  /** lines read (records, for a binary format) */
  lines: number;
  events: number;
  rejects: number;
  notes: string[];
  /** true when the store read the file whole with its own CSV reader (schema/bulk.ts) */
  whole?: boolean;
}

export interface IngestSummary {
  files: number;
  skippedFiles: number;
  lines: number;
  events: number;
  rejects: number;
  rejectsByReason: Partial<Record<RejectReason, number>>;
  examples: { file: string; line: number; reason: RejectReason; detail?: string }[];
  formats: Record<string, number>;
  /** files the store read whole itself (the rest of `files` went through the parsers) */
  wholeFiles: number;
  errors: { path: string; message: string }[];
  /** observations about the paths walked (a folder reached again through a link) */
  notes: { path: string; message: string }[];
  bytes: number;
  seconds: number;
  details: FileOutcome[];
}

/** a file to read: its record in the store, its format and where to start */
export interface Prepared {
  f: FoundFile;
  index: number;
  outcome: FileOutcome;
  file: IngestedFile;
  format: Format;
  /** resume point (text: the line and its offset; binary: the record number in nextLine) */
  from?: Position;
  known?: IngestedFile;
  /** the first lines (when a text format was sniffed now) */
  sample?: readonly string[];
  /** what the user said about the files at ingest (IngestOptions.hints) */
  hints?: Readonly<Record<string, string>>;
}

/** a file-system error (ENOENT, EACCES …): that file's problem, not the ingest's */
export function isFsError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
