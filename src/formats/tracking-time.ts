// Time conversions shared by the message-tracking formats. Every generation writes its times
// differently (2007+ `2022-09-19T15:02:29.339Z`, 2003 `2012-11-29` + `10:41:58 GMT`, 5.5
// `1998.3.4 11:14:10`, Export-Csv in the exporting machine's culture); tracking_events.ts takes one
// canonical text, `YYYY-MM-DD HH:MM:SS.fff`. The converters read bytes and write the canonical form
// into a caller's 23-byte scratch buffer, so the hot path (msgtrk) makes no strings per line.

/** length of the canonical time text */
export const TS_BYTES = 23;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MINUS = 45,
  PLUS = 43,
  COLON = 58,
  DOT = 46,
  SPACE = 32,
  COMMA = 44;

function daysIn(y: number, m: number): number {
  return m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : DAYS[m - 1]!;
}

function put(dst: Buffer, at: number, v: number, width: number): void {
  for (let i = at + width - 1; i >= at; i--) {
    dst[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
}

/** Write `YYYY-MM-DD HH:MM:SS.fff` into dst[0, 23). False (nothing meaningful written) when a part
 *  is out of range: month 13, 30 February, hour 24, second 60 … */
export function putTs(dst: Buffer, y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): boolean {
  if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return false;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || ms < 0 || ms > 999) return false;
  put(dst, 0, y, 4);
  dst[4] = MINUS;
  put(dst, 5, mo, 2);
  dst[7] = MINUS;
  put(dst, 8, d, 2);
  dst[10] = SPACE;
  put(dst, 11, h, 2);
  dst[13] = COLON;
  put(dst, 14, mi, 2);
  dst[16] = COLON;
  put(dst, 17, s, 2);
  dst[19] = DOT;
  put(dst, 20, ms, 3);
  return true;
}

/** like putTs, for a local time `offsetMinutes` east of UTC: the UTC time is written */
export function putTsOffset(dst: Buffer, y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offsetMinutes: number): boolean {
  if (!putTs(dst, y, mo, d, h, mi, s, ms)) return false; // validates the local time as written
  if (offsetMinutes === 0) return true;
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d); // not Date.UTC, which reads years below 100 as 19xx
  t.setUTCHours(h, mi, s, ms);
  t.setTime(t.getTime() - offsetMinutes * 60_000);
  return putTs(dst, t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds(), t.getUTCMilliseconds());
}

// A cursor over bytes, module-level so reading numbers allocates nothing. Single-threaded use only.
let at = 0;

/** digits at `at` (between min and max of them), advancing; -1 when fewer than min */
function digits(b: Buffer, e: number, min: number, max: number): number {
  let v = 0,
    n = 0;
  while (at < e && n < max) {
    const c = b[at]! - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
    at++;
    n++;
  }
  return n < min ? -1 : v;
}

/** a fraction of a second after the '.' at `at`: 1–9 digits, kept to milliseconds (truncated) */
function fraction(b: Buffer, e: number): number {
  let ms = 0,
    n = 0;
  while (at < e) {
    const c = b[at]! - 48;
    if (c < 0 || c > 9) break;
    if (n < 3) ms = ms * 10 + c;
    n++;
    at++;
  }
  if (n === 0) return -1;
  for (; n < 3; n++) ms *= 10;
  return ms;
}

/** `HH:MM:SS[.fff]` (hour of 1 or 2 digits) at `at`; fills h, mi, s, ms into T[3..6]; false if not */
function clock(b: Buffer, e: number): boolean {
  const h = digits(b, e, 1, 2);
  if (h < 0 || b[at] !== COLON) return false;
  at++;
  const mi = digits(b, e, 2, 2);
  if (mi < 0 || b[at] !== COLON) return false;
  at++;
  const s = digits(b, e, 2, 2);
  if (s < 0) return false;
  let ms = 0;
  if (at < e && (b[at] === DOT || b[at] === COMMA)) {
    at++;
    ms = fraction(b, e);
    if (ms < 0) return false;
  }
  T[3] = h;
  T[4] = mi;
  T[5] = s;
  T[6] = ms;
  return true;
}

const T = new Int32Array(7);

/** the decimal digit at b[i]; a large negative number when it is not a digit */
function d1(b: Buffer, i: number): number {
  const x = b[i]! - 48;
  return x >= 0 && x <= 9 ? x : -10000;
}

/** two decimal digits at b[i], b[i+1]; a large negative number when either is not a digit */
function d2(b: Buffer, i: number): number {
  const x = b[i]! - 48,
    y = b[i + 1]! - 48;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -10000;
}

/** ISO 8601 as Exchange 2007+ writes it: `YYYY-MM-DDTHH:MM:SS[.f…][Z|±HH:MM]` (a space is accepted
 *  for the T; no zone means UTC, as every 2007+ tracking time is). */
export function isoTs(b: Buffer, s: number, e: number, dst: Buffer): boolean {
  if (e - s < 19) return false;
  // fast path: the exact shape Exchange writes, 2022-09-19T15:02:29.339Z
  if (
    e - s === 24 &&
    b[s + 4] === MINUS &&
    b[s + 7] === MINUS &&
    b[s + 10] === 84 &&
    b[s + 13] === COLON &&
    b[s + 16] === COLON &&
    b[s + 19] === DOT &&
    b[s + 23] === 90
  ) {
    const y = d2(b, s) * 100 + d2(b, s + 2),
      mo = d2(b, s + 5),
      d = d2(b, s + 8);
    const h = d2(b, s + 11),
      mi = d2(b, s + 14),
      sec = d2(b, s + 17),
      ms = d2(b, s + 20) * 10 + d1(b, s + 22);
    return putTs(dst, y, mo, d, h, mi, sec, ms); // a non-digit made its part negative: refused there
  }
  at = s;
  const y = digits(b, e, 4, 4);
  if (y < 0 || b[at] !== MINUS) return false;
  at++;
  const mo = digits(b, e, 2, 2);
  if (mo < 0 || b[at] !== MINUS) return false;
  at++;
  const d = digits(b, e, 2, 2);
  if (d < 0 || (b[at] !== 84 && b[at] !== 116 && b[at] !== SPACE)) return false;
  at++;
  if (!clock(b, e)) return false;
  let offset = 0;
  if (at < e && (b[at] === 90 || b[at] === 122))
    at++; // Z
  else if (at < e && (b[at] === PLUS || b[at] === MINUS)) {
    const sign = b[at] === MINUS ? -1 : 1;
    at++;
    const oh = digits(b, e, 2, 2);
    if (oh < 0) return false;
    if (b[at] === COLON) at++;
    const om = digits(b, e, 2, 2);
    if (om < 0 || oh > 14 || om > 59) return false;
    offset = sign * (oh * 60 + om);
  }
  if (at !== e) return false;
  return putTsOffset(dst, y, mo, d, T[3]!, T[4]!, T[5]!, T[6]!, offset);
}

/** Exchange 2000/2003: the Date field (`2012-11-29`, month and day may have one digit) and the Time
 *  field (`10:41:58 GMT`, the ` GMT` suffix optional), both UTC. */
export function dateAndTimeTs(b: Buffer, ds: number, de: number, ts: number, te: number, dst: Buffer): boolean {
  at = ds;
  const y = digits(b, de, 4, 4);
  if (y < 0 || b[at] !== MINUS) return false;
  at++;
  const mo = digits(b, de, 1, 2);
  if (mo < 0 || b[at] !== MINUS) return false;
  at++;
  const d = digits(b, de, 1, 2);
  if (d < 0 || at !== de) return false;
  // the time, without the zone suffix
  let end = te;
  while (end > ts && b[end - 1] === SPACE) end--;
  if (end - ts >= 3 && b[end - 3] === 71 && b[end - 2] === 77 && b[end - 1] === 84) end -= 3; // GMT
  while (end > ts && b[end - 1] === SPACE) end--;
  at = ts;
  if (!clock(b, end) || at !== end) return false;
  return putTs(dst, y, mo, d, T[3]!, T[4]!, T[5]!, T[6]!);
}

/** Exchange 4.0–5.5: `1998.3.4 11:14:10` (GMT); `yyyy/m/d` and `yyyy-m-d` and zero-padded parts are
 *  accepted too. */
export function dottedTs(b: Buffer, s: number, e: number, dst: Buffer): boolean {
  at = s;
  const y = digits(b, e, 4, 4);
  const sep = b[at];
  if (y < 0 || (sep !== DOT && sep !== 47 && sep !== MINUS)) return false;
  at++;
  const mo = digits(b, e, 1, 2);
  if (mo < 0 || b[at] !== sep) return false;
  at++;
  const d = digits(b, e, 1, 2);
  if (d < 0 || b[at] !== SPACE) return false;
  while (at < e && b[at] === SPACE) at++;
  if (!clock(b, e)) return false;
  while (at < e && b[at] === SPACE) at++;
  if (at !== e) return false;
  return putTs(dst, y, mo, d, T[3]!, T[4]!, T[5]!, T[6]!);
}
