// Plain CSV-with-header formats declared as data: a table, and for each of its columns the header
// names that mean it. csvDataFormat() turns such a declaration into a text Format, for exports whose
// columns vary (PowerShell's Export-Csv of calendar items, spreadsheets saved as CSV …):
//   - the header is the first line, after an optional `#TYPE …` line (Export-Csv without
//     -NoTypeInformation writes one); columns in any order, names compared trimmed and
//     case-insensitively against each column's aliases (and its own name);
//   - UTF-8 with or without BOM, UTF-16 LE/BE with BOM (Export-Csv -Encoding Unicode): the framer
//     decodes them; CRLF or LF line ends;
//   - RFC 4180 quoting: "" is a quote, and a quoted field may hold line breaks, so a row may span
//     lines; its origin is its first line, and a row still open at the end of the file is read
//     again when the file grows (pending());
//   - columns the declaration does not know are kept, when it names an `extra` column, as one JSON
//     object {"Header name": "value"} of the non-empty ones (NULL when there are none);
//   - a row is rejected with its line when its field count differs from the header's
//     ('field-count'), a required column is missing from the header ('malformed'), a quote is never
//     closed ('unterminated-quote', also when the open row passes 1 MiB), or a value does not
//     convert ('bad-number', 'bad-time' or the column's own reason).
// Values convert by the column's type unless the declaration gives its own parse(): text as is;
// numbers (int, bigint, tinyint: digits with an optional sign; double: a decimal number), empty ->
// NULL; timestamps `YYYY-MM-DD[T ]HH:MM[:SS[.fff…]]` with an optional `Z` or `±HH:MM` (stored as UTC;
// without a zone taken as UTC), empty -> rejected. A stored time is never NULL (ClickHouse keeps
// times in columns that cannot be), so a table's timestamp columns must be declared required; an
// optional time goes in a text column, e.g. with parse: (v) => (v.trim() === '' ? null : isoToStored(v)).
import { CsvRows, fieldsOf } from './csv-rows.js';
import { Fields } from './fields.js';
import type { ParseContext, Parser, RejectReason, Sample, Sniffed, TextFormat } from './types.js';
import { intRanges, recordTables, type Column, type RecordKind } from '../schema/tables.js';
import type { TsvWriter } from '../schema/tsv.js';
import { TS_BYTES, putTsOffset } from './tracking-time.js';

/** a stored value: text, a number, or NULL */
export type CsvValue = string | number | null;

export interface CsvColumn {
  /** header names that mean this column, besides the column's own name */
  readonly aliases?: readonly string[];
  /** a header without it is not this format: sniff() does not match, and rows are rejected */
  readonly required?: boolean;
  /** the stored value of a field (already unquoted); undefined rejects the row with `invalid` */
  readonly parse?: (value: string) => CsvValue | undefined;
  /** the reject reason when parse() gives undefined (default: by the column's type) */
  readonly invalid?: RejectReason;
}

export interface CsvDataSpec {
  readonly name: string;
  readonly title: string;
  /** the table the rows go to */
  readonly table: RecordKind;
  /** the table's columns this format fills (other than file_id, line and `extra`); a table column
   *  not listed here is NULL in every row */
  readonly columns: Readonly<Record<string, CsvColumn>>;
  /** the table column (text) that keeps the unknown columns as JSON; without it they are dropped,
   *  with a note */
  readonly extra?: string;
  /** field separator (default ',') */
  readonly delimiter?: ',' | ';' | '\t';
  /** a file name that suggests this format (a hint for sniffing, never the only evidence) */
  readonly fileName?: RegExp;
  /** table columns no header field fills: complete() computes them from the row's other values */
  readonly derived?: readonly string[];
  /** the last step of each row, for values that depend on several fields or on the file (its
   *  path as named, e.g. a mailbox in a file name): it may change the row's values by column name,
   *  and refuse the row with a message (rejected as 'malformed') */
  readonly complete?: (row: Record<string, CsvValue>, file: RowFile) => string | undefined;
}

/** what complete() knows of the file a row comes from */
export interface RowFile {
  readonly path: string;
  note(message: string): void;
  /** what the user said about the files at ingest (RowContext.hints) */
  readonly hints?: Readonly<Record<string, string>>;
}

const MAX_FIELDS = 4096;

interface Layout {
  /** the header's names as written */
  readonly names: readonly string[];
  readonly line: number;
  /** for each table column index: the header field it comes from, or -1 */
  readonly source: Int32Array;
  /** header fields no column takes (kept in `extra`) */
  readonly unknown: readonly number[];
  /** required columns the header lacks (their display names) */
  readonly missing: readonly string[];
}

interface CsvState {
  names: string[];
  line: number;
}

/** what the declaration compiles to: per table column, how it is filled */
interface Plan {
  readonly spec: CsvDataSpec;
  readonly columns: readonly Column[];
  /** lower-cased header name -> table column index */
  readonly byName: ReadonlyMap<string, number>;
  readonly declared: ReadonlyArray<CsvColumn | undefined>;
  readonly extraIndex: number;
  readonly sep: number;
}

function compile(spec: CsvDataSpec): Plan {
  const table = recordTables[spec.table];
  if (!table) throw new Error(`csv format ${spec.name}: no record table ${spec.table}`);
  const columns = table.columns;
  const index = (name: string) => {
    const i = columns.findIndex((c) => c.name === name);
    if (i < 2) throw new Error(`csv format ${spec.name}: ${table.name} has no column ${name} it may fill`);
    return i;
  };
  const byName = new Map<string, number>();
  const declared: (CsvColumn | undefined)[] = columns.map(() => undefined);
  for (const [name, col] of Object.entries(spec.columns)) {
    const i = index(name);
    declared[i] = col;
    for (const alias of [name, ...(col.aliases ?? [])]) {
      const key = alias.trim().toLowerCase();
      const other = byName.get(key);
      if (other !== undefined && other !== i) throw new Error(`csv format ${spec.name}: header name "${alias}" means both ${columns[other]!.name} and ${name}`);
      byName.set(key, i);
    }
  }
  // ClickHouse keeps times in columns that cannot be NULL (store/clickhouse/tables.ts), so a row
  // must always have them: an optional time belongs in a text column (with a parse of its own)
  columns.forEach((c, i) => {
    if (c.type === 'timestamp' && !declared[i]?.required)
      throw new Error(
        `csv format ${spec.name}: ${table.name}.${c.name} is a time, which is never NULL: declare it required (an optional time belongs in a text column)`,
      );
  });
  for (const name of spec.derived ?? []) {
    const i = index(name);
    if (declared[i]) throw new Error(`csv format ${spec.name}: ${name} is both read from the header and derived`);
  }
  const extraIndex = spec.extra === undefined ? -1 : index(spec.extra);
  if (extraIndex >= 0 && (declared[extraIndex] || columns[extraIndex]!.type !== 'text'))
    throw new Error(`csv format ${spec.name}: extra column ${spec.extra} must be a text column of its own`);
  return { spec, columns, byName, declared, extraIndex, sep: (spec.delimiter ?? ',').charCodeAt(0) };
}

function layoutOf(plan: Plan, names: readonly string[], line: number): Layout {
  const source = new Int32Array(plan.columns.length).fill(-1);
  const unknown: number[] = [];
  names.forEach((n, field) => {
    const i = plan.byName.get(n.trim().toLowerCase());
    // the first header field that means a column fills it; a repeat is kept as unknown
    if (i !== undefined && source[i] === -1) source[i] = field;
    else unknown.push(field);
  });
  const missing = plan.columns.flatMap((c, i) => (plan.declared[i]?.required && source[i] === -1 ? [c.name] : []));
  return { names, line, source, unknown, missing };
}

const isoTime = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** `YYYY-MM-DD HH:MM:SS.fff` (UTC) of an ISO-like time, or undefined */
export function isoToStored(v: string): string | undefined {
  const m = isoTime.exec(v.trim());
  if (!m) return undefined;
  let offset = 0;
  const z = m[8];
  if (z && z.toUpperCase() !== 'Z') {
    const d = z.replace(':', '');
    offset = (d[0] === '-' ? -1 : 1) * (Number(d.slice(1, 3)) * 60 + Number(d.slice(3, 5)));
  }
  const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
  const out = Buffer.alloc(TS_BYTES);
  if (!putTsOffset(out, Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), ms, offset)) return undefined;
  return out.toString('latin1');
}

/** the default conversion of a column's type, and its reject reason */
function byType(c: Column): { parse: (v: string) => CsvValue | undefined; invalid: RejectReason } {
  switch (c.type) {
    case 'text':
      return { parse: (v) => v, invalid: 'malformed' };
    case 'int':
    case 'tinyint': {
      const [lo, hi] = intRanges[c.type];
      return {
        parse: (v) => {
          const t = v.trim();
          if (t === '') return null;
          const n = Number(t);
          return /^[+-]?\d{1,10}$/.test(t) && n >= lo && n <= hi ? n : undefined;
        },
        invalid: 'bad-number',
      };
    }
    // as digits, so values above 2^53 stay exact
    case 'bigint':
      return {
        parse: (v) => {
          const t = v.trim();
          return t === '' ? null : /^[+-]?\d{1,18}$/.test(t) ? t.replace(/^\+/, '') : undefined;
        },
        invalid: 'bad-number',
      };
    case 'double':
      return {
        parse: (v) => {
          const t = v.trim();
          if (t === '') return null;
          const n = Number(t);
          return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && Number.isFinite(n) ? n : undefined;
        },
        invalid: 'bad-number',
      };
    case 'timestamp':
      return { parse: (v) => isoToStored(v), invalid: 'bad-time' };
  }
}

class CsvDataParser implements Parser {
  private layout: Layout | undefined;
  private readonly rows: CsvRows;
  private readonly out: TsvWriter;
  private readonly convert: ({ parse: (v: string) => CsvValue | undefined; invalid: RejectReason } | undefined)[];
  private noted = false;

  constructor(
    private readonly plan: Plan,
    private readonly ctx: ParseContext,
    state?: unknown,
  ) {
    this.out = ctx.out(plan.spec.table);
    this.rows = new CsvRows(ctx, (fields, line) => this.row(fields, line), MAX_FIELDS, plan.sep);
    this.convert = plan.columns.map((c, i) => {
      const d = plan.declared[i];
      if (!d) return undefined;
      const base = byType(c);
      return { parse: d.parse ?? base.parse, invalid: d.invalid ?? base.invalid };
    });
    const st = state as CsvState | null | undefined;
    if (st && Array.isArray(st.names)) this.layout = layoutOf(plan, st.names, st.line);
  }

  line(buf: Buffer, s: number, e: number, lineNo: number, offset: number): void {
    this.rows.line(buf, s, e, lineNo, offset);
  }

  /** one complete row: the header, or a record */
  private row(fields: string[], line: number): void {
    if (!this.layout) {
      this.layout = layoutOf(this.plan, fields, line);
      if (this.layout.missing.length) {
        this.ctx.note(`the header at line ${line} has no ${this.layout.missing.join(', ')} column: its rows are rejected`);
      }
      if (this.layout.unknown.length && this.plan.extraIndex < 0 && !this.noted) {
        this.noted = true;
        this.ctx.note(`columns not stored: ${this.layout.unknown.map((i) => this.layout!.names[i]).join(', ')}`);
      }
      return;
    }
    this.write(fields, line);
  }

  private write(fields: readonly string[], line: number): void {
    const L = this.layout!;
    if (fields.length !== L.names.length) {
      this.ctx.reject(line, 'field-count', `${fields.length} fields, the header at line ${L.line} has ${L.names.length}`);
      return;
    }
    if (L.missing.length) {
      this.ctx.reject(line, 'malformed', `the header at line ${L.line} has no ${L.missing.join(', ')} column`);
      return;
    }
    const values: CsvValue[] = new Array(this.plan.columns.length).fill(null);
    for (let i = 2; i < values.length; i++) {
      const conv = this.convert[i];
      const field = L.source[i]!;
      if (!conv || field < 0) continue;
      const v = conv.parse(fields[field]!);
      if (v === undefined) {
        this.ctx.reject(line, conv.invalid, `${L.names[field]!.trim()} '${fields[field]!.slice(0, 60)}'`);
        return;
      }
      values[i] = v;
    }
    if (this.plan.extraIndex >= 0) {
      const extra: Record<string, string> = {};
      let any = false;
      for (const k of L.unknown) {
        if (fields[k] === '') continue;
        let name = L.names[k]!.trim();
        while (name in extra) name += "'"; // a repeated header name stays distinguishable
        extra[name] = fields[k]!;
        any = true;
      }
      values[this.plan.extraIndex] = any ? JSON.stringify(extra) : null;
    }
    const complete = this.plan.spec.complete;
    if (complete) {
      const cols = this.plan.columns;
      const row: Record<string, CsvValue> = {};
      for (let i = 2; i < values.length; i++) row[cols[i]!.name] = values[i]!;
      const refused = complete(row, { path: this.ctx.file, note: (m) => this.ctx.note(m), ...(this.ctx.hints ? { hints: this.ctx.hints } : {}) });
      if (refused !== undefined) {
        this.ctx.reject(line, 'malformed', refused);
        return;
      }
      for (let i = 2; i < values.length; i++) values[i] = row[cols[i]!.name] ?? null;
    }
    const out = this.out;
    out.begin(line);
    for (let i = 2; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) out.nul();
      else if (typeof v === 'number') out.int(v);
      else out.text(v);
    }
    out.end();
  }

  end(): void {
    this.rows.end();
  }

  state(): CsvState | null {
    return this.layout ? { names: [...this.layout.names], line: this.layout.line } : null;
  }

  pending(): { line: number; offset: number } | undefined {
    return this.rows.pending();
  }
}

function sniffer(plan: Plan): (sample: Sample) => Sniffed | undefined {
  const f = new Fields(MAX_FIELDS);
  const required = plan.columns.filter((_, i) => plan.declared[i]?.required).map((c) => c.name);
  return (sample) => {
    const lines = sample.lines[0]?.startsWith('#TYPE') ? sample.lines.slice(1) : sample.lines;
    const header = lines[0];
    if (header === undefined) return undefined;
    const names = fieldsOf(header, f, plan.sep);
    if (!Array.isArray(names) || names.length < 2) return undefined;
    const L = layoutOf(plan, names, 1);
    if (L.missing.length) return undefined;
    const known = names.length - L.unknown.length;
    if (known === 0) return undefined;
    const named = plan.spec.fileName?.test(sample.name) ? ' and its file name' : '';
    const what = `a CSV header with ${required.length ? `the ${required.join(', ')} columns` : 'known columns'} (${known} of ${names.length} known)${named}`;
    // most of the header known: sure; a few known among many others: a guess worth less than a
    // format that knows the whole header
    const confidence = Math.min(95, (known * 2 >= names.length ? 80 : 50) + (named ? 10 : 0));
    return { confidence, reason: what };
  };
}

/** a text Format from a declaration (see the top of this file) */
export function csvDataFormat(spec: CsvDataSpec): TextFormat {
  let plan: Plan | undefined;
  let sniff: ((sample: Sample) => Sniffed | undefined) | undefined;
  // compiled at first use: the table may be registered after the declaration is made
  const planned = () => (plan ??= compile(spec));
  return {
    name: spec.name,
    title: spec.title,
    tables: [spec.table],
    sniff: (sample) => (sniff ??= sniffer(planned()))(sample),
    parser: (ctx, state) => new CsvDataParser(planned(), ctx, state),
  };
}
