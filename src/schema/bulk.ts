// Whole-file loading, described as data. A format whose files are plain delimited text with a
// header block (Exchange 2007+ tracking logs) can tell a store that has its own CSV reader (DuckDB)
// how to turn a file into rows without mxray parsing a single line: where the data starts, the
// column names, and for each table column which field it comes from and how the value is checked.
//
// The contract is all or nothing per file. A store loads a file this way only when every line
// passes every check and the row count equals the file's data lines; anything else (a malformed
// line, a header block in the middle, a time in another shape, a blank line, a quoted line break…)
// and the file goes through the format's own parser, which explains each reject with its line. So
// the rows are identical whichever way a file went: test/bulk-equivalence proves it on every sample.
import type { RecordKind } from './tables.js';

/** How one table column is filled from a line's fields (field = a name of the header). */
export type BulkValue =
  /** the file id (ingested_files.id) */
  | { readonly kind: 'file' }
  /** the line number the row came from */
  | { readonly kind: 'line' }
  /** text as logged (quotes undone). A field the header lacks gives `absent`; an empty field gives
   *  empty text. `lower`: stored lowercased. */
  | { readonly kind: 'text'; readonly field: string; readonly absent: 'empty' | 'null'; readonly lower?: boolean }
  /** text, and when the field is empty or absent `~<file id>:<line>` (a key that never collides) */
  | { readonly kind: 'key'; readonly field: string }
  /** digits only (empty or absent: 0); anything else refuses the file */
  | { readonly kind: 'count'; readonly field: string }
  /** a UTC time written exactly as `YYYY-MM-DDTHH:MM:SS.fffZ`; anything else refuses the file */
  | { readonly kind: 'iso-utc-ms'; readonly field: string }
  /** the first rule whose fields all equal its values gives its code; none: 0; a field the header
   *  lacks makes every rule fail */
  | { readonly kind: 'code'; readonly rules: readonly { readonly equals: Readonly<Record<string, string>>; readonly code: number }[] };

/** What a format knows of one file from its first lines, for a whole-file load. */
export interface BulkPlan {
  /** lines before the first data line (header block); every later line is a data line */
  readonly headerLines: number;
  /** the field names of the data lines, in order */
  readonly names: readonly string[];
  /** the parser state at the end of the file (what Parser.state() would say), for a later resume */
  readonly state: unknown;
}

export interface BulkCsv {
  readonly table: RecordKind;
  readonly delimiter: string;
  readonly quote: string;
  /** from the first lines of the file (decoded, BOM removed, at most 40): the plan, or why not */
  plan(lines: readonly string[]): BulkPlan | { readonly refused: string };
  /** every column of the table, in any order */
  readonly columns: Readonly<Record<string, BulkValue>>;
}
