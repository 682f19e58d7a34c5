// Exchange 2000 / 2003 message tracking logs (`\Exchsrvr\<Server>.log\yyyymmdd.log`): tab-delimited,
// one line per recipient, a header block of `#` lines:
//   # Message Tracking Log File
//   # Exchange System Attendant Version 6.5.7638.1
//   # Date<TAB>Time<TAB>client-ip<TAB>Client-hostname<TAB>…<TAB>Sender-Address
// Columns are mapped from the `# Date…` line when there is one (names compared case-insensitively),
// else by the positions of KB 246965 (20 fields). Real lines carry a 21st trailing field (`-`,
// seen in the wallix sample): fields beyond the layout are ignored, with a note; fewer are rejected.
//
// Row values: `-` means empty. ts = Date + Time (GMT, ` GMT` suffix optional). server = field 6
// Server-hostname; event = Event-ID as logged; role: 1027 → Submit, 1028 → Deliver, else 0 (1019,
// SMTP submission, is logged for inbound internet mail too, so it is not a Submit by itself);
// message_id = Linked-MSGID (18) unless `-`, else MSGID (10), else `~<file id>:<line>`; internal_id =
// MSGID; sender = Sender-Address (20); recipients = Recipient-Address (8); recipient_count =
// Number-Recipients (14); bytes = total-bytes (13), `-`/empty → 0; subject = Message-Subject (19);
// client_ip = client-ip (3).
// Empty versus NULL, the rule of all tracking formats: server, source and directionality are empty
// text when the log lacks them (source and directionality do not exist before 2007), as the schema
// documents; any other column is empty text when the line says `-` or nothing, and NULL only when a
// `# Date…` header does not name its field at all.
import { Fields, splitOn } from '../fields.js';
import { mapColumns, type ColumnMap, type ColumnNames } from '../columns.js';
import type { Format, ParseContext, Parser, Sample, Sniffed } from '../types.js';
import { TS_BYTES, dateAndTimeTs } from '../tracking-time.js';
import { Role } from '../../schema/tables.js';
import { copyField, COUNT_MAX, isCount, SIZE_MAX, writeCount, writeMissingMessageId } from '../msgtrk/row.js';

const TAB = 9,
  HASH = 35,
  DASH = 45;

/** KB 246965 field names, in the order Exchange 2000/2003 writes them */
export const fieldNames2003 = [
  'Date',
  'Time',
  'client-ip',
  'Client-hostname',
  'Partner-Name',
  'Server-hostname',
  'Server-IP',
  'Recipient-Address',
  'Event-ID',
  'MSGID',
  'Priority',
  'Recipient-Report-Status',
  'total-bytes',
  'Number-Recipients',
  'Origination-Time',
  'Encryption',
  'service-Version',
  'Linked-MSGID',
  'Message-Subject',
  'Sender-Address',
] as const;

/** event ids that count (spec tracking.md, "Counting rules"); every other id is 0 */
const countingEvents: readonly { readonly event: string; readonly role: number }[] = [
  { event: '1027', role: Role.Submit }, // SMTP submit message to Store Driver (MAPI submission)
  { event: '1028', role: Role.Deliver }, // SMTP Store Driver local delivery
];

/** the header names (KB 246965) of the values a row needs */
const columns = {
  date: 'Date',
  time: 'Time',
  clientIp: 'client-ip',
  server: 'Server-hostname',
  recipients: 'Recipient-Address',
  event: 'Event-ID',
  msgid: 'MSGID',
  bytes: 'total-bytes',
  recipientCount: 'Number-Recipients',
  linked: 'Linked-MSGID',
  subject: 'Message-Subject',
  sender: 'Sender-Address',
} as const satisfies ColumnNames<string>;

/** where those values are (-1: absent); `line` 0 for the KB positions of a file without header */
type Layout = ColumnMap<keyof typeof columns>;

function layoutOf(rawNames: readonly string[], line: number): Layout {
  return mapColumns(rawNames, columns, line);
}

const positional = layoutOf(fieldNames2003, 0);

interface State2003 {
  names: string[];
  line: number;
}

class Parser2003 implements Parser {
  private layout: Layout = positional;
  private readonly f = new Fields(128);
  private readonly ts = Buffer.alloc(TS_BYTES);
  private readonly noted = new Set<string>();
  private extraNoted = false;

  constructor(
    private readonly ctx: ParseContext,
    state?: unknown,
  ) {
    const st = state as State2003 | null | undefined;
    if (st && Array.isArray(st.names) && st.line > 0) this.layout = layoutOf(st.names, st.line);
  }

  private note(message: string): void {
    if (this.noted.has(message)) return;
    this.noted.add(message);
    this.ctx.note(message);
  }

  line(buf: Buffer, s: number, e: number, lineNo: number): void {
    const f = this.f;
    if (buf[s] === HASH) {
      // `# Date<TAB>Time<TAB>client-ip…` names the fields; the other # lines are titles
      const tab = buf.indexOf(TAB, s);
      if (tab >= 0 && tab < e) {
        let p = s + 1;
        while (p < e && buf[p] === 32) p++;
        const n = splitOn(buf, p, e, f, TAB);
        const names: string[] = [];
        for (let i = 0; i < Math.min(n, f.max); i++) names.push(f.text(buf, i));
        const l = layoutOf(names, lineNo);
        if (l.date >= 0 && l.time >= 0 && l.event >= 0) this.layout = l;
        else this.note(`the header line ${lineNo} does not name Date, Time and Event-ID: the KB 246965 field positions are used`);
      }
      return;
    }
    const n = splitOn(buf, s, e, f, TAB);
    const layout = this.layout;
    if (n < layout.count) {
      this.ctx.reject(
        lineNo,
        'field-count',
        `${n} TAB-separated field${n === 1 ? '' : 's'}, ${layout.line ? `the header at line ${layout.line} names` : 'Exchange 2000/2003 writes'} ${layout.count}`,
      );
      return;
    }
    if (n > layout.count && !this.extraNoted) {
      this.extraNoted = true;
      const extra = f.text(buf, layout.count);
      this.note(
        `lines have ${n} fields (first at line ${lineNo}), ${n - layout.count} more than the ${layout.count} ${layout.line ? 'the header names' : 'of KB 246965'} (after Sender-Address, e.g. '${extra}'): ignored`,
      );
    }
    if (!dateAndTimeTs(buf, f.start[layout.date]!, f.end[layout.date]!, f.start[layout.time]!, f.end[layout.time]!, this.ts)) {
      this.ctx.reject(lineNo, 'bad-time', `Date '${f.text(buf, layout.date)}' Time '${f.text(buf, layout.time)}'`);
      return;
    }
    // `-` means empty: make those fields empty, so the shared copying code needs no special case
    for (let i = 0; i < n; i++) if (f.end[i]! - f.start[i]! === 1 && buf[f.start[i]!] === DASH) f.end[i] = f.start[i]!;
    for (const [i, digits] of [
      [layout.bytes, SIZE_MAX],
      [layout.recipientCount, COUNT_MAX],
    ] as const) {
      if (!isCount(buf, f, i, digits)) {
        this.ctx.reject(lineNo, 'bad-number', `${layout.header[i]} '${f.text(buf, i).slice(0, 40)}'`);
        return;
      }
    }

    const out = this.ctx.out('tracking');
    out.begin(lineNo);
    out.bytes(this.ts, 0, TS_BYTES);
    copyField(out, buf, f, layout.server, true);
    copyField(out, buf, f, layout.event, true);
    out.bytes(buf, 0, 0); // source: none before 2007
    out.int(this.role(buf, layout.event));
    if (layout.linked >= 0 && !f.empty(layout.linked)) copyField(out, buf, f, layout.linked, false);
    else if (layout.msgid >= 0 && !f.empty(layout.msgid)) copyField(out, buf, f, layout.msgid, false);
    else writeMissingMessageId(out, lineNo);
    copyField(out, buf, f, layout.msgid, false);
    copyField(out, buf, f, layout.sender, false);
    copyField(out, buf, f, layout.recipients, false);
    writeCount(out, buf, f, layout.recipientCount);
    writeCount(out, buf, f, layout.bytes);
    out.bytes(buf, 0, 0); // directionality: none before 2010
    copyField(out, buf, f, layout.subject, false);
    copyField(out, buf, f, layout.clientIp, false);
    out.end();
  }

  private role(buf: Buffer, i: number): number {
    for (const r of countingEvents) if (this.f.is(buf, i, r.event)) return r.role;
    return 0;
  }

  end(): void {}

  state(): State2003 | null {
    return this.layout.line ? { names: [...this.layout.header], line: this.layout.line } : null;
  }
}

// ---- sniffing -------------------------------------------------------------------------------

const dateName = /^\d{8}\.log$/i;
const dataShape = /^\d{4}-\d{1,2}-\d{1,2}\t\d{1,2}:\d{2}:\d{2}( GMT)?\t/;

function sniff(sample: Sample): Sniffed | undefined {
  const named = dateName.test(sample.name) ? `, and the file is named yyyymmdd.log` : '';
  let data = 0,
    fit = 0;
  for (const line of sample.lines) {
    if (/^#\s*Message Tracking Log File/i.test(line))
      return { confidence: 100, reason: `the header '# Message Tracking Log File' of Exchange 2000/2003${named}` };
    if (/^#\s*Date\tTime\tclient-ip\t/i.test(line))
      return { confidence: 95, reason: `the Exchange 2000/2003 field header '# Date, Time, client-ip …'${named}` };
    if (line.startsWith('#')) continue;
    data++;
    const fields = line.split('\t');
    if (fields.length >= 20 && dataShape.test(line) && /^\d{1,4}$/.test(fields[8]!)) fit++;
  }
  if (fit > 0 && fit === data)
    return {
      confidence: 70,
      reason: `no header, but ${fit === 1 ? 'the line has' : `all ${fit} lines have`} the Exchange 2000/2003 shape: 20+ TAB-separated fields, a date, a time (GMT) and a numeric event id in field 9${named}`,
    };
  if (fit > 0 && fit * 2 >= data) return { confidence: 50, reason: `no header; ${fit} of ${data} lines have the Exchange 2000/2003 tracking shape${named}` };
  return undefined;
}

export const msgtrk2003 = {
  name: 'msgtrk2003',
  title: 'Exchange 2000/2003 message tracking log (yyyymmdd.log, TAB-delimited)',
  tables: ['tracking'],
  sniff,
  parser: (ctx: ParseContext, state?: unknown): Parser => new Parser2003(ctx, state),
} satisfies Format;
