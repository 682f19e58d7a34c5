// The ActiveSync queries, written once for every store: each asks a Store (store.query) with the
// `sql` tag and the dialect's functions (sql/dialect.ts), and DuckDB and ClickHouse (18.16 to current
// releases, one server or a cluster) give the same answers. Counting rules:
//
// 1. One EAS request counts once, whether its front-end line, its back-end line or both were
//    ingested. Exchange 2013+ logs a request twice: the front end
//    (/Microsoft-Server-ActiveSync/default.eas, eas_backend = 0) and the back end it proxies to
//    (/Microsoft-Server-ActiveSync/Proxy/default.eas, eas_backend = 1). Every front-end line is a
//    request; a back-end line is one when the log of the front end that proxied it was not
//    ingested for its time (coverage.ts says how that is decided). These lines count for hits,
//    commands, HTTP statuses, bytes, user agents, servers and hours. Which lines count depends on
//    what was collected and on the time range only, never on --user/--device, so a filtered report
//    is a part of the unfiltered one. Anonymous 401s are answered by the front end alone: they are
//    counted where the front end's log was collected and have no back-end twin (a period counted
//    from back-end lines has none).
// 2. What only a Log= value carries (Cli:/Srv: item counters, Error: values, EAS status, Pa policy
//    acknowledgement, Oof:, Att/Attb, Ssp, Unc, DevModel/DevOS) comes from the lines that have a
//    Log (eas_log <> ''): on 2013+ the back-end twin (the front end writes none), before 2013 the
//    one front-end line. The two twins never both have one, so nothing is counted twice.
// 3. Attributes (device type, protocol version, user agent, model, OS) are the latest non-empty
//    value seen on any EAS line of the device.
// 4. A device is user + DeviceId: user = eas_user (cs-username URL-decoded, else User=;
//    lower-cased on load, so users compare case-insensitively), DeviceId as logged. Lines with
//    neither (an anonymous OPTIONS) count in hourly, status, agent and server totals only.
// 5. Directions are the device's: bytesSent = cs-bytes (from the device), bytesReceived = sc-bytes
//    (to the device); emailsSent = SendMail + SmartReply + SmartForward answered with HTTP 200;
//    itemsSent = Cli: adds + changes, itemsReceived = Srv:/Svr: adds + changes.
// 6. Unique devices = distinct non-empty DeviceId values; hours and days are UTC.
//
// The shape that runs on both stores is the one ClickHouse 18.16 allows: no CTEs (18.16 has none
// with subqueries) and no joins (limited, and a LEFT JOIN fills defaults instead of NULLs). So
//   - which lines count (rule 1) is asked first, as two small groupings (coverage.ts), and each
//     statement then names the answer as a constant condition;
//   - the three parts of a device's totals (every EAS line, the counted lines, the lines with a Log)
//     are three groupings put together by device in JS (devices() says why not one grouping);
//   - two kinds of rows are summed by key over a UNION ALL of subqueries in FROM;
//   - the runaway periods select their lines by an IN subquery (GLOBAL IN on ClickHouse);
//   - what DuckDB gives as NULL without any line (avg/max time-taken, the policy acknowledgement)
//     is decided here from a count of the lines that have one.
// Every aggregate merges exactly across ClickHouse shards (count, sum, min, max, argMax, and exact
// distinct counts), and each statement reads the Distributed table with the default distributed
// GROUP BY: the shards send partial states, the initiator merges them, so the answers are exact
// whatever the sharding key (tables.ts shards iis_requests by eas_user, which keeps a user's lines on
// one shard and the partial states small).
//
// Rows come back as JSON values (text stays text: a DeviceId such as "0123456789" is no number).
import { ident, sql } from '../../sql/sql.js';
import { f } from '../../sql/dialect.js';
import type { Store, TimeRange } from '../../store/types.js';
import { cmd, col, countOf, device, eachPart, easLines, iis, isDevice, latest, latestNumber, logged, sumOf, sumOfBoth, user } from './lines.js';
import { counting, countedLines } from './coverage.js';
import type {
  EasCountKind,
  EasCoverageRow,
  EasDeviceCount,
  EasDeviceTotals,
  EasFolderTypeItems,
  EasHourRow,
  EasLogsSeen,
  EasQuery,
  EasServerRow,
  EasStatusRow,
  EasUserAgentRow,
  EasWeekHourRow,
} from './types.js';

export { runaway } from './runaway.js';

const SENDS_MAIL = sql`('SendMail', 'SmartReply', 'SmartForward')`;
const SYNC_RELATED = sql`('Sync', 'GetItemEstimate')`;
const ISO = '%Y-%m-%dT%H:%M:%SZ';
/** distinct non-empty DeviceIds (rule 6) */
const devicesOf = f.toInt(f.uniqIf(device, sql`${device} != ''`));

/** over the time range alone (the --user/--device filters do not change which lines count) */
export async function logsSeen(store: Store, range: TimeRange): Promise<EasLogsSeen> {
  return (await counting(store, range)).logs;
}

/** per UTC day and front-end server: the lines seen and how they were counted (coverage.ts) */
export async function coverage(store: Store, range: TimeRange): Promise<EasCoverageRow[]> {
  return (await counting(store, range)).rows;
}

/** a device's attributes, over every EAS line (rule 3) */
interface AttrRow {
  u: string;
  d: string;
  deviceType: string;
  userAgent: string;
  protocol: string;
}
/** a device's totals over its counted lines (rule 1) */
interface RequestRow {
  u: string;
  d: string;
  first: string;
  last: string;
  hits: number;
  bytesSent: number;
  bytesReceived: number;
  emailsSent: number;
  searches: number;
  ttN: number;
  ttSum: number;
  ttMax: number | null;
}
/** a device's totals over its lines with a Log (rule 2) */
interface LogRow {
  u: string;
  d: string;
  first: string;
  last: string;
  model: string;
  os: string;
  itemsSent: number;
  itemsReceived: number;
  oofSet: number;
  oofGet: number;
  sharePointDocs: number;
  uncFiles: number;
  attachments: number;
  attachmentBytes: number;
  paN: number;
  pa: number | null;
}

/** One device per user + DeviceId with a counted line or a line with a Log. Three groupings, each
 *  over the lines its part reads (every EAS line; the counted ones; the ones with a Log), put
 *  together here by device. One grouping of every EAS line with conditional aggregates gives the
 *  same answers, but costs DuckDB half as much again: every line then goes through every aggregate's
 *  condition, where here the scan itself selects the lines of each part. */
export async function devices(store: Store, q: EasQuery): Promise<EasDeviceTotals[]> {
  const eas = easLines(q);
  const side = await countedLines(store, q);
  const first = f.formatTime(sql`min(ts)`, ISO),
    last = f.formatTime(sql`max(ts)`, ISO);
  const pa = sql`${col('eas_policy_ack')} > 0`;
  const oof = (what: string) => countOf(sql`${f.lower(col('eas_oof'))} = ${what}`);
  const [attrs, requests, logs] = await Promise.all([
    store.query<AttrRow>(
      'the ActiveSync device attributes',
      sql`
      SELECT ${user} AS u, ${device} AS d, ${latest('eas_device_type')} AS ${ident('deviceType')}, ${latest('user_agent')} AS ${ident('userAgent')},
             ${latest('eas_protocol')} AS protocol
      FROM ${iis} WHERE ${eas} GROUP BY u, d HAVING ${isDevice}`,
    ),
    store.query<RequestRow>(
      'the ActiveSync device requests',
      sql`
      SELECT ${user} AS u, ${device} AS d, ${first} AS ${ident('first')}, ${last} AS ${ident('last')}, ${countOf()} AS hits,
             ${sumOf('cs_bytes')} AS ${ident('bytesSent')}, ${sumOf('sc_bytes')} AS ${ident('bytesReceived')},
             ${countOf(sql`${col('status')} = 200 AND ${col('eas_cmd')} IN ${SENDS_MAIL}`)} AS ${ident('emailsSent')},
             ${countOf(sql`${col('eas_cmd')} = 'Search'`)} AS searches,
             ${f.toInt(sql`count(time_taken)`)} AS ${ident('ttN')}, ${sumOf('time_taken')} AS ${ident('ttSum')},
             ${f.toInt(sql`max(time_taken)`)} AS ${ident('ttMax')}
      FROM ${iis} WHERE ${eas} AND ${side} GROUP BY u, d HAVING ${isDevice}`,
    ),
    store.query<LogRow>(
      'the ActiveSync device Log= values',
      sql`
      SELECT ${user} AS u, ${device} AS d, ${first} AS ${ident('first')}, ${last} AS ${ident('last')},
             ${latest('eas_device_model')} AS model, ${latest('eas_device_os')} AS os,
             ${sumOfBoth('eas_client_adds', 'eas_client_changes')} AS ${ident('itemsSent')},
             ${sumOfBoth('eas_server_adds', 'eas_server_changes')} AS ${ident('itemsReceived')},
             ${oof('set')} AS ${ident('oofSet')}, ${oof('get')} AS ${ident('oofGet')},
             ${sumOf('eas_sharepoint_docs')} AS ${ident('sharePointDocs')}, ${sumOf('eas_unc_files')} AS ${ident('uncFiles')},
             ${sumOf('eas_attachments')} AS attachments, ${sumOf('eas_attachment_bytes')} AS ${ident('attachmentBytes')},
             ${countOf(pa)} AS ${ident('paN')}, ${f.toInt(latestNumber('eas_policy_ack', pa))} AS pa
      FROM ${iis} WHERE ${eas} AND ${logged} GROUP BY u, d HAVING ${isDevice}`,
    ),
  ]);
  const key = (r: { u: string; d: string }) => `${r.u}\u0000${r.d}`;
  const requestsOf = new Map(requests.map((r) => [key(r), r]));
  const logsOf = new Map(logs.map((r) => [key(r), r]));
  const out: EasDeviceTotals[] = [];
  for (const a of attrs) {
    // every device with a counted or a logged line has EAS lines, so it is among attrs
    const c = requestsOf.get(key(a)),
      l = logsOf.get(key(a));
    if (!c && !l) continue;
    const times = [c, l].filter((x) => x !== undefined);
    out.push({
      user: a.u,
      deviceId: a.d,
      deviceType: a.deviceType,
      userAgent: a.userAgent,
      model: l?.model ?? '',
      os: l?.os ?? '',
      protocol: a.protocol,
      // ISO texts of one length compare as their times do
      // biome-ignore lint/complexity/useMathMinMax: text, not numbers
      firstSeen: times.map((x) => x.first).reduce((x, y) => (y < x ? y : x)),
      // biome-ignore lint/complexity/useMathMinMax: text, not numbers
      lastSeen: times.map((x) => x.last).reduce((x, y) => (y > x ? y : x)),
      hits: c?.hits ?? 0,
      bytesSent: c?.bytesSent ?? 0,
      bytesReceived: c?.bytesReceived ?? 0,
      emailsSent: c?.emailsSent ?? 0,
      searches: c?.searches ?? 0,
      itemsSent: l?.itemsSent ?? 0,
      itemsReceived: l?.itemsReceived ?? 0,
      oofSet: l?.oofSet ?? 0,
      oofGet: l?.oofGet ?? 0,
      sharePointDocs: l?.sharePointDocs ?? 0,
      uncFiles: l?.uncFiles ?? 0,
      attachments: l?.attachments ?? 0,
      attachmentBytes: l?.attachmentBytes ?? 0,
      policyAck: l && l.paN > 0 ? l.pa : null,
      // the average as sum / count on both stores (not DuckDB's avg()), so both give the same double
      avgTimeTaken: c && c.ttN > 0 ? c.ttSum / c.ttN : null,
      maxTimeTaken: c && c.ttN > 0 ? c.ttMax : null,
    });
  }
  return out;
}

export async function deviceCounts(store: Store, q: EasQuery, by: EasCountKind): Promise<EasDeviceCount[]> {
  // commands and HTTP statuses of the counted lines; Error: values of the lines with a Log (rule 2)
  const [key, from, cond] =
    by === 'error'
      ? [sql`err`, eachPart('eas_errors', 'err'), sql`${logged} AND eas_errors != '' AND err != ''`]
      : [by === 'command' ? cmd : sql`ifNull(${f.toText(sql`status`)}, '')`, iis, await countedLines(store, q)];
  const rows = await store.query<{ u: string; d: string; k: string; n: number }>(
    `the ActiveSync counts per device (${by})`,
    sql`
    SELECT ${user} AS u, ${device} AS d, ${key} AS k, ${countOf()} AS n
    FROM ${from} WHERE ${easLines(q)} AND ${cond}
    GROUP BY u, d, k HAVING ${isDevice}`,
  );
  return rows.map((r) => ({ user: r.u, deviceId: r.d, key: r.k, count: r.n }));
}

/** Counters per collection type. A request with one collection type (most Syncs, every 2003
 *  Sync) has its summed Cli:/Srv: columns; one with several (Ty:Em_…_Ty:Ca_…) is split at each
 *  Ty: and each part's own Cli:/Srv: counters are read. */
export async function folderTypeItems(store: Store, q: EasQuery): Promise<EasFolderTypeItems[]> {
  // case-insensitive by character classes, not (?i): on ClickHouse 18.16 '(?i)cli:…' finds no
  // "Cli:" (it seems to look for the literal part "cli:" case-sensitively first)
  const ci = (word: string) => [...word].map((ch) => `[${ch.toLowerCase()}${ch.toUpperCase()}]`).join('');
  const counter = (...kinds: string[]) => {
    const kind = kinds.length > 1 ? `(?:${kinds.map(ci).join('|')})` : ci(kinds[0]!);
    // adds (the first number) + changes (the second): one capture group each
    const adds = f.extract(sql`seg`, `${kind}:(\\d+)${ci('a')}\\d+${ci('c')}`);
    const changes = f.extract(sql`seg`, `${kind}:\\d+${ci('a')}(\\d+)${ci('c')}`);
    return sql`${f.toIntOrZero(adds)} + ${f.toIntOrZero(changes)}`;
  };
  const types = sql`ifNull(eas_folder_types, '')`;
  const segments = f.sliceFrom(f.split(sql`concat('_', ifNull(eas_log, ''))`, '_Ty:'), 2);
  const rows = await store.query<{ u: string; d: string; t: string; itemsSent: number; itemsReceived: number }>(
    'the ActiveSync items per collection type',
    sql`
    SELECT u, d, t, ${f.toInt(sql`sum(sent)`)} AS ${ident('itemsSent')}, ${f.toInt(sql`sum(received)`)} AS ${ident('itemsReceived')}
    FROM (
      SELECT ${user} AS u, ${device} AS d, ${types} AS t,
             ${sumOfBoth('eas_client_adds', 'eas_client_changes')} AS sent,
             ${sumOfBoth('eas_server_adds', 'eas_server_changes')} AS received
      FROM ${iis}
      WHERE ${easLines(q)} AND ${logged} AND (eas_client_adds IS NOT NULL OR eas_server_adds IS NOT NULL) AND ${types} NOT LIKE '%;%'
      GROUP BY u, d, t
      UNION ALL
      SELECT ${user} AS u, ${device} AS d, ${f.extract(sql`seg`, '^([A-Za-z]+)')} AS t,
             ${f.toInt(sql`sum(${counter('cli')})`)} AS sent, ${f.toInt(sql`sum(${counter('srv', 'svr')})`)} AS received
      FROM ${f.explode(iis, segments, 'seg')}
      WHERE ${easLines(q)} AND ${logged} AND ${types} LIKE '%;%'
      GROUP BY u, d, t)
    GROUP BY u, d, t HAVING ${isDevice}`,
  );
  return rows.map((r) => ({ user: r.u, deviceId: r.d, folderType: r.t, itemsSent: r.itemsSent, itemsReceived: r.itemsReceived }));
}

export async function hourly(store: Store, q: EasQuery): Promise<EasHourRow[]> {
  const c = await countedLines(store, q);
  // grouped by the hour as a time, formatted once per hour
  const hour = f.truncTime('hour', sql`ts`);
  return store.query<EasHourRow>(
    'the ActiveSync requests per hour',
    sql`
    SELECT ${f.formatTime(hour, '%Y-%m-%dT%H')} AS period, ${countOf()} AS hits, ${devicesOf} AS devices,
           ${countOf(sql`${col('eas_cmd')} IN ${SYNC_RELATED}`)} AS ${ident('syncRequests')}
    FROM ${iis} WHERE ${easLines(q)} AND ${c} GROUP BY ${hour} ORDER BY period`,
  );
}

export async function weekHours(store: Store, q: EasQuery): Promise<EasWeekHourRow[]> {
  const c = await countedLines(store, q);
  return store.query<EasWeekHourRow>(
    'the ActiveSync requests per weekday and hour',
    sql`
    SELECT ${f.weekday(sql`ts`)} AS weekday, ${f.hour(sql`ts`)} AS ${ident('hour')}, ${countOf()} AS hits, ${devicesOf} AS devices,
           ${countOf(sql`${col('eas_cmd')} IN ${SYNC_RELATED}`)} AS ${ident('syncRequests')}
    FROM ${iis} WHERE ${easLines(q)} AND ${c} GROUP BY weekday, ${ident('hour')} ORDER BY weekday, ${ident('hour')}`,
  );
}

export async function statusCodes(store: Store, q: EasQuery): Promise<EasStatusRow[]> {
  const c = await countedLines(store, q);
  return store.query<EasStatusRow>(
    'the ActiveSync HTTP statuses',
    sql`
    SELECT status, substatus, ${countOf()} AS hits FROM ${iis} WHERE ${easLines(q)} AND ${c}
    GROUP BY status, substatus ORDER BY status NULLS FIRST, substatus NULLS FIRST`,
  );
}

export async function userAgents(store: Store, q: EasQuery): Promise<EasUserAgentRow[]> {
  const c = await countedLines(store, q);
  return store.query<EasUserAgentRow>(
    'the ActiveSync user agents',
    sql`
    SELECT ${col('user_agent')} AS ${ident('userAgent')}, ${countOf()} AS hits, ${devicesOf} AS devices
    FROM ${iis} WHERE ${easLines(q)} AND ${c} AND user_agent != '' GROUP BY ${ident('userAgent')}`,
  );
}

export async function servers(store: Store, q: EasQuery): Promise<EasServerRow[]> {
  const c = await countedLines(store, q);
  // per server, address, host name and UTC day first: a server's device-days are the sum of each
  // day's distinct devices
  return store.query<EasServerRow>(
    'the ActiveSync servers',
    sql`
    SELECT srv AS server, ip, hst AS ${ident('host')}, ${countOf()} AS days, ${f.toInt(sql`sum(day_devices)`)} AS ${ident('deviceDays')}, ${f.toInt(sql`sum(day_hits)`)} AS hits,
           ${f.toInt(sql`sum(day_sent)`)} AS ${ident('bytesFromDevices')}, ${f.toInt(sql`sum(day_received)`)} AS ${ident('bytesToDevices')}
    FROM (
      SELECT server AS srv, ifNull(server_ip, '') AS ip, ifNull(${ident('host')}, '') AS hst, ${f.toDate(sql`ts`)} AS day, ${devicesOf} AS day_devices,
             ${countOf()} AS day_hits, ${sumOf('cs_bytes')} AS day_sent, ${sumOf('sc_bytes')} AS day_received
      FROM ${iis} WHERE ${easLines(q)} AND ${c} GROUP BY srv, ip, hst, day)
    GROUP BY srv, ip, hst`,
  );
}
