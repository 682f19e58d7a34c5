// Escaping: exact literals, then hostile values round-tripped through a real server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Sql, ident, join, list, quote, sql } from './sql.js';
import { ClickhouseHttp } from '../store/clickhouse/http.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../testing/clickhouse.js';

describe('quote', () => {
  it('writes strings with quote, backslash and control characters escaped', () => {
    assert.equal(quote(''), "''");
    assert.equal(quote("it's"), "'it\\'s'");
    assert.equal(quote('a\\b'), "'a\\\\b'");
    assert.equal(quote('\0\n\r\t\b\f'), "'\\0\\n\\r\\t\\b\\f'");
    assert.equal(quote('\x01\x1f\x7f'), "'\\x01\\x1f\\x7f'");
    assert.equal(quote('grüße ✉ 📨'), "'grüße ✉ 📨'");
  });
  it('writes numbers, bigints, booleans, null, dates and arrays', () => {
    assert.equal(quote(42), '42');
    assert.equal(quote(-1), '(-1)');
    assert.equal(quote(0.5), '0.5');
    assert.equal(quote(NaN), 'nan');
    assert.equal(quote(-Infinity), '-inf');
    assert.equal(quote(2n ** 64n - 1n), '18446744073709551615');
    assert.equal(quote(-5n), '(-5)');
    assert.equal(quote(true), '1');
    assert.equal(quote(null), 'NULL');
    assert.equal(quote(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))), "toDateTime('2024-01-02 03:04:05', 'UTC')");
    assert.equal(quote(['a', 1, null]), "['a', 1, NULL]");
  });
  it('refuses what has no faithful literal', () => {
    assert.throws(() => quote(undefined as unknown as null), /undefined/);
    assert.throws(() => quote('\uD800x'), /surrogate/);
    assert.throws(() => quote(new Date(NaN)), /invalid Date/);
    assert.throws(() => quote({} as unknown as null), /object/);
  });
});

describe('ident and sql``', () => {
  it('backquotes identifiers and escapes backquote and backslash', () => {
    assert.equal(ident('tracking_events').text, '`tracking_events`');
    assert.equal(ident('a`b\\c').text, '`a\\`b\\\\c`');
    assert.equal(ident('db', 't').text, '`db`.`t`');
    assert.throws(() => ident(''), /non-empty/);
    assert.throws(() => ident('a\0b'), /not valid/);
  });
  it('quotes every interpolation and keeps Sql pieces as they are', () => {
    const evil = "x'; DROP TABLE t; --";
    const q = sql`SELECT ${ident('c')} FROM ${ident('t')} WHERE u = ${evil} AND n IN ${list([1, 'b'])} AND a = ${[1, 2]} AND ${sql`m = ${-3}`}`;
    assert.ok(q instanceof Sql);
    assert.equal(q.text, "SELECT `c` FROM `t` WHERE u = 'x\\'; DROP TABLE t; --' AND n IN (1, 'b') AND a = [1, 2] AND m = (-3)");
    assert.throws(() => list([]), /at least one/);
    assert.equal(join([ident('a'), ident('b')]).text, '`a`, `b`');
    assert.equal(sql`a - ${-1}`.text, 'a - (-1)');
  });
});

/** values that must come back from `SELECT ${v}` exactly as sent */
function hostileStrings(): string[] {
  const all = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');
  const long = Array.from({ length: 20_000 }, (_, i) => ["'", '\\', '\0', '\n', 'x', 'é', '😀', "\\'", '`'][i % 9]).join('');
  return [
    '',
    ' ',
    "'",
    "''",
    '\\',
    '\\\\',
    "\\'",
    "'\\",
    '"',
    '`',
    '\0',
    'a\0b',
    '\n',
    '\r\n',
    '\t',
    "'; DROP TABLE users; --",
    "\\'; DROP TABLE users; --",
    "' OR '1'='1",
    '${x}',
    '?',
    ':p',
    '{p:String}',
    '\\N',
    'NULL',
    '\\x41',
    '\\0',
    '%00',
    '\u2028\u2029',
    '\uFEFFbom',
    'Ωmega ß ÄÖÜ',
    'Ⅻ 日本語 עברית العربية',
    'e\u0301 combining',
    '😀👩‍👩‍👧 emoji',
    '\u{10FFFF}',
    all,
    long,
  ];
}

describeClickhouse('sql escaping on a real server', () => {
  let server: ClickhouseServer;
  let ch: ClickhouseHttp;
  before(async () => {
    server = await startClickhouse();
    ch = new ClickhouseHttp({ url: server.url, database: server.database, timeoutMs: 20_000 });
  });
  after(async () => {
    await server?.stop();
  });

  it('round-trips hostile strings through SELECT ${v}', async () => {
    for (const v of hostileStrings()) {
      const rows = await ch.query<{ v: string; n: number }>(sql`SELECT ${v} AS v, length(${v}) AS n`);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.v, v, `round trip of ${JSON.stringify(v.slice(0, 40))}`);
      assert.equal(rows[0]!.n, Buffer.byteLength(v, 'utf8'));
    }
  });

  it('round-trips a value of 1 MiB (with max_query_size raised)', async () => {
    const v = "ab\\'\n".repeat(1 << 18).slice(0, 1 << 20);
    const rows = await ch.query<{ v: string }>(sql`SELECT ${v} AS v`, { settings: { max_query_size: 8 << 20 } });
    assert.equal(rows[0]!.v, v);
  });

  it('round-trips numbers, bigints, null, booleans, dates and arrays', async () => {
    for (const v of [0, 1, -1, 42, 0.1, -2.5, 1e-7, 1e21, 123456.789, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      const rows = await ch.query<{ v: number }>(sql`SELECT ${v} AS v`);
      assert.equal(rows[0]!.v, v, `number ${v}`);
    }
    for (const v of [2n ** 64n - 1n, -(2n ** 63n), 2n ** 53n + 1n]) {
      const rows = await ch.query<{ v: bigint }>(sql`SELECT ${v} AS v`, { int64: 'bigint' });
      assert.equal(rows[0]!.v, v, `bigint ${v}`);
    }
    const [r] = await ch.query<Record<string, unknown>>(sql`SELECT ${null} AS n, ${true} AS t, ${new Date(Date.UTC(2024, 1, 29, 23, 59, 58))} AS d,
      ${['a', "b'c"]} AS arr, 3 IN ${list([1, 2, 3])} AS found, 'x' IN ${list(['x'])} AS one, ${-3} - ${-4} AS diff`);
    assert.deepEqual(r, { n: null, t: 1, d: '2024-02-29 23:59:58', arr: ['a', "b'c"], found: 1, one: 1, diff: 1 });
  });

  it('uses hostile names as identifiers of a real table and column', async () => {
    const table = "we`ird \\ t'able; DROP";
    const column = 'col`umn "x" \\';
    await ch.exec(sql`CREATE TABLE ${ident(table)} (${ident(column)} String) ENGINE = Memory`);
    for (const v of hostileStrings().slice(0, 20)) await ch.exec(sql`INSERT INTO ${ident(table)} (${ident(column)}) VALUES (${v})`);
    const names = await ch.query<{ name: string }>(sql`SELECT name FROM system.columns WHERE database = currentDatabase() AND table = ${table}`);
    assert.deepEqual(names, [{ name: column }]);
    const rows = await ch.query<{ v: string }>(sql`SELECT ${ident(column)} AS v FROM ${ident(table)}`);
    assert.deepEqual(rows.map((r) => r.v).sort(), hostileStrings().slice(0, 20).sort());
    await ch.exec(sql`DROP TABLE ${ident(table)}`);
  });
});
