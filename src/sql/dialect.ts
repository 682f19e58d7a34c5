// What differs between the stores' SQL, and nothing else: a query is written once (capabilities/*/
// queries.ts) with these pieces, and each store's Dialect renders them. Kysely's dialects are the
// model: one compiler, each dialect overrides only what truly differs. Add a function here when a
// query needs one that the two stores spell differently; write it inline when they spell it alike.
//
// Both stores must run every rendering: DuckDB 1.x and ClickHouse from Debian's 18.16 to current
// releases (no CTEs with subqueries, limited joins, no FILTER on 18.16).
import { type Spelling, type Sql, type Value, backquote, join, node, quote, raw, sql } from './sql.js';

export interface Dialect extends Spelling {
  readonly name: 'duckdb' | 'clickhouse';

  // aggregates with a condition: FILTER (WHERE …) in DuckDB, the -If combinators in ClickHouse
  countIf(cond: Sql): Sql;
  sumIf(x: Sql, cond: Sql): Sql;
  minIf(x: Sql, cond: Sql): Sql;
  maxIf(x: Sql, cond: Sql): Sql;
  /** distinct non-NULL values of x where cond holds (exact) */
  uniqIf(x: Sql, cond: Sql): Sql;
  /** x of the row with the largest `by` where cond holds */
  argMaxIf(x: Sql, by: Sql, cond: Sql): Sql;

  /** x, a column that holds no NULL on the rows read (a format writes '' for an absent text): ClickHouse
   *  reads it as its non-Nullable type (the value under a NULL is the type's default, '' or 0), so group
   *  keys, IN sets and -If combinators need no NULL handling; DuckDB reads the column unchanged (a
   *  coalesce() there would cost a grouping ~10%: the column loses its dictionary encoding) */
  assumeNotNull(x: Sql): Sql;

  // numbers
  /** x as a 64-bit signed integer */
  toInt(x: Sql): Sql;
  /** text x as a 64-bit signed integer; 0 when it is not one (empty, not digits). Digits beyond the
   *  Int64 range differ: DuckDB gives 0, ClickHouse 18.16 wraps around */
  toIntOrZero(x: Sql): Sql;

  // times (UTC)
  /** strftime-style format (%Y-%m-%d %H:%M:%S; both stores read these the same) */
  formatTime(t: Sql, format: string): Sql;
  truncTime(unit: 'hour' | 'day', t: Sql): Sql;
  toDate(t: Sql): Sql;
  /** 0 Sunday … 6 Saturday */
  weekday(t: Sql): Sql;
  hour(t: Sql): Sql;
  /** a record time column with its milliseconds, for ordering ("the latest line"): DuckDB's TIMESTAMP
   *  holds them; ClickHouse keeps whole seconds in the DateTime column and the ms in `<column>_ms` */
  preciseTime(column: string): Sql;

  // text
  toText(x: Sql): Sql;
  lower(x: Sql): Sql;
  startsWith(x: Sql, prefix: Sql): Sql;
  endsWith(x: Sql, suffix: Sql): Sql;
  /** the parts of x between separators (an array) */
  split(x: Sql, separator: string): Sql;
  /** the elements of an array from the 1-based position `start` on */
  sliceFrom(array: Sql, start: number): Sql;
  /** the first capture group of the RE2 pattern in x; '' when it does not match. Write case
   *  folding as character classes ([cC]), not (?i): ClickHouse 18.16 misreads (?i) in extract() */
  extract(x: Sql, pattern: string): Sql;
  /** a FROM item: the rows of `from` (a table, already filtered by nothing), one per element of the
   *  array `array`, the element named `alias` */
  explode(from: Sql, array: Sql, alias: string): Sql;
  /** aggregate: the group's arrays concatenated into one (the rows in no particular order, each
   *  row's elements together and in order) */
  concatArrays(x: Sql): Sql;

  // time ranges
  /** rows whose timestamp column `column` is in the range (from inclusive, to exclusive; TRUE when
   *  neither is given). DuckDB: a TIMESTAMP with milliseconds, compared with the bound cast to one.
   *  ClickHouse: whole seconds in `column` (DateTime) and the milliseconds in `column`_ms (see
   *  store/clickhouse/tables.ts), so a bound with a fraction also compares the milliseconds; a bound
   *  that is not 'YYYY-MM-DD HH:MM:SS[.fff]' is refused (no value reaches the SQL unchecked). */
  inRange(range: TimeBounds, column?: string): Sql;
  // subqueries
  /** x IN (subquery); x may be a tuple (a, b). ClickHouse: GLOBAL IN, so that in cluster mode the
   *  subquery over a Distributed table runs once, on the initiator, and its set goes to the shards */
  inSubquery(x: Sql, subquery: Sql): Sql;
  /** every bit of `mask` is set in x (false when x is NULL): & in DuckDB, bitAnd() in ClickHouse */
  hasBits(x: Sql, mask: number): Sql;
}

/** a UTC time range as the reports give it: 'YYYY-MM-DD HH:MM:SS' strings (store/types.ts TimeRange) */
export interface TimeBounds {
  readonly from?: string;
  readonly to?: string;
}

function dq(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** DuckDB string literal (standard SQL: a quote doubled, no backslash escapes) */
function duckLiteral(v: Value | readonly Value[]): string {
  if (v === null) return 'NULL';
  switch (typeof v) {
    case 'string':
      if (v.includes('\0')) throw new TypeError('cannot write a DuckDB literal holding NUL');
      return "'" + v.replace(/'/g, "''") + "'";
    case 'number':
      if (!Number.isFinite(v)) return Number.isNaN(v) ? "'nan'::DOUBLE" : v > 0 ? "'inf'::DOUBLE" : "'-inf'::DOUBLE";
      return v < 0 ? `(${v})` : String(v);
    case 'bigint':
      return v < 0n ? `(${v})` : String(v);
    case 'boolean':
      return v ? 'TRUE' : 'FALSE';
    case 'object':
      if (v instanceof Date) return `TIMESTAMP '${v.toISOString().replace('T', ' ').replace('Z', '')}'`;
      if (Array.isArray(v)) return '[' + v.map((x) => duckLiteral(x as Value)).join(', ') + ']';
  }
  throw new TypeError(`cannot write a value of type ${typeof v}`);
}

export const duckdb: Dialect = {
  name: 'duckdb',
  bind: true,
  literal: duckLiteral,
  ident: (parts) => parts.map(dq).join('.'),
  countIf: (c) => sql`count(*) FILTER (WHERE ${c})`,
  sumIf: (x, c) => sql`sum(${x}) FILTER (WHERE ${c})`,
  minIf: (x, c) => sql`min(${x}) FILTER (WHERE ${c})`,
  maxIf: (x, c) => sql`max(${x}) FILTER (WHERE ${c})`,
  uniqIf: (x, c) => sql`count(DISTINCT ${x}) FILTER (WHERE ${c})`,
  argMaxIf: (x, by, c) => sql`arg_max(${x}, ${by}) FILTER (WHERE ${c})`,
  assumeNotNull: (x) => x,
  toInt: (x) => sql`CAST(${x} AS BIGINT)`,
  toIntOrZero: (x) => sql`coalesce(TRY_CAST(${x} AS BIGINT), 0)`,
  formatTime: (t, f) => sql`strftime(${t}, ${raw(duckLiteral(f))})`,
  truncTime: (unit, t) => sql`date_trunc(${raw(`'${unit}'`)}, ${t})`,
  toDate: (t) => sql`CAST(${t} AS DATE)`,
  weekday: (t) => sql`dayofweek(${t})`,
  hour: (t) => sql`hour(${t})`,
  preciseTime: (column) => raw(dq(column)),
  toText: (x) => sql`CAST(${x} AS VARCHAR)`,
  lower: (x) => sql`lower(${x})`,
  startsWith: (x, p) => sql`starts_with(${x}, ${p})`,
  endsWith: (x, s) => sql`ends_with(${x}, ${s})`,
  split: (x, sep) => sql`string_split(${x}, ${raw(duckLiteral(sep))})`,
  sliceFrom: (array, start) => sql`(${array})[${raw(String(Math.trunc(start)))}:]`,
  extract: (x, pattern) => sql`regexp_extract(${x}, ${raw(duckLiteral(pattern))}, 1)`,
  explode: (from, array, alias) => sql`(SELECT *, unnest(${array}) AS ${raw(dq(alias))} FROM ${from})`,
  concatArrays: (x) => sql`flatten(list(${x}))`,
  inRange: (r, column = 'ts') => {
    const parts: Sql[] = [];
    if (r.from) parts.push(sql`${raw(dq(column))} >= CAST(${r.from} AS TIMESTAMP)`);
    if (r.to) parts.push(sql`${raw(dq(column))} < CAST(${r.to} AS TIMESTAMP)`);
    return parts.length ? join(parts, ' AND ') : raw('TRUE');
  },
  inSubquery: (x, subquery) => sql`${x} IN (${subquery})`,
  hasBits: (x, mask) => sql`(${x} & ${raw(bitMask(mask))}) = ${raw(bitMask(mask))}`,
};

/** a bit mask as SQL text: a constant written by the programmer, checked (never a bound value, so
 *  that the store's planner sees a constant) */
function bitMask(mask: number): string {
  if (!Number.isSafeInteger(mask) || mask <= 0) throw new TypeError(`a bit mask must be a positive whole number, got ${mask}`);
  return String(mask);
}

const WHEN = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d{1,3})\d*)?$/;

/** one bound of a range on ClickHouse: whole seconds compare on the DateTime column, a fraction also
 *  on its milliseconds column */
function clickhouseBound(value: string, side: 'from' | 'to', column: string): Sql {
  const m = WHEN.exec(value);
  if (!m) throw new TypeError(`time range ${side}: expected 'YYYY-MM-DD HH:MM:SS', got ${JSON.stringify(value)}`);
  const at = sql`toDateTime(${m[1]!}, 'UTC')`;
  const ms = m[2] ? Number(m[2].padEnd(3, '0')) : 0;
  const ts = raw(backquote([column])),
    tsMs = raw(backquote([`${column}_ms`]));
  if (side === 'from') return ms === 0 ? sql`${ts} >= ${at}` : sql`(${ts} > ${at} OR (${ts} = ${at} AND ${tsMs} >= ${ms}))`;
  return ms === 0 ? sql`${ts} < ${at}` : sql`(${ts} < ${at} OR (${ts} = ${at} AND ${tsMs} < ${ms}))`;
}

export const clickhouse: Dialect = {
  name: 'clickhouse',
  bind: false,
  literal: quote,
  ident: backquote,
  countIf: (c) => sql`countIf(${c})`,
  sumIf: (x, c) => sql`sumIf(${x}, ${c})`,
  minIf: (x, c) => sql`minIf(${x}, ${c})`,
  maxIf: (x, c) => sql`maxIf(${x}, ${c})`,
  uniqIf: (x, c) => sql`uniqExactIf(${x}, ${c})`,
  argMaxIf: (x, by, c) => sql`argMaxIf(${x}, ${by}, ${c})`,
  assumeNotNull: (x) => sql`assumeNotNull(${x})`,
  toInt: (x) => sql`toInt64(${x})`,
  toIntOrZero: (x) => sql`toInt64OrZero(${x})`,
  formatTime: (t, f) => sql`formatDateTime(${t}, ${raw(quote(f))}, 'UTC')`,
  truncTime: (unit, t) => (unit === 'hour' ? sql`toStartOfHour(${t})` : sql`toStartOfDay(${t})`),
  toDate: (t) => sql`toDate(${t})`,
  weekday: (t) => sql`(toDayOfWeek(${t}) % 7)`,
  hour: (t) => sql`toHour(${t})`,
  preciseTime: (column) => sql`(toUInt64(${raw(backquote([column]))}) * 1000 + ${raw(backquote([`${column}_ms`]))})`,
  toText: (x) => sql`toString(${x})`,
  lower: (x) => sql`lowerUTF8(${x})`,
  startsWith: (x, p) => sql`startsWith(${x}, ${p})`,
  endsWith: (x, s) => sql`endsWith(${x}, ${s})`,
  split: (x, sep) => sql`splitByString(${raw(quote(sep))}, ${x})`,
  sliceFrom: (array, start) => sql`arraySlice(${array}, ${raw(String(Math.trunc(start)))})`,
  extract: (x, pattern) => sql`extract(${x}, ${raw(quote(pattern))})`,
  explode: (from, array, alias) => sql`${from} ARRAY JOIN ${array} AS ${raw(backquote([alias]))}`,
  // the -Array combinator (groupArray over each array's elements): ClickHouse 18.16 has no arrayFlatten
  concatArrays: (x) => sql`groupArrayArray(${x})`,
  inRange: (r, column = 'ts') => {
    const parts: Sql[] = [];
    if (r.from) parts.push(clickhouseBound(r.from, 'from', column));
    if (r.to) parts.push(clickhouseBound(r.to, 'to', column));
    return parts.length ? join(parts, ' AND ') : raw('1');
  },
  inSubquery: (x, subquery) => sql`${x} GLOBAL IN (${subquery})`,
  hasBits: (x, mask) => sql`bitAnd(${x}, ${raw(bitMask(mask))}) = ${raw(bitMask(mask))}`,
};

/** a piece rendered by the dialect of the store that runs the statement */
export function fn(render: (d: Dialect) => Sql): Sql {
  // every store's Target carries a whole Dialect (store/*/store.ts); compile() needs only its Spelling
  return node((t) => render(t.dialect as unknown as Dialect));
}

/** the table a record kind is read from, and the condition its rows must meet to count */
export function table(kind: string): Sql {
  return node((t) => t.table(kind));
}
export function live(kind: string): Sql {
  return node((t) => t.live(kind));
}

/** Shorthands used by the queries: d.countIf(...) without naming the dialect at each use. Each
 *  builds a node, so a query stays one value until a store compiles it. */
export const f = {
  countIf: (c: Sql) => fn((d) => d.countIf(c)),
  sumIf: (x: Sql, c: Sql) => fn((d) => d.sumIf(x, c)),
  minIf: (x: Sql, c: Sql) => fn((d) => d.minIf(x, c)),
  maxIf: (x: Sql, c: Sql) => fn((d) => d.maxIf(x, c)),
  uniqIf: (x: Sql, c: Sql) => fn((d) => d.uniqIf(x, c)),
  argMaxIf: (x: Sql, by: Sql, c: Sql) => fn((d) => d.argMaxIf(x, by, c)),
  assumeNotNull: (x: Sql) => fn((d) => d.assumeNotNull(x)),
  toInt: (x: Sql) => fn((d) => d.toInt(x)),
  toIntOrZero: (x: Sql) => fn((d) => d.toIntOrZero(x)),
  formatTime: (t: Sql, format: string) => fn((d) => d.formatTime(t, format)),
  truncTime: (unit: 'hour' | 'day', t: Sql) => fn((d) => d.truncTime(unit, t)),
  toDate: (t: Sql) => fn((d) => d.toDate(t)),
  weekday: (t: Sql) => fn((d) => d.weekday(t)),
  hour: (t: Sql) => fn((d) => d.hour(t)),
  preciseTime: (column: string) => fn((d) => d.preciseTime(column)),
  toText: (x: Sql) => fn((d) => d.toText(x)),
  lower: (x: Sql) => fn((d) => d.lower(x)),
  startsWith: (x: Sql, p: Sql) => fn((d) => d.startsWith(x, p)),
  endsWith: (x: Sql, s: Sql) => fn((d) => d.endsWith(x, s)),
  split: (x: Sql, sep: string) => fn((d) => d.split(x, sep)),
  sliceFrom: (array: Sql, start: number) => fn((d) => d.sliceFrom(array, start)),
  extract: (x: Sql, pattern: string) => fn((d) => d.extract(x, pattern)),
  explode: (from: Sql, array: Sql, alias: string) => fn((d) => d.explode(from, array, alias)),
  concatArrays: (x: Sql) => fn((d) => d.concatArrays(x)),
  inRange: (range: TimeBounds, column?: string) => fn((d) => d.inRange(range, column)),
  inSubquery: (x: Sql, subquery: Sql) => fn((d) => d.inSubquery(x, subquery)),
  hasBits: (x: Sql, mask: number) => fn((d) => d.hasBits(x, mask)),
};
