// Copying split fields into tracking_events rows, shared by the message-tracking formats: on bytes,
// without making strings (the msgtrk hot path uses them for every line).
import type { Fields } from '../fields.js';
import type { TsvWriter } from '../../schema/tsv.js';
import { countingRoles } from './layouts.js';

const ZERO = 48;

/** field i copied as logged (CSV quotes undone); a field the layout lacks (i < 0) is written as
 *  empty text or NULL, as the format's empty-versus-NULL rule says */
export function copyField(out: TsvWriter, buf: Buffer, f: Fields, i: number, emptyWhenAbsent: boolean): void {
  if (i < 0) {
    if (emptyWhenAbsent) out.bytes(buf, 0, 0);
    else out.nul();
    return;
  }
  if (f.escaped[i]) out.quoted(buf, f.start[i]!, f.end[i]!);
  else out.bytes(buf, f.start[i]!, f.end[i]!);
}

/** the largest count a column holds: recipient-count is stored as int, total-bytes as bigint; a
 *  larger number would make the store refuse the whole batch (the whole-file load, schema/bulk.ts,
 *  refuses such a file, so the parser must reject exactly those values too) */
export const COUNT_MAX = '2147483647';
export const SIZE_MAX = '9223372036854775807';

/** field i is absent (i < 0), empty or all digits, not above `max` (digits): a count or size the
 *  row can take */
export function isCount(buf: Buffer, f: Fields, i: number, max: string): boolean {
  if (i < 0) return true;
  const e = f.end[i]!;
  let p = f.start[i]!;
  for (let q = p; q < e; q++) {
    const c = buf[q]! - ZERO;
    if (c < 0 || c > 9) return false;
  }
  while (p < e && buf[p] === ZERO) p++;
  return fits(buf.toString('latin1', p, e), max);
}

/** digits (leading zeros removed) not above `max` */
function fits(digits: string, max: string): boolean {
  return digits.length === max.length ? digits <= max : digits.length < max.length;
}

/** a text of digits only (or empty) not above `max`: isCount() for formats that work on strings */
export function isCountText(text: string, max: string): boolean {
  return /^\d*$/.test(text) && fits(text.replace(/^0+/, ''), max);
}

/** a field isCount() accepted: its digits without leading zeros; 0 when empty or absent */
export function writeCount(out: TsvWriter, buf: Buffer, f: Fields, i: number): void {
  if (i < 0) {
    out.int(0);
    return;
  }
  let p = f.start[i]!;
  const e = f.end[i]!;
  while (p < e - 1 && buf[p] === ZERO) p++;
  if (p === e) out.int(0);
  else out.bytes(buf, p, e);
}

/** the Role bits of a 2007+ event (event-id and source fields), from layouts.ts countingRoles */
export function roleOf(buf: Buffer, f: Fields, event: number, source: number): number {
  if (event < 0 || source < 0) return 0;
  for (let k = 0; k < countingRoles.length; k++) {
    const r = countingRoles[k]!;
    if (f.is(buf, event, r.event) && f.is(buf, source, r.source)) return r.role;
  }
  return 0;
}

const missingId = Buffer.alloc(48);
let missingIdFile = -1;
let missingIdPrefix = 0;

/** the message_id of a line that logged none: `~<file id>:<line>`, never empty and unique (written
 *  without making a string: NOTIFYMAPI lines are frequent) */
export function writeMissingMessageId(out: TsvWriter, lineNo: number): void {
  if (out.fileId !== missingIdFile) {
    missingIdFile = out.fileId;
    missingIdPrefix = missingId.write(`~${out.fileId}:`, 0, 'latin1');
  }
  let n = missingIdPrefix;
  let digits = 1;
  for (let t = lineNo; t >= 10; t = Math.floor(t / 10)) digits++;
  for (let i = n + digits - 1, v = lineNo; i >= n; i--) {
    missingId[i] = ZERO + (v % 10);
    v = Math.floor(v / 10);
  }
  n += digits;
  out.bytes(missingId, 0, n);
}

/** where a 2007+ line (native CSV or Export-Csv) holds each value of the row (-1: absent) */
export interface Row2007Columns {
  readonly server: number;
  readonly event: number;
  readonly source: number;
  readonly messageId: number;
  readonly internalId: number;
  readonly sender: number;
  readonly recipients: number;
  readonly recipientCount: number;
  readonly bytes: number;
  readonly directionality: number;
  readonly subject: number;
  readonly clientIp: number;
}

/** the whole tracking_events row of a validated 2007+ line; `ts` holds the canonical time.
 *  `recipients`, when given, writes the recipients column (Export-Csv rewrites its separators). */
export function writeRow2007(
  out: TsvWriter,
  buf: Buffer,
  f: Fields,
  c: Row2007Columns,
  ts: Buffer,
  tsBytes: number,
  lineNo: number,
  recipients?: () => void,
): void {
  out.begin(lineNo);
  out.bytes(ts, 0, tsBytes);
  copyField(out, buf, f, c.server, true);
  copyField(out, buf, f, c.event, true);
  copyField(out, buf, f, c.source, true);
  out.int(roleOf(buf, f, c.event, c.source));
  if (c.messageId >= 0 && !f.empty(c.messageId)) copyField(out, buf, f, c.messageId, false);
  else writeMissingMessageId(out, lineNo);
  copyField(out, buf, f, c.internalId, false);
  copyField(out, buf, f, c.sender, false);
  if (recipients) recipients();
  else copyField(out, buf, f, c.recipients, false);
  writeCount(out, buf, f, c.recipientCount);
  writeCount(out, buf, f, c.bytes);
  copyField(out, buf, f, c.directionality, true);
  copyField(out, buf, f, c.subject, false);
  copyField(out, buf, f, c.clientIp, false);
  out.end();
}
