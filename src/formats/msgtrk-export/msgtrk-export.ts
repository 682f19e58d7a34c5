// `Get-MessageTrackingLog | Export-Csv` output: an optional `#TYPE Microsoft.Exchange…` line, then a
// CSV header of property names (Timestamp, ClientIp, ServerHostname, Source, EventId, MessageId,
// Recipients, TotalBytes, Sender … in any order, often with PSComputerName/RunspaceId first), UTF-8
// or UTF-16 (the framer decodes it).
//
// Timestamps are written in the exporting machine's culture and time zone. Accepted: ISO 8601,
// `M/d/yyyy h:mm:ss AM/PM` (en-US), `d/M/yyyy HH:mm:ss`, `dd.MM.yyyy HH:mm:ss`, `yyyy/M/d HH:mm:ss`.
// The day/month order of slash dates is decided per file: a first component above 12 means
// day-first, a second above 12 month-first; until a date settles it, AM/PM times are assumed
// month-first (en-US) and 24-hour times day-first, with a note either way. A time without a zone is
// the local time of the exporting machine: it is stored as given (as if UTC) and noted once.
//
// Recipients: a plain Export-Csv writes the array as the literal `System.String[]`; the row is
// kept with empty recipients and a note says how to export properly. Joined recipients may be
// separated by `;`, `,` or spaces; they are stored `;`-joined.
//
// Roles, message_id fallback (`~<file id>:<line>`), numbers (digits, empty → 0) and the empty-versus-
// NULL rule are those of msgtrk (see msgtrk/msgtrk.ts): server, source and directionality are empty
// text when the export has no such column, other text columns NULL.
import { Fields, splitCsv } from '../fields.js';
import { mapColumns, type ColumnMap, type ColumnNames } from '../columns.js';
import type { Format, ParseContext, Parser, Sample, Sniffed } from '../types.js';
import { TS_BYTES, putTs, putTsOffset } from '../tracking-time.js';
import { COUNT_MAX, isCount, SIZE_MAX, writeRow2007 } from '../msgtrk/row.js';

/** Get-MessageTrackingLog property names (on-premises Export-Csv header, lower case) */
const propertyNames = new Set([
  'pscomputername',
  'runspaceid',
  'psshowcomputername',
  'timestamp',
  'clientip',
  'clienthostname',
  'serverip',
  'serverhostname',
  'sourcecontext',
  'connectorid',
  'source',
  'eventid',
  'internalmessageid',
  'messageid',
  'networkmessageid',
  'recipients',
  'recipientstatus',
  'totalbytes',
  'recipientcount',
  'relatedrecipientaddress',
  'reference',
  'messagesubject',
  'sender',
  'returnpath',
  'directionality',
  'tenantid',
  'originalclientip',
  'originalserverip',
  'messageinfo',
  'messagelatency',
  'messagelatencytype',
  'eventdata',
  'transporttraffictype',
  'schemaversion',
  'logid',
]);

/** the Get-MessageTrackingLog property names of the values a row needs */
const columns = {
  timestamp: 'Timestamp',
  server: 'ServerHostname',
  event: 'EventId',
  source: 'Source',
  messageId: 'MessageId',
  internalId: 'InternalMessageId',
  sender: 'Sender',
  recipients: 'Recipients',
  recipientCount: 'RecipientCount',
  bytes: 'TotalBytes',
  directionality: 'Directionality',
  subject: 'MessageSubject',
  clientIp: 'ClientIp',
} as const satisfies ColumnNames<string>;

type Layout = ColumnMap<keyof typeof columns>;

function layoutOf(rawNames: readonly string[], line: number): Layout {
  return mapColumns(rawNames, columns, line);
}

type Order = 'day-first' | 'month-first';
const orderText: Record<Order, string> = { 'day-first': 'day-first (d/M/yyyy)', 'month-first': 'month-first (M/d/yyyy)' };

interface ExportState {
  names: string[];
  line: number;
  order?: Order;
  /** the order was settled by a date (a component above 12), not assumed */
  orderSettled?: boolean;
}

function isState(s: unknown): s is ExportState {
  return typeof s === 'object' && s !== null && Array.isArray((s as ExportState).names);
}

const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const yearFirst = /^(\d{4})\/(\d{1,2})\/(\d{1,2}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const slashed = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?$/;
const dotted = /^(\d{1,2})\.(\d{1,2})\.(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/;

class ExportParser implements Parser {
  private layout: Layout | undefined;
  private readonly f = new Fields(512);
  private readonly ts = Buffer.alloc(TS_BYTES);
  private readonly noted = new Set<string>();
  private order: Order | undefined;
  private orderSettled = false;
  private orderAssumedAt = 0;
  private arrayNoted = false;

  constructor(
    private readonly ctx: ParseContext,
    state?: unknown,
  ) {
    if (isState(state)) {
      this.layout = layoutOf(state.names, state.line);
      this.order = state.order;
      this.orderSettled = state.orderSettled === true;
    }
  }

  private note(message: string): void {
    if (this.noted.has(message)) return;
    this.noted.add(message);
    this.ctx.note(message);
  }

  line(buf: Buffer, s: number, e: number, lineNo: number): void {
    if (buf[s] === 35 && buf.toString('latin1', s, Math.min(e, s + 5)) === '#TYPE') return;
    const f = this.f;
    const n = splitCsv(buf, s, e, f);
    if (f.unterminated) {
      this.ctx.reject(lineNo, 'unterminated-quote', `field ${n} opens a quote that is not closed`);
      return;
    }
    if (this.isHeader(buf, n)) {
      const names: string[] = [];
      for (let i = 0; i < n; i++) names.push(f.text(buf, i));
      this.layout = layoutOf(names, lineNo);
      if (this.layout.timestamp < 0 || this.layout.event < 0)
        this.note(`the header at line ${lineNo} has no Timestamp or EventId column: its lines are rejected`);
      return;
    }
    const layout = this.layout;
    if (!layout) {
      this.ctx.reject(lineNo, 'no-header', 'a data line before the Export-Csv header (Timestamp, EventId, …)');
      return;
    }
    if (n !== layout.count) {
      this.ctx.reject(lineNo, 'field-count', `${n > f.max ? `more than ${f.max}` : n} fields, the header at line ${layout.line} has ${layout.count}`);
      return;
    }
    if (layout.timestamp < 0 || layout.event < 0) {
      this.ctx.reject(lineNo, 'malformed', 'the header in force has no Timestamp or EventId column');
      return;
    }
    const when = f.text(buf, layout.timestamp).trim();
    const bad = this.time(when, lineNo);
    if (bad) {
      this.ctx.reject(lineNo, 'bad-time', bad);
      return;
    }
    for (const [i, digits] of [
      [layout.bytes, SIZE_MAX],
      [layout.recipientCount, COUNT_MAX],
    ] as const) {
      if (!isCount(buf, f, i, digits)) {
        this.ctx.reject(lineNo, 'bad-number', `${layout.header[i]} '${f.text(buf, i).slice(0, 40)}'`);
        return;
      }
    }

    writeRow2007(this.ctx.out('tracking'), buf, f, layout, this.ts, TS_BYTES, lineNo, () => this.recipients(buf, layout.recipients, lineNo));
  }

  /** a header line: the first one of the file, or a repeated one (files joined together) */
  private isHeader(buf: Buffer, n: number): boolean {
    const f = this.f;
    if (this.layout && !propertyNames.has(f.text(buf, 0).trim().toLowerCase())) return false;
    let timestamp = false,
      event = false;
    for (let i = 0; i < n && i < f.max; i++) {
      const name = f.text(buf, i).trim().toLowerCase();
      if (name === 'timestamp') timestamp = true;
      else if (name === 'eventid') event = true;
    }
    return timestamp && event;
  }

  /** Timestamp text -> this.ts; returns why it is not a time, or undefined */
  private time(text: string, lineNo: number): string | undefined {
    let m = iso.exec(text);
    if (m) {
      const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
      const zone = m[8];
      let offset = 0;
      if (!zone) this.localTime();
      else if (zone.toUpperCase() !== 'Z') {
        const z = zone.replace(':', '');
        offset = (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)));
      }
      return putTsOffset(this.ts, +m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0), ms, offset) ? undefined : `Timestamp '${text}' is not a valid time`;
    }
    m = yearFirst.exec(text);
    if (m) {
      this.localTime();
      return putTs(this.ts, +m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0), 0) ? undefined : `Timestamp '${text}' is not a valid time`;
    }
    m = dotted.exec(text);
    if (m) {
      this.localTime();
      return putTs(this.ts, +m[3]!, +m[2]!, +m[1]!, +m[4]!, +m[5]!, +(m[6] ?? 0), 0) ? undefined : `Timestamp '${text}' is not a valid time`;
    }
    m = slashed.exec(text);
    if (m) {
      this.localTime();
      const a = +m[1]!,
        b = +m[2]!;
      let h = +m[4]!;
      const ampm = m[7]?.toUpperCase();
      if (ampm) {
        if (h < 1 || h > 12) return `Timestamp '${text}': hour ${h} with ${ampm}M`;
        h = (h % 12) + (ampm === 'P' ? 12 : 0);
      }
      const order = this.slashOrder(a, b, ampm !== undefined, lineNo, text);
      const [d, mo] = order === 'day-first' ? [a, b] : [b, a];
      if (putTs(this.ts, +m[3]!, mo, d, h, +m[5]!, +(m[6] ?? 0), 0)) return undefined;
      return this.orderSettled && (a > 12 || b > 12) && mo > 12
        ? `Timestamp '${text}' has no month under the ${orderText[order]} order that earlier dates of the file show`
        : `Timestamp '${text}' is not a valid time`;
    }
    return `Timestamp '${text.slice(0, 40)}' is in none of the accepted forms (ISO 8601, M/d/yyyy h:mm:ss AM/PM, d/M/yyyy HH:mm:ss, dd.MM.yyyy HH:mm:ss, yyyy/M/d HH:mm:ss)`;
  }

  /** the day/month order of a slash date, settled by the first date with a component above 12 */
  private slashOrder(a: number, b: number, ampm: boolean, lineNo: number, text: string): Order {
    if (this.orderSettled) return this.order!;
    const evidence: Order | undefined = a > 12 && b <= 12 ? 'day-first' : b > 12 && a <= 12 ? 'month-first' : undefined;
    if (evidence) {
      if (this.order && this.order !== evidence)
        this.note(
          `Timestamp dates were assumed ${orderText[this.order]} from line ${this.orderAssumedAt}, but line ${lineNo} ('${text}') is ${orderText[evidence]}: the rows of ${lineNo - 1 > this.orderAssumedAt ? `lines ${this.orderAssumedAt}–${lineNo - 1}` : `line ${this.orderAssumedAt}`} may have day and month swapped (re-ingest the file to fix them)`,
        );
      else if (this.order) this.note(`Timestamp dates are ${orderText[evidence]}, as assumed: line ${lineNo} ('${text}') confirms it`);
      else this.note(`Timestamp dates are read ${orderText[evidence]}: line ${lineNo} has '${text}'`);
      this.order = evidence;
      this.orderSettled = true;
      return evidence;
    }
    if (!this.order) {
      this.order = ampm ? 'month-first' : 'day-first';
      this.orderAssumedAt = lineNo;
      this.note(
        `Timestamp dates such as '${text}' are ambiguous; assumed ${orderText[this.order]} because the times ${ampm ? 'have AM/PM (the en-US culture)' : 'have no AM/PM (24-hour cultures write the day first)'}, until a date with a day above 12 settles it`,
      );
    }
    return this.order;
  }

  private localTime(): void {
    this.note(
      'Timestamp values are the local time of the machine that ran Get-MessageTrackingLog | Export-Csv (the file does not say its time zone): they are stored as given, as if they were UTC',
    );
  }

  private recipients(buf: Buffer, i: number, lineNo: number): void {
    const out = this.ctx.out('tracking');
    if (i < 0) {
      out.nul();
      return;
    }
    const f = this.f;
    if (f.is(buf, i, 'System.String[]')) {
      if (!this.arrayNoted)
        this.note(
          `Recipients holds the literal 'System.String[]' (first at line ${lineNo}): a plain Export-Csv cannot write the array, so these rows are kept with empty recipients and deliveries cannot be counted per recipient. Export again with: Get-MessageTrackingLog … | Select-Object *,@{n='Recipients';e={$_.Recipients -join ';'}} -ExcludeProperty Recipients | Export-Csv -NoTypeInformation -Encoding UTF8 tracking.csv`,
        );
      this.arrayNoted = true;
      out.bytes(buf, 0, 0);
      return;
    }
    const text = f.text(buf, i);
    out.text(
      /[,\s]/.test(text)
        ? text
            .split(/[;,\s]+/)
            .filter((r) => r !== '')
            .join(';')
        : text,
    );
  }

  end(): void {}

  state(): ExportState | null {
    if (!this.layout) return null;
    return {
      names: [...this.layout.header],
      line: this.layout.line,
      ...(this.order ? { order: this.order, orderSettled: this.orderSettled } : {}),
    };
  }
}

function sniff(sample: Sample): Sniffed | undefined {
  const f = new Fields(512);
  let typed = false;
  for (const line of sample.lines.slice(0, 5)) {
    // the header is first (after #TYPE); a few stray lines are tolerated
    if (line.startsWith('#TYPE')) {
      if (/MessageTrackingEvent\s*$/i.test(line)) typed = true;
      continue;
    }
    const b = Buffer.from(line, 'utf8');
    const n = splitCsv(b, 0, b.length, f);
    const names = new Set<string>();
    for (let i = 0; i < n && i < f.max; i++) names.add(f.text(b, i).trim().toLowerCase());
    if (names.has('timestamp') && names.has('eventid') && (names.has('messageid') || names.has('internalmessageid'))) {
      return typed
        ? { confidence: 100, reason: `a '#TYPE …MessageTrackingEvent' line and a Get-MessageTrackingLog | Export-Csv header (${n} columns)` }
        : { confidence: 95, reason: `a Get-MessageTrackingLog | Export-Csv header (Timestamp, EventId, MessageId … ${n} columns)` };
    }
  }
  if (typed) return { confidence: 60, reason: "a '#TYPE …MessageTrackingEvent' line, but no Timestamp/EventId header after it" };
  return undefined;
}

export const msgtrkExport = {
  name: 'msgtrk-export',
  title: 'Get-MessageTrackingLog | Export-Csv output (CSV, UTF-8 or UTF-16)',
  tables: ['tracking'],
  sniff,
  parser: (ctx: ParseContext, state?: unknown): Parser => new ExportParser(ctx, state),
} satisfies Format;
