// IIS W3C extended logs (u_exYYMMDD.log): every request becomes an iis_requests row, and the
// ActiveSync ones (cs-uri-stem under /Microsoft-Server-ActiveSync) get their query string and Log=
// value decoded into the eas_* columns.
//
// Layout: columns are mapped from the `#Fields:` header by name (space-separated, `-` = empty).
// IIS writes a new #Software/#Version/#Date/#Fields block whenever the logging configuration
// changes, so a later #Fields replaces the map; fields the row does not use (cs(Referer),
// X-Forwarded-For and other custom fields) are tolerated. Lines before any header are accepted only
// when they have the field count AND the shape of a default layout (layouts.ts: IIS 7.5–10, 15
// fields; IIS 6.0, 14 fields), with a note; otherwise `no-header`. A `#Software: Microsoft Exchange`
// or comma-separated `#Fields:` header (MSGTRK, HttpProxy, EWS CSV logs) is not IIS: its data lines
// are rejected `no-header`, with a note. Rejects: `field-count` (not the header's number of fields),
// `bad-time` (date/time), `bad-number` (port, statuses, bytes, time-taken not digits or too long),
// `malformed` (a header without a time field), `no-header`.
//
// Row values: `ts` from date + time (UTC, as IIS logs them; a header without `date` takes the day
// of `#Date:`). Text logged as `-` is empty text; numbers logged as `-` and fields the header does
// not have are NULL (server and site: empty text). cs-username and cs(User-Agent) are URL-decoded
// once, `+` being a space (activesync/url.ts says what is kept as written).
// EAS columns (NULL for other requests): Cmd/User/DeviceId/DeviceType from the query (URL-decoded),
// or from a base64-encoded query (activesync/base64-query.ts); the Log= value raw in eas_log and
// summarized (activesync/decode.ts summarizeLog) into the typed columns; eas_backend = the stem is
// /Microsoft-Server-ActiveSync/Proxy/… (the back end's copy of a request the front end logged too).
// The Log= value is stored once: an ActiveSync request's uri_query is the query with that value cut
// out (its `Log=` kept), and ./query.ts puts it back (schema/tables.ts has the rule). A back-end
// line's eas_front_end is the front end that proxied it (Log= PrxFrom, else c-ip, normalised by
// activesync/address.ts); server_ip (s-ip) and host (cs-host) come last, as they were added last.
//
// Hot path: lines are split into byte ranges (splitOn) and copied into the row writer (as they are,
// natively for long fields, when TsvWriter.plain accepts the line); strings are made only for an
// ActiveSync Log= value, a base64 query, and a directive line.
import { isUtf8 } from 'node:buffer';
import { Fields, splitOn } from '../fields.js';
import type { Format, ParseContext, Parser, Sample, Sniffed } from '../types.js';
import type { TsvWriter } from '../../schema/tsv.js';
import { TS_BYTES, dateAndTimeTs } from '../tracking-time.js';
import { iisRequests } from '../../schema/tables.js';
import { defaultLayouts, fieldNames, type FieldKey } from './layouts.js';
import { protocolFromNumber, summarizeLog } from '../../capabilities/activesync/decode.js';
import { decodeBase64Query, type Base64Request } from '../../capabilities/activesync/base64-query.js';
import { needsUrlDecode, urlDecode, urlDecodeBytes } from '../../capabilities/activesync/url.js';
import { frontEndAddress } from '../../capabilities/activesync/address.js';

const EMPTY = Buffer.alloc(0);
const HASH = 35,
  SPACE = 32,
  DASH = 45,
  AMP = 38,
  EQUALS = 61,
  SLASH = 47,
  COLON = 58;

/** where the fields the row needs are in one layout (-1: the layout has no such field) */
interface Layout {
  readonly names: readonly string[];
  /** line of the #Fields header; 0 for a default layout assumed for header-less lines */
  readonly line: number;
  /** the default layout's name, when assumed */
  readonly assumed?: string;
  readonly count: number;
  readonly at: Readonly<Record<FieldKey, number>>;
  /** IIS 6 lines must carry W3SVCn here to be taken for the default layout */
  readonly siteAt?: number;
}

function layoutOf(names: readonly string[], line: number, assumed?: string, siteAt?: number): Layout {
  const lower = names.map((n) => n.toLowerCase());
  const at = {} as Record<FieldKey, number>;
  for (const k of Object.keys(fieldNames) as FieldKey[]) at[k] = lower.indexOf(fieldNames[k]);
  return { names: [...names], line, count: names.length, at, ...(assumed ? { assumed } : {}), ...(siteAt !== undefined ? { siteAt } : {}) };
}

const defaults: readonly Layout[] = defaultLayouts.map((d) => layoutOf(d.names, 0, d.name, d.siteAt));

/** numeric fields: checked before the row is written; max digits keeps int/bigint in range */
const numeric: readonly { key: FieldKey; digits: number }[] = [
  { key: 'port', digits: 9 },
  { key: 'status', digits: 9 },
  { key: 'substatus', digits: 9 },
  { key: 'win32', digits: 18 },
  { key: 'scBytes', digits: 18 },
  { key: 'csBytes', digits: 18 },
  { key: 'timeTaken', digits: 9 },
];

// ---- byte tests ------------------------------------------------------------------------------

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

/** field i is exactly `-` */
function dash(buf: Buffer, f: Fields, i: number): boolean {
  return f.end[i]! - f.start[i]! === 1 && buf[f.start[i]!] === DASH;
}

/** ASCII prefix, case-insensitive (prefix given in lower case) */
function startsWithCi(buf: Buffer, s: number, e: number, prefix: string): boolean {
  if (e - s < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if ((buf[s + k]! | 0x20) !== prefix.charCodeAt(k)) return false;
  return true;
}

function equalsCi(buf: Buffer, s: number, e: number, lower: string): boolean {
  return e - s === lower.length && startsWithCi(buf, s, e, lower);
}

const EAS_STEM = '/microsoft-server-activesync';
/** the PrxFrom element of a back end's Log= value (the proxying front end's address, URL-escaped) */
const PRX_FROM = /(?:^|_)PrxFrom:([^_]*)/i;
const PROXY = '/proxy';

/** 0 not ActiveSync, 1 front end, 2 back end (…/Proxy/…) */
function easStem(buf: Buffer, s: number, e: number): number {
  if (!startsWithCi(buf, s, e, EAS_STEM)) return 0;
  const p = s + EAS_STEM.length;
  if (p < e && buf[p] !== SLASH) return 0;
  return startsWithCi(buf, p, e, PROXY) && (p + PROXY.length === e || buf[p + PROXY.length] === SLASH) ? 2 : 1;
}

/** a header-less line that has a default layout's field count and shape: date, time, an upper-case
 *  method, a stem starting with /, a 3-digit status (and W3SVCn where IIS 6 logs the site) */
function defaultLayoutFor(buf: Buffer, f: Fields, n: number): Layout | undefined {
  for (const l of defaults) {
    if (l.count !== n) continue;
    const { date, time, method, stem, status } = l.at;
    const d = f.start[date]!,
      t = f.start[time]!;
    if (f.end[date]! - d !== 10 || buf[d + 4] !== DASH || buf[d + 7] !== DASH || !isDigit(buf[d]) || !isDigit(buf[d + 9])) continue;
    if (f.end[time]! - t < 8 || buf[t + 2] !== COLON || buf[t + 5] !== COLON || !isDigit(buf[t])) continue;
    let upper = f.end[method]! > f.start[method]!;
    for (let p = f.start[method]!; p < f.end[method]!; p++) if (buf[p]! < 65 || buf[p]! > 90) upper = false;
    if (!upper || buf[f.start[stem]!] !== SLASH) continue;
    const st = f.start[status]!;
    if (f.end[status]! - st !== 3 || !isDigit(buf[st]) || !isDigit(buf[st + 1]) || !isDigit(buf[st + 2])) continue;
    if (l.siteAt !== undefined && !startsWithCi(buf, f.start[l.siteAt]!, f.end[l.siteAt]!, 'w3svc')) continue;
    return l;
  }
  return undefined;
}

/** splitOn's count for messages (it is f.max + 1 when the split stopped early) */
function fieldCount(n: number, f: Fields): string {
  return n > f.max ? `more than ${f.max} fields` : n === 1 ? '1 field' : `${n} fields`;
}

/** a short printable excerpt of a field, for reject details */
function excerpt(buf: Buffer, f: Fields, i: number): string {
  const t = f.text(buf, i);
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}

// ---- the parser ------------------------------------------------------------------------------

/** state kept across a resume: the header in force */
interface IisState {
  names: string[] | null;
  line: number;
  date: string | null;
  foreign: number;
}

function isState(s: unknown): s is IisState {
  if (typeof s !== 'object' || s === null) return false;
  const x = s as IisState;
  return (x.names === null || Array.isArray(x.names)) && typeof x.line === 'number' && typeof x.foreign === 'number';
}

/** query parameters the EAS columns read; [start, end) of their values, -1 when absent */
const P_CMD = 0,
  P_USER = 2,
  P_DEVICE_ID = 4,
  P_DEVICE_TYPE = 6,
  P_LOG = 8,
  P_BASE64 = 10;
const paramKeys: readonly [string, number][] = [
  ['cmd', P_CMD],
  ['user', P_USER],
  ['deviceid', P_DEVICE_ID],
  ['devicetype', P_DEVICE_TYPE],
  ['log', P_LOG],
];

class IisParser implements Parser {
  private layout: Layout | undefined;
  /** the day of the last #Date directive (YYYY-MM-DD), for headers without a date field */
  private date: string | undefined;
  /** line of a non-IIS header in force (an Exchange CSV log), 0 when none */
  private foreign = 0;
  private layoutChanges = 0;
  private readonly f = new Fields(512);
  private readonly ts = Buffer.alloc(TS_BYTES);
  private readonly dayTime = Buffer.alloc(64);
  private scratch = Buffer.alloc(4096);
  private readonly q = new Int32Array(12);
  /** the line being written holds no byte the row writer rewrites (TsvWriter.plain) */
  private plain = false;
  /** ctx.out('iis'): the same writer for the whole file */
  private readonly out: TsvWriter;
  private readonly noted = new Set<string>();

  constructor(
    private readonly ctx: ParseContext,
    state?: unknown,
  ) {
    this.out = ctx.out('iis');
    if (isState(state)) {
      if (state.names) this.layout = layoutOf(state.names, state.line);
      if (state.date) this.date = state.date;
      this.foreign = state.foreign;
    }
  }

  private note(message: string): void {
    if (this.noted.has(message)) return;
    this.noted.add(message);
    this.ctx.note(message);
  }

  line(buf: Buffer, s: number, e: number, lineNo: number): void {
    if (buf[s] === HASH) {
      this.directive(buf.toString('utf8', s, e), lineNo);
      return;
    }
    const f = this.f;
    const ctx = this.ctx;
    const n = splitOn(buf, s, e, f, SPACE);
    let L = this.layout;
    if (!L) {
      if (this.foreign) {
        ctx.reject(lineNo, 'no-header', `a data line under the non-IIS header of line ${this.foreign}`);
        return;
      }
      L = defaultLayoutFor(buf, f, n);
      if (!L) {
        ctx.reject(
          lineNo,
          'no-header',
          `${fieldCount(n, f)} before any #Fields header, not shaped like the ${defaults.map((d) => `${d.assumed} (${d.count} fields)`).join(' or ')} layout`,
        );
        return;
      }
      this.note(`no #Fields header: lines shaped like the ${L.assumed} field list (${L.count} fields) were read with it`);
    }
    if (n !== L.count) {
      ctx.reject(lineNo, 'field-count', `${fieldCount(n, f)}, the #Fields header at line ${L.line} declares ${L.count}`);
      return;
    }
    const at = L.at;
    if (at.time < 0) {
      ctx.reject(lineNo, 'malformed', `the #Fields header at line ${L.line} has no time field`);
      return;
    }
    if (!this.time(buf, at.date, at.time)) {
      const when = at.date >= 0 ? `${excerpt(buf, f, at.date)} ${excerpt(buf, f, at.time)}` : `${this.date ?? '(no #Date)'} ${excerpt(buf, f, at.time)}`;
      ctx.reject(lineNo, 'bad-time', `date/time '${when}'`);
      return;
    }
    for (let k = 0; k < numeric.length; k++) {
      const { key, digits } = numeric[k]!;
      const i = at[key];
      if (i < 0 || dash(buf, f, i)) continue;
      const fs = f.start[i]!,
        fe = f.end[i]!;
      let ok = fe > fs && fe - fs <= digits;
      for (let p = fs; ok && p < fe; p++) ok = isDigit(buf[p]);
      if (!ok) {
        ctx.reject(lineNo, 'bad-number', `${L.names[i]} '${excerpt(buf, f, i)}'`);
        return;
      }
    }

    const out = this.out;
    // one check of the whole line: when it holds nothing the row writer must rewrite, its fields
    // are copied as they are (natively when long)
    this.plain = out.plain(buf, s, e);
    const eas = at.stem >= 0 ? easStem(buf, f.start[at.stem]!, f.end[at.stem]!) : 0;
    const q = this.q;
    if (eas && at.query >= 0 && !dash(buf, f, at.query)) this.scanQuery(buf, f.start[at.query]!, f.end[at.query]!);
    else q.fill(-1);
    out.begin(lineNo);
    out.raw(this.ts, 0, TS_BYTES);
    const server = at.computer >= 0 && !dash(buf, f, at.computer) ? at.computer : at.serverIp;
    this.text(buf, server, true);
    this.text(buf, at.site, true);
    this.text(buf, at.method, false);
    this.text(buf, at.stem, false);
    // uri_query: an ActiveSync request's Log= value is stored once, in eas_log (schema/tables.ts)
    if (q[P_LOG]! >= 0) out.bytesCut(buf, f.start[at.query]!, q[P_LOG]!, q[P_LOG + 1]!, f.end[at.query]!, this.plain);
    else this.text(buf, at.query, false);
    this.number(buf, at.port);
    this.decoded(buf, at.user);
    this.text(buf, at.clientIp, false);
    this.decoded(buf, at.userAgent);
    this.number(buf, at.status);
    this.number(buf, at.substatus);
    this.number(buf, at.win32);
    this.number(buf, at.scBytes);
    this.number(buf, at.csBytes);
    this.number(buf, at.timeTaken);
    if (eas) this.eas(buf, at, eas === 2);
    else for (let k = 0; k < EAS_COLUMNS; k++) out.nul();
    // server_ip, host: after the EAS columns (added later, at the table's end)
    this.text(buf, at.serverIp, true);
    this.text(buf, at.host, true);
    out.end();
  }

  /** ts from the date and time fields (or #Date's day) into this.ts */
  private time(buf: Buffer, date: number, time: number): boolean {
    const f = this.f;
    if (date >= 0) return dateAndTimeTs(buf, f.start[date]!, f.end[date]!, f.start[time]!, f.end[time]!, this.ts);
    const len = f.end[time]! - f.start[time]!;
    if (!this.date || len > this.dayTime.length - 10) return false;
    this.dayTime.write(this.date, 0, 'latin1');
    buf.copy(this.dayTime, 10, f.start[time]!, f.end[time]!);
    return dateAndTimeTs(this.dayTime, 0, 10, 10, 10 + len, this.ts);
  }

  /** field i as logged; `-` is empty; absent: empty text or NULL */
  private text(buf: Buffer, i: number, emptyWhenAbsent: boolean): void {
    const out = this.out;
    if (i < 0) {
      if (emptyWhenAbsent) out.bytes(buf, 0, 0);
      else out.nul();
      return;
    }
    if (dash(buf, this.f, i)) out.raw(buf, 0, 0);
    else this.copy(buf, this.f.start[i]!, this.f.end[i]!);
  }

  /** bytes of the current line into the row: as they are when the line is plain */
  private copy(buf: Buffer, s: number, e: number): void {
    if (this.plain) this.out.raw(buf, s, e);
    else this.out.bytes(buf, s, e);
  }

  /** a checked numeric field: digits, or NULL for `-` and absent */
  private number(buf: Buffer, i: number): void {
    if (i < 0 || dash(buf, this.f, i)) this.out.nul();
    else this.out.raw(buf, this.f.start[i]!, this.f.end[i]!); // digits only (checked)
  }

  /** field i URL-decoded (`+` is a space); `-` is empty; absent NULL */
  private decoded(buf: Buffer, i: number): void {
    if (i < 0) {
      this.out.nul();
      return;
    }
    if (dash(buf, this.f, i)) {
      this.out.raw(buf, 0, 0);
      return;
    }
    this.decodedRange(buf, this.f.start[i]!, this.f.end[i]!);
  }

  /** bytes buf[s, e) URL-decoded once into the row; as logged when the result is not UTF-8 */
  private decodedRange(buf: Buffer, s: number, e: number): void {
    const out = this.out;
    if (!needsUrlDecode(buf, s, e, true)) {
      this.copy(buf, s, e);
      return;
    }
    if (this.scratch.length < e - s) this.scratch = Buffer.alloc(2 * (e - s));
    const n = urlDecodeBytes(buf, s, e, this.scratch, 0, true);
    if (isUtf8(this.scratch.subarray(0, n))) out.bytes(this.scratch, 0, n);
    else this.copy(buf, s, e);
  }

  /** the query's parameters into this.q (value ranges); a first parameter without `=` is a
   *  base64 candidate. Parameters are `&`-separated, a name ends at its first `=`. */
  private scanQuery(buf: Buffer, qs: number, qe: number): void {
    const q = this.q;
    q.fill(-1);
    let p = qs;
    while (p < qe) {
      // the name: up to `=`, or `&` for a parameter without a value
      let i = p;
      while (i < qe) {
        const c = buf[i];
        if (c === AMP || c === EQUALS) break;
        i++;
      }
      if (i >= qe || buf[i] === AMP) {
        if (p === qs) {
          q[P_BASE64] = qs;
          q[P_BASE64 + 1] = i;
        }
        p = i + 1;
        continue;
      }
      const eq = i;
      let slot = -1;
      for (let k = 0; k < paramKeys.length; k++) {
        const [key, sl] = paramKeys[k]!;
        if (q[sl]! < 0 && equalsCi(buf, p, eq, key)) {
          slot = sl;
          break;
        }
      }
      // the value runs to the next `&`: a Log= value is long and searched natively (in a view
      // bounded to the query: buf.indexOf alone has no end and would run on into the chunk)
      let amp: number;
      if (slot === P_LOG) {
        const a = buf.subarray(eq + 1, qe).indexOf(AMP);
        amp = a < 0 ? qe : eq + 1 + a;
      } else {
        amp = eq + 1;
        while (amp < qe && buf[amp] !== AMP) amp++;
      }
      if (slot >= 0) {
        q[slot] = eq + 1;
        q[slot + 1] = amp;
      }
      p = amp + 1;
    }
    // a base64 blob may end in = padding: `jAAJ…AA==` has its first = at the end
    if (q[P_BASE64]! < 0 && q[P_CMD]! < 0 && qe > qs) {
      const v = buf.subarray(qs, qe);
      const n = v.length;
      let amp = v.indexOf(AMP);
      if (amp < 0) amp = n;
      let end = amp;
      while (end > 0 && v[end - 1] === EQUALS) end--;
      const eq = v.indexOf(EQUALS);
      if (end < amp && amp - end <= 2 && eq === end) {
        q[P_BASE64] = qs;
        q[P_BASE64 + 1] = qs + amp;
      }
    }
  }

  /** the EAS columns of an ActiveSync request */
  private eas(buf: Buffer, at: Layout['at'], backend: boolean): void {
    const out = this.out;
    const f = this.f;
    const q = this.q; // scanned by line()
    let b64: Base64Request | undefined;
    if (q[P_BASE64]! >= 0) b64 = decodeBase64Query(urlDecode(buf.toString('latin1', q[P_BASE64], q[P_BASE64 + 1])).replace(/ /g, '+'));
    const log = q[P_LOG]! >= 0 ? buf.toString('utf8', q[P_LOG], q[P_LOG + 1]) : undefined;
    const sum = log !== undefined ? summarizeLog(log) : undefined;

    // eas_cmd, eas_user, eas_device_id, eas_device_type
    this.param(buf, P_CMD, b64?.command);
    if (at.user >= 0 && !dash(buf, f, at.user) && f.end[at.user]! > f.start[at.user]!) this.decoded(buf, at.user);
    else this.param(buf, P_USER, b64?.user);
    this.param(buf, P_DEVICE_ID, b64?.deviceId);
    this.param(buf, P_DEVICE_TYPE, b64?.deviceType);
    this.str(b64 ? protocolFromNumber(b64.protocol) : (sum?.protocolVersion ?? ''));
    out.int(backend ? 1 : 0);
    if (q[P_LOG]! >= 0) this.copy(buf, q[P_LOG]!, q[P_LOG + 1]!);
    else out.raw(buf, 0, 0);
    this.maybe(sum?.status);
    this.str(sum ? sum.errors.join(';') : '');
    this.str(sum ? sum.syncTypes.join(';') : '');
    this.str(sum ? sum.collectionTypes.join(';') : '');
    this.maybe(sum?.heartbeat);
    this.maybe(sum?.clientAdds);
    this.maybe(sum?.clientChanges);
    this.maybe(sum?.clientDeletes);
    this.maybe(sum?.clientFetches);
    this.maybe(sum?.serverAdds);
    this.maybe(sum?.serverChanges);
    this.maybe(sum?.serverDeletes);
    this.maybe(sum?.policyKey ?? b64?.policyKey);
    this.maybe(sum?.policyAck);
    this.maybe(sum?.attachments);
    this.maybe(sum?.attachmentBytes);
    this.maybe(sum?.sharePointDocs);
    this.maybe(sum?.uncFiles);
    this.str(sum?.oof ?? '');
    this.str(sum?.deviceModel ?? '');
    this.str(sum?.deviceOS ?? '');
    // eas_front_end: which front end proxied a back-end line (activesync/coverage.ts reads it)
    if (backend) {
      const prx = log !== undefined ? PRX_FROM.exec(log) : null;
      const field = (i: number) => (i >= 0 && !dash(buf, f, i) ? f.text(buf, i) : '');
      this.str(frontEndAddress(prx ? urlDecode(prx[1]!) : undefined, field(at.clientIp), field(at.serverIp)));
    } else this.str('');
  }

  /** a query parameter's value URL-decoded, else the base64 request's value, else empty */
  private param(buf: Buffer, slot: number, fallback: string | undefined): void {
    const q = this.q;
    if (q[slot]! >= 0) this.decodedRange(buf, q[slot]!, q[slot + 1]!);
    else this.str(fallback ?? '');
  }

  /** a string value; the empty string without TsvWriter.text's checks (most EAS text is empty) */
  private str(s: string): void {
    if (s === '') this.out.raw(EMPTY, 0, 0);
    else this.out.text(s);
  }

  private maybe(n: number | undefined): void {
    if (n === undefined) this.out.nul();
    else this.out.int(n);
  }

  private directive(text: string, lineNo: number): void {
    const m = /^#([A-Za-z-]+):\s*(.*)$/.exec(text);
    if (!m) {
      if (/^#\s+[A-Za-z-]+:/.test(text)) this.note(`line ${lineNo}: '${text.slice(0, 12)}…' has a space after #: not a W3C directive, ignored`);
      return; // a comment
    }
    const value = m[2]!.trim();
    switch (m[1]!.toLowerCase()) {
      case 'fields': {
        const names = value.split(/\s+/).filter((x) => x !== '');
        if (names.length <= 1 && value.includes(',')) {
          this.foreign = lineNo;
          this.layout = undefined;
          this.note(
            `line ${lineNo}: the #Fields header is comma-separated (an Exchange CSV log such as HttpProxy or message tracking), not IIS W3C: its lines are rejected`,
          );
          return;
        }
        const next = layoutOf(names, lineNo);
        const prev = this.layout;
        if (prev && prev.names.join(' ') !== next.names.join(' ') && this.layoutChanges++ === 0)
          this.note(`the #Fields header at line ${lineNo} changes the layout (${prev.count} → ${next.count} fields); later lines are read with it`);
        if (next.at.time < 0) this.note(`the #Fields header at line ${lineNo} has no time field: its lines are rejected`);
        else if (next.at.date < 0) this.note(`the #Fields header at line ${lineNo} has no date field: the day comes from #Date`);
        this.layout = next;
        this.foreign = 0;
        return;
      }
      case 'software':
        if (/exchange/i.test(value) && !/internet information services/i.test(value)) {
          this.foreign = lineNo;
          this.layout = undefined;
          this.note(`line ${lineNo}: '#Software: ${value}' is an Exchange log, not IIS W3C: its lines are rejected`);
        }
        return;
      case 'date':
        if (/^\d{4}-\d{2}-\d{2}/.test(value)) this.date = value.slice(0, 10);
        return;
      default:
        return; // #Version, #Start-Date, #End-Date, #Remark
    }
  }

  end(): void {}

  state(): IisState {
    return { names: this.layout ? [...this.layout.names] : null, line: this.layout?.line ?? 0, date: this.date ?? null, foreign: this.foreign };
  }
}

/** the eas_* columns, all NULL for a request that is not ActiveSync */
const EAS_COLUMNS = iisRequests.columns.filter((c) => c.name.startsWith('eas_')).length;

// ---- sniffing --------------------------------------------------------------------------------

const fileName = /^(u_)?ex\d{6,8}(_x)?\.log$/i;

function sniff(sample: Sample): Sniffed | undefined {
  const named = fileName.test(sample.name) ? ` (and ${sample.name} is an IIS log file name)` : '';
  const f = new Fields(512);
  let data = 0,
    fit = 0;
  let assumed: string | undefined;
  for (const line of sample.lines) {
    if (line.startsWith('#Software:')) {
      const sw = line.slice(10).trim();
      if (/internet information services/i.test(sw)) return { confidence: 100, reason: `the header says '#Software: ${sw}'${named}` };
      if (/exchange/i.test(sw)) return { confidence: 0, reason: `an Exchange log ('#Software: ${sw}'), not an IIS W3C log` };
      continue;
    }
    if (line.startsWith('#Fields:')) {
      const body = line.slice(8).trim();
      const names = body.split(/\s+/).map((n) => n.toLowerCase());
      if (names.length <= 1 && body.includes(',')) return { confidence: 0, reason: 'the #Fields header is comma-separated (an Exchange CSV log), not IIS W3C' };
      if (names.includes(fieldNames.stem) && names.includes(fieldNames.time))
        return { confidence: 90, reason: `a W3C extended #Fields header with IIS fields (time, cs-uri-stem … ${names.length} fields)${named}` };
      continue;
    }
    if (line.startsWith('#')) continue;
    data++;
    const b = Buffer.from(line, 'utf8');
    const l = defaultLayoutFor(b, f, splitOn(b, 0, b.length, f, SPACE));
    if (l) {
      fit++;
      assumed ??= l.assumed;
    }
  }
  if (fit > 0 && fit === data)
    return {
      confidence: named ? 65 : 60,
      reason: `no header, but ${fit === 1 ? 'the line has' : `all ${fit} lines have`} the shape of the ${assumed} IIS W3C field list${named}`,
    };
  if (fit > 0 && fit * 2 >= data)
    return { confidence: 45, reason: `no header; ${fit} of ${data} lines have the shape of the ${assumed} IIS W3C field list${named}` };
  if (named) return { confidence: 10, reason: `named like an IIS log (${sample.name}) but the first lines do not look like one` };
  return undefined;
}

export const iis = {
  name: 'iis',
  title: 'IIS W3C extended log (u_ex*.log), ActiveSync requests decoded',
  tables: ['iis'],
  sniff,
  parser: (ctx: ParseContext, state?: unknown) => new IisParser(ctx, state),
} satisfies Format;
