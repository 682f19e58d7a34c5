// Windows events as XML: `wevtutil qe LOG /f:xml` (<Event> elements one after another, no root),
// Event Viewer's "Save as XML" (the same inside an <Events> root) and forwarded events (WEC: each
// <Event> with a <RenderingInfo>). One windows_events row per event, built exactly as the .evtx
// reader builds it (evtx/evtx.ts writeEvent), so an .evtx and an XML export of one log share their
// record keys (Computer, Channel, EventRecordID) and each event is stored once. Rows and rejects are
// numbered by the line their <Event> starts on, so that "file:line" names them.
//
// Sniffed by content (the events namespace in the first 4 KiB) and read as bytes, in bounded memory:
// the file is read in blocks; the bytes of one <Event>…</Event> are found by their tags (in UTF-8 or
// UTF-16, with or without BOM: PowerShell's `wevtutil … > file` writes UTF-16LE) and only that event
// is decoded and given to the XML parser (saxes, no DTD, so no entity is ever expanded). An event
// that is not well-formed, not closed before the next one starts, cut by the end of the file, or
// larger than MAX_EVENT_BYTES, and any text between events that is not XML's own (declaration,
// comments, the <Events> root), are counted rejects numbered by their line; the rest of the file is read.
import { open } from 'node:fs/promises';
import { noTextSniff, type BinaryFormat, type RecordContext, type RecordFile, type RecordsRead } from '../types.js';
import { writeEvent } from '../evtx/evtx.js';
import { EventXmlError, EventXmlReader } from './event-xml.js';

/** an event larger than this is rejected (an EVTX record is at most 64 KiB of Binary XML) */
export const MAX_EVENT_BYTES = 4 << 20;
const BLOCK = 256 << 10;
/** text between events is judged in pieces of at least this much (so `<?xml …?>` is seldom cut) */
const GAP_PIECE = 64 << 10;
const NS = 'http://schemas.microsoft.com/win/2004/08/events/event';

type Encoding = { name: 'utf8' | 'utf16le'; bom: number; swap: boolean };

/** the encoding of the file from its first bytes: a BOM, else the pattern of `<` and NULs */
export function encodingOf(head: Buffer): Encoding {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { name: 'utf8', bom: 3, swap: false };
  if (head[0] === 0xff && head[1] === 0xfe) return { name: 'utf16le', bom: 2, swap: false };
  if (head[0] === 0xfe && head[1] === 0xff) return { name: 'utf16le', bom: 2, swap: true };
  // no BOM: UTF-16 shows a NUL beside each ASCII character
  let le = 0;
  let be = 0;
  for (let i = 0; i + 1 < Math.min(head.length, 64); i += 2) {
    if (head[i] !== 0 && head[i + 1] === 0) le++;
    else if (head[i] === 0 && head[i + 1] !== 0) be++;
  }
  if (le > 8 && le > 4 * be) return { name: 'utf16le', bom: 0, swap: false };
  if (be > 8 && be > 4 * le) return { name: 'utf16le', bom: 0, swap: true };
  return { name: 'utf8', bom: 0, swap: false };
}

/** The tags in the bytes of one encoding, and the newline count of a byte range. */
class Bytes {
  readonly start: Buffer;
  readonly end: Buffer;
  readonly unit: number;
  constructor(readonly enc: Encoding) {
    this.start = Buffer.from('<Event', enc.name);
    this.end = Buffer.from('</Event>', enc.name);
    this.unit = enc.name === 'utf8' ? 1 : 2;
  }

  private aligned(buf: Buffer, pat: Buffer, from: number, to: number): number {
    let p = from;
    for (;;) {
      p = buf.indexOf(pat, p);
      if (p < 0 || p + pat.length > to) return -1;
      if (p % this.unit === 0) return p;
      p++;
    }
  }

  /** the next `<Event` start tag at or after `from` and before `to`: followed by white space, `>` or
   *  `/` (so not `<Events>`), which must be in buf already */
  startTag(buf: Buffer, from: number, to = buf.length): number {
    const u = this.unit;
    for (let p = buf.indexOf(this.start, from); p >= 0 && p < to; p = buf.indexOf(this.start, p + 1)) {
      const after = p + this.start.length;
      if (p % u || after + u > buf.length) continue;
      const c = u === 1 ? buf[after]! : buf[after + 1] === 0 ? buf[after]! : 0;
      if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a || c === 0x3e || c === 0x2f) return p;
    }
    return -1;
  }

  endTag(buf: Buffer, from: number, to = buf.length): number {
    return this.aligned(buf, this.end, from, to);
  }

  newlines(buf: Buffer, from: number, to: number): number {
    let n = 0;
    if (this.unit === 1) {
      for (let p = buf.indexOf(10, from); p >= 0 && p < to; p = buf.indexOf(10, p + 1)) n++;
      return n;
    }
    for (let p = from; p + 1 < to; p += 2) if (buf[p] === 10 && buf[p + 1] === 0) n++;
    return n;
  }

  text(buf: Buffer, from: number, to: number): string {
    return buf.toString(this.enc.name, from, to - ((to - from) % this.unit));
  }
}

/** what may stand between events: white space, the declaration, comments, the <Events> root */
const BETWEEN = /(?:\s+|<\?xml[^>]*\?>|<!--[\s\S]*?-->|<Events(?:\s[^>]*)?>|<\/Events\s*>|\uFEFF)/y;

/** where the first text that may not stand between events is, -1 when none */
function garbageAt(text: string): number {
  let i = 0;
  while (i < text.length) {
    BETWEEN.lastIndex = i;
    if (!BETWEEN.test(text)) return i;
    i = BETWEEN.lastIndex;
  }
  return -1;
}

/** Windows writes a value's CR as it is; XML parsing would turn CR LF into LF. Keeping them as
 *  character references in text (not in tags) keeps the value the .evtx holds. */
function keepCr(xml: string): string {
  return xml.includes('\r') ? xml.replace(/>[^<]*\r[^<]*</g, (m) => m.replaceAll('\r', '&#13;')) : xml;
}

interface Position {
  /** line of the next byte of the file (1-based) */
  line: number;
}

async function records(ctx: RecordContext, file: RecordFile): Promise<RecordsRead> {
  const fh = await open(file.path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead: hn } = await fh.read(head, 0, 4, 0);
    const enc = encodingOf(head.subarray(0, hn));
    const bytes = new Bytes(enc);
    const xml = new EventXmlReader();
    const out = ctx.out('windowsEvents');
    const resumeState = file.from?.state as Position | undefined;
    // Rows and rejects are numbered by the line their <Event> (or stray text) starts on, so that
    // "file:line" names it as for any text log; where several start on one line, each takes the
    // next number (then its detail names the line). `record` is the least number the next may take.
    let record = file.from?.record ?? 1;
    let count = 0; // rows and rejects in this run
    let base = Math.max(enc.bom, file.from?.offset ?? 0); // file offset of buf[0]
    let line = resumeState?.line ?? 1;
    let buf = Buffer.alloc(0);
    let pos = 0; // next unread byte of buf
    let eventAt = -1; // buf offset of the <Event being read, -1 between events
    let eventLine = 0;
    let scanned = 0; // buf offset before which no end tag of the current event is
    let oversize = false; // skipping the rest of an event too large to read
    let gapLine = 0;
    let gapGarbage = ''; // the first garbage of the current gap
    let provisional: RecordsRead['provisional'];

    /** the number of what starts on line `at` */
    const number = (at: number) => {
      const n = Math.max(at, record);
      record = n + 1;
      count++;
      return n;
    };
    /** the detail of what starts on line `at`, numbered n: the line is said where n is not it */
    const said = (at: number, n: number, detail: string) => (n === at ? detail : `line ${at}: ${detail}`);
    const reject = (at: number, reason: 'malformed' | 'truncated', detail: string) => {
      const n = number(at);
      ctx.reject(n, reason, said(at, n, detail));
      return n;
    };
    const gap = (from: number, to: number, final: boolean) => {
      if (to > from) {
        if (!gapLine) gapLine = line;
        if (!oversize && !gapGarbage) {
          const text = bytes.text(buf, from, to);
          const g = garbageAt(text);
          if (g >= 0) {
            gapGarbage = text.slice(g, g + 200).split(/\r?\n/)[0]!;
            gapLine = line + (text.slice(0, g).match(/\n/g)?.length ?? 0);
          }
        }
        line += bytes.newlines(buf, from, to);
      }
      if (final) {
        if (gapGarbage) {
          const shown = gapGarbage.length > 60 ? `${gapGarbage.slice(0, 60)}…` : gapGarbage;
          reject(gapLine, 'malformed', `text outside any <Event> element skipped: ${JSON.stringify(shown)}`);
        }
        gapGarbage = '';
        gapLine = 0;
        oversize = false;
      }
    };
    const event = (from: number, to: number) => {
      const at = line;
      line += bytes.newlines(buf, from, to);
      const n = number(at);
      let ev;
      try {
        ev = xml.read(keepCr(bytes.text(buf, from, to)));
      } catch (e) {
        if (!(e instanceof EventXmlError)) throw e;
        ctx.reject(n, 'malformed', said(at, n, `the event cannot be read: ${inFile(e.message, at)}`));
        return;
      }
      if (!writeEvent(out, n, ev, false)) ctx.reject(n, 'malformed', said(at, n, 'the event has no EventRecordID'));
    };

    /** reads what buf holds; `eof`: nothing more will come */
    const step = (eof: boolean) => {
      for (;;) {
        if (eventAt < 0) {
          const s = bytes.startTag(buf, pos);
          if (s < 0) {
            // between events: judge the text in large pieces (keeping a possible start tag's bytes)
            const keep = eof ? buf.length : Math.max(pos, buf.length - 16);
            if (eof || keep - pos >= GAP_PIECE) {
              gap(pos, keep, eof);
              pos = keep;
            }
            return;
          }
          gap(pos, s, true);
          pos = eventAt = scanned = s;
          eventLine = line;
          continue;
        }
        const e = bytes.endTag(buf, scanned);
        const limit = e < 0 ? buf.length : e;
        const next = bytes.startTag(buf, eventAt + bytes.start.length, limit);
        if (next >= 0) {
          reject(eventLine, 'malformed', `the event is not closed before the next <Event> begins (line ${line + bytes.newlines(buf, eventAt, next)})`);
          line += bytes.newlines(buf, eventAt, next);
          pos = next;
          eventAt = -1;
          continue;
        }
        if (e < 0) {
          if (buf.length - eventAt > MAX_EVENT_BYTES) {
            reject(eventLine, 'malformed', `an event larger than ${MAX_EVENT_BYTES >> 20} MiB, skipped`);
            oversize = true;
            gapLine = eventLine;
            pos = eventAt + bytes.unit;
            line += bytes.newlines(buf, eventAt, pos);
            eventAt = -1;
            continue;
          }
          if (eof) {
            // read again from here when the file grows: this reject's number is where its rows go
            const n = reject(eventLine, 'truncated', 'the file ends inside the event');
            provisional = { offset: base + eventAt, record: n, state: { line: eventLine } satisfies Position };
            line += bytes.newlines(buf, eventAt, buf.length);
            pos = buf.length;
            eventAt = -1;
            return;
          }
          scanned = Math.max(eventAt, buf.length - bytes.end.length);
          return;
        }
        const to = e + bytes.end.length;
        event(eventAt, to);
        pos = to;
        eventAt = -1;
      }
    };

    let offset = base;
    while (offset < file.size) {
      const want = Math.min(BLOCK, file.size - offset);
      const block = Buffer.alloc(want);
      const { bytesRead: n } = await fh.read(block, 0, want, offset);
      if (n === 0) break;
      offset += n;
      // keep what is still needed: the event being read, or the unread tail
      const keepFrom = eventAt >= 0 ? eventAt : pos;
      const rest = buf.subarray(keepFrom);
      buf = Buffer.concat([rest, block.subarray(0, n)]);
      base += keepFrom;
      if (eventAt >= 0) {
        scanned -= keepFrom;
        eventAt -= keepFrom;
      }
      pos -= keepFrom;
      if (enc.swap) swapFrom(buf, rest.length);
      step(false);
      // a resume point: the start of the event being read, else the first unread byte (not inside
      // a stretch of text between events still being judged)
      if (eventAt >= 0) await ctx.checkpoint({ offset: base + eventAt, record, state: { line: eventLine } satisfies Position });
      else if (!gapLine) await ctx.checkpoint({ offset: base + pos, record, state: { line } satisfies Position });
    }
    step(true);
    if (xml.renderingInfo) ctx.note(`${xml.renderingInfo} forwarded event(s) carried RenderingInfo (Message text): not stored, the structured fields are`);
    if (enc.name === 'utf16le') ctx.note(`read as UTF-16${enc.swap ? 'BE' : 'LE'}${enc.bom ? ' (BOM)' : ''}`);
    return { end: { offset: base + pos, record, state: { line } satisfies Position }, records: count, ...(provisional ? { provisional } : {}) };
  } finally {
    await fh.close();
  }
}

/** saxes's "line:column: message" within one event, as the line and column in the file, the event
 *  starting at line `at`; on the event's own first line (which the reject names already) just the
 *  message, as the column there is not known */
function inFile(message: string, at: number): string {
  const m = /^(\d+):(\d+): /.exec(message);
  if (!m) return message;
  const l = Number(m[1]);
  return l > 1 ? `line ${at + l - 1}, column ${m[2]}: ${message.slice(m[0].length)}` : message.slice(m[0].length);
}

/** UTF-16BE to LE in place, from byte `from` of buf (whole code units; blocks are even-sized) */
function swapFrom(buf: Buffer, from: number): void {
  const end = from + ((buf.length - from) & ~1);
  for (let i = from; i < end; i += 2) {
    const t = buf[i]!;
    buf[i] = buf[i + 1]!;
    buf[i + 1] = t;
  }
}

/** the first markup of the head after the declaration, comments and an <Events> root */
function firstEvent(head: Buffer): string | undefined {
  const enc = encodingOf(head);
  const b = Buffer.from(head.subarray(enc.bom, enc.bom + ((head.length - enc.bom) & ~(enc.name === 'utf8' ? 0 : 1))));
  if (enc.swap) swapFrom(b, 0);
  let t = b.toString(enc.name);
  for (let prev = ''; prev !== t; ) {
    prev = t;
    t = t.replace(/^(?:\s+|<\?xml[^>]*\?>|<!--[\s\S]*?-->|<Events(?:\s[^>]*)?>)/, '');
  }
  return /^<Event[\s>/]/.test(t) ? t.slice(0, 400) : undefined;
}

export const evtxXml: BinaryFormat = {
  name: 'evtx-xml',
  title: 'Windows events as XML (wevtutil qe /f:xml, Event Viewer "Save as XML", forwarded events)',
  tables: ['windowsEvents'],
  binary: true,
  sniff: noTextSniff,
  sniffBytes(head) {
    const ev = firstEvent(head);
    if (ev === undefined) return undefined;
    if (ev.includes(NS)) return { confidence: 100, reason: 'an <Event> element of the Windows events namespace (wevtutil /f:xml, Event Viewer XML)' };
    if (/<System[\s>]/.test(ev)) return { confidence: 60, reason: 'an <Event> element with a <System> part (Windows events in XML, without their namespace)' };
    return undefined;
  },
  records,
};
