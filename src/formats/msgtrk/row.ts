// Copying split fields into tracking_events rows, shared by the message-tracking formats: on bytes,
// without making strings (the msgtrk hot path uses them for every line).
import type { Fields } from '../fields.js';
import type { TsvWriter } from '../../ingest/tsv.js';
import { countingRoles } from './layouts.js';

const ZERO = 48;

/** field i copied as logged (CSV quotes undone); a field the layout lacks (i < 0) is written as
 *  empty text or NULL, as the format's empty-versus-NULL rule says */
export function copyField(out: TsvWriter, buf: Buffer, f: Fields, i: number, emptyWhenAbsent: boolean): void {
  if (i < 0) { if (emptyWhenAbsent) out.bytes(buf, 0, 0); else out.nul(); return; }
  if (f.escaped[i]) out.quoted(buf, f.start[i]!, f.end[i]!);
  else out.bytes(buf, f.start[i]!, f.end[i]!);
}

/** field i is absent (i < 0), empty or all digits: a count or size the row can take */
export function isCount(buf: Buffer, f: Fields, i: number): boolean {
  if (i < 0) return true;
  const e = f.end[i]!;
  for (let p = f.start[i]!; p < e; p++) { const c = buf[p]! - ZERO; if (c < 0 || c > 9) return false; }
  return true;
}

/** a field isCount() accepted: its digits without leading zeros; 0 when empty or absent */
export function writeCount(out: TsvWriter, buf: Buffer, f: Fields, i: number): void {
  if (i < 0) { out.int(0); return; }
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
