// A made-up binary record file, for tests of what binary formats may do (formats/types.ts
// BinaryFormat): magic bytes to sniff, records read by the format itself in bounded memory, record
// numbers as the rows' origin, rejects for damaged and cut-off records, resume points inside the
// file, and a record key that makes overlapping files store each record once (the way exports of
// one Windows event log overlap).
//
// File: a 16-byte header, then records.
//   header  "MXREC\0\r\n" (8 bytes; the CR LF catches a file mangled by text-mode copies), u16 LE
//           version = 1, 6 bytes zero
//   record  u32 LE magic 0x2a2a5252 ("RR**"), u32 LE size of the whole record (prefix included),
//           u32 LE record id, u16 LE length + UTF-8 source, u16 LE length + UTF-8 message, u32 LE value
// Records come in blocks of 8 (records 1–8, 9–16 …), as an event log's records come in chunks: a
// writer fills a block before it starts the next, so while the file ends inside a block (a log
// still being written) that block's records are provisional: stored, and read again (replacing
// them) when the file grows. A record whose magic is wrong is rejected ('malformed') and reading
// goes on at the next magic; a record whose declared size or fields do not fit is rejected too; one
// the file ends inside is rejected ('truncated') and provisional with its block.
import { open } from 'node:fs/promises';
import { noTextSniff, type BinaryFormat, type RecordContext, type RecordFile, type RecordPosition, type RecordsRead } from '../formats/types.js';
import { origin, recordTables, type RecordKind, type RecordTable } from '../schema/tables.js';

export const MAGIC = Buffer.from('MXREC\0\r\n', 'latin1');
export const HEADER_BYTES = 16;
const RECORD_MAGIC = 0x2a2a5252;
const PREFIX = 8;
const MAX_RECORD = 1 << 20;
/** bytes read at a time: a record is parsed when it lies whole in the window */
const WINDOW = 64 * 1024;
/** records between two checkpoints */
const CHECKPOINT_EVERY = 32;
export const RECORDS_PER_BLOCK = 8;

export const testRecords: RecordTable = {
  name: 'test_records',
  doc: 'records of the made-up binary file of src/testing/record-file.ts',
  columns: [
    ...origin,
    { name: 'source', type: 'text', doc: "who logged it (the role of an event log record's Computer + Channel)" },
    { name: 'record_id', type: 'bigint', doc: "the record's own id (the role of EventRecordID)" },
    { name: 'message', type: 'text', doc: 'free text' },
    { name: 'value', type: 'int', doc: 'a number' },
  ],
  recordKey: ['source', 'record_id'],
};

/** the test tables' kinds: not kinds of schema/tables.ts until registerTestTables() adds them */
export const testKinds = { records: 'test_records', users: 'test_users', samples: 'test_samples' } as unknown as Readonly<
  Record<'records' | 'users' | 'samples', RecordKind>
>;

export interface TestRecord {
  id: number;
  source: string;
  message: string;
  value: number;
}

/** the bytes of one record */
export function recordBytes(r: TestRecord): Buffer {
  const src = Buffer.from(r.source, 'utf8');
  const msg = Buffer.from(r.message, 'utf8');
  const size = PREFIX + 4 + 2 + src.length + 2 + msg.length + 4;
  const b = Buffer.alloc(size);
  let p = b.writeUInt32LE(RECORD_MAGIC, 0);
  p = b.writeUInt32LE(size, p);
  p = b.writeUInt32LE(r.id, p);
  p = b.writeUInt16LE(src.length, p);
  p += src.copy(b, p);
  p = b.writeUInt16LE(msg.length, p);
  p += msg.copy(b, p);
  b.writeUInt32LE(r.value, p);
  return b;
}

export function headerBytes(): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(h, 0);
  h.writeUInt16LE(1, 8);
  return h;
}

/** a whole file of these records */
export function recordFile(records: readonly TestRecord[]): Buffer {
  return Buffer.concat([headerBytes(), ...records.map(recordBytes)]);
}

/** Reads [start, end) of the file through one window buffer (grown only for a record bigger than
 *  the window, up to MAX_RECORD). */
class Window {
  private buf = Buffer.alloc(WINDOW);
  private start = 0;
  private end = 0;

  constructor(
    private readonly fh: Awaited<ReturnType<typeof open>>,
    private readonly size: number,
  ) {}

  /** the bytes [pos, pos + n) (fewer at the end of the file), valid until the next call */
  async bytes(pos: number, n: number): Promise<Buffer> {
    if (pos < this.start || pos + n > this.end) {
      if (n > this.buf.length) this.buf = Buffer.alloc(n);
      const want = Math.min(this.buf.length, this.size - pos);
      const { bytesRead } = want > 0 ? await this.fh.read(this.buf, 0, want, pos) : { bytesRead: 0 };
      this.start = pos;
      this.end = pos + bytesRead;
    }
    return this.buf.subarray(pos - this.start, Math.min(pos + n, this.end) - this.start);
  }
}

/** the next record magic at or after `from`, or -1 */
async function resync(w: Window, from: number, size: number): Promise<number> {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(RECORD_MAGIC);
  for (let pos = from; pos < size; pos += WINDOW - 3) {
    const b = await w.bytes(pos, WINDOW);
    const i = b.indexOf(magic);
    if (i >= 0) return pos + i;
    if (b.length < WINDOW) return -1;
  }
  return -1;
}

async function readRecords(ctx: RecordContext, file: RecordFile): Promise<RecordsRead> {
  const out = ctx.out(testKinds.records);
  const fh = await open(file.path, 'r');
  try {
    const size = Math.min(file.size, (await fh.stat()).size);
    const w = new Window(fh, size);
    let pos = file.from?.offset ?? 0;
    let record = file.from?.record ?? 1;
    const first = record;
    const at = (): RecordPosition => ({ offset: pos, record });
    /** where the block holding the next record starts (reading resumes only at a block start) */
    let block = at();
    // the file ends inside a block (or inside a record: `cut`): from that block on, rows are provisional
    const done = (cut = false): RecordsRead => ({ end: at(), records: record - first, ...(cut || block.record < record ? { provisional: block } : {}) });
    if (pos === 0) {
      const h = await w.bytes(0, HEADER_BYTES);
      if (h.length < HEADER_BYTES || !h.subarray(0, 8).equals(MAGIC)) {
        ctx.reject(1, 'malformed', 'no MXREC header');
        record++;
        block = at();
        return done();
      }
      pos = HEADER_BYTES;
    }
    let sinceCheckpoint = 0;
    while (pos < size) {
      if ((record - 1) % RECORDS_PER_BLOCK === 0) {
        block = at();
        if (++sinceCheckpoint >= CHECKPOINT_EVERY / RECORDS_PER_BLOCK) {
          sinceCheckpoint = 0;
          await ctx.checkpoint(block);
        }
      }
      const prefix = await w.bytes(pos, PREFIX);
      if (prefix.length < PREFIX) {
        ctx.reject(record, 'truncated', `the file ends ${size - pos} byte(s) into record ${record}`);
        return done(true);
      }
      if (prefix.readUInt32LE(0) !== RECORD_MAGIC) {
        const next = await resync(w, pos + 1, size);
        ctx.reject(record, 'malformed', `no record magic at byte ${pos}; ${next < 0 ? 'none after it' : `skipped ${next - pos} bytes to the next record`}`);
        record++;
        if (next < 0) {
          pos = size;
          break;
        }
        pos = next;
        continue;
      }
      const n = prefix.readUInt32LE(4);
      if (n < PREFIX + 12 || n > MAX_RECORD) {
        ctx.reject(record, n > MAX_RECORD ? 'too-long' : 'malformed', `record size ${n}`);
        record++;
        pos += Math.max(n, PREFIX);
        continue;
      }
      if (pos + n > size) {
        ctx.reject(record, 'truncated', `the file ends ${size - pos} byte(s) into a record of ${n}`);
        return done(true);
      }
      const b = await w.bytes(pos, n);
      if (!writeRecord(b, n, record, out)) ctx.reject(record, 'malformed', 'fields do not fit the record size');
      record++;
      pos += n;
    }
    return done();
  } finally {
    await fh.close();
  }
}

/** the row of one whole record b[0, n); false when its fields do not fit */
function writeRecord(b: Buffer, n: number, record: number, out: ReturnType<RecordContext['out']>): boolean {
  let p = PREFIX;
  const id = b.readUInt32LE(p);
  p += 4;
  const srcLen = b.readUInt16LE(p);
  p += 2;
  if (p + srcLen + 2 > n) return false;
  const src = p;
  p += srcLen;
  const msgLen = b.readUInt16LE(p);
  p += 2;
  if (p + msgLen + 4 !== n) return false;
  const msg = p;
  p += msgLen;
  out.begin(record);
  out.bytes(b, src, src + srcLen);
  out.int(id);
  out.bytes(b, msg, msg + msgLen);
  out.int(b.readUInt32LE(p));
  out.end();
  return true;
}

export const recordFormat: BinaryFormat = {
  name: 'test-mxrec',
  title: 'made-up binary record file (tests only)',
  tables: [testKinds.records],
  binary: true,
  sniff: noTextSniff,
  sniffBytes(head) {
    if (head.length >= 8 && head.subarray(0, 8).equals(MAGIC)) return { confidence: 100, reason: 'starts with the MXREC magic bytes' };
    if (head.length >= 5 && head.subarray(0, 5).toString('latin1') === 'MXREC')
      return { confidence: 20, reason: 'starts with MXREC but not its whole magic (converted as text?)' };
    return undefined;
  },
  records: readRecords,
};

/** add the test tables to schema/tables.ts's registry for this process, before a store is opened
 *  (stores create every registered table); tests only */
export function registerTestTables(more: Readonly<Record<string, RecordTable>> = {}): void {
  Object.assign(recordTables, { [testKinds.records]: testRecords, ...more });
}
