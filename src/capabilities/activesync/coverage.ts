// Which IIS lines are the ActiveSync requests (rule 1 of queries.ts), decided from what was
// collected. Exchange 2013+ logs a request twice: on the front end that the device reached
// (eas_backend = 0) and on the back end that the front end proxied it to (eas_backend = 1). A
// request counts once whether its front-end line, its back-end line, or both were ingested:
//
//   - every front-end line counts;
//   - a back-end line counts when the log of the front end that proxied it was not ingested for
//     that time: its twin is then in no ingested file.
//
// Which front end proxied a back-end line: eas_front_end (the Log= PrxFrom address, else c-ip;
// formats/iis writes it). Which front-end logs cover which time: each ingested file with front-end
// lines covers its server from its first to its last EAS line. The files of one server on the same
// or on consecutive UTC days join into one span (daily files follow each other; a day without a
// file breaks the span); a span starts up to SLACK before its first line (a back end finishes a
// request a moment before the front end logs it), but not before that line's UTC day (IIS starts a
// new daily file at UTC midnight, so the day before is another file's).
//
// One server, several names: the front end's own lines give its s-ip (and s-computername when
// logged); a back end names it by the address it proxied from, which is link-local (`fe80::…%12`)
// when front end and back end are the same host. Every s-ip and s-computername seen in one file
// belong to one host, so the hosts are the groups of files, addresses and names tied by sharing a
// file (a back end's file holds the host's link-local address for its own front end's requests and
// its routable one for other front ends'). When that leaves exactly one host with front-end lines
// and no back-end lines and exactly one with back-end lines reached only by link-local or loopback
// addresses, they are one server (a single multi-role server without s-computername).
// Lines stored by an earlier mxray have no eas_front_end: such a back-end line counts when no
// front end's log covers its time.
//
// Limits, said in the README: a front end that answers devices on one address and proxies from
// another, or several front ends sharing one s-ip (Windows NLB), are told apart only when the logs
// have s-computername; 401s that a front end answers alone (the anonymous leg of a logon) exist in
// front-end logs only, so a period counted from back-end lines has none.
//
// The shape runs on ClickHouse 18.16 (no joins): the spans are asked first, as one small grouping
// (files × addresses); the hosts and spans are worked out here; the condition "this line counts"
// is then a constant expression (address lists and time spans) that every statement names. A
// second grouping counts, per UTC day and server, the lines seen and counted: the header of every
// report and `eas coverage`. When it finds that no back-end line counts (a complete collection)
// or no front-end line exists, the statements get the plain `eas_backend = 0` / `= 1` instead.
import { isIP } from 'node:net';
import { type Sql, ident, join, list, raw, sql } from '../../sql/sql.js';
import { f } from '../../sql/dialect.js';
import type { Store, TimeRange } from '../../store/types.js';
import { isLinkLocal, isLoopback, normalAddress } from './address.js';
import { col, countOf, easLines, iis, rangeOnly } from './lines.js';
import type { EasCoverageRow, EasLogsSeen } from './types.js';

/** how long before a front-end file's first line its back end may have logged a request of it */
export const SLACK_MS = 60_000;
const DAY_MS = 86_400_000;

/** a front-end server as the coverage rule knows it */
export interface FrontEndHost {
  /** s-computername when logged, else its first address */
  name: string;
  /** normal forms (address.ts) */
  addresses: string[];
  /** covered UTC time, 'YYYY-MM-DD HH:MM:SS' (from inclusive, to inclusive to the second) */
  spans: { from: string; to: string }[];
}

/** what was collected in a time range and how its lines are counted */
export interface Counting {
  /** WHERE condition: the line is a request */
  where: Sql;
  hosts: FrontEndHost[];
  logs: EasLogsSeen;
  rows: EasCoverageRow[];
}

// ---- time texts -------------------------------------------------------------------------------

const msOf = (t: string) => Date.parse(`${t.slice(0, 19).replace(' ', 'T')}Z`);
const textOf = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const dayStart = (ms: number) => ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);

/** the range widened by a day each side: the files whose spans matter to lines in the range */
function window(range: TimeRange): TimeRange {
  return {
    ...(range.from ? { from: textOf(msOf(range.from) - DAY_MS) } : {}),
    ...(range.to ? { to: textOf(msOf(range.to) + DAY_MS) } : {}),
  };
}

// ---- hosts --------------------------------------------------------------------------------------

/** one file's lines of one kind, server name and address */
export interface FileRow {
  file: number;
  be: number;
  srv: string;
  ip: string;
  first: string;
  last: string;
}

/** the address and the s-computername a row names ('' when none) */
function namesOf(srv: string, ip: string): { addr: string; name: string } {
  const a = normalAddress(ip);
  const s = srv.trim();
  // server is s-computername, else s-ip (rows of an earlier mxray have no server_ip: server may be it)
  const sIsIp = s !== '' && isIP(normalAddress(s)) !== 0;
  return { addr: a !== '' ? a : sIsIp ? normalAddress(s) : '', name: s !== '' && !sIsIp ? s.toLowerCase() : '' };
}

class Groups {
  private readonly up = new Map<string, string>();
  find(x: string): string {
    if (!this.up.has(x)) {
      this.up.set(x, x);
      return x;
    }
    let r = x;
    while (this.up.get(r) !== r) r = this.up.get(r)!;
    for (let y = x; y !== r; ) {
      const next = this.up.get(y)!;
      this.up.set(y, r);
      y = next;
    }
    return r;
  }
  tie(a: string, b: string): void {
    const ra = this.find(a),
      rb = this.find(b);
    if (ra !== rb) this.up.set(rb, ra);
  }
  members(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const k of this.up.keys()) {
      const r = this.find(k);
      let m = out.get(r);
      if (!m) out.set(r, (m = []));
      m.push(k);
    }
    return out;
  }
}

/** the hosts and their covered spans, from the files' rows (see the top) */
export function hostsOf(rows: readonly FileRow[]): { hosts: FrontEndHost[]; hostOf: (addrOrName: string) => FrontEndHost | undefined } {
  const g = new Groups();
  const display = new Map<string, string>();
  for (const r of rows) {
    const fileNode = `f:${r.file}`;
    g.find(fileNode);
    const { addr, name } = namesOf(r.srv, r.ip);
    if (addr !== '' && !isLoopback(addr)) g.tie(fileNode, `a:${addr}`);
    if (name !== '') {
      g.tie(fileNode, `n:${name}`);
      if (!display.has(name)) display.set(name, r.srv.trim());
    }
  }
  // a single multi-role server without s-computername: its back end sees its own front end only by
  // a link-local address (see the top)
  const groups = [...g.members().values()];
  const kinds = new Map<string, Set<number>>();
  for (const r of rows) {
    const root = g.find(`f:${r.file}`);
    let k = kinds.get(root);
    if (!k) kinds.set(root, (k = new Set()));
    k.add(r.be);
  }
  const frontOnly = groups.filter((m) => {
    const k = kinds.get(g.find(m[0]!));
    return k?.has(0) === true && !k.has(1);
  });
  const localBackOnly = groups.filter((m) => {
    const k = kinds.get(g.find(m[0]!));
    const addrs = m.filter((x) => x.startsWith('a:')).map((x) => x.slice(2));
    return k?.has(1) === true && !k.has(0) && !m.some((x) => x.startsWith('n:')) && addrs.every((a) => isLinkLocal(a));
  });
  if (frontOnly.length === 1 && localBackOnly.length === 1) g.tie(frontOnly[0]![0]!, localBackOnly[0]![0]!);

  // each group's front-end files: first and last line
  const files = new Map<string, Map<number, { first: number; last: number }>>();
  for (const r of rows) {
    if (r.be !== 0) continue;
    const root = g.find(`f:${r.file}`);
    let m = files.get(root);
    if (!m) files.set(root, (m = new Map()));
    const first = msOf(r.first),
      last = msOf(r.last);
    const had = m.get(r.file);
    m.set(r.file, had ? { first: Math.min(had.first, first), last: Math.max(had.last, last) } : { first, last });
  }
  const byRoot = new Map<string, FrontEndHost>();
  for (const [root, members] of g.members()) {
    const addresses = members
      .filter((x) => x.startsWith('a:'))
      .map((x) => x.slice(2))
      .sort(byAddress);
    const names = members
      .filter((x) => x.startsWith('n:'))
      .map((x) => display.get(x.slice(2)) ?? x.slice(2))
      .sort();
    if (addresses.length === 0 && names.length === 0) continue;
    const spans: FrontEndHost['spans'] = [];
    const sorted = [...(files.get(root)?.values() ?? [])].sort((a, b) => a.first - b.first);
    let cur: { first: number; last: number } | undefined;
    const close = () => {
      if (cur) spans.push({ from: textOf(Math.max(cur.first - SLACK_MS, dayStart(cur.first))), to: textOf(cur.last) });
    };
    for (const s of sorted) {
      // the same or the next UTC day: one span
      if (cur && dayStart(s.first) <= dayStart(cur.last) + DAY_MS) cur.last = Math.max(cur.last, s.last);
      else {
        close();
        cur = { ...s };
      }
    }
    close();
    byRoot.set(root, { name: names[0] ?? addresses[0]!, addresses, spans });
  }
  const hosts = [...byRoot.values()].sort((a, b) => byAddress(a.name, b.name));
  const hostOf = (key: string) => {
    const k = key.includes(':') || isIP(key) ? `a:${key}` : `n:${key.toLowerCase()}`;
    const found = byRoot.get(g.find(k));
    // find() made a lone node for an unknown key: it names no host
    return found;
  };
  return { hosts, hostOf };
}

/** IPv4 before IPv6, then as text: a host is named by its IPv4 address when it has one */
function byAddress(a: string, b: string): number {
  const v = (x: string) => (isIP(x) === 4 ? 0 : isIP(x) === 6 ? (isLinkLocal(x) ? 2 : 1) : -1);
  return v(a) - v(b) || (a < b ? -1 : a > b ? 1 : 0);
}

// ---- the condition ------------------------------------------------------------------------------

/** the back-end line's front end, as a key ('' when it names none) */
const frontEnd = sql`ifNull(eas_front_end, '')`;

/** a back-end line whose front end's log covers its time (see the top); its columns hold no NULL
 *  (ifNull, ts), so it reads the same in WHERE and inside an aggregate */
function covered(hosts: readonly FrontEndHost[]): Sql {
  const inSpans = (spans: FrontEndHost['spans']) =>
    join(
      spans.map((s) => sql`(${f.inRange({ from: s.from, to: textOf(msOf(s.to) + 1000) })})`),
      ' OR ',
    );
  const parts: Sql[] = [];
  const all: FrontEndHost['spans'] = [];
  for (const h of hosts) {
    if (h.spans.length === 0 || h.addresses.length === 0) continue;
    parts.push(sql`(${frontEnd} IN ${list(h.addresses)} AND (${inSpans(h.spans)}))`);
  }
  for (const h of hosts) all.push(...h.spans);
  // lines of an earlier mxray name no front end: covered when any front end's log covers the time
  if (all.length > 0) parts.push(sql`(${frontEnd} = '' AND (${inSpans(all)}))`);
  return parts.length > 0 ? sql`(${join(parts, ' OR ')})` : raw('(1 = 0)');
}

/** the lines that are the requests: every front-end line, and the back-end lines not covered. `c`
 *  reads a column: plainly in WHERE, with col() inside an aggregate (lines.ts) */
function countedCondition(hosts: readonly FrontEndHost[], c: (name: string) => Sql): Sql {
  if (!hosts.some((h) => h.spans.length > 0)) return sql`${c('eas_backend')} = 1`;
  return sql`(${c('eas_backend')} = 0 OR (${c('eas_backend')} = 1 AND NOT ${covered(hosts)}))`;
}

// ---- asking -------------------------------------------------------------------------------------

/** per UTC day, line kind, server and front end: lines, counted lines, lines with a Log */
interface DayRow {
  day: string;
  be: number;
  fe: string;
  srv: string;
  ip: string;
  n: number;
  counted: number;
  logs: number;
}

/** the questions being asked, per store and range: a report asks several queries at once, and
 *  they share one answer (kept only while it is being asked, so it is never stale) */
const asking = new WeakMap<Store, Map<string, Promise<Counting>>>();

/** What was collected in the range and how its lines count: over the time range alone (never
 *  --user/--device), so a filtered report is a part of the unfiltered one. */
export function counting(store: Store, q: TimeRange): Promise<Counting> {
  const range = rangeOnly(q);
  const key = JSON.stringify(range);
  let pending = asking.get(store);
  if (!pending) asking.set(store, (pending = new Map()));
  let answer = pending.get(key);
  if (!answer) {
    answer = ask(store, range).finally(() => pending.delete(key));
    pending.set(key, answer);
  }
  return answer;
}

/** the lines that are the requests (rule 1 of queries.ts) in the range: a WHERE condition */
export async function countedLines(store: Store, q: TimeRange): Promise<Sql> {
  return (await counting(store, q)).where;
}

async function ask(store: Store, range: TimeRange): Promise<Counting> {
  const iso = '%Y-%m-%d %H:%M:%S';
  const srv = sql`ifNull(server, '')`,
    ip = sql`ifNull(server_ip, '')`;
  const files = await store.query<Omit<FileRow, 'file'> & { fid: number }>(
    'the ActiveSync logs collected',
    sql`
    SELECT file_id AS fid, ${col('eas_backend')} AS be, ${srv} AS srv, ${ip} AS ip,
           ${f.formatTime(sql`min(ts)`, iso)} AS ${ident('first')}, ${f.formatTime(sql`max(ts)`, iso)} AS ${ident('last')}
    FROM ${iis} WHERE ${easLines(window(range))} GROUP BY fid, be, srv, ip`,
  );
  const { hosts, hostOf } = hostsOf(files.map(({ fid, ...r }) => ({ ...r, file: Number(fid), be: Number(r.be) })));
  const full = countedCondition(hosts, ident);
  const days = await store.query<DayRow>(
    'which ActiveSync lines count',
    sql`
    SELECT ${f.formatTime(f.truncTime('day', sql`ts`), '%Y-%m-%d')} AS day, ${col('eas_backend')} AS be, ${frontEnd} AS fe, ${srv} AS srv, ${ip} AS ip,
           ${countOf()} AS n, ${countOf(countedCondition(hosts, col))} AS counted, ${countOf(sql`${col('eas_log')} != ''`)} AS logs
    FROM ${iis} WHERE ${easLines(range)} GROUP BY day, be, fe, srv, ip`,
  );
  let fe = 0,
    be = 0,
    beCounted = 0,
    logLines = 0;
  for (const d of days) {
    const n = Number(d.n);
    if (Number(d.be) === 0) fe += n;
    else {
      be += n;
      beCounted += Number(d.counted);
    }
    logLines += Number(d.logs);
  }
  const logs: EasLogsSeen = {
    frontEndLines: fe,
    backEndLines: be,
    logLines,
    counted: fe > 0 && beCounted > 0 ? 'mixed' : fe > 0 || (be > 0 && beCounted === 0) ? 'front-end' : be > 0 ? 'back-end' : 'none',
  };
  // the same lines, said plainly where the range allows it (DuckDB filters it in the table scan)
  const where = beCounted === 0 ? sql`eas_backend = 0` : fe === 0 && beCounted === be ? sql`eas_backend = 1` : full;
  return { where, hosts, logs, rows: coverageRows(days, hostOf) };
}

/** per UTC day and front end: what was seen and how it was counted */
function coverageRows(days: readonly DayRow[], hostOf: (key: string) => FrontEndHost | undefined): EasCoverageRow[] {
  const rows = new Map<string, EasCoverageRow>();
  for (const d of days) {
    const isFront = Number(d.be) === 0;
    let host: FrontEndHost | undefined;
    let label: string;
    if (isFront) {
      const { addr, name } = namesOf(d.srv, d.ip);
      host = (name !== '' ? hostOf(name) : undefined) ?? (addr !== '' ? hostOf(addr) : undefined);
      label = host?.name ?? (d.srv || d.ip || '(no server logged)');
    } else {
      host = d.fe !== '' ? hostOf(d.fe) : undefined;
      label = host?.name ?? (d.fe || '(front end not named)');
    }
    const key = `${d.day}\u0000${label}`;
    let r = rows.get(key);
    if (!r) {
      r = {
        day: d.day,
        frontEnd: label,
        addresses: host ? host.addresses.join(' ') : d.fe,
        frontEndLines: 0,
        backEndLines: 0,
        backEndCounted: 0,
        countedFrom: '',
      };
      rows.set(key, r);
    }
    if (isFront) r.frontEndLines += Number(d.n);
    else {
      r.backEndLines += Number(d.n);
      r.backEndCounted += Number(d.counted);
    }
  }
  for (const r of rows.values()) {
    r.countedFrom = r.frontEndLines > 0 ? (r.backEndCounted > 0 ? 'front end and back end' : 'front end') : r.backEndCounted > 0 ? 'back end' : 'front end';
  }
  return [...rows.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : byAddress(a.frontEnd, b.frontEnd)));
}
