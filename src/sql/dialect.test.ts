// Every dialect function of sql/dialect.ts, run on a real DuckDB and a real ClickHouse over the same
// rows, against values worked out by hand: a query written once must mean the same on both stores.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { DuckdbStore } from '../store/duckdb/store.js';
import type { Store } from '../store/types.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../testing/clickhouse.js';
import { openClickhouse } from '../store/clickhouse/open.js';
import { f } from './dialect.js';
import { ident, join, list, raw, sql, type Sql } from './sql.js';

// five rows: (k, n, t, s) — t at UTC times; s a ;-separated list
const rows = [
  [1, 10, '2024-03-03 23:59:59', 'a;b'],
  [1, 20, '2024-03-04 00:00:00', ''],
  [2, 5, '2024-03-04 10:30:00', 'c'],
  [2, 5, '2024-03-04 10:45:00', "it's;\\x"],
  [3, 7, '2024-03-09 08:00:00', 'a'],
] as const;

/** the rows as a derived table, the same SQL on both stores */
function data(d: 'duckdb' | 'clickhouse'): Sql {
  const ts = (t: string) => (d === 'duckdb' ? sql`CAST(${t} AS TIMESTAMP)` : sql`toDateTime(${t}, 'UTC')`);
  const parts = rows.map(([k, n, t, s]) => sql`SELECT ${k} AS k, ${n} AS n, ${ts(t)} AS t, ${s} AS s`);
  return sql`(${raw('')}${parts.reduce((a, b) => sql`${a} UNION ALL ${b}`)})`;
}

// four instants that only their milliseconds tell apart: (id, t, name) — ClickHouse keeps the ms in
// t_ms; name is a Nullable text column there (as every stored text column), with no NULL in it
const instants = [
  [1, '2024-03-04 10:00:00', 900, 'b'],
  [2, '2024-03-04 10:00:01', 100, 'a'],
  [3, '2024-03-04 10:00:01', 50, 'b'],
  [4, '2024-03-04 10:00:00', 0, ''],
] as const;

/** the instants as a derived table: DuckDB's TIMESTAMP with ms, ClickHouse's DateTime + t_ms */
function timed(d: 'duckdb' | 'clickhouse'): Sql {
  const parts = instants.map(([id, t, ms, name]) =>
    d === 'duckdb'
      ? sql`SELECT ${id} AS id, CAST(${`${t}.${String(ms).padStart(3, '0')}`} AS TIMESTAMP) AS t, ${name} AS name`
      : sql`SELECT ${id} AS id, toDateTime(${t}, 'UTC') AS t, toUInt16(${ms}) AS t_ms, toNullable(${name}) AS name`,
  );
  return sql`(${raw('')}${parts.reduce((a, b) => sql`${a} UNION ALL ${b}`)})`;
}

/** the ids of the instants where cond holds, in order */
const idsWhere = (ms: Sql, cond: Sql) => sql`SELECT id FROM ${ms} r WHERE ${cond} ORDER BY id`;

/** each check: a select list over the rows (x) or the instants (ms), and the answer worked out by hand */
const checks: { name: string; select: (x: Sql, ms: Sql) => Sql; expect: unknown }[] = [
  {
    name: 'countIf / sumIf / minIf / maxIf',
    expect: [{ c: 2, s: 10, lo: 5, hi: 5 }],
    select: (x) =>
      sql`SELECT ${f.countIf(sql`k = 2`)} AS c, ${f.sumIf(sql`n`, sql`k = 2`)} AS s, ${f.minIf(sql`n`, sql`k >= 2`)} AS lo, ${f.maxIf(sql`n`, sql`k = 2`)} AS hi FROM ${x} r`,
  },
  { name: 'uniqIf', expect: [{ u: 2 }], select: (x) => sql`SELECT ${f.uniqIf(sql`n`, sql`k >= 2`)} AS u FROM ${x} r` },
  { name: 'argMaxIf', expect: [{ latest: "it's;\\x" }], select: (x) => sql`SELECT ${f.argMaxIf(sql`s`, sql`t`, sql`k = 2`)} AS latest FROM ${x} r` },
  {
    name: 'formatTime / truncTime / toDate',
    expect: [{ h: '2024-03-04T10', d: '2024-03-04', day: '2024-03-04' }],
    select: (x) => sql`SELECT ${f.formatTime(f.truncTime('hour', sql`t`), '%Y-%m-%dT%H')} AS h, ${f.formatTime(f.truncTime('day', sql`t`), '%Y-%m-%d')} AS d,
      ${f.toText(f.toDate(sql`t`))} AS day FROM ${x} r WHERE n = 5 AND s = 'c'`,
  },
  {
    name: 'weekday (0 Sunday) and hour',
    expect: [
      { w: 0, h: 23 },
      { w: 1, h: 0 },
      { w: 6, h: 8 },
    ],
    select: (x) => sql`SELECT ${f.weekday(sql`t`)} AS w, ${f.hour(sql`t`)} AS h FROM ${x} r WHERE k <> 2 ORDER BY t`,
  },
  {
    name: 'lower / startsWith / endsWith / toText',
    expect: [{ a: 'abc', b: 1, c: 1, d: '42' }],
    select: () =>
      sql`SELECT ${f.lower(sql`${'AbC'}`)} AS a, CAST(${f.startsWith(sql`${'abc'}`, sql`${'ab'}`)} AS INT) AS b, CAST(${f.endsWith(sql`${'abc'}`, sql`${'bc'}`)} AS INT) AS c, ${f.toText(sql`42`)} AS d`,
  },
  {
    name: 'explode over split',
    expect: [
      { e: '', n: 1 },
      { e: '\\x', n: 1 },
      { e: 'a', n: 2 },
      { e: 'b', n: 1 },
      { e: 'c', n: 1 },
      { e: "it's", n: 1 },
    ],
    select: (x) => sql`SELECT e, count(*) AS n FROM ${f.explode(x, f.split(sql`s`, ';'), 'e')} GROUP BY e ORDER BY e`,
  },
  {
    name: 'values bound or quoted: IN lists, hostile text',
    expect: [{ n: 2 }],
    select: (x) => sql`SELECT count(*) AS n FROM ${x} r WHERE s IN ${list(["it's;\\x", 'c', "'; DROP TABLE x; --"])}`,
  },
  { name: 'identifiers', expect: [{ 'odd "name`': 1 }], select: () => sql`SELECT 1 AS ${ident('odd "name`')}` },
  {
    name: 'assumeNotNull: a Nullable text column as group key and IN operand',
    expect: [
      { v: '', c: 1 },
      { v: 'a', c: 1 },
      { v: 'b', c: 2 },
    ],
    select: (_, ms) => sql`SELECT ${f.assumeNotNull(sql`name`)} AS v, count(*) AS c FROM ${ms} r
      WHERE ${f.assumeNotNull(sql`name`)} IN ${list(['', 'a', 'b'])} GROUP BY v ORDER BY v`,
  },
  {
    name: 'toInt / toIntOrZero',
    expect: [{ s: 10, a: 12, b: 0, c: 0, d: -7 }],
    select: (x) => sql`SELECT ${f.toInt(f.sumIf(sql`n`, sql`k = 2`))} AS s, ${f.toIntOrZero(sql`${'12'}`)} AS a, ${f.toIntOrZero(sql`${''}`)} AS b,
      ${f.toIntOrZero(sql`${'x1'}`)} AS c, ${f.toIntOrZero(sql`${'-7'}`)} AS d FROM ${x} r`,
  },
  {
    name: "extract: the first group, '' without a match",
    expect: [{ a: '12', b: '3', c: '' }],
    select: () => sql`SELECT ${f.extract(sql`${'V141_Cli:12a3c_Srv:0a1c'}`, '[cC][lL][iI]:(\\d+)[aA]')} AS a,
      ${f.extract(sql`${'V141_Cli:12a3c_Srv:0a1c'}`, '[cC][lL][iI]:\\d+[aA](\\d+)[cC]')} AS b, ${f.extract(sql`${'V141_Srv:0a1c'}`, '[cC][lL][iI]:(\\d+)')} AS c`,
  },
  {
    name: 'sliceFrom: the elements from the second on',
    expect: [
      { e: '\\x', n: 1 },
      { e: 'b', n: 1 },
    ],
    select: (x) => sql`SELECT e, count(*) AS n FROM ${f.explode(x, f.sliceFrom(f.split(sql`s`, ';'), 2), 'e')} GROUP BY e ORDER BY e`,
  },
  {
    name: 'inSubquery: a tuple in the rows of a subquery',
    expect: [{ c: 3 }],
    select: (x) => sql`SELECT count(*) AS c FROM ${x} r WHERE ${f.inSubquery(sql`(k, n)`, sql`SELECT 2 AS a, 5 AS b UNION ALL SELECT 3 AS a, 7 AS b`)}`,
  },
  {
    name: 'preciseTime: the latest by milliseconds within a second',
    expect: [{ latest: 2 }],
    select: (_, ms) => sql`SELECT ${f.argMaxIf(sql`id`, f.preciseTime('t'), sql`1 = 1`)} AS latest FROM ${ms} r`,
  },
  {
    name: 'preciseTime: ordering',
    expect: [{ id: 4 }, { id: 1 }, { id: 3 }, { id: 2 }],
    select: (_, ms) => sql`SELECT id FROM ${ms} r ORDER BY ${f.preciseTime('t')}`,
  },
  { name: 'inRange from: whole seconds', expect: [{ id: 2 }, { id: 3 }], select: (_, ms) => idsWhere(ms, f.inRange({ from: '2024-03-04 10:00:01' }, 't')) },
  { name: 'inRange from: with milliseconds', expect: [{ id: 2 }], select: (_, ms) => idsWhere(ms, f.inRange({ from: '2024-03-04 10:00:01.06' }, 't')) },
  {
    name: 'inRange from: a tenth of a second',
    expect: [{ id: 1 }, { id: 2 }, { id: 3 }],
    select: (_, ms) => idsWhere(ms, f.inRange({ from: '2024-03-04 10:00:00.9' }, 't')),
  },
  { name: 'inRange to: whole seconds', expect: [{ id: 1 }, { id: 4 }], select: (_, ms) => idsWhere(ms, f.inRange({ to: '2024-03-04 10:00:01' }, 't')) },
  {
    name: 'inRange to: with milliseconds',
    expect: [{ id: 1 }, { id: 3 }, { id: 4 }],
    select: (_, ms) => idsWhere(ms, f.inRange({ to: '2024-03-04 10:00:01.075' }, 't')),
  },
];

// time ranges: five rows whose times straddle the bounds below by a millisecond; each row's bit
// (1, 2, 4, 8, 16) is summed over the rows a range selects, so the sum names exactly those rows
const times = [
  [1, '2024-03-03 23:59:59', 999],
  [2, '2024-03-04 00:00:00', 0],
  [4, '2024-03-04 10:00:00', 123],
  [8, '2024-03-04 10:00:00', 124],
  [16, '2024-03-05 00:00:00', 0],
] as const;

/** the rows as each store keeps a timestamp: DuckDB one TIMESTAMP with milliseconds, ClickHouse a
 *  DateTime `ts` and its milliseconds `ts_ms` (store/clickhouse/tables.ts) */
function timeData(d: 'duckdb' | 'clickhouse'): Sql {
  const parts = times.map(([bit, t, ms]) =>
    d === 'duckdb'
      ? sql`SELECT ${bit} AS bit, CAST(${`${t}.${String(ms).padStart(3, '0')}`} AS TIMESTAMP) AS ts`
      : sql`SELECT ${bit} AS bit, toDateTime(${t}, 'UTC') AS ts, toUInt16(${ms}) AS ts_ms`,
  );
  return sql`(${raw('')}${parts.reduce((a, b) => sql`${a} UNION ALL ${b}`)})`;
}

/** each range and the rows it selects, worked out by hand (from inclusive, to exclusive) */
const ranges: { range: { from?: string; to?: string }; rows: number }[] = [
  { range: {}, rows: 1 + 2 + 4 + 8 + 16 },
  { range: { from: '2024-03-04 00:00:00' }, rows: 2 + 4 + 8 + 16 },
  { range: { to: '2024-03-04 00:00:00' }, rows: 1 },
  { range: { from: '2024-03-03 23:59:59.999', to: '2024-03-04 00:00:00' }, rows: 1 },
  { range: { from: '2024-03-04 10:00:00.124' }, rows: 8 + 16 },
  { range: { from: '2024-03-04 10:00:00.123', to: '2024-03-04 10:00:00.124' }, rows: 4 },
  { range: { from: '2024-03-04 10:00:00.1', to: '2024-03-04 10:00:00.5' }, rows: 4 + 8 },
  { range: { from: '2024-03-04 00:00:00', to: '2024-03-05 00:00:00' }, rows: 2 + 4 + 8 },
];

/** ClickHouse gives UInt64 as numbers too (the store's int64 mode); booleans as 0/1 */
function runChecks(open: () => Promise<Store>): void {
  let store: Store;
  before(async () => {
    store = await open();
  });
  after(async () => {
    await store?.close();
  });
  for (const c of checks) {
    it(c.name, async () => {
      const got = await store.query(c.name, c.select(data(store.dialect.name), timed(store.dialect.name)));
      assert.deepEqual(
        got.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))),
        c.expect,
      );
    });
  }
  it('inRange: from inclusive, to exclusive, to the millisecond', async () => {
    const sums = ranges.map((r, i) => sql`${f.sumIf(sql`bit`, f.inRange(r.range))} AS ${ident(`r${i}`)}`);
    const [got] = await store.query<Record<string, number | null>>('inRange', sql`SELECT ${join(sums)} FROM ${timeData(store.dialect.name)} r`);
    assert.deepEqual(
      ranges.map((_, i) => Number(got![`r${i}`])),
      ranges.map((r) => r.rows),
    );
  });
  it("concatArrays: each row's array whole and in order, the group's rows in any order", async () => {
    // per k, each row's [n, -n]: k = 1 -> [10, -10] and [20, -20]; k = 2 -> [5, -5] twice; k = 3 -> [7, -7]
    const got = await store.query<{ k: number; a: readonly (number | string)[] }>(
      'concatArrays',
      sql`SELECT k, ${f.concatArrays(sql`[${f.toInt(sql`n`)}, ${f.toInt(sql`0 - n`)}]`)} AS a FROM ${data(store.dialect.name)} r GROUP BY k ORDER BY k`,
    );
    // ClickHouse sends 64-bit integers in arrays as texts
    const pairs = got.map((r) => {
      const a = r.a.map(Number);
      const ps: number[][] = [];
      for (let i = 0; i < a.length; i += 2) ps.push(a.slice(i, i + 2));
      return [Number(r.k), ps.sort((x, y) => x[0]! - y[0]!)];
    });
    assert.deepEqual(pairs, [
      [
        1,
        [
          [10, -10],
          [20, -20],
        ],
      ],
      [
        2,
        [
          [5, -5],
          [5, -5],
        ],
      ],
      [3, [[7, -7]]],
    ]);
  });
  it('hasBits: every bit of the mask set, NULL never', async () => {
    // x = 0, 1, 2, 3, 6, NULL: mask 1 -> 1, 3; mask 2 -> 2, 3, 6; mask 3 -> 3; mask 4 -> 6
    const type = store.dialect.name === 'duckdb' ? raw('TINYINT') : raw('Nullable(Int8)');
    const xs = [0, 1, 2, 3, 6, null].map((v) => sql`SELECT CAST(${v} AS ${type}) AS x`);
    const from = sql`(${raw('')}${xs.reduce((a, b) => sql`${a} UNION ALL ${b}`)})`;
    const counts = [1, 2, 3, 4].map((m) => sql`${f.countIf(f.hasBits(sql`x`, m))} AS ${ident(`m${m}`)}`);
    const [got] = await store.query<Record<string, number>>('hasBits', sql`SELECT ${join(counts)} FROM ${from} r`);
    assert.deepEqual(
      [1, 2, 3, 4].map((m) => Number(got![`m${m}`])),
      [2, 3, 1, 1],
    );
  });
}

describe('dialect on DuckDB', () => {
  const dir = mkdtempSync(joinPath(tmpdir(), 'mxray-dialect-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  runChecks(() => DuckdbStore.open(joinPath(dir, 'd.duckdb')));
});

describeClickhouse('dialect on ClickHouse', () => {
  let server: ClickhouseServer;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  runChecks(() => openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/dialect_${process.pid}`));
});
