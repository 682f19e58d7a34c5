// One day's events become IIS lines: the front-end line of each request (site W3SVC1, port 443)
// and, for 2013+, the back-end copy on the mailbox's server (site W3SVC2, port 444,
// /Proxy/default.eas, Log=PrxFrom:…). Counts go to the truth as the lines are written.
import { join } from 'node:path';
import { Prng, hashInts } from './prng.js';
import { SYNC_CLIENT_CHANGE, SYNC_FIRST, type DayEvents } from './activity.js';
import { DAY, HOUR } from './time.js';
import { logStyles } from './easlog.js';
import type { Device, Population } from './population.js';
import { C, NON_EAS, O, commands, outcomes, site, type VersionInfo } from './tables.js';
import { LogFacts, type LeftOut, type TruthBuilder } from './truth.js';
import { W3cFile, clock, lineFormatter, type Row } from './w3c.js';

export interface RenderOptions {
  readonly leftOut?: LeftOut;
  readonly seed: number;
  readonly version: VersionInfo;
  readonly pop: Population;
  readonly truth: TruthBuilder;
  readonly out: string;
}

/** where a device's requests come from at time t (ms since the start of the run): the office
 *  network in working hours, home in the evening, the mobile network in between; Outlook mobile
 *  from Microsoft's cloud. Phones keep an address for a while: cached per device and hour. */
const ipCache = new WeakMap<Device, { hour: number; ip: string }>();
function deviceIp(seed: number, d: Device, net: Device['profile']['network'], t: number, r: Prng): string {
  if (net === 'cloud') return `52.${96 + r.int(3)}.${r.int(256)}.${1 + r.int(254)}`;
  const hour = Math.floor(t / HOUR) * 2 + (net === 'desk' ? 1 : 0);
  const c = ipCache.get(d);
  if (c && c.hour === hour) return c.ip;
  const localHour = Math.floor((t + site.utcOffsetHours * HOUR) / HOUR) % 24;
  const h = hashInts(seed, d.index, Math.floor(t / (3 * HOUR)));
  const working = localHour >= 8 && localHour < 17 && (h & 3) !== 0;
  let ip: string;
  if (net === 'desk') ip = working ? d.officeIp : d.homeIp;
  else if (working) ip = d.officeIp;
  else if (localHour >= 19 || localHour < 7) ip = d.homeIp;
  else {
    const m = hashInts(seed, d.index, Math.floor(t / DAY), 77);
    ip = `100.${64 + (m & 63)}.${(m >>> 6) & 255}.${1 + ((m >>> 14) % 254)}`;
  }
  ipCache.set(d, { hour, ip });
  return ip;
}

/** the query's Cmd/User/DeviceId/DeviceType part, in the device's own order; cached per device */
const paramCache = new WeakMap<Device, string[]>();
function params(d: Device, cmd: number): string {
  let p = paramCache.get(d);
  if (!p) {
    p = commands.map((c) => (d.profile.userFirst ? `${d.idParams}&Cmd=${c.name}` : `Cmd=${c.name}&${d.idParams}`));
    paramCache.set(d, p);
  }
  return p[cmd]!;
}

/** time-taken (ms) of a request that is not a Ping */
function duration(cmd: number, out: number, arg: number, r: Prng): number {
  const http = outcomes[out]!.http;
  if (http === 401) return r.int(16);
  if (http !== 200) return 5 + r.int(60);
  switch (cmd) {
    case C.Sync:
      return (arg & SYNC_FIRST ? 400 : 40) + r.int(600) + (arg & 255) * 30;
    case C.SendMail:
    case C.SmartReply:
    case C.SmartForward:
      return 150 + r.int(1500) + Math.round(arg / 4);
    case C.ItemOperations:
    case C.GetAttachment:
      return 60 + r.int(900) + Math.round(arg / 3);
    case C.Search:
      return 200 + r.int(1800);
    case C.MeetingResponse:
      return 150 + r.int(1200);
    case C.Options:
      return r.int(16);
    default:
      return 15 + r.int(300);
  }
}

/** bytes from the device (cs-bytes) and to the device (sc-bytes) */
function bytes(cmd: number, out: number, arg: number, d: Device, r: Prng): [number, number] {
  const http = outcomes[out]!.http;
  const head = 380 + r.int(240);
  const respHead = 250 + r.int(150);
  if (http === 401) return [head, 1500 + r.int(400)];
  let cs = head;
  let sc = respHead;
  switch (cmd) {
    case C.Sync:
      cs += 60 + r.int(140) + (arg & SYNC_CLIENT_CHANGE ? 150 + r.int(250) : 0);
      if (http === 200) sc += 40 + (arg & 255) * (1500 + r.int(24000));
      break;
    case C.Ping:
      cs += 40 + r.int(50);
      sc += out === O.pingChanges ? 40 + r.int(80) : 13;
      break;
    case C.FolderSync:
      cs += 30 + r.int(10);
      sc += d.folderKey === 0 ? 2000 + r.int(13000) : 40 + r.int(40);
      break;
    case C.SendMail:
    case C.SmartReply:
    case C.SmartForward:
      cs += arg * 1024 + r.int(1024);
      break;
    case C.ItemOperations:
      cs += 120 + r.int(130);
      sc += arg ? Math.round(arg * 1370) : 2000 + r.int(38000);
      break;
    case C.GetAttachment:
      cs += 60;
      sc += arg * 1024 + r.int(1024);
      break;
    case C.Search:
      cs += 150 + r.int(150);
      sc += 500 + r.int(5500);
      break;
    case C.Settings:
      cs += 60 + r.int(540);
      sc += 80 + r.int(220);
      break;
    case C.Provision:
      cs += 80 + r.int(220);
      sc += arg === 0 ? 600 + r.int(900) : 80;
      break;
    case C.Options:
      cs -= 100;
      sc += 350;
      break;
    default:
      cs += 100 + r.int(300);
      sc += 60 + r.int(240);
      break;
  }
  if (http === 500) sc += 1200 + r.int(1800);
  return [cs, sc];
}

function yymmdd(date: string): string {
  return date.slice(2, 4) + date.slice(5, 7) + date.slice(8, 10);
}

/** write one day; returns the bytes written */
export async function renderDay(o: RenderOptions, day: number, date: string, ev: DayEvents): Promise<number> {
  const v = o.version;
  const { servers, devices } = o.pop;
  const fmt = lineFormatter(v.fields);
  const logOf = logStyles[v.logStyle];
  const header = { software: v.software, fields: v.fields, date };
  const name = `u_ex${yymmdd(date)}.log`;
  // IIS writes a new header block after a restart: now and then, and always once on the first day
  const restart = servers.map((_, s) => {
    const r = new Prng(o.seed, 7, s, day);
    return r.chance(0.12) || (day === 0 && s === 0) ? r.int(DAY) : -1;
  });
  const lo = o.leftOut ?? {};
  const feKept = servers.map((_, i) => !lo.frontEnds && !lo.frontEndServers?.includes(i) && !lo.frontEndDays?.includes(day));
  const beKept = !lo.backEnds;
  const fe = servers.map((s, i) => new W3cFile(join(o.out, s.name, 'W3SVC1', name), header, restart[i]!, !feKept[i]));
  const be = v.backEndStem ? servers.map((s, i) => new W3cFile(join(o.out, s.name, 'W3SVC2', name), header, restart[i]!, !beKept)) : [];
  const withBytes = v.fields.includes('cs-bytes');
  const cafe = v.logStyle === 'cafe';
  const r = new Prng(o.seed, 3, day);
  const dayStart = day * DAY;
  const row: Row = {
    date,
    time: '',
    site: 'W3SVC1',
    sIp: '',
    method: '',
    stem: '',
    query: '',
    port: 443,
    username: '',
    cIp: '',
    userAgent: '',
    status: 200,
    substatus: 0,
    win32: 0,
    scBytes: 0,
    csBytes: 0,
    timeTaken: 0,
  };

  /** turn `row`, a front-end line at time t, into its 2013+ back-end copy on the mailbox's server:
   *  it finishes a little before the front end that proxied it, which is now its client */
  const proxy = (t: number, f: number, mailbox: number, stem: string, query: string): number => {
    const tb = Math.max(0, t - 2 - r.int(300));
    const same = f === mailbox;
    row.time = clock(tb);
    row.stem = stem;
    row.query = query;
    row.port = 444;
    row.sIp = same ? servers[mailbox]!.linkLocal : servers[mailbox]!.ip;
    row.cIp = same ? servers[f]!.linkLocal : servers[f]!.ip;
    row.timeTaken = Math.max(0, row.timeTaken - 1 - r.int(10));
    row.csBytes += 60 + r.int(40);
    row.scBytes = Math.max(0, row.scBytes - r.int(40));
    be[mailbox]!.add(tb, fmt(row));
    return tb;
  };

  // what each Log= value says, for the truth (filled by logOf)
  const facts = new LogFacts();

  const order = ev.order();
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const t = ev.t[i]!;
    const d = devices[ev.dev[i]!]!;
    const cmd = ev.cmd[i]!;
    const f = r.int(servers.length);
    const feServer = servers[f]!;
    row.time = clock(t);

    if (cmd === NON_EAS) {
      const line = v.nonEas[ev.arg[i]!]!.lines[ev.out[i]!]!;
      row.method = line.method;
      row.stem = line.stem.replace('{smtp}', `${d.user.sam}@${site.smtpDomain}`);
      row.query = line.query
        .replace(/\{guid\}/g, () => r.guid())
        .replace('{smtpDomain}', site.smtpDomain)
        .replace('{adDomain}', site.adDomain);
      row.port = line.local ? 80 : 443;
      row.sIp = feServer.ip;
      row.cIp = line.local ? feServer.ip : deviceIp(o.seed, d, 'desk', dayStart + t, r);
      row.username = line.authenticated ? `${site.netbios}\\${d.user.sam}` : '-';
      row.userAgent = line.ua;
      [row.status, row.substatus, row.win32] = line.status;
      row.timeTaken = line.ms[0] + r.int(line.ms[1] - line.ms[0] + 1);
      row.csBytes = 300 + r.int(900);
      row.scBytes = 300 + r.int(line.status[0] === 200 ? 20000 : 1500);
      fe[f]!.write(t, fmt(row));
      o.truth.nonEasRequests++;
      // the front end answers anonymous requests itself (401, the redirect to the logon page)
      if (cafe && line.authenticated) proxy(t, f, d.user.mailbox, row.stem, row.query);
    } else {
      const out = ev.out[i]!;
      const arg = ev.arg[i]!;
      const oc = outcomes[out]!;
      const anonymous = oc.http === 401;
      const query = params(d, cmd);
      // a Ping is parked until something changes or the heartbeat ends: its time-taken is the argument
      const ms = cmd === C.Ping && oc.http === 200 ? arg : duration(cmd, out, arg, r);
      // bytes before the Log: FolderSync's size depends on the sync key the Log then moves on
      const [cs, sc] = bytes(cmd, out, arg, d, r);
      const proxyFrom = f === d.user.mailbox ? feServer.linkLocalEscaped : feServer.ip;
      facts.reset();
      const log = anonymous ? '' : logOf({ d, cmd, out, arg, ms, r, mailboxServer: servers[d.user.mailbox]!, proxyFrom, facts });
      row.method = commands[cmd]!.method;
      row.stem = v.stem;
      row.query = cafe ? `${query}&CorrelationID=<empty>;&cafeReqId=${r.guid()};` : log ? `${query}&Log=${log}` : query;
      row.port = 443;
      row.sIp = feServer.ip;
      row.cIp = deviceIp(o.seed, d, d.profile.network, dayStart + t, r);
      row.username = anonymous ? '-' : d.logon;
      row.userAgent = d.model.userAgent;
      row.status = oc.http;
      row.substatus = oc.sub;
      row.win32 = oc.win32;
      row.timeTaken = ms;
      row.csBytes = cs;
      row.scBytes = sc;
      fe[f]!.write(t, fmt(row));
      // the request counts by its front-end line when that log is written, else by its back-end line
      if (feKept[f]) o.truth.eas(d.index, cmd, oc.http, Math.floor(t / HOUR), withBytes ? cs : 0, withBytes ? sc : 0);
      // 2013+: the Log= is on the back-end line, before on the front-end line
      if (log && (cafe ? beKept : feKept[f])) o.truth.log(d.index, facts);
      // the front end refuses the anonymous leg of a logon itself: only the rest is proxied
      if (cafe && !anonymous) {
        const tb = proxy(t, f, d.user.mailbox, v.backEndStem!, `${query}&Log=${log}`);
        if (beKept) o.truth.backendDuplicates++;
        if (!feKept[f] && beKept) o.truth.eas(d.index, cmd, oc.http, Math.floor(tb / HOUR), withBytes ? row.csBytes : 0, withBytes ? row.scBytes : 0);
      }
      if (!feKept[f] && (anonymous || !cafe || !beKept)) o.truth.lostRequests++;
    }
    if (fe[f]!.full) await fe[f]!.flush();
    if (cafe) {
      const b = be[d.user.mailbox]!;
      b.drain(t - 1000);
      if (b.full) await b.flush();
    }
  }
  let written = 0;
  for (const file of [...fe, ...be]) {
    await file.close();
    if (!file.leftOut) written += file.bytes;
  }
  o.truth.endDay(date);
  return written;
}
