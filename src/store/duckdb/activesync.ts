// ActiveSync queries of the DuckDB store: every SQL statement of the ActiveSync reports lives here
// (the ClickHouse backend mirrors these functions). Counting rules:
//
// 1. One EAS request counts once. Exchange 2013+ logs a request twice: the front end
//    (/Microsoft-Server-ActiveSync/default.eas, eas_backend = 0) and the back end it proxies to
//    (/Microsoft-Server-ActiveSync/Proxy/default.eas, eas_backend = 1). When the time range holds
//    any front-end EAS line, the front-end lines are the requests and back-end lines are ignored
//    for hits, commands, HTTP statuses, bytes, user agents, servers and hours; otherwise (only
//    back-end logs were ingested) the back-end lines are the requests. The choice depends on the
//    time range only, never on --user/--device, so a filtered report is a part of the unfiltered one.
//    Anonymous 401s are answered by the front end alone: they are counted (the generator's truth
//    counts them too) and have no back-end twin.
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
// Rows come back as one JSON text per row (to_json of the row): DuckdbStore.rows turns digit-only
// strings into numbers, which a DeviceId such as "0123456789" must not suffer.
import { assembleRunaway } from '../runaway.js';
import type {
  EasCountKind, EasDeviceCount, EasDeviceTotals, EasFolderTypeItems, EasHourRow, EasLogsSeen, EasQuery,
  EasRunawayDevice, EasServerRow, EasStatusRow, EasUserAgentRow, EasWeekHourRow, TimeRange,
} from '../types.js';

type Params = Record<string, string | number | boolean | null>;

/** the part of DuckdbStore these queries use */
export interface SqlRunner {
  rows<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
}

/** rows of `sql` as plain objects, every value as DuckDB's JSON gives it (text stays text) */
async function jsonRows<T>(db: SqlRunner, sql: string, params: Params): Promise<T[]> {
  const rows = await db.rows<{ j: string }>(`SELECT CAST(to_json(r) AS VARCHAR) AS j FROM (${sql}) r`, params);
  return rows.map((r) => JSON.parse(r.j) as T);
}

/** the WHERE clauses of a query, with exactly the parameters they name */
class Filter {
  readonly params: Params = {};
  private readonly range: string;
  /** every EAS line of the range, user and device */
  readonly eas: string;

  constructor(q: EasQuery) {
    const r: string[] = [];
    if (q.from) { r.push('ts >= CAST($from AS TIMESTAMP)'); this.params.from = q.from; }
    if (q.to) { r.push('ts < CAST($to AS TIMESTAMP)'); this.params.to = q.to; }
    this.range = r.length ? ' AND ' + r.join(' AND ') : '';
    const parts = ['eas_backend IS NOT NULL' + this.range];
    if (q.user) {
      // as logged, or the account name after DOMAIN\ or before @
      parts.push(`(eas_user = $user OR ends_with(eas_user, '\\' || $user) OR starts_with(eas_user, $user || '@'))`);
      this.params.user = q.user.toLowerCase();
    }
    if (q.device) {
      parts.push('lower(eas_device_id) = $device');
      this.params.device = q.device.toLowerCase();
    }
    this.eas = parts.join(' AND ');
  }

  /** 0 (front end) when the range has any front-end EAS line, else 1 (back end): rule 1 */
  get side(): string {
    return `(SELECT CASE WHEN EXISTS (SELECT 1 FROM iis_requests WHERE eas_backend = 0${this.range}) THEN 0 ELSE 1 END)`;
  }

  /** the lines that are the requests (rule 1) */
  get counted(): string {
    return `${this.eas} AND eas_backend = ${this.side}`;
  }

  /** the lines that carry a Log= value (rule 2) */
  get logged(): string {
    return `${this.eas} AND eas_log <> ''`;
  }
}

const SENDS_MAIL = `('SendMail', 'SmartReply', 'SmartForward')`;
const SYNC_RELATED = `('Sync', 'GetItemEstimate')`;
const ISO = `'%Y-%m-%dT%H:%M:%SZ'`;

/** over the time range alone (the --user/--device filters do not change which lines count) */
export async function logsSeen(db: SqlRunner, range: TimeRange): Promise<EasLogsSeen> {
  const f = new Filter({ ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) });
  const [r] = await jsonRows<{ fe: number; be: number; logs: number }>(db, `
    SELECT count(*) FILTER (WHERE eas_backend = 0) AS fe, count(*) FILTER (WHERE eas_backend = 1) AS be,
           count(*) FILTER (WHERE eas_log <> '') AS logs
    FROM iis_requests WHERE ${f.eas}`, f.params);
  const fe = Number(r?.fe ?? 0), be = Number(r?.be ?? 0);
  return { frontEndLines: fe, backEndLines: be, logLines: Number(r?.logs ?? 0), counted: fe > 0 ? 'front-end' : be > 0 ? 'back-end' : 'none' };
}

export function devices(db: SqlRunner, q: EasQuery): Promise<EasDeviceTotals[]> {
  const f = new Filter(q);
  return jsonRows<EasDeviceTotals>(db, `
    WITH a AS (
      SELECT eas_user AS u, eas_device_id AS d,
             arg_max(eas_device_type, ts) FILTER (WHERE eas_device_type <> '') AS device_type,
             arg_max(eas_protocol, ts) FILTER (WHERE eas_protocol <> '') AS protocol,
             arg_max(user_agent, ts) FILTER (WHERE user_agent <> '') AS user_agent
      FROM iis_requests WHERE ${f.eas} GROUP BY 1, 2),
    c AS (
      SELECT eas_user AS u, eas_device_id AS d, count(*) AS hits,
             coalesce(sum(cs_bytes), 0) AS bytes_sent, coalesce(sum(sc_bytes), 0) AS bytes_received,
             count(*) FILTER (WHERE status = 200 AND eas_cmd IN ${SENDS_MAIL}) AS emails_sent,
             count(*) FILTER (WHERE eas_cmd = 'Search') AS searches,
             avg(time_taken) AS avg_tt, max(time_taken) AS max_tt, min(ts) AS first_seen, max(ts) AS last_seen
      FROM iis_requests WHERE ${f.counted} GROUP BY 1, 2),
    l AS (
      SELECT eas_user AS u, eas_device_id AS d,
             sum(coalesce(eas_client_adds, 0) + coalesce(eas_client_changes, 0)) AS items_sent,
             sum(coalesce(eas_server_adds, 0) + coalesce(eas_server_changes, 0)) AS items_received,
             count(*) FILTER (WHERE lower(eas_oof) = 'set') AS oof_set, count(*) FILTER (WHERE lower(eas_oof) = 'get') AS oof_get,
             coalesce(sum(eas_sharepoint_docs), 0) AS ssp, coalesce(sum(eas_unc_files), 0) AS unc,
             coalesce(sum(eas_attachments), 0) AS att, coalesce(sum(eas_attachment_bytes), 0) AS attb,
             arg_max(eas_policy_ack, ts) FILTER (WHERE eas_policy_ack > 0) AS policy_ack,
             arg_max(eas_device_model, ts) FILTER (WHERE eas_device_model <> '') AS model,
             arg_max(eas_device_os, ts) FILTER (WHERE eas_device_os <> '') AS os,
             min(ts) AS first_seen, max(ts) AS last_seen
      FROM iis_requests WHERE ${f.logged} GROUP BY 1, 2)
    SELECT a.u AS "user", a.d AS "deviceId", coalesce(a.device_type, '') AS "deviceType",
           coalesce(a.user_agent, '') AS "userAgent", coalesce(l.model, '') AS model, coalesce(l.os, '') AS os,
           coalesce(a.protocol, '') AS protocol,
           strftime(least(coalesce(c.first_seen, l.first_seen), coalesce(l.first_seen, c.first_seen)), ${ISO}) AS "firstSeen",
           strftime(greatest(coalesce(c.last_seen, l.last_seen), coalesce(l.last_seen, c.last_seen)), ${ISO}) AS "lastSeen",
           coalesce(c.hits, 0) AS hits, coalesce(c.bytes_sent, 0) AS "bytesSent", coalesce(c.bytes_received, 0) AS "bytesReceived",
           coalesce(c.emails_sent, 0) AS "emailsSent", coalesce(c.searches, 0) AS searches,
           coalesce(l.items_sent, 0) AS "itemsSent", coalesce(l.items_received, 0) AS "itemsReceived",
           coalesce(l.oof_set, 0) AS "oofSet", coalesce(l.oof_get, 0) AS "oofGet",
           coalesce(l.ssp, 0) AS "sharePointDocs", coalesce(l.unc, 0) AS "uncFiles",
           coalesce(l.att, 0) AS attachments, coalesce(l.attb, 0) AS "attachmentBytes",
           l.policy_ack AS "policyAck", c.avg_tt AS "avgTimeTaken", c.max_tt AS "maxTimeTaken"
    FROM a LEFT JOIN c ON c.u = a.u AND c.d = a.d LEFT JOIN l ON l.u = a.u AND l.d = a.d
    WHERE (a.u <> '' OR a.d <> '') AND (c.u IS NOT NULL OR l.u IS NOT NULL)`, f.params);
}

export function deviceCounts(db: SqlRunner, q: EasQuery, by: EasCountKind): Promise<EasDeviceCount[]> {
  const f = new Filter(q);
  const sql: Record<EasCountKind, string> = {
    command: `SELECT eas_user AS u, eas_device_id AS d, coalesce(eas_cmd, '') AS k FROM iis_requests WHERE ${f.counted}`,
    httpStatus: `SELECT eas_user AS u, eas_device_id AS d, coalesce(CAST(status AS VARCHAR), '') AS k FROM iis_requests WHERE ${f.counted}`,
    error: `SELECT u, d, k FROM (SELECT eas_user AS u, eas_device_id AS d, unnest(string_split(eas_errors, ';')) AS k
            FROM iis_requests WHERE ${f.logged} AND eas_errors <> '') WHERE k <> ''`,
  };
  return jsonRows<EasDeviceCount>(db, `
    SELECT u AS "user", d AS "deviceId", k AS key, count(*) AS count FROM (${sql[by]})
    WHERE u <> '' OR d <> '' GROUP BY 1, 2, 3`, f.params);
}

/** Counters per collection type. A request with one collection type (most Syncs, every 2003
 *  Sync) has its summed Cli:/Srv: columns; one with several (Ty:Em_…_Ty:Ca_…) is split at each
 *  Ty: and each part's own Cli:/Srv: counters are read. */
export function folderTypeItems(db: SqlRunner, q: EasQuery): Promise<EasFolderTypeItems[]> {
  const f = new Filter(q);
  const counter = (kind: 'cli' | '(?:srv|svr)', group: 1 | 2) =>
    `coalesce(TRY_CAST(regexp_extract(seg, '(?i)${kind}:(\\d+)a(\\d+)c', ${group}) AS BIGINT), 0)`;
  return jsonRows<EasFolderTypeItems>(db, `
    WITH single AS (
      SELECT eas_user AS u, eas_device_id AS d, coalesce(eas_folder_types, '') AS t,
             sum(coalesce(eas_client_adds, 0) + coalesce(eas_client_changes, 0)) AS sent,
             sum(coalesce(eas_server_adds, 0) + coalesce(eas_server_changes, 0)) AS received
      FROM iis_requests
      WHERE ${f.logged} AND (eas_client_adds IS NOT NULL OR eas_server_adds IS NOT NULL) AND coalesce(eas_folder_types, '') NOT LIKE '%;%'
      GROUP BY 1, 2, 3),
    parts AS (
      SELECT eas_user AS u, eas_device_id AS d, unnest(string_split('_' || eas_log, '_Ty:')[2:]) AS seg
      FROM iis_requests WHERE ${f.logged} AND eas_folder_types LIKE '%;%'),
    multi AS (
      SELECT u, d, regexp_extract(seg, '^([A-Za-z]+)', 1) AS t,
             sum(${counter('cli', 1)} + ${counter('cli', 2)}) AS sent,
             sum(${counter('(?:srv|svr)', 1)} + ${counter('(?:srv|svr)', 2)}) AS received
      FROM parts GROUP BY 1, 2, 3)
    SELECT u AS "user", d AS "deviceId", t AS "folderType", sum(sent) AS "itemsSent", sum(received) AS "itemsReceived"
    FROM (SELECT * FROM single UNION ALL SELECT * FROM multi)
    WHERE u <> '' OR d <> '' GROUP BY 1, 2, 3`, f.params);
}

export function hourly(db: SqlRunner, q: EasQuery): Promise<EasHourRow[]> {
  const f = new Filter(q);
  return jsonRows<EasHourRow>(db, `
    SELECT strftime(ts, '%Y-%m-%dT%H') AS period, count(*) AS hits, count(DISTINCT nullif(eas_device_id, '')) AS devices,
           count(*) FILTER (WHERE eas_cmd IN ${SYNC_RELATED}) AS "syncRequests"
    FROM iis_requests WHERE ${f.counted} GROUP BY 1 ORDER BY 1`, f.params);
}

export function weekHours(db: SqlRunner, q: EasQuery): Promise<EasWeekHourRow[]> {
  const f = new Filter(q);
  return jsonRows<EasWeekHourRow>(db, `
    SELECT dayofweek(ts) AS weekday, hour(ts) AS hour, count(*) AS hits, count(DISTINCT nullif(eas_device_id, '')) AS devices,
           count(*) FILTER (WHERE eas_cmd IN ${SYNC_RELATED}) AS "syncRequests"
    FROM iis_requests WHERE ${f.counted} GROUP BY 1, 2 ORDER BY 1, 2`, f.params);
}

export function statusCodes(db: SqlRunner, q: EasQuery): Promise<EasStatusRow[]> {
  const f = new Filter(q);
  return jsonRows<EasStatusRow>(db, `
    SELECT status, substatus, count(*) AS hits FROM iis_requests WHERE ${f.counted}
    GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST`, f.params);
}

export function userAgents(db: SqlRunner, q: EasQuery): Promise<EasUserAgentRow[]> {
  const f = new Filter(q);
  return jsonRows<EasUserAgentRow>(db, `
    SELECT user_agent AS "userAgent", count(*) AS hits, count(DISTINCT nullif(eas_device_id, '')) AS devices
    FROM iis_requests WHERE ${f.counted} AND user_agent <> '' GROUP BY 1`, f.params);
}

export function servers(db: SqlRunner, q: EasQuery): Promise<EasServerRow[]> {
  const f = new Filter(q);
  return jsonRows<EasServerRow>(db, `
    WITH per_day AS (
      SELECT server, CAST(ts AS DATE) AS day, count(DISTINCT nullif(eas_device_id, '')) AS devices, count(*) AS hits,
             coalesce(sum(cs_bytes), 0) AS bytes_sent, coalesce(sum(sc_bytes), 0) AS bytes_received
      FROM iis_requests WHERE ${f.counted} GROUP BY 1, 2)
    SELECT server, count(*) AS days, sum(devices) AS "deviceDays", sum(hits) AS hits,
           sum(bytes_sent) AS "bytesFromDevices", sum(bytes_received) AS "bytesToDevices"
    FROM per_day GROUP BY 1`, f.params);
}

export async function runaway(db: SqlRunner, q: EasQuery, minHits: number, per: 'hour' | 'day'): Promise<EasRunawayDevice[]> {
  const f = new Filter(q);
  const params = { ...f.params, min_hits: minHits };
  const unit = per === 'hour' ? `'hour'` : `'day'`;
  const label = per === 'hour' ? `'%Y-%m-%dT%H'` : `'%Y-%m-%d'`;
  // the device's periods over the threshold; `over` is joined back to the lines of those periods
  const over = `
    WITH per AS (
      SELECT eas_user AS u, eas_device_id AS d, date_trunc(${unit}, ts) AS p, count(*) AS n
      FROM iis_requests WHERE ${f.counted} GROUP BY 1, 2, 3),
    over AS (SELECT u, d, p, n FROM per WHERE n >= $min_hits AND (u <> '' OR d <> ''))`;
  const inOver = `JOIN over ON over.u = eas_user AND over.d = eas_device_id AND over.p = date_trunc(${unit}, ts)`;
  const [periods, attrs, counts] = await Promise.all([
    jsonRows<{ u: string; d: string; period: string; hits: number }>(db, `${over}
      SELECT u, d, strftime(p, ${label}) AS period, n AS hits FROM over`, params),
    jsonRows<{ u: string; d: string; deviceType: string | null; userAgent: string | null }>(db, `${over}
      SELECT eas_user AS u, eas_device_id AS d,
             arg_max(eas_device_type, ts) FILTER (WHERE eas_device_type <> '') AS "deviceType",
             arg_max(user_agent, ts) FILTER (WHERE user_agent <> '') AS "userAgent"
      FROM iis_requests JOIN (SELECT DISTINCT u, d FROM over) o ON o.u = eas_user AND o.d = eas_device_id
      WHERE ${f.eas} GROUP BY 1, 2`, params),
    jsonRows<{ u: string; d: string; kind: 'command' | 'httpStatus' | 'error'; k: string; n: number }>(db, `${over}
      SELECT u, d, kind, k, count(*) AS n FROM (
        SELECT eas_user AS u, eas_device_id AS d, 'command' AS kind, coalesce(eas_cmd, '') AS k FROM iis_requests ${inOver} WHERE ${f.counted}
        UNION ALL
        SELECT eas_user, eas_device_id, 'httpStatus', coalesce(CAST(status AS VARCHAR), '') FROM iis_requests ${inOver} WHERE ${f.counted}
        UNION ALL
        SELECT u, d, 'error', k FROM (
          SELECT eas_user AS u, eas_device_id AS d, unnest(string_split(eas_errors, ';')) AS k
          FROM iis_requests ${inOver} WHERE ${f.logged} AND eas_errors <> '') WHERE k <> '')
      GROUP BY 1, 2, 3, 4`, params),
  ]);
  return assembleRunaway(periods, attrs, counts);
}
