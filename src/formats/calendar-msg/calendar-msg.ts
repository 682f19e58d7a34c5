// Calendar log versions exported as Outlook .msg files (Get-CalendarDiagnosticLog -LogLocation,
// Exchange 2010/2013): one file per logged version, an OLE compound file of MAPI properties, read
// with @kenjiuno/msgreader. Which property fills which column: properties.ts (MS-OXPROPS names and
// the seed's metadata ids; verified against this project's writer only, README).
//
// One file is one record (line 1). Which mailbox: from the data where certain (the organizer's
// own copy), else the name of the folder holding the file (-LogLocation D:\logs\<user>). A file
// named .msg that is not a compound file, one the reader cannot parse (cut short), or an Outlook
// message without the calendar log's modification time is a reject with its reason: the other
// files are read.
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import msgreader, { type FieldsData } from '@kenjiuno/msgreader';
import { noTextSniff, type BinaryFormat, type RecordContext, type RecordFile, type RecordsRead } from '../types.js';
import { recordTables } from '../../schema/tables.js';
import { shortMailbox, whichMailbox } from '../../capabilities/calendar/values.js';
import { msgProperties, namedKey, type MsgProperty } from './properties.js';

// the package is CommonJS: the default import is its exports object, whose `default` is the class
const MsgReader = msgreader.default;

const CFB_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
/** a calendar log .msg is a few KiB; larger files are refused (memory stays bounded) */
const MAX_BYTES = 32 << 20;

const byTag = new Map(msgProperties.filter((p) => p.tag !== undefined).map((p) => [p.tag!, p]));
const byName = new Map(msgProperties.filter((p) => p.tag === undefined).map((p) => [namedKey(p), p]));

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** FILETIME (100 ns since 1601, little-endian) -> 'YYYY-MM-DD HH:MM:SS.fff' UTC */
function fileTimeText(b: Uint8Array): string | null {
  if (b.length < 8) return null;
  const ft = Buffer.from(b.buffer, b.byteOffset, 8).readBigUInt64LE(0);
  if (ft === 0n) return null;
  const d = new Date(Number(ft / 10000n - 11644473600000n));
  if (Number.isNaN(d.getTime())) return null;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

type Value = string | number | null;

/** the property a raw property of msgreader is, if it is one of ours */
function which(p: {
  propertyTag?: string | undefined;
  propertySet?: string | undefined;
  propertyLid?: string | undefined;
  propertyName?: string | undefined;
}): MsgProperty | undefined {
  const tag = Number.parseInt(p.propertyTag ?? '', 16);
  if (!Number.isFinite(tag)) return undefined;
  const id = tag >>> 16;
  if (id < 0x8000) return byTag.get(id);
  if (p.propertyName !== undefined) return byName.get(`name:${p.propertyName}`);
  if (p.propertySet === undefined || p.propertyLid === undefined) return undefined;
  return byName.get(`${p.propertySet.toLowerCase()}:${p.propertyLid.toLowerCase().padStart(8, '0')}`);
}

async function readWhole(path: string, size: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(size);
    const { bytesRead } = await fh.read(b, 0, size, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function records(ctx: RecordContext, file: RecordFile): Promise<RecordsRead> {
  const end = { offset: file.size, record: 2 };
  const done: RecordsRead = { end, records: 1 };
  if (file.from && file.from.record > 1) return { end, records: 0 };
  if (file.size > MAX_BYTES) {
    ctx.reject(1, 'too-long', `${file.size} bytes: larger than a calendar log .msg can be (${MAX_BYTES} bytes)`);
    return done;
  }
  const bytes = await readWhole(file.path, file.size);
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(CFB_MAGIC)) {
    ctx.reject(1, 'malformed', 'not an Outlook .msg file: it does not start with the OLE compound-file signature D0 CF 11 E0 A1 B1 1A E1');
    return done;
  }
  const raw = new Map<number, Uint8Array>();
  let data: FieldsData;
  try {
    const reader = new MsgReader(new DataView(bytes.buffer, bytes.byteOffset, bytes.length));
    // times are read from their raw FILETIME (the reader's own text keeps whole seconds only)
    reader.parserConfig = { includeRawProps: true, propertyObserver: (_f: unknown, tag: number, b: Uint8Array | null) => b && raw.set(tag >>> 0, b) };
    data = reader.getFileData();
  } catch (e) {
    ctx.reject(1, 'truncated', `the compound file cannot be read: cut short or damaged (the reader says: ${(e as Error).message})`);
    return done;
  }
  if (data.error) {
    ctx.reject(1, 'truncated', `the compound file cannot be read: cut short or damaged (the reader says: ${data.error})`);
    return done;
  }
  const row: Record<string, Value> = {};
  const extra: Record<string, string> = {};
  for (const p of data.rawProps ?? []) {
    const prop = which(p);
    if (!prop) continue;
    const tag = Number.parseInt(p.propertyTag!, 16) >>> 0;
    let v: Value;
    switch (prop.type) {
      case 'time':
        v = fileTimeText(raw.get(tag) ?? new Uint8Array());
        break;
      case 'binary':
        v = p.value instanceof Uint8Array ? Buffer.from(p.value).toString('hex').toUpperCase() : null;
        break;
      case 'bool':
        v = (p.value as unknown) === true ? 1 : 0;
        break;
      case 'int':
        v = typeof p.value === 'number' ? p.value | 0 : null;
        break;
      default:
        v = typeof p.value === 'string' ? p.value : null;
    }
    if (prop.column) row[prop.column] = v;
    else if (prop.extra && v !== null && v !== '') extra[prop.extra] = String(v);
  }
  if (!row.modified) {
    ctx.reject(1, 'malformed', 'an Outlook message without the calendar log metadata (no modification time): not a Get-CalendarDiagnosticLog export');
    return done;
  }
  const state = typeof row.appointment_state === 'number' ? row.appointment_state : null;
  row.cancelled = state === null ? null : state & 4 ? 1 : 0;
  row.item_type = row.exception === 1 ? 'Exception' : row.recurring === 1 ? 'RecurringMaster' : 'Single';
  row.client_intent = row.client_intent === null || row.client_intent === undefined ? null : String(row.client_intent);
  Object.assign(row, whichMailbox(row, shortMailbox(basename(dirname(file.path))) || undefined, ctx.hints?.mailbox));
  row.meeting_id ??= '';
  row.item_class ??= '';
  row.item_version ??= 0;
  row.extra = Object.keys(extra).length ? JSON.stringify(extra) : null;
  const out = ctx.out('calendar');
  out.begin(1);
  for (const c of recordTables.calendar.columns.slice(2)) {
    const v = row[c.name];
    if (v === null || v === undefined) out.nul();
    else if (typeof v === 'number') out.int(v);
    else out.text(v);
  }
  out.end();
  await ctx.checkpoint(end);
  return done;
}

export const calendarMsg: BinaryFormat = {
  name: 'calendar-msg',
  title: 'Calendar diagnostic log version (Get-CalendarDiagnosticLog .msg file)',
  tables: ['calendar'],
  binary: true,
  wholeFileIdentity: true,
  sniff: noTextSniff,
  sniffBytes(head, name) {
    const msg = /\.msg$/i.test(name);
    if (head.length >= 8 && head.subarray(0, 8).equals(CFB_MAGIC))
      return msg ? { confidence: 90, reason: 'an OLE compound file named .msg (an Outlook message)' } : undefined;
    // claimed anyway, so that the reader says clearly what is wrong with it
    return msg ? { confidence: 35, reason: 'named .msg but not an OLE compound file' } : undefined;
  },
  records,
};
