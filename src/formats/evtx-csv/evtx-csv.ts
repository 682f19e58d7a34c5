// What `Get-WinEvent -LogName X | Export-Csv f.csv` writes: one row per EventLogRecord, its
// properties as columns, read by header name (the order differs between PowerShell versions):
//   PowerShell 5.1   `#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord`, then the quoted
//                    header; ASCII/UTF-16 by -Encoding (UTF-16LE with BOM for -Encoding Unicode);
//   PowerShell 7     no #TYPE line, UTF-8 without BOM by default.
// Message is the rendered text, quoted over several lines (stored with its line breaks as spaces:
// a stored row is one line, schema/tsv.ts). TimeCreated is local time of the
// exporting machine in its culture's format (local-time.ts: --tz, --date-order, or detected).
//
// What is lost: `Properties` holds only the type name
// System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty], so the
// insertion strings (%1 … %n, Data.<Name>) are not in the file. Rows have data_count,
// data_values and data_names NULL (unknown, not "none"), and the Message text in `message`. A note
// per file says so and how to get them (wevtutil epl, or the .evtx itself).
//
// Which copy wins: windows_events is keyed by Computer + Channel + EventRecordID (MachineName,
// LogName, RecordId here), and a store keeps the FIRST copy of a record. So an .evtx (or wevtutil
// XML) of the same log ingested before the CSV keeps its insertion strings and the CSV adds only the
// events the .evtx lacks; a CSV ingested first wins over a later .evtx for the records both hold.
// The note says so: ingest the .evtx first.
import type { ParseContext, Parser, RejectReason, Sample, Sniffed, TextFormat } from '../types.js';
import { CsvRows, fieldsOf } from '../csv-rows.js';
import { Fields } from '../fields.js';
import { windowsEvents } from '../../schema/tables.js';
import type { TsvWriter } from '../../schema/tsv.js';
import { checkZone, localToUtc, machineZone } from '../../capabilities/presence/zone.js';
import { timestampText } from '../evtx/values.js';
import { assumedOrder, type DateOrder, dateOrders, type LocalParts, localParts, orderOf, wallClock } from './local-time.js';

const TYPE_LINE = '#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord';
/** the columns without which a row is no event (its record key and time, its id) */
const REQUIRED = ['RecordId', 'LogName', 'MachineName', 'TimeCreated', 'Id'] as const;
const PROPERTIES_TYPE = 'System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]';

const MAX_FIELDS = 256;
/** rows held back while the day/month order is unknown, at most (then the order is assumed) */
const MAX_HELD_ROWS = 5000;
const MAX_HELD_BYTES = 8 << 20;

type Value = string | number | null;

interface Held {
  fields: string[];
  line: number;
  offset: number;
  parts: LocalParts;
  bytes: number;
}

interface State {
  names: string[];
  line: number;
  order?: DateOrder;
}

/** a GUID as the .evtx reader writes it: {UPPER-CASE}; '' when empty */
function guid(v: string): string | undefined {
  const t = v.trim().replace(/^\{|\}$/g, '');
  if (t === '') return '';
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t) ? `{${t.toUpperCase()}}` : undefined;
}

/** Keywords as the .evtx reader writes them (0x and 16 hex digits): Export-Csv writes the Int64 in
 *  decimal, negative when the top bit is set (-9214364837600034816 = 0x8020000000000000) */
function keywords(v: string): string | undefined {
  const t = v.trim();
  if (t === '') return '';
  if (/^0x[0-9a-f]{1,16}$/i.test(t)) return `0x${t.slice(2).toLowerCase().padStart(16, '0')}`;
  if (!/^-?\d{1,20}$/.test(t)) return undefined;
  const n = BigInt(t);
  if (n < -(1n << 63n) || n >= 1n << 64n) return undefined;
  return `0x${BigInt.asUintN(64, n).toString(16).padStart(16, '0')}`;
}

const intOf = (max: number) => (v: string) => {
  const t = v.trim();
  if (t === '') return null;
  return /^-?\d{1,19}$/.test(t) && Math.abs(Number(t)) <= max ? Number(t) : undefined;
};
const int32 = intOf(2 ** 31 - 1);
const int64 = intOf(Number.MAX_SAFE_INTEGER);

/** header name -> windows_events column, with the conversion of its text */
const columns: Record<string, { column: string; parse: (v: string) => Value | undefined }> = {
  machinename: { column: 'computer', parse: (v) => v },
  logname: { column: 'channel', parse: (v) => v },
  recordid: { column: 'event_record_id', parse: (v) => (/^\d{1,18}$/.test(v.trim()) ? Number(v.trim()) : undefined) },
  providername: { column: 'provider', parse: (v) => v },
  providerid: { column: 'provider_guid', parse: guid },
  id: { column: 'event_id', parse: (v) => (/^\d{1,10}$/.test(v.trim()) ? Number(v.trim()) : undefined) },
  qualifiers: { column: 'qualifiers', parse: int32 },
  version: { column: 'version', parse: int32 },
  level: { column: 'level', parse: int32 },
  task: { column: 'task', parse: int32 },
  opcode: { column: 'opcode', parse: int32 },
  keywords: { column: 'keywords', parse: keywords },
  userid: { column: 'user_id', parse: (v) => v.trim() },
  processid: { column: 'process_id', parse: int64 },
  threadid: { column: 'thread_id', parse: int64 },
  activityid: { column: 'activity_id', parse: guid },
  message: { column: 'message', parse: (v) => v },
};

/** columns a header may lack: their value then */
const defaults: Record<string, Value> = {
  provider: '',
  provider_guid: '',
  event_source: '',
  keywords: '',
  user_id: '',
  activity_id: '',
  recovered: 0,
};

const tableColumns = () => windowsEvents.columns.slice(2).map((c) => c.name);

class EvtxCsvParser implements Parser {
  private readonly rows: CsvRows;
  private readonly out: TsvWriter;
  private readonly zone: string;
  private readonly given: DateOrder | undefined;
  private names: string[] | undefined;
  private headerLine = 0;
  /** header field index of each known column; of TimeCreated; missing required names */
  private source = new Map<string, number>();
  private timeField = -1;
  private missing: string[] = [];
  private order: DateOrder | undefined;
  private held: Held[] = [];
  private heldBytes = 0;
  private skipped = 0;
  private repeated = 0;
  private readonly cols = tableColumns();

  constructor(
    private readonly ctx: ParseContext,
    state?: unknown,
  ) {
    this.out = ctx.out('windowsEvents');
    this.rows = new CsvRows(ctx, (fields, line, offset) => this.row(fields, line, offset), MAX_FIELDS);
    const tz = ctx.hints?.tz;
    this.zone = checkZone(tz ?? machineZone());
    const order = ctx.hints?.dateOrder;
    if (order !== undefined && !(dateOrders as readonly string[]).includes(order))
      throw new Error(`--date-order: expected one of ${dateOrders.join(', ')}, got "${order}"`);
    this.given = order as DateOrder | undefined;
    this.order = this.given;
    const st = state as State | null | undefined;
    if (st && Array.isArray(st.names)) {
      this.header(st.names, st.line, false);
      if (!this.given && st.order) this.order = st.order;
    }
    ctx.note(`TimeCreated read as local time in ${this.zone} (${tz ? '--tz' : "this machine's zone; give the exporting machine's with --tz"})`);
    if (this.given) ctx.note(`dates read in the order ${this.given} (--date-order)`);
  }

  line(buf: Buffer, s: number, e: number, lineNo: number, offset: number): void {
    this.rows.line(buf, s, e, lineNo, offset);
  }

  /** one complete row: the header, or an event */
  private row(fields: string[], line: number, offset: number): void {
    if (!this.names) {
      this.header(fields, line, true);
      return;
    }
    if (fields.length !== this.names.length) {
      this.ctx.reject(line, 'field-count', `${fields.length} fields, the header at line ${this.headerLine} has ${this.names.length}`);
      return;
    }
    if (this.missing.length) {
      this.ctx.reject(line, 'malformed', `the header at line ${this.headerLine} has no ${this.missing.join(', ')} column`);
      return;
    }
    const raw = fields[this.timeField]!;
    const parts = localParts(raw);
    if (!parts) {
      this.ctx.reject(line, 'bad-time', `TimeCreated '${raw.slice(0, 40)}' is not a date and time`);
      return;
    }
    if (!this.order) {
      const settled = orderOf(parts);
      if (settled) {
        this.order = settled;
        this.ctx.note(`dates read in the order ${settled}: '${raw}' at line ${line} can only be read so (give --date-order to say otherwise)`);
      } else {
        const bytes = fields.reduce((n, f) => n + f.length * 2 + 2, 0);
        this.held.push({ fields, line, offset, parts, bytes });
        this.heldBytes += bytes;
        if (this.held.length >= MAX_HELD_ROWS || this.heldBytes >= MAX_HELD_BYTES) this.assume();
        return;
      }
      this.flush();
    }
    this.write(fields, line, parts, raw);
  }

  private header(names: string[], line: number, fresh: boolean): void {
    this.names = names;
    this.headerLine = line;
    this.source.clear();
    this.timeField = -1;
    names.forEach((n, i) => {
      const key = n.trim().toLowerCase();
      if (key === 'timecreated' && this.timeField < 0) this.timeField = i;
      else if (columns[key] && !this.source.has(key)) this.source.set(key, i);
    });
    this.missing = REQUIRED.filter((r) => (r === 'TimeCreated' ? this.timeField < 0 : !this.source.has(r.toLowerCase())));
    if (!fresh) return;
    if (this.missing.length) this.ctx.note(`the header at line ${line} has no ${this.missing.join(', ')} column: its rows are rejected`);
    const props = names.some((n) => n.trim().toLowerCase() === 'properties');
    this.ctx.note(
      `a Get-WinEvent | Export-Csv export has no insertion strings (%1…%n, Data.<Name>)${props ? `: its Properties column holds only the type name ${PROPERTIES_TYPE}` : ''}; the rows keep the Message text. To get them, export the log with \`wevtutil epl "<log>" file.evtx\` (or copy the .evtx from %SystemRoot%\\System32\\winevt\\Logs) and ingest that before this CSV: of events in both, the copy ingested first is kept`,
    );
  }

  /** no date settled the order: assume it from the first held date, and write the held rows */
  private assume(): void {
    const first = this.held[0];
    if (!first) return;
    const a = assumedOrder(first.parts);
    this.order = a.order;
    this.ctx.note(`dates read in the order ${a.order}, assumed: no date in the first ${this.held.length} row(s) had a day above 12; ${a.why}`);
    this.flush();
  }

  private flush(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const h of held) this.write(h.fields, h.line, h.parts, h.fields[this.timeField]!);
  }

  private write(fields: readonly string[], line: number, parts: LocalParts, raw: string): void {
    const wall = wallClock(parts, this.order!);
    if (!wall) {
      this.ctx.reject(line, 'bad-time', `TimeCreated '${raw.slice(0, 40)}' is no date in the order ${this.order}`);
      return;
    }
    const candidates = localToUtc(this.zone, wall.local);
    let utc: number;
    if (candidates.length === 0) {
      // the clocks skipped this time: read as after the change
      utc = localToUtc(this.zone, wall.local + 3600)[0] ?? wall.local;
      this.skipped++;
    } else {
      // the hour repeated when clocks go back: the first pass (the export does not say which)
      if (candidates.length === 2) this.repeated++;
      utc = candidates[0]!;
    }
    const row: Record<string, Value> = { ...defaults, ts: timestampText(utc * 1000 + wall.ms) };
    for (const [key, field] of this.source) {
      const c = columns[key]!;
      const v = c.parse(fields[field]!);
      if (v === undefined) {
        this.ctx.reject(line, this.reason(c.column), `${this.names![field]!.trim()} '${fields[field]!.slice(0, 60)}'`);
        return;
      }
      row[c.column] = v;
    }
    const out = this.out;
    out.begin(line);
    for (const name of this.cols) {
      const v = row[name];
      if (v === null || v === undefined) out.nul();
      else if (typeof v === 'number') out.int(v);
      else out.text(v);
    }
    out.end();
  }

  private reason(column: string): RejectReason {
    return column === 'provider_guid' || column === 'activity_id' || column === 'keywords' ? 'malformed' : 'bad-number';
  }

  end(): void {
    this.rows.end();
    this.assume();
    if (this.skipped) this.ctx.note(`${this.skipped} time(s) fall in the hour the clocks skipped in ${this.zone}: read as after the change`);
    if (this.repeated) this.ctx.note(`${this.repeated} time(s) fall in the hour repeated when the clocks went back in ${this.zone}: read as the first pass`);
  }

  state(): State | null {
    if (!this.names) return null;
    return { names: [...this.names], line: this.headerLine, ...(this.order && !this.given ? { order: this.order } : {}) };
  }

  pending(): { line: number; offset: number } | undefined {
    const h = this.held[0];
    const o = this.rows.pending();
    if (h && (!o || h.line < o.line)) return { line: h.line, offset: h.offset };
    return o;
  }
}

function sniff(sample: Sample): Sniffed | undefined {
  const typed = sample.lines[0]?.trim() === TYPE_LINE;
  const header = sample.lines[typed ? 1 : 0];
  if (header === undefined) return undefined;
  const names = fieldsOf(header, new Fields(MAX_FIELDS));
  if (!Array.isArray(names)) return undefined;
  const have = new Set(names.map((n) => n.trim().toLowerCase()));
  const missing = REQUIRED.filter((r) => !have.has(r.toLowerCase()));
  if (missing.length) return typed ? { confidence: 20, reason: `the EventLogRecord #TYPE line, but the header lacks ${missing.join(', ')}` } : undefined;
  const why = `a Get-WinEvent | Export-Csv header (${REQUIRED.join(', ')})`;
  return typed ? { confidence: 100, reason: `${TYPE_LINE} and ${why}` } : { confidence: 90, reason: why };
}

export const evtxCsv: TextFormat = {
  name: 'evtx-csv',
  title: 'Windows events exported by Get-WinEvent | Export-Csv (no insertion strings)',
  tables: ['windowsEvents'],
  sniff,
  parser: (ctx, state) => new EvtxCsvParser(ctx, state),
};
