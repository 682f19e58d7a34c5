// TabSeparated inserts of TsvWriter rows into a real server, read back value for value: into a plain
// table, and into a record table through its staging table (tables.ts: timestamps with milliseconds;
// addresses come lowercased from the writer).
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClickhouseError, ClickhouseHttp } from './http.js';
import { ident, join, sql } from '../../sql/sql.js';
import { recordTableDdl, selectAsWritten, stagingColumns, tableNames } from './tables.js';
import { asText, trackingRows } from './rows.fixture.js';
import { trackingEvents } from '../../schema/tables.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';

const ROWS = 5000;
const columns = trackingEvents.columns.map((c) => c.name);

describeClickhouse('TSV inserts on a real server', () => {
  let server: ClickhouseServer;
  let ch: ClickhouseHttp;
  const { tsv, rows: expected } = trackingRows(ROWS);
  before(async () => {
    server = await startClickhouse();
    ch = new ClickhouseHttp({ url: server.url, timeoutMs: 30_000 });
  });
  after(async () => {
    await server?.stop();
  });

  it(`loads ${ROWS} TsvWriter rows (backslashes, NULLs, unicode) into a plain table and reads them back identical`, async () => {
    const types: Record<string, string> = { int: 'Int32', bigint: 'Int64', tinyint: 'Int8', double: 'Float64', text: 'String', timestamp: 'String' };
    // every column as written: the timestamp as String, the rest Nullable but the origin
    const ddl = trackingEvents.columns
      .map((c) => `${ident(c.name).text} ${c.name === 'file_id' || c.name === 'line' ? types[c.type] : `Nullable(${types[c.type]})`}`)
      .join(', ');
    await ch.exec(`CREATE TABLE plain_rows (${ddl}) ENGINE = MergeTree() ORDER BY (file_id, line)`);
    await ch.insertTsv('plain_rows', columns, tsv);
    const back = await ch.query(sql`SELECT ${join(columns.map((c) => ident(c)))} FROM plain_rows ORDER BY file_id, line`);
    assert.equal(back.length, ROWS);
    const got = back.map((r) => asText(r, columns));
    for (let i = 0; i < ROWS; i++) assert.deepEqual(got[i], expected[i], `row ${i + 1}`);
    // the hostile values did arrive (the fixture is not accidentally bland)
    const [stats] = await ch.query<Record<string, number>>(`SELECT countIf(subject IS NULL) AS nulls, countIf(position(subject, '\\\\') > 0) AS backslashes,
      countIf(internal_id = '\\\\N') AS backslash_n, countIf(position(subject, '\\0') > 0) AS nul, countIf(position(sender, 'дмитрий') > 0) AS cyrillic FROM plain_rows`);
    for (const [k, v] of Object.entries(stats!)) assert.ok(v > 0, `no row with ${k}`);
  });

  it('loads a record table through its staging table: milliseconds kept, addresses lowercased', async () => {
    for (const stmt of recordTableDdl(trackingEvents)) await ch.exec(stmt);
    const names = tableNames(trackingEvents);
    await ch.insertTsv(names.staging, stagingColumns(trackingEvents), tsv);
    const back = await ch.query(sql`SELECT ${selectAsWritten(trackingEvents)} FROM ${ident(names.table)} ORDER BY file_id, line`);
    assert.equal(back.length, ROWS);
    const lower = new Set(trackingEvents.columns.filter((c) => c.lower).map((c) => columns.indexOf(c.name)));
    for (let i = 0; i < ROWS; i++) {
      const want = expected[i]!.map((v, k) => (v !== null && lower.has(k) ? v.toLowerCase() : v));
      assert.deepEqual(asText(back[i]!, columns), want, `row ${i + 1}`);
    }
    // the stored time is UTC seconds plus milliseconds
    const [r] = await ch.query<{ unix: number; ms: number; type: string }>(
      sql`SELECT toUnixTimestamp(ts) AS unix, ts_ms AS ms, toTypeName(ts) AS type FROM ${ident(names.table)} WHERE line = 2`,
    );
    const text = expected[1]![2]!;
    assert.equal(r!.unix * 1000 + r!.ms, Date.parse(text.replace(' ', 'T') + 'Z'));
    assert.equal(r!.type, "DateTime('UTC')");
    // the staging table keeps nothing
    assert.deepEqual(await ch.query(sql`SELECT count() AS n FROM ${ident(names.staging)}`), [{ n: 0 }]);
    // re-running the DDL is harmless
    for (const stmt of recordTableDdl(trackingEvents)) await ch.exec(stmt);
  });

  it('shows why: 18.16 cannot read the fraction into DateTime', async (t) => {
    if (!(await ch.serverVersion()).startsWith('18.')) return t.skip('only 18.16 lacks fractional DateTime parsing');
    await ch.exec('CREATE TABLE dt (ts DateTime) ENGINE = Memory');
    await assert.rejects(
      ch.insertTsv('dt', ['ts'], Buffer.from('2024-01-02 03:04:05.678\n')),
      (e: unknown) => e instanceof ClickhouseError && e.kind === 'server' && /garbage after DateTime/.test(e.message),
    );
    // best_effort reads it, but the milliseconds are gone
    await ch.insertTsv('dt', ['ts'], Buffer.from('2024-01-02 03:04:05.678\n'), { settings: { date_time_input_format: 'best_effort' } });
    assert.deepEqual(await ch.query('SELECT toString(ts) AS ts FROM dt'), [{ ts: '2024-01-02 03:04:05' }]);
  });
});
