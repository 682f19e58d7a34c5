// CSV-with-header formats declared as data (csv-data.ts), on hand-made fixtures
// (fixtures/csv-data/, see fixtures/PROVENANCE.md) whose expected rows are worked out by hand below:
// UTF-16LE with BOM and CRLF, a #TYPE line, quoted fields with line breaks (one with an empty line
// inside) and doubled quotes, columns in any order and by alias, a repeated header name, unknown
// columns kept as JSON, times with offsets, and rejects with their lines. Then a row still open at
// the end of a growing file, through the real ingest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { csvDataFormat, isoToStored } from './csv-data.js';
import { formatList } from './registry.js';
import { origin, recordTables, type RecordKind, type RecordTable } from '../schema/tables.js';
import { parseTables } from '../testing/formats.js';
import { repoPath } from '../testing/paths.js';
import { sampleLines } from '../ingest/framer.js';
import { sniffFile } from '../ingest/sniff.js';
import { ingest } from '../ingest/ingest.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import { live, table } from '../sql/dialect.js';
import { sql } from '../sql/sql.js';

const calendarTable: RecordTable = {
  name: 'test_calendar',
  doc: 'calendar items of the csv-data tests',
  columns: [
    ...origin,
    { name: 'subject', type: 'text', doc: '' },
    { name: 'start', type: 'timestamp', doc: '' },
    { name: 'end', type: 'text', doc: 'an optional time: text (a timestamp column is never NULL)' },
    { name: 'organizer', type: 'text', lower: true, doc: '' },
    { name: 'attendee_count', type: 'int', doc: '' },
    { name: 'body', type: 'text', doc: '' },
    { name: 'extra', type: 'text', doc: '' },
  ],
};
const kind = 'test_calendar' as unknown as RecordKind;
Object.assign(recordTables, { [kind]: calendarTable });

const calendar = csvDataFormat({
  name: 'test-calendar-csv',
  title: 'calendar items exported to CSV (tests only)',
  table: kind,
  columns: {
    subject: { aliases: ['Betreff'], required: true },
    start: { aliases: ['StartTime', 'Beginnt am'], required: true },
    end: { aliases: ['EndTime'], parse: (v) => (v.trim() === '' ? null : isoToStored(v)), invalid: 'bad-time' },
    organizer: { aliases: ['Organisator'] },
    attendee_count: { aliases: ['Attendees', 'AttendeeCount'] },
    body: { aliases: ['Notes'] },
  },
  extra: 'extra',
  fileName: /calendar/i,
});

const fixtures = repoPath('fixtures', 'csv-data');
const rowsOf = async (path: string) => parseTables(calendar, path);

test('csv-data: UTF-16LE with BOM, CRLF, #TYPE, quoted line breaks and quotes, unknown columns as JSON, rejects with their lines', async () => {
  const p = await rowsOf(join(fixtures, 'calendar-export-utf16.csv'));
  const rows = p.tables[kind]!;
  assert.deepEqual(
    rows.map((r) => ({ ...r, extra: r.extra === null ? null : JSON.parse(r.extra) })),
    [
      {
        line: '3',
        subject: 'Weekly sync',
        start: '2024-03-04 09:00:00.000',
        end: '2024-03-04 09:30:00.000',
        organizer: 'jane doe <jdoe@contoso.test>',
        attendee_count: '3',
        // line breaks inside a value are spaces in a stored column (schema/tsv.ts)
        body: 'Agenda: 1. "Budget" 2. Hiring',
        extra: { Location: 'Room 1', IsRecurring: 'False' },
      },
      {
        line: '6',
        subject: 'Lunch, with "Kim"',
        start: '2024-03-05 13:00:00.000',
        end: '2024-03-05 15:00:00.000',
        organizer: 'bob@contoso.test',
        attendee_count: null,
        body: '',
        extra: { IsRecurring: 'True' },
      },
      {
        line: '9',
        subject: 'Ünïcödé ✓',
        start: '2024-03-07 08:15:30.500',
        end: '2024-03-07 09:00:00.000',
        // the empty line inside the body (which the framer does not hand out) is kept: two spaces
        organizer: 'ann@contoso.test',
        attendee_count: '12',
        body: 'line1  line3',
        extra: { Location: 'Café', IsRecurring: 'False' },
      },
    ],
  );
  assert.deepEqual(p.rejects, [
    { line: 7, reason: 'field-count', detail: '3 fields, the header at line 2 has 8' },
    { line: 8, reason: 'bad-time', detail: "Start 'not a time'" },
  ]);
});

test('csv-data: UTF-8 without #TYPE, names by alias in any case and spacing, a repeated column kept in extra, absent columns NULL', async () => {
  const p = await rowsOf(join(fixtures, 'calendar-utf8.csv'));
  assert.deepEqual(p.tables[kind], [
    {
      line: '2',
      subject: 'New year',
      start: '2024-01-02 08:00:00.000',
      end: null,
      organizer: null,
      attendee_count: null,
      body: 'He said "hi"',
      extra: '{"Betreff":"dup"}',
    },
  ]);
  assert.deepEqual(p.rejects, []);
});

test('csv-data: values that do not convert, a header without a required column, a quote never closed', async () => {
  const d = mkdtempSync(join(tmpdir(), 'mxray-csv-data-'));
  const bad = join(d, 'bad.csv');
  writeFileSync(
    bad,
    [
      'Subject,Start,Attendees,End',
      'a,2024-02-30T10:00:00Z,1,', // 30 February
      'b,2024-03-01T10:00:00Z,12x,', // not a number
      'c,2024-03-01T10:00:00Z,3000000000,', // above Int32
      'd,2024-03-01T10:00:00Z,,2024-03-01T11:00:00+02:00',
      'e,2024-03-01T10:00:00Z,2,"open',
      'and never closed',
    ].join('\n') + '\n',
  );
  const p = await rowsOf(bad);
  assert.deepEqual(
    p.tables[kind]!.map((r) => [r.line, r.subject, r.end]),
    [['5', 'd', '2024-03-01 09:00:00.000']],
  );
  assert.deepEqual(
    p.rejects.map((r) => [r.line, r.reason]),
    [
      [2, 'bad-time'],
      [3, 'bad-number'],
      [4, 'bad-number'],
      [6, 'unterminated-quote'],
    ],
  );

  const noStart = join(d, 'no-start.csv');
  writeFileSync(noStart, 'Subject,Location\nx,y\n');
  assert.equal(calendar.sniff({ name: 'calendar.csv', lines: await sampleLines(noStart) }), undefined);
  const q = await rowsOf(noStart);
  assert.deepEqual(
    q.rejects.map((r) => [r.line, r.reason]),
    [[2, 'malformed']],
  );
  assert.match(q.notes.join('\n'), /the header at line 1 has no start column/);
});

test('csv-data: sniffed from its header; no other format claims the fixtures, and it claims no other fixture', async () => {
  const all = [calendar, ...formatList];
  for (const name of ['calendar-export-utf16.csv', 'calendar-utf8.csv']) {
    const s = await sniffFile(join(fixtures, name), all);
    assert.equal(s.format?.name, 'test-calendar-csv', name);
    assert.ok(
      s.candidates.every((c) => c.name === 'test-calendar-csv'),
      `${name}: ${JSON.stringify(s.candidates)}`,
    );
  }
  const utf16 = await sniffFile(join(fixtures, 'calendar-export-utf16.csv'), all);
  assert.match(utf16.reason, /the subject, start columns \(6 of 8 known\) and its file name/);
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? files(p) : /\.(log|csv|txt|LOG|excerpt)$/.test(n) ? [p] : [];
    });
  for (const p of [...files(repoPath('fixtures', 'tracking')), ...files(repoPath('fixtures', 'iis')), ...files(repoPath('fixtures', 'corpus'))]) {
    assert.equal(calendar.sniff({ name: basename(p), lines: await sampleLines(p) }), undefined, p);
  }
});

test('csv-data: ISO times with and without zones, validated', () => {
  assert.equal(isoToStored('2024-03-04T09:00:00Z'), '2024-03-04 09:00:00.000');
  assert.equal(isoToStored('2024-03-04 00:30+01:00'), '2024-03-03 23:30:00.000');
  assert.equal(isoToStored('2024-12-31T23:59:59.9999-0130'), '2025-01-01 01:29:59.999');
  assert.equal(isoToStored('2024-02-29T12:00:00'), '2024-02-29 12:00:00.000');
  for (const bad of ['2023-02-29T12:00:00', '2024-03-04', '2024-03-04T24:00:00', '04/03/2024 10:00', '']) assert.equal(isoToStored(bad), undefined, bad);
});

test('csv-data: a row still open at the end of a growing file is read again when it is complete', async () => {
  const d = mkdtempSync(join(tmpdir(), 'mxray-csv-data-grow-'));
  const p = join(d, 'calendar.csv');
  const head = '#TYPE X\r\n"Subject","Start","Body"\r\n"one","2024-03-04T09:00:00Z","short"\r\n"two","2024-03-04T10:00:00Z","first line\r\n';
  writeFileSync(p, head);
  const s = await DuckdbStore.open(join(d, 'db.duckdb'));
  try {
    const first = await ingest([p], { store: s, formats: [calendar] });
    assert.equal(first.events, 1);
    assert.deepEqual(
      first.examples.map((e) => [e.line, e.reason]),
      [[4, 'unterminated-quote']],
    );
    appendFileSync(p, 'second line"\r\n"three","2024-03-04T11:00:00Z",""\r\n');
    const grown = await ingest([p], { store: s, formats: [calendar] });
    assert.match(grown.details[0]!.why ?? '', /reading from line 4$/);
    const rows = await s.query<{ line: number; subject: string; body: string }>(
      'calendar',
      sql`
      SELECT line, subject, body FROM ${table(kind)} WHERE ${live(kind)} ORDER BY line`,
    );
    assert.deepEqual(rows, [
      { line: 3, subject: 'one', body: 'short' },
      { line: 4, subject: 'two', body: 'first line second line' },
      { line: 6, subject: 'three', body: '' },
    ]);
    const rejects = await s.query('rejects', sql`SELECT line FROM ingest_rejects`);
    assert.deepEqual(rejects, []);
  } finally {
    await s.close();
  }
});
