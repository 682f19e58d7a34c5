// ActiveSync queries of the ClickHouse store: the counting rules of the DuckDB backend, stated at the
// top of store/duckdb/activesync.ts (front-end vs back-end lines, Log-only values from the lines with
// eas_log <> '', the latest non-empty attributes, the --user/--device filters, UTC hours), in SQL that
// runs on 18.16 and on current releases, on one server and on a cluster. The same logs give the same
// answers as DuckDB (activesync.test.ts checks every report on both).
//
// How the DuckDB SQL is carried over:
//   - no CTEs and no joins (18.16 has no CTE subqueries, its joins are limited, and a LEFT JOIN
//     fills defaults instead of NULLs): the three parts of a device's totals (every EAS
//     line, the counted lines, the lines with a Log) are ONE grouping with conditional aggregates
//     (countIf, sumIf, argMaxIf …), and "a device with a counted or a logged line" is a HAVING;
//   - which side counts (rule 1) is asked first (`side`: one small query) and the statement then names
//     it as a constant, instead of a scalar subquery inside every statement;
//   - "latest" is argMax over the time in ms (ts has whole seconds, ts_ms the milliseconds);
//   - aggregates read non-Nullable arguments (ifNull …), so no aggregate depends on how a release
//     treats NULL in -If combinators; what DuckDB gives as NULL (avg/max time-taken without any,
//     policy acknowledgement without any) is decided here from a count of the values that exist;
//   - the runaway periods are a GLOBAL IN subquery instead of a join.
// The EAS text columns (eas_user, eas_device_id …) are never NULL on an EAS line (formats/iis writes
// '' for an absent value), so ifNull() around them changes nothing DuckDB would see.
//
// Cluster: every aggregate here merges exactly across shards (count, sum, min, max, argMax, and
// uniqExact for distinct devices), and each statement reads the Distributed table with the default
// distributed GROUP BY: the shards send partial states, the initiator merges them. So the answers are
// exact whatever the sharding key; the key (tables.ts: by eas_user) only keeps a user's lines (front
// end, back end, every device) on one shard, which makes the partial states small.
// Every statement reads only rows of live batches (`live`, as in tracking.ts).
import { assembleRunaway } from '../runaway.js';
import type {
  EasCountKind, EasDeviceCount, EasDeviceTotals, EasFolderTypeItems, EasHourRow, EasLogsSeen, EasQuery,
  EasRunawayDevice, EasServerRow, EasStatusRow, EasUserAgentRow, EasWeekHourRow, TimeRange,
} from '../types.js';
import { type Sql, ident, join, sql } from '../../sql/sql.js';
import { type ReadContext, where } from './read.js';

/** the part of ClickhouseStore these queries use: the iis_requests table, the live-batch condition,
 *  and a read (retried, naming a shard that is down) */
export interface EasContext extends ReadContext {
  query<T>(what: string, statement: Sql): Promise<T[]>;
}

const user = sql`ifNull(eas_user, '')`;
const cmd = sql`ifNull(eas_cmd, '')`;
const device = sql`ifNull(eas_device_id, '')`;
/** a line's time in ms: what "latest" orders by */
const at = sql`(toUInt64(ts) * 1000 + ts_ms)`;
const SENDS_MAIL = sql`('SendMail', 'SmartReply', 'SmartForward')`;
const SYNC_RELATED = sql`('Sync', 'GetItemEstimate')`;
const ISO = '%Y-%m-%dT%H:%M:%SZ';
/** a user + device key: a line of a device (rule 4) */
const isDevice = sql`(u != '' OR d != '')`;

/** the latest non-empty value of a text column among the lines where `cond` holds ('' when none) */
function latest(column: string, cond: Sql = sql`1`): Sql {
  const v = sql`ifNull(${ident(column)}, '')`;
  return sql`argMaxIf(${v}, ${at}, ${cond} AND ${v} != '')`;
}

/** the conditions of a query (rules 1, 2 and 4) */
class Filter {
  /** every EAS line of the range, user and device */
  readonly eas: Sql;

  constructor(readonly c: ReadContext, readonly q: EasQuery) {
    const parts = [sql`eas_backend IS NOT NULL`, where(c, q)];
    if (q.user) {
      // as logged, or the account name after DOMAIN\ or before @
      const name = q.user.toLowerCase();
      parts.push(sql`(eas_user = ${name} OR endsWith(eas_user, ${'\\' + name}) OR startsWith(eas_user, ${name + '@'}))`);
    }
    if (q.device) parts.push(sql`lowerUTF8(eas_device_id) = ${q.device.toLowerCase()}`);
    this.eas = join(parts, ' AND ');
  }

  /** the lines that are the requests (rule 1), given which side counts */
  counted(side: 0 | 1): Sql {
    return sql`ifNull(eas_backend, -1) = ${side}`;
  }

  /** the lines that carry a Log= value (rule 2) */
  readonly logged = sql`ifNull(eas_log, '') != ''`;
}

/** the EAS lines of the range alone */
function rangeFilter(c: ReadContext, r: TimeRange): Filter {
  return new Filter(c, { ...(r.from ? { from: r.from } : {}), ...(r.to ? { to: r.to } : {}) });
}

/** 0 (front end) when the range has any front-end EAS line, else 1 (back end): rule 1, over the time
 *  range alone (never --user/--device) */
async function side(c: EasContext, q: EasQuery): Promise<0 | 1> {
  const f = rangeFilter(c, q);
  const rows = await c.query<{ x: number }>('which ActiveSync lines count',
    sql`SELECT file_id AS x FROM ${c.table} WHERE ${f.eas} AND eas_backend = 0 LIMIT 1`);
  return rows.length > 0 ? 0 : 1;
}

export async function logsSeen(c: EasContext, range: TimeRange): Promise<EasLogsSeen> {
  const f = rangeFilter(c, range);
  const [r] = await c.query<{ fe: number; be: number; logs: number }>('the ActiveSync logs seen', sql`
    SELECT toUInt64(countIf(ifNull(eas_backend, -1) = 0)) AS fe, toUInt64(countIf(ifNull(eas_backend, -1) = 1)) AS be,
           toUInt64(countIf(${f.logged})) AS logs
    FROM ${c.table} WHERE ${f.eas}`);
  const fe = Number(r?.fe ?? 0), be = Number(r?.be ?? 0);
  return { frontEndLines: fe, backEndLines: be, logLines: Number(r?.logs ?? 0), counted: fe > 0 ? 'front-end' : be > 0 ? 'back-end' : 'none' };
}

type DeviceRow = Omit<EasDeviceTotals, 'policyAck' | 'avgTimeTaken' | 'maxTimeTaken'> & {
  paN: number; pa: number; ttN: number; ttSum: number; ttMax: number;
};

export async function devices(c: EasContext, q: EasQuery): Promise<EasDeviceTotals[]> {
  const f = new Filter(c, q);
  const counted = f.counted(await side(c, q));
  const logged = f.logged;
  const num = (col: string) => sql`ifNull(${ident(col)}, 0)`;
  const sumLogged = (col: string) => sql`toInt64(sumIf(${num(col)}, ${logged}))`;
  const hasTt = sql`${counted} AND time_taken IS NOT NULL`;
  const pa = sql`${logged} AND ifNull(eas_policy_ack, 0) > 0`;
  const seen = sql`(${counted} OR ${logged})`;
  const rows = await c.query<DeviceRow>('the ActiveSync device totals', sql`
    SELECT ${user} AS u, ${device} AS d, u AS ${ident('user')}, d AS ${ident('deviceId')},
           ${latest('eas_device_type')} AS ${ident('deviceType')}, ${latest('user_agent')} AS ${ident('userAgent')},
           ${latest('eas_device_model', logged)} AS model, ${latest('eas_device_os', logged)} AS os,
           ${latest('eas_protocol')} AS protocol,
           formatDateTime(minIf(ts, ${seen}), ${ISO}, 'UTC') AS ${ident('firstSeen')},
           formatDateTime(maxIf(ts, ${seen}), ${ISO}, 'UTC') AS ${ident('lastSeen')},
           toUInt64(countIf(${counted})) AS hits,
           toInt64(sumIf(${num('cs_bytes')}, ${counted})) AS ${ident('bytesSent')},
           toInt64(sumIf(${num('sc_bytes')}, ${counted})) AS ${ident('bytesReceived')},
           toUInt64(countIf(${counted} AND ifNull(status, 0) = 200 AND ${cmd} IN ${SENDS_MAIL})) AS ${ident('emailsSent')},
           toUInt64(countIf(${counted} AND ${cmd} = 'Search')) AS searches,
           toInt64(sumIf(${num('eas_client_adds')} + ${num('eas_client_changes')}, ${logged})) AS ${ident('itemsSent')},
           toInt64(sumIf(${num('eas_server_adds')} + ${num('eas_server_changes')}, ${logged})) AS ${ident('itemsReceived')},
           toUInt64(countIf(${logged} AND lowerUTF8(ifNull(eas_oof, '')) = 'set')) AS ${ident('oofSet')},
           toUInt64(countIf(${logged} AND lowerUTF8(ifNull(eas_oof, '')) = 'get')) AS ${ident('oofGet')},
           ${sumLogged('eas_sharepoint_docs')} AS ${ident('sharePointDocs')}, ${sumLogged('eas_unc_files')} AS ${ident('uncFiles')},
           ${sumLogged('eas_attachments')} AS attachments, ${sumLogged('eas_attachment_bytes')} AS ${ident('attachmentBytes')},
           toUInt64(countIf(${pa})) AS ${ident('paN')}, toInt64(argMaxIf(${num('eas_policy_ack')}, ${at}, ${pa})) AS pa,
           toUInt64(countIf(${hasTt})) AS ${ident('ttN')}, toInt64(sumIf(${num('time_taken')}, ${hasTt})) AS ${ident('ttSum')},
           toInt64(maxIf(${num('time_taken')}, ${hasTt})) AS ${ident('ttMax')}
    FROM ${c.table} WHERE ${f.eas}
    GROUP BY u, d
    HAVING ${isDevice} AND (countIf(${counted}) > 0 OR countIf(${logged}) > 0)`);
  return rows.map(({ paN, pa: ack, ttN, ttSum, ttMax, ...r }) => {
    const { u: _u, d: _d, ...rest } = r as typeof r & { u?: string; d?: string };
    return { ...rest, policyAck: paN > 0 ? ack : null, avgTimeTaken: ttN > 0 ? ttSum / ttN : null, maxTimeTaken: ttN > 0 ? ttMax : null };
  });
}

export async function deviceCounts(c: EasContext, q: EasQuery, by: EasCountKind): Promise<EasDeviceCount[]> {
  const f = new Filter(c, q);
  const count = (key: Sql, from: Sql, cond: Sql) => c.query<EasDeviceCount>(`the ActiveSync counts per device (${by})`, sql`
    SELECT ${user} AS u, ${device} AS d, u AS ${ident('user')}, d AS ${ident('deviceId')}, ${key} AS ${ident('key')}, toUInt64(count()) AS ${ident('count')}
    FROM ${from} WHERE ${f.eas} AND ${cond}
    GROUP BY u, d, ${ident('key')} HAVING ${isDevice}`);
  let rows: (EasDeviceCount & { u?: string; d?: string })[];
  if (by === 'error') {
    rows = await count(sql`err`, sql`${c.table} ARRAY JOIN splitByChar(';', ifNull(eas_errors, '')) AS err`, sql`${f.logged} AND err != ''`);
  } else {
    const counted = f.counted(await side(c, q));
    rows = await count(by === 'command' ? sql`ifNull(eas_cmd, '')` : sql`ifNull(toString(status), '')`, c.table, counted);
  }
  return rows.map(({ u: _u, d: _d, ...r }) => r);
}

/** Counters per collection type (see the DuckDB version): a request with one collection type has
 *  its summed Cli:/Srv: columns; one with several is split at each Ty: of its Log. */
export async function folderTypeItems(c: EasContext, q: EasQuery): Promise<EasFolderTypeItems[]> {
  const f = new Filter(c, q);
  // ClickHouse's extract() gives the first group: group 2 of the DuckDB pattern is the only group of
  // the same pattern with group 1 uncaptured (both match at the same place). Case-insensitive by
  // character classes, not (?i): on 18.16 '(?i)cli:…' finds no "Cli:" (it seems to look for the
  // literal part "cli:" case-sensitively first), which lost every Cli: count of multi-type Syncs.
  const ci = (word: string) => [...word].map((ch) => `[${ch.toLowerCase()}${ch.toUpperCase()}]`).join('');
  const counter = (...kinds: string[]) => {
    const kind = kinds.length > 1 ? `(?:${kinds.map(ci).join('|')})` : ci(kinds[0]!);
    return sql`toInt64OrZero(extract(seg, ${`${kind}:(\\d+)${ci('a')}\\d+${ci('c')}`})) + toInt64OrZero(extract(seg, ${`${kind}:\\d+${ci('a')}(\\d+)${ci('c')}`}))`;
  };
  const types = sql`ifNull(eas_folder_types, '')`;
  const rows = await c.query<EasFolderTypeItems & { u?: string; d?: string }>('the ActiveSync items per collection type', sql`
    SELECT u, d, u AS ${ident('user')}, d AS ${ident('deviceId')}, t AS ${ident('folderType')},
           toInt64(sum(sent)) AS ${ident('itemsSent')}, toInt64(sum(received)) AS ${ident('itemsReceived')}
    FROM (
      SELECT ${user} AS u, ${device} AS d, ${types} AS t,
             toInt64(sum(ifNull(eas_client_adds, 0) + ifNull(eas_client_changes, 0))) AS sent,
             toInt64(sum(ifNull(eas_server_adds, 0) + ifNull(eas_server_changes, 0))) AS received
      FROM ${c.table}
      WHERE ${f.eas} AND ${f.logged} AND (eas_client_adds IS NOT NULL OR eas_server_adds IS NOT NULL) AND position(${types}, ';') = 0
      GROUP BY u, d, t
      UNION ALL
      SELECT ${user} AS u, ${device} AS d, extract(seg, '^([A-Za-z]+)') AS t,
             toInt64(sum(${counter('cli')})) AS sent, toInt64(sum(${counter('srv', 'svr')})) AS received
      FROM ${c.table} ARRAY JOIN arraySlice(splitByString('_Ty:', concat('_', ifNull(eas_log, ''))), 2) AS seg
      WHERE ${f.eas} AND ${f.logged} AND position(${types}, ';') > 0
      GROUP BY u, d, t)
    GROUP BY u, d, t HAVING ${isDevice}`);
  return rows.map(({ u: _u, d: _d, ...r }) => r);
}

export async function hourly(c: EasContext, q: EasQuery): Promise<EasHourRow[]> {
  const f = new Filter(c, q);
  const counted = f.counted(await side(c, q));
  return c.query<EasHourRow>('the ActiveSync requests per hour', sql`
    SELECT formatDateTime(toStartOfHour(ts), '%Y-%m-%dT%H', 'UTC') AS period, toUInt64(count()) AS hits,
           toUInt64(uniqExactIf(${device}, ${device} != '')) AS devices,
           toUInt64(countIf(${cmd} IN ${SYNC_RELATED})) AS ${ident('syncRequests')}
    FROM ${c.table} WHERE ${f.eas} AND ${counted} GROUP BY period ORDER BY period`);
}

export async function weekHours(c: EasContext, q: EasQuery): Promise<EasWeekHourRow[]> {
  const f = new Filter(c, q);
  const counted = f.counted(await side(c, q));
  return c.query<EasWeekHourRow>('the ActiveSync requests per weekday and hour', sql`
    SELECT toUInt8(toDayOfWeek(ts) % 7) AS weekday, toUInt8(toHour(ts)) AS ${ident('hour')}, toUInt64(count()) AS hits,
           toUInt64(uniqExactIf(${device}, ${device} != '')) AS devices,
           toUInt64(countIf(${cmd} IN ${SYNC_RELATED})) AS ${ident('syncRequests')}
    FROM ${c.table} WHERE ${f.eas} AND ${counted} GROUP BY weekday, ${ident('hour')} ORDER BY weekday, ${ident('hour')}`);
}

export async function statusCodes(c: EasContext, q: EasQuery): Promise<EasStatusRow[]> {
  const f = new Filter(c, q);
  const counted = f.counted(await side(c, q));
  return c.query<EasStatusRow>('the ActiveSync HTTP statuses', sql`
    SELECT status, substatus, toUInt64(count()) AS hits FROM ${c.table} WHERE ${f.eas} AND ${counted}
    GROUP BY status, substatus ORDER BY status NULLS FIRST, substatus NULLS FIRST`);
}

export async function userAgents(c: EasContext, q: EasQuery): Promise<EasUserAgentRow[]> {
  const f = new Filter(c, q);
  const counted = f.counted(await side(c, q));
  return c.query<EasUserAgentRow>('the ActiveSync user agents', sql`
    SELECT assumeNotNull(user_agent) AS ${ident('userAgent')}, toUInt64(count()) AS hits, toUInt64(uniqExactIf(${device}, ${device} != '')) AS devices
    FROM ${c.table} WHERE ${f.eas} AND ${counted} AND user_agent != '' GROUP BY ${ident('userAgent')}`);
}

export async function servers(c: EasContext, q: EasQuery): Promise<EasServerRow[]> {
  const f = new Filter(c, q);
  const counted = f.counted(await side(c, q));
  return c.query<EasServerRow>('the ActiveSync servers', sql`
    SELECT srv AS server, toUInt64(count()) AS days, toUInt64(sum(day_devices)) AS ${ident('deviceDays')}, toUInt64(sum(day_hits)) AS hits,
           toInt64(sum(day_sent)) AS ${ident('bytesFromDevices')}, toInt64(sum(day_received)) AS ${ident('bytesToDevices')}
    FROM (
      SELECT server AS srv, toDate(ts) AS day, uniqExactIf(${device}, ${device} != '') AS day_devices, count() AS day_hits,
             toInt64(sum(ifNull(cs_bytes, 0))) AS day_sent, toInt64(sum(ifNull(sc_bytes, 0))) AS day_received
      FROM ${c.table} WHERE ${f.eas} AND ${counted} GROUP BY srv, day)
    GROUP BY srv`);
}

export async function runaway(c: EasContext, q: EasQuery, minHits: number, per: 'hour' | 'day'): Promise<EasRunawayDevice[]> {
  const f = new Filter(c, q);
  const counted = f.counted(await side(c, q));
  const period = per === 'hour' ? sql`toStartOfHour(ts)` : sql`toStartOfDay(ts)`;
  const label = per === 'hour' ? '%Y-%m-%dT%H' : '%Y-%m-%d';
  // the device's periods over the threshold; lines of those periods are selected by GLOBAL IN
  const over = sql`SELECT u, d, p, n FROM (
      SELECT ${user} AS u, ${device} AS d, ${period} AS p, count() AS n
      FROM ${c.table} WHERE ${f.eas} AND ${counted} GROUP BY u, d, p)
    WHERE n >= ${minHits} AND ${isDevice}`;
  const inOver = sql`(${user}, ${device}, ${period}) GLOBAL IN (SELECT u, d, p FROM (${over}))`;
  const periods = await c.query<{ u: string; d: string; period: string; hits: number }>('the runaway ActiveSync devices', sql`
    SELECT u, d, formatDateTime(p, ${label}, 'UTC') AS period, toUInt64(n) AS hits FROM (${over})`);
  if (periods.length === 0) return [];
  const perKind = (kind: 'command' | 'httpStatus' | 'error', key: Sql, from: Sql, cond: Sql) =>
    c.query<{ u: string; d: string; k: string; n: number }>(`the runaway ActiveSync devices (${kind})`, sql`
      SELECT ${user} AS u, ${device} AS d, ${key} AS k, toUInt64(count()) AS n
      FROM ${from} WHERE ${f.eas} AND ${cond} AND ${inOver} GROUP BY u, d, k`).then((rows) => rows.map((r) => ({ ...r, kind })));
  const [attrs, ...counts] = await Promise.all([
    c.query<{ u: string; d: string; deviceType: string; userAgent: string }>('the runaway ActiveSync devices', sql`
      SELECT ${user} AS u, ${device} AS d, ${latest('eas_device_type')} AS ${ident('deviceType')}, ${latest('user_agent')} AS ${ident('userAgent')}
      FROM ${c.table} WHERE ${f.eas} AND (${user}, ${device}) GLOBAL IN (SELECT u, d FROM (${over})) GROUP BY u, d`),
    perKind('command', sql`ifNull(eas_cmd, '')`, c.table, counted),
    perKind('httpStatus', sql`ifNull(toString(status), '')`, c.table, counted),
    perKind('error', sql`err`, sql`${c.table} ARRAY JOIN splitByChar(';', ifNull(eas_errors, '')) AS err`, sql`${f.logged} AND err != ''`),
  ]);
  return assembleRunaway(periods, attrs, counts.flat());
}
