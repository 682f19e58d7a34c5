// The one SQL layer of mxray: statements are written once, with the `sql` tagged template, and
// compiled for the store that runs them. Values are never interpolated by callers: every value
// interpolated into sql`` stays a value until compile(), which binds it (DuckDB: $1, $2 …) or writes
// it as a literal (ClickHouse 18.16 has no query parameters) — here and nowhere else. What truly
// differs between the stores (function names, FILTER vs -If combinators, time functions, arrays,
// which table a record kind is read from) is a node that the store's Dialect renders (./dialect.ts).
//
//   sql`SELECT count() FROM ${ident('tracking_events')} WHERE sender = ${address} AND ts >= ${since}`
//
// ClickHouse literals follow ClickHouse's rules, the same in 18.16 and current releases:
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

export type Value = string | number | bigint | boolean | null | Date;
export type Interpolation = Value | readonly Value[] | Sql;

/** what compile() needs of a store's dialect (./dialect.ts Dialect extends it): how values and
 *  names are written. The rest of a dialect is reached by nodes (dialect.ts fn()). */
export interface Spelling {
  /** true: values are bound as $1, $2 … (DuckDB); false: written as literals (ClickHouse 18.16) */
  readonly bind: boolean;
  literal(v: Value | readonly Value[]): string;
  ident(parts: readonly string[]): string;
}

/** what a store gives compile(): its dialect, and where a record kind is read */
export interface Target {
  readonly dialect: Spelling;
  /** the table to read a record kind from (ClickHouse in cluster mode: the Distributed table) */
  table(kind: string): Sql;
  /** the condition a row of that table must meet to count (ClickHouse: its batch is live; DuckDB: TRUE) */
  live(kind: string): Sql;
}

/** a piece whose text depends on the store: rendered at compile() */
export type Node = (t: Target) => Sql;

type Chunk = string | { readonly value: Value | readonly Value[] } | { readonly list: readonly Value[] } | { readonly node: Node; readonly plain?: string };

/** A piece of SQL: text written by the programmer, values (bound or quoted at compile()), and store
 *  dependent nodes. Built only by `sql`, ident(), join(), list(), raw() and node(). */
export class Sql {
  /** @internal use sql``, ident(), join(), list() or node() */
  constructor(readonly chunks: readonly Chunk[]) {}
  /** the statement with values as ClickHouse literals: what the ClickHouse client sends for its own
   *  statements (DDL, ingest state). A statement with store-dependent nodes needs compile(). */
  get text(): string {
    let out = '';
    for (const c of this.chunks) {
      if (typeof c === 'string') out += c;
      else if ('value' in c) out += quote(c.value);
      else if ('list' in c) out += '(' + c.list.map((v) => quote(v)).join(', ') + ')';
      else if (c.plain !== undefined) out += c.plain;
      else throw new TypeError('this statement has store-dependent parts: compile() it for a store');
    }
    return out;
  }
  toString(): string {
    return this.text;
  }
}

/** with the u flag a valid pair is one code point, so this matches only unpaired halves */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const CONTROL = /[\x00-\x1f\x7f\\']/g;
const NAMED: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function escapeString(s: string): string {
  // A lone UTF-16 surrogate cannot be sent as UTF-8: it would silently become U+FFFD.
  if (LONE_SURROGATE.test(s)) throw new TypeError('cannot quote a string holding a lone UTF-16 surrogate (not valid Unicode)');
  return "'" + s.replace(CONTROL, (c) => NAMED[c] ?? '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')) + "'";
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** 'YYYY-MM-DD HH:MM:SS' in UTC (whole seconds, the fraction is dropped) */
export function dateTimeText(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new TypeError('cannot quote an invalid Date');
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** a value as a ClickHouse SQL literal */
export function quote(value: Value | readonly Value[]): string {
  if (value === null) return 'NULL';
  switch (typeof value) {
    case 'string':
      return escapeString(value);
    case 'number':
      if (Number.isNaN(value)) return 'nan';
      if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
      return value < 0 || Object.is(value, -0) ? `(${value === 0 ? '-0.' : String(value)})` : String(value);
    case 'bigint':
      return value < 0n ? `(${value})` : String(value);
    case 'boolean':
      return value ? '1' : '0';
    case 'object':
      if (value instanceof Date) return `toDateTime('${dateTimeText(value)}', 'UTC')`;
      if (Array.isArray(value)) return '[' + value.map((v) => quote(v as Value)).join(', ') + ']';
      break;
  }
  throw new TypeError(`cannot quote a value of type ${value === undefined ? 'undefined' : typeof value}`);
}

/** a quoted identifier; several parts make a qualified name: ident('db', 'table') -> `db`.`table`
 *  (ClickHouse's backquotes; DuckDB's dialect writes "db"."table") */
export function ident(...parts: string[]): Sql {
  if (parts.length === 0) throw new TypeError('ident() needs a name');
  for (const name of parts) {
    if (typeof name !== 'string' || name === '') throw new TypeError('an identifier must be a non-empty string');
    if (LONE_SURROGATE.test(name) || name.includes('\0')) throw new TypeError(`identifier ${JSON.stringify(name)} is not valid`);
  }
  return node((t) => raw(t.dialect.ident(parts)), backquote(parts));
}

/** ClickHouse's quoting of a (qualified) name: backquotes, backslash and backquote escaped */
export function backquote(parts: readonly string[]): string {
  return parts.map((name) => '`' + name.replace(/[\\`]/g, (c) => '\\' + c) + '`').join('.');
}

/** SQL text written by the programmer, never a value */
export function raw(text: string): Sql {
  return new Sql([text]);
}

/** a store-dependent piece (see Target, Dialect). `plain`: its text where no store is named (the
 *  ClickHouse client's own statements read .text) */
export function node(render: Node, plain?: string): Sql {
  return new Sql([plain === undefined ? { node: render } : { node: render, plain }]);
}

/** the tagged template: every interpolation is a value, except Sql pieces (ident(), nested sql``, join()) */
export function sql(strings: TemplateStringsArray, ...values: Interpolation[]): Sql {
  const chunks: Chunk[] = [strings[0]!];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v instanceof Sql) chunks.push(...v.chunks);
    else chunks.push({ value: v });
    chunks.push(strings[i + 1]!);
  }
  return new Sql(chunks.filter((c) => c !== ''));
}

/** a parenthesised list of values for IN: sql`user IN ${list(names)}` -> user IN ('a', 'b') */
export function list(values: readonly Value[]): Sql {
  if (values.length === 0) throw new TypeError('an IN list needs at least one value (test for the empty case before building the query)');
  return new Sql([{ list: [...values] }]);
}

/** Sql pieces joined by a separator (which is SQL text written by the programmer, not a value) */
export function join(parts: readonly Sql[], separator = ', '): Sql {
  const chunks: Chunk[] = [];
  parts.forEach((p, i) => {
    if (i > 0) chunks.push(separator);
    chunks.push(...p.chunks);
  });
  return new Sql(chunks);
}

/** the text of a statement given as Sql or as a constant string written by the programmer, with
 *  values as ClickHouse literals (the ClickHouse client) */
export function sqlText(statement: Sql | string): string {
  return typeof statement === 'string' ? statement : statement.text;
}

/** a statement ready for one store: its text and the values it binds, in order ($1 …) */
export interface Compiled {
  readonly text: string;
  readonly params: Value[];
}

/** render every node for the target; values are bound when the dialect binds (DuckDB), else written
 *  as literals by the dialect (ClickHouse) */
export function compile(statement: Sql, target: Target): Compiled {
  const params: Value[] = [];
  const d = target.dialect;
  let text = '';
  const value = (v: Value | readonly Value[]): string => {
    if (d.bind && !Array.isArray(v)) {
      params.push(v as Value);
      return `$${params.length}`;
    }
    return d.literal(v);
  };
  const walk = (s: Sql, depth: number): void => {
    if (depth > 64) throw new Error('SQL nodes nested more than 64 deep');
    for (const c of s.chunks) {
      if (typeof c === 'string') text += c;
      else if ('value' in c) text += value(c.value);
      else if ('list' in c) text += '(' + c.list.map((v) => value(v)).join(', ') + ')';
      else walk(c.node(target), depth + 1);
    }
  };
  walk(statement, 0);
  return { text, params };
}
