// Tracking rows with everything TabSeparated must survive (backslashes, \N as text, NULLs, quotes,
// control bytes, unicode), written by the real TsvWriter, for the insert tests.
import { trackingEvents } from '../../schema/tables.js';
import { TsvWriter, parseTsv } from '../../schema/tsv.js';

const NASTY = [
  'plain',
  "it's",
  'back\\slash',
  '\\N',
  '\\\\N',
  'ends with \\',
  '\\t not a tab',
  'tab\there',
  'line\nbreak',
  'cr\r\n',
  'nul\0byte',
  'bell\x07 esc\x1b del\x7f',
  '"quoted"',
  "'; DROP TABLE tracking_events; --",
  'Grüße aus Köln',
  'Привет мир',
  '日本語の件名',
  '😀 emoji 👩‍👩‍👧',
  'e\u0301 combining',
  '\u2028 line separator',
  '',
];
const SENDERS = ['Alice@Example.ORG', 'BÖB@EXAMPLE.org', 'Дмитрий@Пример.РФ', "o'Brien+tag@Example.com", 'weird\\name@x.org', 'MAILER-DAEMON'];

/** n rows of tracking_events (file_id 7), encoded with backslashEscapes = true, and the values
 *  they decode to (what a store must give back) */
export function trackingRows(n: number): { tsv: Buffer; rows: (string | null)[][] } {
  const w = new TsvWriter(trackingEvents, 7, true);
  let seed = 12345;
  const rnd = (k: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  const pick = <T>(a: readonly T[]): T => a[rnd(a.length)]!;
  const base = Date.UTC(2024, 0, 31, 23, 0, 0);
  for (let i = 0; i < n; i++) {
    w.begin(i + 1);
    const ms = i % 5 === 0 ? 0 : i % 7 === 0 ? 999 : rnd(1000);
    w.text(new Date(base + i * 1733 + ms).toISOString().replace('T', ' ').replace('Z', '').slice(0, 19) + '.' + String(ms).padStart(3, '0'));
    w.text(pick(['EX01', 'ex02.example.org', '']));
    w.text(pick(['DELIVER', 'RECEIVE', 'SEND', '1028', '4']));
    if (i % 11 === 0) w.nul();
    else w.text(pick(['STOREDRIVER', 'SMTP', '']));
    w.int(rnd(4));
    w.text(`<${i}.${rnd(1e6)}@example.org>`);
    if (i % 13 === 0) w.nul();
    else {
      const b = Buffer.from(pick(NASTY));
      w.bytes(b, 0, b.length);
    }
    w.text(pick(SENDERS));
    if (i % 17 === 0) w.nul();
    else w.text(Array.from({ length: 1 + rnd(3) }, () => pick(SENDERS)).join(';'));
    if (i % 19 === 0) w.nul();
    else w.int(rnd(50));
    w.int(i % 23 === 0 ? 2 ** 40 + i : rnd(5_000_000));
    w.text(pick(['Incoming', 'Originating', 'Undefined', '']));
    if (i % 3 === 0) w.nul();
    else w.text(pick(NASTY) + ' ' + pick(NASTY));
    if (i % 29 === 0) w.nul();
    else w.text(`10.${rnd(256)}.${rnd(256)}.${rnd(256)}`);
    w.end();
  }
  const tsv = w.take();
  return { tsv, rows: parseTsv(tsv, true) };
}

/** a row read back from ClickHouse as strings (numbers as decimal text), for comparison */
export function asText(row: Record<string, unknown>, columns: readonly string[]): (string | null)[] {
  return columns.map((c) => {
    const v = row[c];
    return v === null || v === undefined ? null : String(v);
  });
}
