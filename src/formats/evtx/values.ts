// EVTX substitution values (libevtx documentation, "Value types"): a value's bytes in the chunk and
// its type byte turned into the text Windows' XML rendering shows (and libevtx's evtxexport prints):
// decimal integers, 0x-padded hex for the HexInt and SizeT types, {GUID} in upper case, S-1-… SIDs,
// ISO times with nine fraction digits, binary as upper-case hex. Arrays (type | 0x80) are their
// elements' texts joined with ", " (strings: the NUL-separated list).

export const ValueType = {
  Null: 0x00,
  String: 0x01,
  AnsiString: 0x02,
  Int8: 0x03,
  UInt8: 0x04,
  Int16: 0x05,
  UInt16: 0x06,
  Int32: 0x07,
  UInt32: 0x08,
  Int64: 0x09,
  UInt64: 0x0a,
  Real32: 0x0b,
  Real64: 0x0c,
  Bool: 0x0d,
  Binary: 0x0e,
  Guid: 0x0f,
  SizeT: 0x10,
  FileTime: 0x11,
  SystemTime: 0x12,
  Sid: 0x13,
  HexInt32: 0x14,
  HexInt64: 0x15,
  EvtHandle: 0x20,
  BinXml: 0x21,
  EvtXml: 0x23,
  Array: 0x80,
} as const;

/** a value that cannot be what its type says (cut short, unknown type): the record is rejected */
export class EvtxError extends Error {}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEXU = HEX.map((h) => h.toUpperCase());

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** FILETIME (100 ns ticks since 1601) at buf[off] -> { ms since 1970, the 100 ns ticks within the ms } */
export function fileTimeMs(buf: Buffer, off: number): number {
  const lo = buf.readUInt32LE(off);
  const hi = buf.readUInt32LE(off + 4);
  // 2^32 * hi + lo fits a double exactly up to 2^53 ticks (year 30828 needs 2^63: such a time is garbage anyway)
  return (hi * 4294967296 + lo) / 10000 - 11644473600000;
}

/** 'YYYY-MM-DDTHH:MM:SS.fffffffffZ' like Windows' and evtxexport's rendering (nine digits) */
export function fileTimeIso(buf: Buffer, off: number): string {
  const lo = buf.readUInt32LE(off);
  const hi = buf.readUInt32LE(off + 4);
  const ticks = hi * 4294967296 + lo;
  const ms = Math.floor(ticks / 10000) - 11644473600000;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '';
  const sub = ticks - Math.floor(ticks / 10000000) * 10000000; // 100 ns ticks within the second
  return `${isoSeconds(d)}.${String(Math.round(sub)).padStart(7, '0')}00Z`;
}

function isoSeconds(d: Date): string {
  const y = d.getUTCFullYear();
  return `${y < 1000 ? String(y).padStart(4, '0') : y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** ms since 1970 -> 'YYYY-MM-DD HH:MM:SS.fff' (the stores' timestamp text); '' when not a time */
export function timestampText(ms: number): string {
  const d = new Date(Math.floor(ms));
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1601 || d.getUTCFullYear() > 9999) return '';
  const m = d.getUTCMilliseconds();
  return `${isoSeconds(d).replace('T', ' ')}.${m < 10 ? `00${m}` : m < 100 ? `0${m}` : m}`;
}

export function guidText(buf: Buffer, off: number): string {
  let s = '{';
  for (const i of [3, 2, 1, 0]) s += HEXU[buf[off + i]!];
  s += '-';
  for (const i of [5, 4]) s += HEXU[buf[off + i]!];
  s += '-';
  for (const i of [7, 6]) s += HEXU[buf[off + i]!];
  s += '-';
  for (let i = 8; i < 10; i++) s += HEXU[buf[off + i]!];
  s += '-';
  for (let i = 10; i < 16; i++) s += HEXU[buf[off + i]!];
  return `${s}}`;
}

export function sidText(buf: Buffer, off: number, size: number): string {
  if (size < 8) throw new EvtxError(`a SID of ${size} bytes`);
  const count = buf[off + 1]!;
  if (8 + 4 * count > size) throw new EvtxError(`a SID with ${count} sub-authorities in ${size} bytes`);
  const authority = buf.readUIntBE(off + 2, 6);
  let s = `S-${buf[off]}-${authority}`;
  for (let i = 0; i < count; i++) s += `-${buf.readUInt32LE(off + 8 + 4 * i)}`;
  return s;
}

function hexLower(buf: Buffer, off: number, bytes: number): string {
  // little-endian number, most significant byte first
  let s = '0x';
  for (let i = bytes - 1; i >= 0; i--) s += HEX[buf[off + i]!];
  return s;
}

function binaryHex(buf: Buffer, off: number, size: number): string {
  return buf.toString('hex', off, off + size).toUpperCase();
}

function systemTimeText(buf: Buffer, off: number): string {
  const y = buf.readUInt16LE(off);
  const mo = buf.readUInt16LE(off + 2);
  const d = buf.readUInt16LE(off + 6);
  const h = buf.readUInt16LE(off + 8);
  const mi = buf.readUInt16LE(off + 10);
  const s = buf.readUInt16LE(off + 12);
  const ms = buf.readUInt16LE(off + 14);
  return `${String(y).padStart(4, '0')}-${pad2(mo)}-${pad2(d)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}.${String(ms).padStart(3, '0')}000000Z`;
}

/** UTF-16LE text without the NUL terminator(s) some writers include in the size */
export function utf16(buf: Buffer, off: number, end: number): string {
  while (end - 2 >= off && buf[end - 1] === 0 && buf[end - 2] === 0) end -= 2;
  return buf.toString('utf16le', off, end);
}

const FIXED: Record<number, number> = {
  3: 1,
  4: 1,
  5: 2,
  6: 2,
  7: 4,
  8: 4,
  9: 8,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  15: 16,
  17: 8,
  18: 16,
  20: 4,
  21: 8,
};

/** text of one scalar value of `type` at buf[off, off+size) */
function scalarText(buf: Buffer, off: number, size: number, type: number): string {
  const need = FIXED[type];
  if (need !== undefined && size < need) throw new EvtxError(`a value of type 0x${type.toString(16)} in ${size} bytes`);
  switch (type) {
    case 0x00:
      return '';
    case 0x01:
      return utf16(buf, off, off + (size & ~1));
    case 0x02: {
      let e = off + size;
      while (e > off && buf[e - 1] === 0) e--;
      return buf.toString('latin1', off, e);
    }
    case 0x03:
      return String(buf.readInt8(off));
    case 0x04:
      return String(buf[off]);
    case 0x05:
      return String(buf.readInt16LE(off));
    case 0x06:
      return String(buf.readUInt16LE(off));
    case 0x07:
      return String(buf.readInt32LE(off));
    case 0x08:
      return String(buf.readUInt32LE(off));
    case 0x09:
      return buf.readBigInt64LE(off).toString();
    case 0x0a: {
      const hi = buf.readUInt32LE(off + 4);
      return hi < 0x200000 ? String(hi * 4294967296 + buf.readUInt32LE(off)) : buf.readBigUInt64LE(off).toString();
    }
    case 0x0b:
      return String(buf.readFloatLE(off));
    case 0x0c:
      return String(buf.readDoubleLE(off));
    case 0x0d:
      return buf.readUInt32LE(off) ? 'true' : 'false';
    case 0x0e:
      return binaryHex(buf, off, size);
    case 0x0f:
      return guidText(buf, off);
    case 0x10:
      return size >= 8 ? hexLower(buf, off, 8) : size >= 4 ? hexLower(buf, off, 4) : binaryHex(buf, off, size);
    case 0x11:
      return fileTimeIso(buf, off);
    case 0x12:
      return systemTimeText(buf, off);
    case 0x13:
      return sidText(buf, off, size);
    case 0x14:
      return hexLower(buf, off, 4);
    case 0x15:
      return hexLower(buf, off, 8);
    case 0x20:
      return '';
    default:
      throw new EvtxError(`unknown value type 0x${type.toString(16)}`);
  }
}

/** text of a substitution value (not BinXml: the reader walks into those) */
export function valueText(buf: Buffer, off: number, size: number, type: number): string {
  if (size === 0) return '';
  if (!(type & 0x80)) return scalarText(buf, off, size, type);
  return arrayItems(buf, off, size, type).join(', ');
}

/** the items of an array value (type | 0x80): an element holding one is repeated per item when
 *  rendered, so a classic event's insertion strings %1…%n are the items of one string array */
export function arrayItems(buf: Buffer, off: number, size: number, type: number): string[] {
  const t = type & 0x7f;
  const parts: string[] = [];
  if (t === 0x01 || t === 0x02) {
    // NUL-terminated strings one after another
    const unit = t === 0x01 ? 2 : 1;
    let s = off;
    const end = off + size;
    for (let p = off; p + unit <= end; p += unit) {
      if (buf[p] === 0 && (unit === 1 || buf[p + 1] === 0)) {
        parts.push(t === 0x01 ? buf.toString('utf16le', s, p) : buf.toString('latin1', s, p));
        s = p + unit;
      }
    }
    if (s < end) parts.push(t === 0x01 ? buf.toString('utf16le', s, off + ((end - off) & ~1)) : buf.toString('latin1', s, end));
    return parts;
  }
  const w = FIXED[t] ?? (t === 0x10 ? 8 : t === 0x13 ? 0 : 0);
  if (t === 0x13) {
    // SIDs of their own lengths, one after another
    let p = off;
    while (p + 8 <= off + size) {
      const n = 8 + 4 * buf[p + 1]!;
      parts.push(sidText(buf, p, Math.min(n, off + size - p)));
      p += n;
    }
    return parts;
  }
  if (!w) throw new EvtxError(`an array of value type 0x${t.toString(16)}`);
  for (let p = off; p + w <= off + size; p += w) parts.push(scalarText(buf, p, w, t));
  return parts;
}
