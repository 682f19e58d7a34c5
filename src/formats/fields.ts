// Field splitting on bytes, shared by the formats. A split fills a reusable Fields object with the
// [start, end) range of each field, so no strings are made until a format asks for one.

const QUOTE = 34;

export class Fields {
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** 1 when the field was quoted and contains doubled quotes ("") still to be undone */
  readonly escaped: Uint8Array;
  /** 1 when the field was quoted */
  readonly quoted: Uint8Array;
  count = 0;
  /** set by splitCsv when a quoted field is not closed before the end of the line */
  unterminated = false;

  constructor(readonly max = 512) {
    this.start = new Int32Array(max);
    this.end = new Int32Array(max);
    this.escaped = new Uint8Array(max);
    this.quoted = new Uint8Array(max);
  }

  /** field i as a string (quotes undone) */
  text(buf: Buffer, i: number): string {
    const s = buf.toString('utf8', this.start[i]!, this.end[i]!);
    return this.escaped[i] ? s.replace(/""/g, '"') : s;
  }

  /** field i is empty */
  empty(i: number): boolean {
    return this.end[i] === this.start[i];
  }

  /** field i equals an ASCII string */
  is(buf: Buffer, i: number, ascii: string): boolean {
    const s = this.start[i]!;
    if (this.end[i]! - s !== ascii.length) return false;
    for (let k = 0; k < ascii.length; k++) if (buf[s + k] !== ascii.charCodeAt(k)) return false;
    return true;
  }
}

/** RFC 4180 CSV fields of buf[start, end) with `sep` (default comma). Returns the field count;
 *  more than fields.max fields stops the split early (the count is then fields.max + 1). */
export function splitCsv(buf: Buffer, start: number, end: number, f: Fields, sep = 44): number {
  let n = 0;
  let i = start;
  f.unterminated = false;
  for (;;) {
    if (n === f.max) return f.max + 1;
    if (i < end && buf[i] === QUOTE) {
      let j = i + 1;
      let esc = 0;
      for (;;) {
        while (j < end && buf[j] !== QUOTE) j++;
        if (j >= end) {
          f.unterminated = true;
          break;
        }
        if (buf[j + 1] === QUOTE && j + 1 < end) {
          j += 2;
          esc = 1;
          continue;
        }
        break;
      }
      f.start[n] = i + 1;
      f.end[n] = Math.min(j, end);
      f.escaped[n] = esc;
      f.quoted[n] = 1;
      n++;
      // after the closing quote: expect a separator (tolerate stray text up to it)
      i = j + 1;
      while (i < end && buf[i] !== sep) i++;
      if (i >= end) break;
      i++;
    } else {
      let j = i;
      while (j < end && buf[j] !== sep) j++;
      f.start[n] = i;
      f.end[n] = j;
      f.escaped[n] = 0;
      f.quoted[n] = 0;
      n++;
      if (j >= end) break;
      i = j + 1;
    }
  }
  f.count = n;
  return n;
}

/** fields of buf[start, end) split on one byte (TAB = 9, space = 32 …), no quoting */
export function splitOn(buf: Buffer, start: number, end: number, f: Fields, sep: number): number {
  let n = 0;
  let i = start;
  for (;;) {
    if (n === f.max) return f.max + 1;
    let j = buf.indexOf(sep, i);
    if (j < 0 || j > end) j = end;
    f.start[n] = i;
    f.end[n] = j;
    f.escaped[n] = 0;
    f.quoted[n] = 0;
    n++;
    if (j >= end) break;
    i = j + 1;
  }
  f.count = n;
  return n;
}
