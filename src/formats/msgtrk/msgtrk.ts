// Exchange 2007, 2010, 2013, 2016, 2019 and SE message tracking logs (MSGTRK*.LOG, MSGTRKMS/MD/MA):
// CSV with a `#Software / #Version / #Log-type / #Date / #Fields` header block.
//
// Columns are mapped from the #Fields header by name, never by position (the layout changed from 21
// to 26, 27 and 30 fields); a later #Fields line replaces the map, and a bare CSV header line
// (`date-time,client-ip,…` without `#Fields: `, written by Exchange before the #Software block) is a
// header too. Lines cut out of a log without any header get the layout their field count implies
// (21 = 2007, 26 = 2010, 27 = 2013, 30 = 2013 CU+/2016/2019/SE), with a note.
//
// Row values: every value is copied as logged (quotes undone). `ts` is date-time, UTC.
//   role: RECEIVE/STOREDRIVER → Submit, DELIVER/STOREDRIVER → Deliver, anything else 0 (layouts.ts).
//   message_id: message-id; when empty (NOTIFYMAPI lines …) `~<file id>:<line>`, so it is never
//     empty and never collides with another message.
//   total-bytes and recipient-count: digits only; empty → 0.
// Empty versus NULL, the rule of all tracking formats: server, source and directionality are empty
// text when the layout has no such field (the schema documents them as "empty when the log does not
// say"; 2007 has no directionality). Other text columns are NULL when the file's layout has no such
// field at all, and empty text when the field exists but the line left it empty.
//
// This is the hot path: a line is split into byte ranges (Fields, splitCsv) and copied into the row
// writer; no string is made for a good line.
import { Fields, splitCsv } from '../fields.js';
import { mapColumns, type ColumnMap } from '../columns.js';
import type { Format, ParseContext, Parser, Sample, Sniffed } from '../types.js';
import { TS_BYTES, isoTs } from '../tracking-time.js';
import { columns, knownLayouts } from './layouts.js';
import { COUNT_MAX, isCount, SIZE_MAX, writeRow2007 } from './row.js';
import { msgtrkBulk } from './bulk.js';

const HASH = 35,
  QUOTE = 34;

/** where those values are in one layout (-1: the layout has no such field); `generation` is set
 *  when the layout was inferred from a field count */
type Layout = ColumnMap<keyof typeof columns> & { readonly generation?: string };

function layoutOf(rawNames: readonly string[], line: number, generation?: string): Layout {
  return { ...mapColumns(rawNames, columns, line), ...(generation ? { generation } : {}) };
}

/** the header-less layout for a field count, if it is one Exchange wrote */
function inferLayout(count: number): Layout | undefined {
  const known = knownLayouts.find((l) => l.names.length === count);
  return known && layoutOf(known.names, 0, known.generation);
}

/** state kept across a resume: the column names in force */
interface MsgtrkState {
  names: string[];
  line: number;
  generation?: string;
}

function isState(s: unknown): s is MsgtrkState {
  return typeof s === 'object' && s !== null && Array.isArray((s as MsgtrkState).names) && typeof (s as MsgtrkState).line === 'number';
}

/** buf[s, e) starts with an ASCII prefix */
function startsWith(buf: Buffer, s: number, e: number, prefix: string): boolean {
  if (e - s < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (buf[s + k] !== prefix.charCodeAt(k)) return false;
  return true;
}

/** header names of a `#Fields:` line or a bare CSV header, as strings (once per header) */
function headerNames(buf: Buffer, s: number, e: number, f: Fields): string[] {
  const n = splitCsv(buf, s, e, f);
  const names: string[] = [];
  for (let i = 0; i < Math.min(n, f.max); i++) names.push(f.text(buf, i));
  return names;
}

/** a short printable excerpt of a field, for reject details */
function excerpt(buf: Buffer, f: Fields, i: number): string {
  const t = f.text(buf, i);
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}

class MsgtrkParser implements Parser {
  private layout: Layout | undefined;
  private readonly f = new Fields(512);
  private readonly ts = Buffer.alloc(TS_BYTES);
  private readonly noted = new Set<string>();
  private unusableNoted = -1;

  constructor(
    private readonly ctx: ParseContext,
    state?: unknown,
  ) {
    if (isState(state)) this.layout = layoutOf(state.names, state.line, state.generation);
  }

  private note(message: string): void {
    if (this.noted.has(message)) return;
    this.noted.add(message);
    this.ctx.note(message);
  }

  line(buf: Buffer, s: number, e: number, lineNo: number): void {
    const f = this.f;
    if (buf[s] === HASH) {
      if (startsWith(buf, s, e, '#Fields:')) {
        let p = s + 8;
        while (p < e && buf[p] === 32) p++;
        this.layout = layoutOf(headerNames(buf, p, e, f), lineNo);
      } else if (startsWith(buf, s, e, '#Log-type:')) {
        const type = buf.toString('utf8', s + 10, e).trim();
        if (!/^message tracking log$/i.test(type)) this.note(`the header says '#Log-type: ${type}': this is not a message tracking log`);
      }
      return; // #Software, #Version, #Date: nothing the rows need
    }
    if (startsWith(buf, s, e, 'date-time,')) {
      // bare CSV header before the #Software block
      this.layout = layoutOf(headerNames(buf, s, e, f), lineNo);
      return;
    }

    const n = splitCsv(buf, s, e, f);
    if (f.unterminated) {
      this.ctx.reject(lineNo, 'unterminated-quote', `field ${n} opens a quote that is not closed`);
      return;
    }
    let layout = this.layout;
    if (!layout) {
      layout = inferLayout(n);
      if (!layout) {
        this.ctx.reject(lineNo, 'no-header', `${n > f.max ? `more than ${f.max}` : n} fields before any #Fields header; Exchange wrote 21, 26, 27 or 30`);
        return;
      }
      this.layout = layout;
      this.note(`no #Fields header: inferred the ${layout.generation} layout from ${n} fields`);
    }
    if (n !== layout.count) {
      const declared = layout.line ? `the #Fields header at line ${layout.line} declares` : `the inferred ${layout.generation} layout has`;
      this.ctx.reject(lineNo, 'field-count', `${n > f.max ? `more than ${f.max}` : n} fields, ${declared} ${layout.count}`);
      return;
    }
    if (layout.dateTime < 0 || layout.event < 0) {
      if (this.unusableNoted !== layout.line) {
        this.unusableNoted = layout.line;
        this.ctx.note(`the header at line ${layout.line} has no date-time or event-id field: not a message tracking layout, its lines are rejected`);
      }
      this.ctx.reject(lineNo, 'malformed', 'the header in force has no date-time or event-id field');
      return;
    }
    const dt = layout.dateTime;
    if (!isoTs(buf, f.start[dt]!, f.end[dt]!, this.ts)) {
      this.ctx.reject(lineNo, 'bad-time', `date-time '${excerpt(buf, f, dt)}'`);
      return;
    }
    if (!isCount(buf, f, layout.bytes, SIZE_MAX) || !isCount(buf, f, layout.recipientCount, COUNT_MAX)) {
      const bad = isCount(buf, f, layout.bytes, SIZE_MAX) ? layout.recipientCount : layout.bytes;
      this.ctx.reject(lineNo, 'bad-number', `${layout.names[bad]} '${excerpt(buf, f, bad)}'`);
      return;
    }

    writeRow2007(this.ctx.out('tracking'), buf, f, layout, this.ts, TS_BYTES, lineNo);
  }

  end(): void {}

  state(): MsgtrkState | null {
    const l = this.layout;
    return l ? { names: [...l.names], line: l.line, ...(l.generation ? { generation: l.generation } : {}) } : null;
  }
}

/** the decimal digits of a positive integer into dst at `at`; returns how many */

// ---- sniffing -------------------------------------------------------------------------------

const fileName = /^MSGTRK(MS|MD|MA)?\d{8,10}-\d+\.LOG$/i;

/** a header-less line shaped like one Exchange wrote: a known field count, an ISO time first and
 *  an upper-case event id in the 9th field (its place in every generation). Returns the generation. */
function dataShape(line: string, f: Fields, ts: Buffer): string | undefined {
  const b = Buffer.from(line, 'utf8');
  const n = splitCsv(b, 0, b.length, f);
  const known = knownLayouts.find((l) => l.names.length === n);
  if (!known || f.unterminated || !isoTs(b, f.start[0]!, f.end[0]!, ts)) return undefined;
  const ev = f.text(b, 8);
  return /^[A-Z]{3,}$/.test(ev) ? known.generation : undefined;
}

function sniff(sample: Sample): Sniffed | undefined {
  const named = fileName.test(sample.name) ? ` (and the file name ${sample.name} is a tracking log name)` : '';
  const f = new Fields(512);
  const ts = Buffer.alloc(TS_BYTES);
  let fields: string | undefined;
  let data = 0,
    fit = 0;
  let generation: string | undefined;
  for (const line of sample.lines) {
    if (line.startsWith('#Log-type:')) {
      const type = line.slice(10).trim();
      if (/^message tracking log$/i.test(type)) return { confidence: 100, reason: `the header says '#Log-type: Message Tracking Log'${named}` };
      return { confidence: 0, reason: `an Exchange log, but its header says '#Log-type: ${type}', not Message Tracking Log` };
    }
    if (line.startsWith('#Fields:')) {
      fields ??= line.slice(8).trim();
      continue;
    }
    if (line.charCodeAt(0) === QUOTE || line.startsWith('#')) continue;
    if (/^date-time,/.test(line)) {
      fields ??= line;
      continue;
    }
    data++;
    const g = dataShape(line, f, ts);
    if (g) {
      fit++;
      generation ??= g;
    }
  }
  if (fields !== undefined) {
    const names = fields.split(',').map((n) => n.trim().toLowerCase());
    if (['date-time', 'event-id', 'message-id', 'recipient-address'].every((n) => names.includes(n)))
      return {
        confidence: 95,
        reason: `a message tracking header (date-time, event-id, message-id, recipient-address … ${names.length} fields) without a #Log-type line${named}`,
      };
  }
  if (fit > 0 && fit === data)
    return {
      confidence: named ? 75 : 70,
      reason: `no header, but ${fit === 1 ? 'the line has' : `all ${fit} lines have`} the shape of ${generation} message tracking lines (comma-separated, ISO time first, event id in field 9)${named}`,
    };
  if (fit > 0 && fit * 2 >= data)
    return { confidence: 50, reason: `no header; ${fit} of ${data} lines have the shape of ${generation} message tracking lines${named}` };
  if (named) return { confidence: 10, reason: `named like a message tracking log (${sample.name}) but the first lines do not look like one` };
  return undefined;
}

export const msgtrk = {
  name: 'msgtrk',
  title: 'Exchange 2007–SE message tracking log (MSGTRK*.LOG, CSV)',
  tables: ['tracking'],
  sniff,
  parser: (ctx: ParseContext, state?: unknown): Parser => new MsgtrkParser(ctx, state),
  bulk: msgtrkBulk,
} satisfies Format;
