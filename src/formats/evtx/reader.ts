// The EVTX container (libevtx documentation): a 4 KiB file header ("ElfFile\0"), then chunks of
// 64 KiB ("ElfChnk\0"), each with its own string and template caches and its records from offset
// 512 to the chunk's free-space offset. Each record: "**\0\0", size, record id, written time, Binary
// XML, the size again. How damage is handled:
//   - a chunk of zeros is unused space, skipped silently; a chunk with another signature is skipped
//     and said (the rest of the file is read);
//   - zero CRCs (some writers leave them) are accepted; a wrong CRC is said, and the records are
//     still read one by one, each checked on its own;
//   - a record whose header is broken, or whose Binary XML cannot be read, is a reject with its
//     chunk and record id; the reader then looks for the next record signature in the chunk, so
//     one broken record never ends the chunk or the file;
//   - the space after a chunk's last record (slack) may hold older records: those whose header and
//     size copy are intact and whose Binary XML reads are recovered, counted separately.
import { ChunkXml } from './binxml.js';
import { crc32 } from './crc32.js';
import { EventWalker, type EvtxEvent } from './event.js';
import { EvtxError, fileTimeMs } from './values.js';

export const FILE_MAGIC = Buffer.from('ElfFile\0', 'latin1');
export const CHUNK_MAGIC = Buffer.from('ElfChnk\0', 'latin1');
const RECORD_MAGIC = Buffer.from([0x2a, 0x2a, 0, 0]);
export const HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
const RECORDS_START = 512;

export interface FileHeader {
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly chunkCount: number;
  readonly nextRecordId: number;
  /** flag 1: the file was not closed cleanly */
  readonly dirty: boolean;
  /** flag 2: the log is full */
  readonly full: boolean;
  /** CRC of the header: 'ok', 'zero' or 'wrong' */
  readonly crc: 'ok' | 'zero' | 'wrong';
}

/** the file header from the first bytes; undefined when they are not an EVTX header */
export function fileHeader(head: Buffer): FileHeader | undefined {
  if (head.length < 128 || !head.subarray(0, 8).equals(FILE_MAGIC)) return undefined;
  const stored = head.readUInt32LE(124);
  const flags = head.readUInt32LE(120);
  return {
    minorVersion: head.readUInt16LE(36),
    majorVersion: head.readUInt16LE(38),
    chunkCount: head.readUInt16LE(42),
    nextRecordId: Number(head.readBigUInt64LE(24)),
    dirty: (flags & 1) !== 0,
    full: (flags & 2) !== 0,
    crc: stored === 0 ? 'zero' : stored === crc32(head, 0, 120) ? 'ok' : 'wrong',
  };
}

/** where a record came from */
export interface RecordInfo {
  /** chunk number in the file (0 = the chunk at byte 4096) */
  readonly chunk: number;
  /** the record id of its record header (0 when the header is unreadable) */
  readonly recordId: number;
  /** byte offset of the record in the chunk */
  readonly offset: number;
  /** FILETIME of the record header, ms since 1970 */
  readonly writtenMs: number;
  /** found in a chunk's slack space, not among its live records */
  readonly recovered: boolean;
}

export interface RecordSink {
  event(ev: EvtxEvent, rec: RecordInfo): void;
  /** a record that cannot be read: `truncated` when the data ends inside it */
  reject(rec: RecordInfo, detail: string, truncated: boolean): void;
}

export type ChunkStatus = 'ok' | 'empty' | 'bad-signature' | 'short';

export interface ChunkRead {
  readonly status: ChunkStatus;
  readonly headerCrc: 'ok' | 'zero' | 'wrong' | 'none';
  readonly dataCrc: 'ok' | 'zero' | 'wrong' | 'none';
  /** records read from the chunk's live area, rejects included (not those found by searching) */
  readonly records: number;
  /** records found by searching: behind a broken record, or in the slack space */
  readonly recovered: number;
  readonly rejects: number;
}

function allZero(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Reads the records of one chunk: `buf` holds the chunk (fewer than 64 KiB when the file ends
 * inside it), `index` its number in the file. Events and rejects go to sink, in chunk order.
 */
export function readChunk(buf: Buffer, index: number, sink: RecordSink): ChunkRead {
  const none = { headerCrc: 'none', dataCrc: 'none', records: 0, recovered: 0, rejects: 0 } as const;
  if (buf.length < 8 || !buf.subarray(0, 8).equals(CHUNK_MAGIC)) {
    return { ...none, status: allZero(buf, 0, Math.min(buf.length, RECORDS_START)) ? 'empty' : 'bad-signature' };
  }
  if (buf.length < RECORDS_START) return { ...none, status: 'short' };
  const storedHeaderCrc = buf.readUInt32LE(124);
  const headerCrc = storedHeaderCrc === 0 ? 'zero' : storedHeaderCrc === crc32(buf, 128, 512, crc32(buf, 0, 120)) ? 'ok' : 'wrong';
  let free = buf.readUInt32LE(48);
  const freeOk = free >= RECORDS_START && free <= CHUNK_SIZE;
  if (!freeOk) free = buf.length;
  const storedDataCrc = buf.readUInt32LE(52);
  const dataCrc = storedDataCrc === 0 ? 'zero' : free > buf.length ? 'wrong' : storedDataCrc === crc32(buf, RECORDS_START, free) ? 'ok' : 'wrong';

  const xml = new ChunkXml(buf);
  const walker = new EventWalker(xml);
  let records = 0;
  let recovered = 0;
  let rejects = 0;
  const seen = new Set<number>();

  const info = (offset: number, isRecovered: boolean): RecordInfo => {
    const ok = offset + 24 <= buf.length;
    return {
      chunk: index,
      offset,
      recordId: ok ? Number(buf.readBigUInt64LE(offset + 8)) : 0,
      writtenMs: ok ? fileTimeMs(buf, offset + 16) : Number.NaN,
      recovered: isRecovered,
    };
  };
  /** the record header at p is whole and its size copy matches: its size, else 0 */
  const sizeAt = (p: number): number => {
    if (p + 28 > buf.length || buf.readUInt32LE(p) !== 0x2a2a) return 0;
    const size = buf.readUInt32LE(p + 4);
    if (size < 28 || size > CHUNK_SIZE - RECORDS_START || p + size > buf.length || size % 4) return 0;
    return buf.readUInt32LE(p + size - 4) === size ? size : 0;
  };
  /** `slack`: a candidate in slack space, taken only when it reads as an event with its own id */
  const parse = (p: number, size: number, isRecovered: boolean, slack: boolean): boolean => {
    const rec = info(p, isRecovered);
    try {
      const ev = walker.event(xml.fragment(p + 24, p + size - 4));
      if (slack && (ev.eventId === '' || ev.eventRecordId !== String(rec.recordId))) return false;
      seen.add(rec.recordId);
      sink.event(ev, rec);
      return true;
    } catch (e) {
      if (slack) return false;
      if (!(e instanceof EvtxError || e instanceof RangeError)) throw e;
      rejects++;
      sink.reject(rec, `chunk ${index} record ${rec.recordId}: ${e.message}`, false);
      return false;
    }
  };
  /** the next intact record header in [from, limit), or -1 */
  const resync = (from: number, limit: number): number => {
    let q = from;
    while (q < limit) {
      q = buf.indexOf(RECORD_MAGIC, q);
      if (q < 0 || q >= limit) return -1;
      if (sizeAt(q)) return q;
      q++;
    }
    return -1;
  };

  let p = RECORDS_START;
  const limit = Math.min(free, buf.length);
  // records found by searching after a broken one are recovered (libevtx counts them so too)
  let searched = false;
  while (p + 24 <= limit) {
    const size = sizeAt(p);
    if (size) {
      if (searched) recovered++;
      else records++;
      parse(p, size, searched, false);
      p += size;
      continue;
    }
    // a broken record header: one reject, then the next intact record of the chunk
    records++;
    rejects++;
    const rec = info(p, false);
    const cut = buf.length < CHUNK_SIZE && buf.readUInt32LE(p) === 0x2a2a && p + buf.readUInt32LE(p + 4) > buf.length;
    const next = resync(p + 1, limit);
    sink.reject(
      rec,
      cut
        ? `chunk ${index} record ${rec.recordId}: the file ends inside the record`
        : `chunk ${index} record at offset ${p}: the record header is broken (no signature, or sizes that disagree)${next < 0 ? '; the rest of the chunk cannot be read' : `; reading on at offset ${next}`}`,
      cut,
    );
    if (next < 0) break;
    p = next;
    searched = true;
  }
  // slack space: older records behind the free-space offset
  let q = Math.max(p, limit);
  while (q + 28 <= buf.length) {
    const at = resync(q, buf.length);
    if (at < 0) break;
    const size = sizeAt(at);
    const id = Number(buf.readBigUInt64LE(at + 8));
    if (!seen.has(id) && parse(at, size, true, true)) {
      recovered++;
      q = at + size;
    } else q = at + 1;
  }
  return { status: 'ok', headerCrc, dataCrc, records, recovered, rejects };
}

export interface BufferRead {
  readonly header: FileHeader;
  readonly chunks: readonly ChunkRead[];
}

/** A whole file in memory (tests, bench): every chunk, in file order. */
export function readEvtx(file: Buffer, sink: RecordSink): BufferRead {
  const header = fileHeader(file);
  if (!header) throw new EvtxError('not an EVTX file: it does not start with ElfFile\\0');
  const chunks: ChunkRead[] = [];
  for (let off = HEADER_SIZE, i = 0; off < file.length; off += CHUNK_SIZE, i++) {
    chunks.push(readChunk(file.subarray(off, Math.min(file.length, off + CHUNK_SIZE)), i, sink));
  }
  return { header, chunks };
}
