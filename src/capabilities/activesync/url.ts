// URL decoding of log values, the one implementation: the Log= decoder (strings) and the IIS
// format's hot path (bytes) both call urlDecodeBytes.
//
// The rule: a value is decoded exactly once, from the form it has in the log line. `%XX` becomes
// the byte XX, `+` becomes a space when `plusIsSpace` (query strings, IIS fields: IIS writes a space
// as +). Kept as written: malformed escapes (`%zz`, a lone `%`), escapes of control characters
// (`%00`–`%1F`, `%7F`: a decoded control byte is never what an admin wants to see, and a `%12` that
// was itself decoded from `%2512` must not turn into one), and — decided by the caller with isUtf8 —
// values whose decoded bytes are not UTF-8.
import { isUtf8 } from 'node:buffer';

const PERCENT = 37,
  PLUS = 43,
  SPACE = 32;

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** src[s, e) needs decoding (holds a % or, when plusIsSpace, a +) */
export function needsUrlDecode(src: Uint8Array, s: number, e: number, plusIsSpace: boolean): boolean {
  for (let i = s; i < e; i++) {
    const c = src[i];
    if (c === PERCENT || (c === PLUS && plusIsSpace)) return true;
  }
  return false;
}

/** Decodes src[s, e) into dst from `at` (dst needs e - s bytes); returns the end in dst. */
export function urlDecodeBytes(src: Uint8Array, s: number, e: number, dst: Uint8Array, at: number, plusIsSpace: boolean): number {
  let p = at;
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    if (c === PLUS && plusIsSpace) {
      dst[p++] = SPACE;
      continue;
    }
    if (c === PERCENT && i + 2 < e) {
      const h = hexVal(src[i + 1]!),
        l = hexVal(src[i + 2]!);
      const b = (h << 4) | l;
      if (h >= 0 && l >= 0 && b >= 32 && b !== 127) {
        dst[p++] = b;
        i += 2;
        continue;
      }
    }
    dst[p++] = c;
  }
  return p;
}

/** String form for the decoder: the value decoded once (`+` is a space), or as written when the
 *  decoded bytes are not UTF-8. */
export function urlDecode(s: string): string {
  if (s.indexOf('%') < 0) return s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' ');
  const src = Buffer.from(s, 'utf8');
  const dst = Buffer.allocUnsafe(src.length);
  const n = urlDecodeBytes(src, 0, src.length, dst, 0, true);
  return isUtf8(dst.subarray(0, n)) ? dst.toString('utf8', 0, n) : s;
}
