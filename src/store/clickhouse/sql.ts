// The one place where values become ClickHouse SQL text. ClickHouse 18.16 (Debian's) has no query
// parameters, so every value is escaped here and nowhere else: callers build statements with the
// `sql` tagged template, which quotes each interpolation, and name tables and columns with ident().
//
//   sql`SELECT count() FROM ${ident('tracking_events')} WHERE sender = ${address} AND ts >= ${since}`
//
// Literals follow ClickHouse's rules, the same in 18.16 and current releases:
//   - strings in single quotes; backslash and quote escaped with a backslash; NUL, control
//     characters, CR/LF/TAB written as escapes (\0 \n \xHH …) so the SQL text is plain printable
//     UTF-8 whatever the value holds;
//   - identifiers in backquotes, backslash and backquote escaped with a backslash;
//   - numbers as decimal text (negative ones in parentheses, so `a - ${-1}` stays `a - (-1)`),
//     nan/inf for the IEEE specials, bigint verbatim;
//   - Date as toDateTime('YYYY-MM-DD HH:MM:SS', 'UTC') — whole seconds: DateTime in 18.16 has no
//     fraction (see http.ts for how millisecond timestamps are stored);
//   - null as NULL, booleans as 1/0 (18.16 has no Bool), arrays as [a, b, …] (an Array value; for
//     `x IN (…)` use list(), since 18.16 rejects `x IN [a, b]`).

/** A piece of SQL text that is already safe: built only by `sql`, ident() and join(). */
export class Sql {
  /** @internal use sql``, ident() or join() */
  constructor(readonly text: string) {}
  toString(): string { return this.text; }
}

export type Value = string | number | bigint | boolean | null | Date;
export type Interpolation = Value | readonly Value[] | Sql;

/** with the u flag a valid pair is one code point, so this matches only unpaired halves */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const CONTROL = /[\x00-\x1f\x7f\\']/g;
const NAMED: Record<string, string> = {
  '\\': '\\\\', "'": "\\'", '\0': '\\0', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f',
};

function escapeString(s: string): string {
  // A lone UTF-16 surrogate cannot be sent as UTF-8: it would silently become U+FFFD.
  if (LONE_SURROGATE.test(s)) throw new TypeError('cannot quote a string holding a lone UTF-16 surrogate (not valid Unicode)');
  return "'" + s.replace(CONTROL, (c) => NAMED[c] ?? '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')) + "'";
}

function pad(n: number, w = 2): string { return String(n).padStart(w, '0'); }

/** 'YYYY-MM-DD HH:MM:SS' in UTC (whole seconds, the fraction is dropped) */
export function dateTimeText(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new TypeError('cannot quote an invalid Date');
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** a value as a ClickHouse SQL literal */
export function quote(value: Value | readonly Value[]): string {
  if (value === null) return 'NULL';
  switch (typeof value) {
    case 'string': return escapeString(value);
    case 'number':
      if (Number.isNaN(value)) return 'nan';
      if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
      return value < 0 || Object.is(value, -0) ? `(${value === 0 ? '-0.' : String(value)})` : String(value);
    case 'bigint': return value < 0n ? `(${value})` : String(value);
    case 'boolean': return value ? '1' : '0';
    case 'object':
      if (value instanceof Date) return `toDateTime('${dateTimeText(value)}', 'UTC')`;
      if (Array.isArray(value)) return '[' + value.map((v) => quote(v as Value)).join(', ') + ']';
      break;
  }
  throw new TypeError(`cannot quote a value of type ${value === undefined ? 'undefined' : typeof value}`);
}

/** a backquoted identifier; several parts make a qualified name: ident('db', 'table') -> `db`.`table` */
export function ident(...parts: string[]): Sql {
  if (parts.length === 0) throw new TypeError('ident() needs a name');
  return new Sql(parts.map((name) => {
    if (typeof name !== 'string' || name === '') throw new TypeError('an identifier must be a non-empty string');
    if (LONE_SURROGATE.test(name) || name.includes('\0')) throw new TypeError(`identifier ${JSON.stringify(name)} is not valid`);
    return '`' + name.replace(/[\\`]/g, (c) => '\\' + c) + '`';
  }).join('.'));
}

/** the tagged template: every interpolation is quoted, except Sql pieces (ident(), nested sql``, join()) */
export function sql(strings: TemplateStringsArray, ...values: Interpolation[]): Sql {
  let text = strings[0]!;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    text += (v instanceof Sql ? v.text : quote(v)) + strings[i + 1]!;
  }
  return new Sql(text);
}

/** a parenthesised list of values for IN: sql`user IN ${list(names)}` -> user IN ('a', 'b') */
export function list(values: readonly Value[]): Sql {
  if (values.length === 0) throw new TypeError('an IN list needs at least one value (test for the empty case before building the query)');
  return new Sql('(' + values.map((v) => quote(v)).join(', ') + ')');
}

/** Sql pieces joined by a separator (which is SQL text written by the programmer, not a value) */
export function join(parts: readonly Sql[], separator = ', '): Sql {
  return new Sql(parts.map((p) => p.text).join(separator));
}

/** the text of a statement given as Sql or as a constant string written by the programmer */
export function sqlText(statement: Sql | string): string {
  return typeof statement === 'string' ? statement : statement.text;
}
