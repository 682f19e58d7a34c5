// Windows event log files (.evtx) as a binary format: sniffed by the `ElfFile\0` magic, read one
// 64 KiB chunk at a time (memory stays bounded whatever the file's size), one row per event in
// windows_events. A row's `line` is the record's position in the file (rejects counted), and the
// ingest may resume at any chunk boundary: chunks are independent (each has its own caches).
import { open } from 'node:fs/promises';
import { noTextSniff, type BinaryFormat, type RecordContext, type RecordFile, type RecordsRead } from '../types.js';
import type { TsvWriter } from '../../schema/tsv.js';
import type { EvtxEvent } from './event.js';
import { CHUNK_SIZE, FILE_MAGIC, fileHeader, HEADER_SIZE, readChunk, type RecordInfo } from './reader.js';
import { timestampText } from './values.js';

const SEP = '\u001f';

function num(s: string): number | undefined {
  if (s === '') return undefined;
  const n = s.startsWith('0x') ? Number.parseInt(s, 16) : Number(s);
  return Number.isFinite(n) ? n : undefined;
}

function joined(values: readonly string[]): string {
  let s = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    s += (i ? SEP : '') + (v.includes(SEP) ? v.replaceAll(SEP, ' ') : v);
  }
  return s;
}

/** writes one event as a windows_events row; false (nothing written) when it has no record key.
 *  `message`: the rendered message text, for sources that have it (a CSV export); else NULL */
export function writeEvent(out: TsvWriter, line: number, ev: EvtxEvent, recovered: boolean, message?: string): boolean {
  const recordId = num(ev.eventRecordId);
  if (recordId === undefined) return false;
  const int = (v: number | undefined) => (v === undefined ? out.nul() : out.int(v));
  out.begin(line);
  const ts = timestampText(ev.timeCreatedMs);
  if (ts) out.text(ts);
  else out.nul();
  out.text(ev.computer);
  out.text(ev.channel);
  out.int(recordId);
  out.text(ev.provider);
  out.text(ev.providerGuid);
  out.text(ev.eventSourceName);
  int(num(ev.eventId));
  int(num(ev.qualifiers));
  int(num(ev.version));
  int(num(ev.level));
  int(num(ev.task));
  int(num(ev.opcode));
  out.text(ev.keywords);
  out.text(ev.userId);
  int(num(ev.processId));
  int(num(ev.threadId));
  out.text(ev.activityId);
  out.int(ev.dataValues.length);
  out.text(joined(ev.dataValues));
  out.text(joined(ev.dataNames));
  if (ev.userData) out.text(ev.userData);
  else out.nul();
  if (ev.binary) out.text(ev.binary);
  else out.nul();
  out.int(recovered ? 1 : 0);
  if (message === undefined) out.nul();
  else out.text(message);
  out.end();
  return true;
}

async function records(ctx: RecordContext, file: RecordFile): Promise<RecordsRead> {
  const fh = await open(file.path, 'r');
  try {
    const head = Buffer.alloc(HEADER_SIZE);
    const { bytesRead } = await fh.read(head, 0, HEADER_SIZE, 0);
    const header = fileHeader(head.subarray(0, bytesRead));
    let record = file.from?.record ?? 1;
    const first = record;
    if (!header) {
      ctx.reject(record, 'malformed', 'not a Windows event log: the file does not start with the EVTX signature ElfFile\\0');
      return { end: { offset: file.size, record: record + 1 }, records: 1 };
    }
    if (header.dirty) ctx.note('the log was not closed cleanly (dirty): every chunk in the file is read, not only those the header counts');
    if (header.crc === 'wrong') ctx.note('the file header checksum is wrong: the chunks are read anyway');
    const out = ctx.out('windowsEvents');
    let recovered = 0;
    let skipped = 0;
    const badSignature: number[] = [];
    const wrongCrc: number[] = [];
    let zeroCrc = 0;
    const sink = {
      event(ev: EvtxEvent, rec: RecordInfo) {
        const line = record++;
        if (rec.recovered) recovered++;
        if (!writeEvent(out, line, ev, rec.recovered))
          ctx.reject(line, 'malformed', `chunk ${rec.chunk} record ${rec.recordId}: no EventRecordID in the event`);
      },
      reject(_rec: RecordInfo, detail: string, truncated: boolean) {
        ctx.reject(record++, truncated ? 'truncated' : 'malformed', detail);
      },
    };
    const buf = Buffer.alloc(CHUNK_SIZE);
    let offset = Math.max(HEADER_SIZE, file.from?.offset ?? HEADER_SIZE);
    while (offset < file.size) {
      const want = Math.min(CHUNK_SIZE, file.size - offset);
      const { bytesRead: n } = await fh.read(buf, 0, want, offset);
      const index = (offset - HEADER_SIZE) / CHUNK_SIZE;
      const chunk = readChunk(buf.subarray(0, n), index, sink);
      if (chunk.status === 'bad-signature') badSignature.push(index);
      else if (chunk.status === 'empty') skipped++;
      if (chunk.headerCrc === 'wrong' || chunk.dataCrc === 'wrong') wrongCrc.push(index);
      if (chunk.headerCrc === 'zero' || chunk.dataCrc === 'zero') zeroCrc++;
      offset += n;
      if (n < CHUNK_SIZE) break;
      await ctx.checkpoint({ offset, record });
    }
    if (badSignature.length)
      ctx.note(`${badSignature.length} chunk(s) without the ElfChnk signature skipped (chunk ${list(badSignature)}); the other chunks were read`);
    if (skipped) ctx.note(`${skipped} unused chunk(s) of zeros`);
    if (wrongCrc.length) ctx.note(`chunk ${list(wrongCrc)}: checksum wrong; each record was still checked and read on its own`);
    if (zeroCrc) ctx.note(`${zeroCrc} chunk(s) with zero checksums (written without them): read as they are`);
    if (recovered) ctx.note(`${recovered} record(s) recovered from slack space or behind broken records (stored with recovered = 1)`);
    return { end: { offset, record }, records: record - first };
  } finally {
    await fh.close();
  }
}

const list = (xs: readonly number[]) => (xs.length > 8 ? `${xs.slice(0, 8).join(', ')} …` : xs.join(', '));

export const evtx: BinaryFormat = {
  name: 'evtx',
  title: 'Windows event log (.evtx)',
  tables: ['windowsEvents'],
  binary: true,
  sniff: noTextSniff,
  sniffBytes(head, name) {
    if (head.length >= 8 && head.subarray(0, 8).equals(FILE_MAGIC)) return { confidence: 100, reason: 'the EVTX file signature ElfFile\\0' };
    // claimed anyway, so that the reader says clearly what is wrong with it
    return /\.evtx$/i.test(name) ? { confidence: 35, reason: 'named .evtx but without the EVTX signature ElfFile\\0' } : undefined;
  },
  records,
};
