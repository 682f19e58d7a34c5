import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden, parseWith, type Parsed } from '../../testing/formats.js';
import { repoPath } from '../../testing/paths.js';
import { TsvWriter, parseTsv } from '../../schema/tsv.js';
import { trackingEvents } from '../../schema/tables.js';
import type { RejectReason } from '../types.js';
import { msgtrkExport } from './msgtrk-export.js';

const dir = repoPath('fixtures', 'tracking', 'msgtrk-export');
const golden = (file: string) => file.replace(/\.[^./]+$/, '.expected.json');
const parsed = new Map<string, Parsed>();
async function parse(name: string): Promise<Parsed> {
  if (!parsed.has(name)) parsed.set(name, await parseWith(msgtrkExport, join(dir, name)));
  return parsed.get(name)!;
}

for (const name of readdirSync(dir).filter((n) => !n.endsWith('.expected.json'))) {
  test(`msgtrk-export golden: ${name}`, async () => {
    assertGolden(golden(join(dir, name)), await parse(name));
  });
}

test('msgtrk-export: UTF-16 with #TYPE, US dates, System.String[] recipients kept empty with advice', async () => {
  const p = await parse('tracking-export-utf16.csv');
  assert.deepEqual(p.rejects, []);
  assert.deepEqual(
    p.rows.map((r) => [r.ts, r.event, r.source, r.role]),
    [
      ['2024-01-05 09:03:12.000', 'NOTIFYMAPI', 'STOREDRIVER', '0'],
      ['2024-01-05 09:03:12.000', 'RECEIVE', 'STOREDRIVER', '1'],
      ['2024-01-05 12:03:14.000', 'DELIVER', 'STOREDRIVER', '2'],
      ['2024-01-05 00:30:00.000', 'HARECEIVE', 'SMTP', '0'],
      ['2024-01-13 23:59:59.000', 'RECEIVE', 'SMTP', '0'],
    ],
  );
  assert.equal(p.rows[0]!.message_id, '~1:3');
  assert.equal(p.rows[2]!.recipients, '');
  assert.equal(p.rows[2]!.recipient_count, '2');
  assert.equal(p.rows[1]!.subject, 'Budget, Q1 "final" numbers');
  assert.equal(p.rows[4]!.subject, 'Réunion – café');
  assert.ok(p.notes.includes('file is UTF-16LE'));
  assert.ok(p.notes.some((n) => n.includes("'System.String[]'") && n.includes("-join ';'")));
  assert.ok(p.notes.some((n) => n.startsWith('Timestamp values are the local time')));
  assert.ok(p.notes.some((n) => n.includes('assumed month-first (M/d/yyyy)')));
  assert.ok(p.notes.some((n) => n.includes('as assumed: line 7')));
});

test('msgtrk-export: any column order, German dates, recipients joined by ; , or space', async () => {
  const p = await parse('tracking-joined-de.csv');
  assert.deepEqual(p.rejects, []);
  assert.deepEqual(
    p.rows.map((r) => [r.ts, r.role, r.recipients, r.recipient_count, r.bytes]),
    [
      ['2024-01-05 10:03:12.000', '1', 'andrew.lee@contoso.test;emily.chan@contoso.test', '2', '1000'],
      ['2024-01-05 10:03:14.000', '2', 'andrew.lee@contoso.test;emily.chan@contoso.test', '2', '1000'],
      ['2024-01-05 10:03:15.000', '2', 'andrew.lee@contoso.test;emily.chan@contoso.test;jake@fabrikam.example', '0', '0'],
    ],
  );
  assert.equal(p.rows[2]!.message_id, '~1:4');
});

test('msgtrk-export: day-first dates settled by a day above 12', async () => {
  const p = await parse('tracking-en-gb.csv');
  assert.deepEqual(
    p.rows.map((r) => r.ts),
    ['2024-01-05 14:00:00.000', '2024-01-13 09:30:00.000', '2024-03-02 23:59:59.000'],
  );
  assert.ok(p.notes.some((n) => n.includes('assumed day-first (d/M/yyyy)')));
  assert.ok(p.notes.some((n) => n.includes('as assumed: line 4')));
});

test('msgtrk-export: an assumption contradicted later is reported, and dates that fit neither are rejected', async () => {
  const p = await parse('tracking-order-contradicted.csv');
  assert.deepEqual(
    p.rows.map((r) => r.ts),
    ['2024-02-01 08:00:00.000', '2024-01-20 08:00:00.000'],
  );
  assert.ok(p.notes.some((n) => n.includes('may have day and month swapped')));
  assert.deepEqual(
    p.rejects.map((r) => [r.line, r.reason]),
    [[4, 'bad-time']],
  );
});

test('msgtrk-export: ISO times with a zone are UTC, and each reject reason has a line', async () => {
  const p = await parse('tracking-iso-rejects.csv');
  assert.deepEqual(
    p.rows.map((r) => [r.ts, r.subject]),
    [
      ['2024-01-05 09:00:01.123', 'UTC'],
      ['2024-01-05 09:00:02.000', 'offset +02:00'],
      ['2024-01-05 09:00:03.000', 'local, no zone'],
    ],
  );
  assert.deepEqual(
    p.rejects.map((r) => [r.line, r.reason]),
    [
      [1, 'no-header'],
      [6, 'field-count'],
      [7, 'unterminated-quote'],
      [8, 'bad-time'],
      [9, 'bad-number'],
    ] satisfies [number, RejectReason][],
  );
});

test('msgtrk-export: state() carries the header and the date order across a resume', () => {
  const lines = [
    '"Timestamp","EventId","Source","MessageId"',
    '"13/1/2024 10:00:00","RECEIVE","STOREDRIVER","<a>"',
    '"2/1/2024 10:00:00","DELIVER","STOREDRIVER","<a>"',
  ];
  const feed = (from: number, to: number, state?: unknown) => {
    const out = new TsvWriter(trackingEvents, 1, false);
    const p = msgtrkExport.parser({ file: 't', out: () => out, reject: () => assert.fail('reject'), note: () => {} }, state);
    for (let i = from; i <= to; i++) {
      const b = Buffer.from(lines[i - 1]!);
      p.line(b, 0, b.length, i, 0);
    }
    p.end();
    return { rows: parseTsv(out.take(), false), state: JSON.parse(JSON.stringify(p.state())) };
  };
  const first = feed(1, 2);
  const rest = feed(3, 3, first.state);
  assert.equal(rest.rows[0]![2], '2024-01-02 10:00:00.000'); // day-first, as settled before the resume
  assert.equal(rest.rows[0]![6], '2');
});
