// CRC-32 (IEEE, as zlib) of the EVTX file and chunk headers and of a chunk's records: node's
// zlib.crc32 where the Node version has it (20.15+), else a table.
import * as zlib from 'node:zlib';

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

function tableCrc(buf: Uint8Array, start: number, end: number, crc: number): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of buf[start, end), continuing from `crc` (0 to start) */
export function crc32(buf: Buffer, start: number, end: number, crc = 0): number {
  if (native) return native(buf.subarray(start, end), crc) >>> 0;
  return tableCrc(buf, start, end, crc);
}
