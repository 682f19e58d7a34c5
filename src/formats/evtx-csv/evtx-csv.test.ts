// Get-WinEvent | Export-Csv exports (evtx-csv.ts) on hand-written fixtures (fixtures/windows-csv/,
// written as PowerShell 5.1 and 7 write them: #TYPE or not, UTF-16LE with BOM, UTF-8 with and
// without BOM, CRLF, Message over several lines, one with an empty line inside). The expected rows
// below are worked out by hand from the files (times converted with the zones by hand, DST edges
// included), ingested for real into DuckDB. Then the overlap with a real .evtx of the corpus:
// one record in both is stored once, whichever is ingested first.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ingest } from '../../ingest/ingest.js';
import { sampleLines } from '../../ingest/framer.js';
import { DuckdbStore } from '../../store/duckdb/store.js';
import { live, table } from '../../sql/dialect.js';
import { sql } from '../../sql/sql.js';
import { repoPath } from '../../testing/paths.js';
import { formatList } from '../registry.js';
import { assumedOrder, localParts, orderOf, wallClock } from './local-time.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-evcsv-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixtures = repoPath('fixtures', 'windows-csv');
const fixture = (n: string) => join(fixtures, n);
let dbs = 0;

type Row = Record<string, unknown>;
async function ingestRows(paths: string[], hints?: Record<string, string>) {
  const store = await DuckdbStore.open(join(dir, `t${dbs++}.duckdb`));
  try {
    const summary = await ingest(paths, { store, ...(hints ? { hints } : {}) });
    const rows = await store.query<Row>(
      'rows',
      sql`SELECT line, strftime(ts, '%Y-%m-%d %H:%M:%S') AS ts, computer, channel, event_record_id, provider, provider_guid, event_id, qualifiers, version,
          level, task, keywords, user_id, process_id, activity_id, data_count, data_values, message
        FROM ${table('windowsEvents')} WHERE ${live('windowsEvents')} ORDER BY computer, channel, event_record_id`,
    );
    return { summary, rows: rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))) };
  } finally {
    await store.close();
  }
}

const notesOf = (s: Awaited<ReturnType<typeof ingestRows>>['summary']) => s.details.flatMap((d) => d.notes);

test('sniff: every fixture is evtx-csv, with the #TYPE line surest; no other format claims them', async () => {
  for (const n of ['ex01-application-ps51-unicode.csv', 'ex02-application-ps51-utf8bom.csv', 'ex03-application-ps7.csv', 'desktop-application-overlap.csv']) {
    const sample = { name: n, lines: await sampleLines(fixture(n)) };
    const ranked = formatList
      .map((f) => ({ name: f.name, s: f.sniff(sample) }))
      .filter((c) => c.s && c.s.confidence > 0)
      .sort((a, b) => b.s!.confidence - a.s!.confidence);
    assert.equal(ranked[0]?.name, 'evtx-csv', `${n}: ${JSON.stringify(ranked)}`);
    assert.equal(ranked[0]!.s!.confidence, n.includes('ps7') ? 90 : 100, n);
    assert.equal(ranked.filter((r) => r.s!.confidence >= 50).length, 1, `${n}: ${JSON.stringify(ranked)}`);
  }
});

test('PowerShell 5.1, UTF-16LE: rows by header name, en-US times in America/New_York, multi-line messages, rejects with file and line', async () => {
  const path = fixture('ex01-application-ps51-unicode.csv');
  const { summary, rows } = await ingestRows([path], { tz: 'America/New_York' });
  const common = { computer: 'EX01.contoso.com', channel: 'Application', data_count: null, data_values: null, version: 0 };
  assert.deepEqual(rows, [
    {
      ...common,
      line: 3,
      ts: '2026-11-13 19:15:07', // 2:15:07 PM EST (-5)
      event_record_id: 5001,
      provider: 'MSExchangeTransport',
      provider_guid: '',
      event_id: 12014,
      qualifiers: 49156,
      level: 2,
      task: 1,
      keywords: '0x0080000000000000',
      user_id: '',
      process_id: 4120,
      activity_id: '',
      message:
        'Microsoft Exchange could not find a certificate that contains the domain name mail.contoso.com in the personal store on the local computer. Therefore, it is unable to support the STARTTLS SMTP verb for the connector Default Frontend EX01. Verify the connector configuration.',
    },
    {
      ...common,
      line: 6,
      ts: '2026-11-03 14:05:00', // after the end of DST on 1 Nov 2026: EST
      event_record_id: 5002,
      provider: 'MSExchangeTransport',
      provider_guid: '',
      event_id: 15004,
      qualifiers: 32772,
      level: 3,
      task: 15,
      keywords: '0x0080000000000000',
      user_id: '',
      process_id: 0,
      activity_id: '',
      // line breaks are stored as spaces (schema/tsv.ts: a row is one line)
      message: 'The resource pressure increased from Normal to High.  The following resources are under pressure: Version buckets = 278 [High]',
    },
    {
      ...common,
      line: 10,
      ts: '2026-11-14 04:59:59',
      event_record_id: 5003,
      provider: 'MSExchange ActiveSync',
      provider_guid: '',
      event_id: 1008,
      qualifiers: 32772,
      level: 3,
      task: 1,
      keywords: '0x0080000000000000',
      user_id: '',
      process_id: 0,
      activity_id: '',
      message: 'An exception occurred and was handled by Exchange ActiveSync.',
    },
    {
      ...common,
      line: 13,
      ts: '2026-11-14 05:00:01', // 12:00:01 AM
      event_record_id: 5004,
      provider: 'Microsoft-Windows-Security-SPP',
      provider_guid: '{E23B33B0-C8C9-472C-A5F9-F2BDFEA0F156}',
      event_id: 16384,
      qualifiers: null,
      level: 4,
      task: 0,
      keywords: '0x8080000000000000', // -9187343239835811840 as Export-Csv writes the Int64
      user_id: 'S-1-5-18',
      process_id: null,
      activity_id: '',
      message: 'Successfully scheduled Software Protection service for re-start.',
    },
  ]);
  assert.equal(summary.rejects, 2);
  assert.deepEqual(
    summary.examples.map((e) => [basename(e.file), e.line, e.reason]),
    [
      ['ex01-application-ps51-unicode.csv', 11, 'field-count'],
      ['ex01-application-ps51-unicode.csv', 12, 'bad-number'],
    ],
  );
  const notes = notesOf(summary);
  assert.ok(notes.some((n) => /no insertion strings .*Properties column holds only the type name .*wevtutil epl/.test(n)));
  assert.ok(notes.some((n) => /the copy ingested first is kept/.test(n)));
  assert.ok(notes.some((n) => /order mdy: '11\/13\/2026 2:15:07 PM' at line 3/.test(n)));
  assert.ok(notes.some((n) => /local time in America\/New_York \(--tz\)/.test(n)));
});

test('PowerShell 5.1, UTF-8 with BOM, de-DE: the order settled by a later row, the skipped and the repeated hour of Europe/Berlin', async () => {
  const { summary, rows } = await ingestRows([fixture('ex02-application-ps51-utf8bom.csv')], { tz: 'Europe/Berlin' });
  assert.deepEqual(
    rows.map((r) => [r.line, r.channel, r.event_record_id, r.provider, r.event_id, r.ts]),
    [
      [3, 'Application', 7001, 'MSExchangeTransport', 1035, '2026-11-03 13:15:07'], // held until line 4 settled dmy; CET
      [6, 'Application', 7002, 'MSExchangeTransport', 15005, '2026-10-25 00:30:00'], // 02:30 twice: the first pass (CEST)
      [4, 'MSExchange Management', 42, 'MSExchange CmdletLogs', 1, '2026-03-29 01:30:00'], // 02:30 skipped: read as 03:30 CEST
    ],
  );
  assert.equal(
    rows[2]!.message,
    'Cmdlet succeeded. Cmdlet Set-Mailbox, parameters -Identity "alice" -ForwardingSmtpAddress "smtp:x@evil.example". User CONTOSO\\admin.',
  );
  assert.equal(summary.rejects, 0);
  const notes = notesOf(summary);
  assert.ok(notes.some((n) => /order dmy: '29\.03\.2026 02:30:00' at line 4/.test(n)));
  assert.ok(notes.some((n) => /^1 time\(s\) fall in the hour the clocks skipped/.test(n)));
  assert.ok(notes.some((n) => /^1 time\(s\) fall in the hour repeated/.test(n)));
});

test('PowerShell 7: no #TYPE, other column order, ambiguous en-GB dates assumed dmy (and --date-order overrides), an unclosed quote rejected', async () => {
  const path = fixture('ex03-application-ps7.csv');
  const { summary, rows } = await ingestRows([path], { tz: 'UTC' });
  assert.deepEqual(
    rows.map((r) => [r.line, r.event_record_id, r.event_id, r.ts, r.activity_id]),
    [
      [2, 9001, 12016, '2026-11-05 08:00:00', '{8F2C1A7E-0B1D-4C3E-9A55-2F6E7D8C9B01}'],
      [3, 9002, 1036, '2026-11-06 09:30:15', ''],
    ],
  );
  assert.deepEqual(
    summary.examples.map((e) => [basename(e.file), e.line, e.reason]),
    [['ex03-application-ps7.csv', 4, 'unterminated-quote']],
  );
  assert.ok(notesOf(summary).some((n) => /order dmy, assumed: no date in the first 2 row\(s\) had a day above 12; '\/' with a 24-hour clock/.test(n)));
  const mdy = await ingestRows([path], { tz: 'UTC', dateOrder: 'mdy' });
  assert.deepEqual(
    mdy.rows.map((r) => r.ts),
    ['2026-05-11 08:00:00', '2026-06-11 09:30:15'],
  );
});

test('local-time: the order from the numbers, the assumption from the writing, impossible dates refused', () => {
  const p = (s: string) => localParts(s)!;
  assert.equal(orderOf(p('13/11/2026 14:00:00')), 'dmy');
  assert.equal(orderOf(p('11/13/2026 2:00:00 PM')), 'mdy');
  assert.equal(orderOf(p('2026-11-03 14:15:07')), 'ymd');
  assert.equal(orderOf(p('03.11.2026 14:15:07')), undefined);
  assert.equal(assumedOrder(p('3/11/2026 2:15:07 PM')).order, 'mdy');
  assert.equal(assumedOrder(p('03.11.2026 14:15:07')).order, 'dmy');
  assert.equal(wallClock(p('31/02/2026 10:00:00'), 'dmy'), undefined);
  assert.equal(wallClock(p('13/11/2026 10:00:00'), 'mdy'), undefined);
  assert.equal(wallClock(p('1/1/2026 13:00:00 PM'), 'mdy'), undefined);
  assert.equal(new Date(wallClock(p('1/1/2026 12:30:00 AM'), 'mdy')!.local * 1000).toISOString(), '2026-01-01T00:30:00.000Z');
  assert.equal(localParts('yesterday'), undefined);
  assert.equal(localParts('3/11/26 14:00'), undefined); // two-digit years are not what Export-Csv writes
});

test('overlap with the .evtx of the same log: one record stored once; the copy ingested first is kept', async () => {
  const evtx = repoPath('fixtures', 'corpus', 'windows_evtx', 'Application_no_crc32.evtx');
  const csv = fixture('desktop-application-overlap.csv');
  const evtxOnly = await ingestRows([evtx]);
  const n = evtxOnly.rows.length;
  assert.ok(evtxOnly.rows.some((r) => r.event_record_id === 427));

  const evtxFirst = evtxOnly.rows.length ? await ingestRowsInOrder([evtx], [csv]) : undefined;
  assert.equal(evtxFirst!.length, n + 1); // 427 once, 9999 added
  const kept = evtxFirst!.find((r) => r.event_record_id === 427)!;
  assert.equal(kept.data_count, 2); // the .evtx copy, with its insertion strings
  assert.equal(kept.message, null);
  assert.equal(evtxFirst!.find((r) => r.event_record_id === 9999)?.ts, '2021-04-01 00:00:00');

  const csvFirst = await ingestRowsInOrder([csv], [evtx]);
  assert.equal(csvFirst.length, n + 1);
  const csvKept = csvFirst.find((r) => r.event_record_id === 427)!;
  assert.equal(csvKept.data_count, null); // the CSV copy: no insertion strings
  assert.equal(csvKept.ts, '2021-03-31 23:51:47'); // 4/1/2021 1:51:47 AM CEST, the .evtx's second
});

async function ingestRowsInOrder(first: string[], second: string[]): Promise<Row[]> {
  const store = await DuckdbStore.open(join(dir, `t${dbs++}.duckdb`));
  try {
    await ingest(first, { store, hints: { tz: 'Europe/Berlin' } });
    await ingest(second, { store, hints: { tz: 'Europe/Berlin' } });
    const rows = await store.query<Row>(
      'rows',
      sql`SELECT event_record_id, data_count, message, strftime(ts, '%Y-%m-%d %H:%M:%S') AS ts FROM ${table('windowsEvents')} WHERE ${live('windowsEvents')}`,
    );
    return rows.map((r) => ({ ...r, event_record_id: Number(r.event_record_id), data_count: r.data_count === null ? null : Number(r.data_count) }));
  } finally {
    await store.close();
  }
}
