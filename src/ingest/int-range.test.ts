// A number its column cannot hold (a Log= counter of 12 digits in the INTEGER column eas_heartbeat)
// sank the whole ingest with the store's conversion error. The row writer now stores such a number
// as NULL, keeps the rest of the line and notes it per file; the limits are those of schema/tables.ts
// intRanges, worked out here by hand (2^31 − 1, 2^63, 0–127).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsvWriter, parseTsv } from '../schema/tsv.js';
import type { RecordTable } from '../schema/tables.js';
import { ingest } from './ingest.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import type { Store } from '../store/types.js';
import { sql } from '../sql/sql.js';
import { table } from '../sql/dialect.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../testing/clickhouse.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-intrange-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const t: RecordTable = {
  name: 't',
  doc: '',
  columns: [
    { name: 'file_id', type: 'int', doc: '' },
    { name: 'line', type: 'int', doc: '' },
    { name: 'i', type: 'int', doc: '' },
    { name: 'b', type: 'bigint', doc: '' },
    { name: 'y', type: 'tinyint', doc: '' },
    { name: 'd', type: 'double', doc: '' },
  ],
};

test('int() writes NULL for a number its integer column cannot hold, and counts it', () => {
  const w = new TsvWriter(t, 7, false, 64);
  const row = (line: number, i: number, b: number, y: number, d: number) => {
    w.begin(line);
    w.int(i);
    w.int(b);
    w.int(y);
    w.int(d);
    w.end();
  };
  row(1, 2147483647, 9007199254740991, 127, 1.5); // every limit held
  row(2, -2147483648, -(2 ** 63), 0, 1e300);
  row(3, 2147483648, 2 ** 63, 128, -2);
  row(4, 123456789012, 1e30, -1, 0.25);
  row(5, 1.5, Number.NaN, 3, Number.NaN);
  assert.deepEqual(parseTsv(w.take(), false), [
    ['7', '1', '2147483647', '9007199254740991', '127', '1.5'],
    ['7', '2', '-2147483648', '-9223372036854775808', '0', '1e+300'],
    ['7', '3', null, null, null, '-2'],
    ['7', '4', null, null, null, '0.25'],
    ['7', '5', null, null, '3', null],
  ]);
  assert.equal(w.clamped, 9); // 3 on each of rows 3, 4 and 5
  assert.deepEqual(w.clampedExample, { line: 3, column: 'i', value: 2147483648 });
});

// hand-made ActiveSync lines: Hb (eas_heartbeat, int), Pk (eas_policy_key, bigint), Att (eas_attachments, int)
const header =
  '#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-03-09 12:00:00\n' +
  '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n';
const easLine = (time: string, log: string) =>
  `2024-03-09 ${time} 10.0.0.21 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Ping&User=jdoe&DeviceId=ApplF17XK2QHJC6F&DeviceType=iPhone&Log=${log} 443 CONTOSO\\jdoe 203.0.113.7 Apple-iPhone14C2/2102.55 - 200 0 0 100\n`;
const logs = join(dir, 'logs');
mkdirSync(logs);
writeFileSync(
  join(logs, 'u_ex240309.log'),
  header +
    easLine('12:00:01', 'V120_Hb123456789012_S1') + // line 5: Hb above 2^31 − 1
    easLine('12:00:02', 'V120_Hb2147483647_S1') + // line 6: the largest INTEGER
    easLine('12:00:03', 'V120_Hb780_Pk999999999999999_Att99999999999_S1'), // line 7: Pk fits a bigint, Att does not fit an int
);

/** ingest the lines and read the columns back */
async function check(store: Store): Promise<void> {
  const s = await ingest([logs], { store });
  assert.deepEqual(s.errors, []);
  assert.equal(s.events, 3, 'every line is stored');
  assert.equal(s.rejects, 0);
  assert.deepEqual(s.details[0]!.notes, [
    '2 number(s) too big for their column were stored as NULL (the rest of each line was kept), first at line 5: eas_heartbeat 123456789012',
  ]);
  const rows = await store.query<{ line: number; hb: number | null; pk: number | string | null; att: number | null; cmd: string }>(
    'the rows',
    sql`SELECT line, eas_heartbeat AS hb, eas_policy_key AS pk, eas_attachments AS att, eas_cmd AS cmd FROM ${table('iis')} ORDER BY line`,
  );
  assert.deepEqual(
    rows.map((r) => ({ ...r, pk: r.pk === null ? null : String(r.pk) })),
    [
      { line: 5, hb: null, pk: null, att: null, cmd: 'Ping' },
      { line: 6, hb: 2147483647, pk: null, att: null, cmd: 'Ping' },
      { line: 7, hb: 780, pk: '999999999999999', att: null, cmd: 'Ping' },
    ],
  );
}

test('DuckDB: a Log= number above 2^31 − 1 is stored as NULL and the ingest goes on', async () => {
  const store = await DuckdbStore.open(join(dir, 'range.duckdb'));
  try {
    await check(store);
  } finally {
    await store.close();
  }
});

describeClickhouse('ClickHouse: numbers too big for their column', () => {
  let server: ClickhouseServer | undefined;
  after(async () => {
    await server?.stop();
  });
  test('a Log= number above 2^31 − 1 is stored as NULL, not wrapped or refused', async () => {
    server = await startClickhouse();
    const { openClickhouse } = await import('../store/clickhouse/open.js');
    const store = await openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/${server.database}`);
    try {
      await check(store);
    } finally {
      await store.close();
    }
  });
});
