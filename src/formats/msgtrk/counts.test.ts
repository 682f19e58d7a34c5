// Regression (found by formats/fuzz.test.ts): total-bytes and recipient-count with more digits than
// their columns hold (bigint, int) were written as they are, and the store then refused the whole
// batch, losing every good row with it. Now such a line is rejected `bad-number`, in each of the
// four tracking formats (they share msgtrk/row.ts's isCount); the largest values the columns hold
// (2^63-1 bytes, 2^31-1 recipients, hand-written below) are still rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWith } from '../../testing/formats.js';
import type { TextFormat } from '../types.js';
import { msgtrk } from './msgtrk.js';
import { msgtrk2003 } from '../msgtrk2003/msgtrk2003.js';
import { msgtrkExport } from '../msgtrk-export/msgtrk-export.js';
import { msgtrk55 } from '../msgtrk55/msgtrk55.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-counts-'));
const BYTES_MAX = '9223372036854775807';
const COUNT_MAX = '2147483647';
// [bytes, recipients, a row?]
const cases: [string, string, boolean][] = [
  [BYTES_MAX, COUNT_MAX, true],
  [`000${BYTES_MAX}`, `00${COUNT_MAX}`, true],
  ['9223372036854775808', '1', false],
  ['99999999999999999999', '1', false],
  ['10', '2147483648', false],
  ['10', '10000000000', false],
];

async function check(format: TextFormat, name: string, lines: (bytes: string, recipients: string) => string, header: string) {
  const p = join(dir, name);
  writeFileSync(p, header + cases.map(([b, r]) => lines(b, r)).join(''));
  const parsed = await parseWith(format, p);
  const first = header.split('\n').length;
  const rowLines = cases.flatMap(([, , ok], i) => (ok ? [String(first + i)] : []));
  assert.deepEqual(
    parsed.rows.map((r) => r.line),
    rowLines,
  );
  assert.deepEqual(
    parsed.rows.map((r) => [r.bytes, r.recipient_count]),
    [
      [BYTES_MAX, COUNT_MAX],
      [BYTES_MAX, COUNT_MAX],
    ],
  );
  assert.deepEqual(
    parsed.rejects.map((r) => [r.line, r.reason]),
    cases.flatMap(([, , ok], i) => (ok ? [] : [[first + i, 'bad-number']])),
  );
}

test('msgtrk: total-bytes above 2^63-1 and recipient-count above 2^31-1 are bad-number rejects, not rows the store refuses', async () => {
  await check(
    msgtrk,
    'MSGTRK2024010100-1.LOG',
    (b, r) => `2024-01-01T00:00:00.000Z,,,,EX01,,,STOREDRIVER,DELIVER,1,<m@x>,a@x,,${b},${r},,,subject,b@x\r\n`,
    '#Software: Microsoft Exchange Server\r\n#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address\r\n',
  );
});

test('msgtrk2003: the same bounds', async () => {
  await check(
    msgtrk2003,
    '20240101.log',
    (b, r) => `2024-1-1\t0:00:00 GMT\t-\t-\t-\tEX01\t-\ta@x\t1028\tID@x\t0\t0\t${b}\t${r}\t2024-1-1 0:00:00 GMT\t0\t-\t-\tsubject\tb@x\t-\n`,
    '# Message Tracking Log File\n',
  );
});

test('msgtrk-export: the same bounds', async () => {
  await check(
    msgtrkExport,
    'tracking.csv',
    (b, r) => `"2024-01-01T00:00:00Z","DELIVER","STOREDRIVER","EX01","<m@x>","b@x","a@x","${b}","${r}"\n`,
    '"Timestamp","EventId","Source","ServerHostname","MessageId","Sender","Recipients","TotalBytes","RecipientCount"\n',
  );
});

test('msgtrk55: the same bounds (Length and Number of recipients)', async () => {
  await check(msgtrk55, '19980101.log', (b, r) => `id-${b}-${r}\t9\t1998.1.1 10:00:00\t\tMDB\t\t/o=O/cn=A\t0\t${b}\t0\t0\t\t${r}\n`, '');
});
