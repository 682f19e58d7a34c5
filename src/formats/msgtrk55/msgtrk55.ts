// Exchange 4.0 / 5.0 / 5.5 message tracking logs (`\Exchsrvr\Tracking.log\yyyymmdd.log`): TAB-
// delimited, no header, and MULTI-LINE entries (KB Q173280): a first line with fields 1–12 or 1–13,
// then one continuation line per recipient holding the recipient (a DN such as
// `/o=ORG/ou=SITE/cn=Recipients/cn=USER`, or a proxy address) and its report status.
//   1 Message ID / MTS-ID, 2 Event number, 3 Date/Time (GMT, `1998.3.4 11:14:10`), 4 Gateway name,
//   5 Partner name, 6 Remote ID, 7 Originator, 8 Priority, 9 Length, 10 Seconds, 11 Cost,
//   12 Subject-ID / report MTS-ID, [13 Number of recipients]; then per recipient: name TAB status.
// A continuation line begins with a TAB or with `/o=` (any case). A line of one or two fields whose
// first field is a proxy address (`SMTP:…`, `X400:…`) is a continuation too while an entry is open:
// KB Q173280 allows proxy addresses as recipients, and they do not start with `/o=`. Trailing empty
// fields after field 13 are ignored.
//
// An entry is written when the next entry starts (or at the end of input), so pending() reports the
// first line of the entry still being collected and a resume restarts there; state() is null
// because an entry never depends on an earlier one.
//
// Row values: ts = field 3; server empty (the log does not name its server); event = field 2; source
// empty; role: 4 → Submit, 9 → Deliver, 1000 (local delivery, both) → Submit|Deliver, else 0;
// message_id = field 1, else `~<file id>:<line>`; internal_id NULL (5.5 has no per-server id);
// sender = field 7 (originator DN); recipients = every continuation line's recipient, `;`-joined;
// recipient_count = field 13, or the number of continuation lines when the first line has 12 fields;
// bytes = field 9, empty → 0; directionality empty; subject NULL and client_ip NULL (5.5 logs
// neither). Empty versus NULL, the rule of all tracking formats: server, source and directionality
// are empty text when the generation lacks them, as the schema documents; other columns the
// generation never logs are NULL.
import { Fields, splitOn } from '../fields.js';
import type { Format, ParseContext, Parser, Sample, Sniffed } from '../types.js';
import { TS_BYTES, dottedTs } from '../tracking-time.js';
import { Role } from '../../schema/tables.js';
import { COUNT_MAX, isCountText, SIZE_MAX } from '../msgtrk/row.js';

const TAB = 9;

/** event numbers that count (spec tracking.md, "Counting rules", from Q173364); every other is 0 */
const countingEvents: Readonly<Record<string, number>> = {
  4: Role.Submit, // message submission
  9: Role.Deliver, // message delivered
  1000: Role.Submit | Role.Deliver, // local delivery: sender and recipients on this server
};

/** an entry being collected: its first line's values and the recipients seen so far */
interface Entry {
  readonly line: number;
  readonly offset: number;
  readonly ts: string;
  readonly messageId: string;
  readonly event: string;
  readonly sender: string;
  readonly bytes: string;
  /** field 13, when the first line has it */
  readonly recipientCount: number | undefined;
  readonly recipients: string[];
}

const proxyAddress = /^[A-Za-z][A-Za-z0-9]*:\S/;

function isContinuation(buf: Buffer, s: number, e: number): boolean {
  if (buf[s] === TAB) return true;
  return e - s >= 3 && buf[s] === 47 && (buf[s + 1] === 111 || buf[s + 1] === 79) && buf[s + 2] === 61; // /o= or /O=
}

class Parser55 implements Parser {
  private entry: Entry | undefined;
  /** first line of the last entry that was rejected: its recipient lines are explained by it */
  private rejectedAt = 0;
  private readonly f = new Fields(64);
  private readonly ts = Buffer.alloc(TS_BYTES);

  constructor(private readonly ctx: ParseContext) {}

  line(buf: Buffer, s: number, e: number, lineNo: number, offset: number): void {
    const f = this.f;
    let n = 0;
    if (!isContinuation(buf, s, e)) {
      n = splitOn(buf, s, e, f, TAB);
      while (n > 13 && f.empty(n - 1)) n--;
      if (n <= 2 && this.entry && proxyAddress.test(f.text(buf, 0)) && (n === 1 || /^\d*$/.test(f.text(buf, 1).trim()))) {
        this.recipient(buf, s, e);
        return;
      }
    }
    if (n === 0) {
      // a continuation line
      if (this.entry) {
        this.recipient(buf, s, e);
        return;
      }
      this.ctx.reject(
        lineNo,
        'orphan-line',
        this.rejectedAt
          ? `a recipient line of the entry at line ${this.rejectedAt}, which was rejected`
          : 'a recipient line with no entry line before it (the file may start in the middle of an entry)',
      );
      return;
    }

    // a first line: the entry before it is complete
    this.flush();
    this.rejectedAt = lineNo;
    if (n !== 12 && n !== 13) {
      const flattened = n === 1 && buf.indexOf(32, s) >= 0 && buf.indexOf(32, s) < e;
      this.ctx.reject(
        lineNo,
        'field-count',
        flattened
          ? 'no TAB in the line: an Exchange 5.5 entry line has 12 or 13 TAB-separated fields (were the TABs replaced by spaces, e.g. by a web page?)'
          : `${n} TAB-separated fields; an Exchange 5.5 entry line has 12 or 13`,
      );
      return;
    }
    if (!dottedTs(buf, f.start[2]!, f.end[2]!, this.ts)) {
      this.ctx.reject(lineNo, 'bad-time', `Date/Time '${f.text(buf, 2).slice(0, 40)}'`);
      return;
    }
    const bytes = f.text(buf, 8).trim();
    const count = n === 13 ? f.text(buf, 12).trim() : '';
    if (!isCountText(bytes, SIZE_MAX)) {
      this.ctx.reject(lineNo, 'bad-number', `Length '${bytes.slice(0, 40)}'`);
      return;
    }
    if (!isCountText(count, COUNT_MAX)) {
      this.ctx.reject(lineNo, 'bad-number', `Number of recipients '${count.slice(0, 40)}'`);
      return;
    }
    this.rejectedAt = 0;
    this.entry = {
      line: lineNo,
      offset,
      ts: this.ts.toString('latin1'),
      messageId: f.text(buf, 0),
      event: f.text(buf, 1).trim(),
      sender: f.text(buf, 6),
      bytes: bytes.replace(/^0+(?=\d)/, '') || '0',
      recipientCount: count === '' ? undefined : Number(count),
      recipients: [],
    };
  }

  /** the recipient of a continuation line: its first non-empty TAB field */
  private recipient(buf: Buffer, s: number, e: number): void {
    while (s < e && buf[s] === TAB) s++;
    let t = buf.indexOf(TAB, s);
    if (t < 0 || t > e) t = e;
    const name = buf.toString('utf8', s, t).trim();
    if (name !== '') this.entry!.recipients.push(name);
  }

  private flush(): void {
    const en = this.entry;
    if (!en) return;
    this.entry = undefined;
    const out = this.ctx.out('tracking');
    out.begin(en.line);
    out.text(en.ts);
    out.text(''); // server: not logged
    out.text(en.event);
    out.text(''); // source: none before 2007
    out.int(countingEvents[en.event] ?? 0);
    out.text(en.messageId !== '' ? en.messageId : `~${out.fileId}:${en.line}`);
    out.nul(); // internal_id
    out.text(en.sender);
    out.text(en.recipients.join(';'));
    out.int(en.recipientCount ?? en.recipients.length);
    out.text(en.bytes);
    out.text(''); // directionality: none before 2010
    out.nul(); // subject
    out.nul(); // client_ip
    out.end();
  }

  end(): void {
    this.flush();
  }

  pending(): { line: number; offset: number } | undefined {
    return this.entry ? { line: this.entry.line, offset: this.entry.offset } : undefined;
  }

  state(): null {
    return null;
  }
}

// ---- sniffing -------------------------------------------------------------------------------

const dateName = /^\d{8}\.log$/i;
const when = /^\d{4}[./-]\d{1,2}[./-]\d{1,2} +\d{1,2}:\d{2}:\d{2}$/;
const flatWhen = /\b\d{4}\.\d{1,2}\.\d{1,2} \d{1,2}:\d{2}:\d{2}/;

function sniff(sample: Sample): Sniffed | undefined {
  const named = dateName.test(sample.name) ? ', and the file is named yyyymmdd.log' : '';
  let first = 0,
    cont = 0,
    other = 0,
    flat = 0;
  for (const line of sample.lines) {
    if (line.startsWith('\t') || /^\/o=/i.test(line)) {
      cont++;
      continue;
    }
    const fields = line.split('\t');
    let n = fields.length;
    while (n > 13 && fields[n - 1] === '') n--;
    if ((n === 12 || n === 13) && /^\d+$/.test(fields[1]!.trim()) && when.test(fields[2]!.trim())) first++;
    else if (!line.includes('\t') && flatWhen.test(line) && /\/o=/i.test(line)) flat++;
    else other++;
  }
  if (first > 0 && other === 0 && flat === 0)
    return {
      confidence: cont > 0 ? 80 : 70,
      reason: `Exchange 4.0–5.5 tracking entries: ${first} line${first === 1 ? '' : 's'} of 12–13 TAB-separated fields with an event number and a '1998.3.4 11:14:10' time${cont ? `, followed by recipient lines` : ''}${named}`,
    };
  if (first > 0 && first * 2 >= first + other)
    return { confidence: 50, reason: `${first} of ${first + other} entry lines have the Exchange 4.0–5.5 tracking shape${named}` };
  if (flat > 0 && first === 0)
    return {
      confidence: 25,
      reason: `looks like Exchange 5.5 tracking entries (a '1998.3.4 11:14:10' time, /o= names) but has no TABs: they were probably replaced by spaces (text copied from a web page), so it cannot be parsed`,
    };
  return undefined;
}

export const msgtrk55 = {
  name: 'msgtrk55',
  title: 'Exchange 4.0–5.5 message tracking log (yyyymmdd.log, TAB-delimited, multi-line entries)',
  tables: ['tracking'],
  sniff,
  parser: (ctx: ParseContext): Parser => new Parser55(ctx),
} satisfies Format;
