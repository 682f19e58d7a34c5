// ActiveSync reports: per device (user + DeviceId) traffic, the device inventory, commands with
// their errors, runaway devices, requests per hour, and Export-ActiveSyncLog's six CSV files.
// The counting itself is the capability's queries' (capabilities/activesync/queries.ts states the
// rules); this module turns their totals into the typed rows of the JSON contract.
//
// Direction: in every mxray report "sent" is from the device (cs-bytes, SendMail/SmartReply/
// SmartForward, Cli: items) and "received" is to the device (sc-bytes, Srv: items).
// Export-ActiveSyncLog names its columns from the server's side instead ("Total Bytes Sent" =
// what the server sent = sc-bytes). `eas export` keeps the cmdlet's exact headers AND their
// meaning, so a spreadsheet built on the cmdlet's files reads the same numbers under the same
// headers; exportColumnSources maps every header to the mxray quantity it holds.
//
// Every report carries the logs it was counted from (EasLogsSeen): each JSON row has it as `logs`,
// the text table prints it as a header line.
import { isIP } from 'node:net';
import type { Store, TimeRange } from '../../store/types.js';
import * as eas from './queries.js';
import type { EasCoverageRow, EasDeviceTotals, EasLogsSeen, EasQuery, EasRunawayDevice, EasHourRow } from './types.js';

/** a report: the logs it was counted from, what they cover, and its rows */
export interface EasReport<R> {
  logs: EasLogsSeen;
  /** per UTC day and front end: what was collected and how it was counted (eas coverage) */
  coverage: EasCoverageRow[];
  rows: R[];
}

/** the header line of a text report: which logs were seen and which lines were counted */
export function logsLine(l: EasLogsSeen): string {
  const n = (x: number) => x.toLocaleString('en-US');
  if (l.counted === 'none') return 'logs seen: no ActiveSync request in the selected range\n';
  const seen = `logs seen: ${n(l.frontEndLines)} front-end EAS lines, ${n(l.backEndLines)} back-end (/Proxy/) lines, ${n(l.logLines)} with Log=`;
  const rule =
    l.counted === 'front-end'
      ? l.backEndLines > 0
        ? 'counted: the front-end lines, each request once (the back-end twins are ignored)'
        : 'counted: the front-end lines (no back-end logs)'
      : l.counted === 'mixed'
        ? "counted: the front-end lines, and the back-end lines whose front end's log was not collected; each request once"
        : 'counted: the back-end lines (no front-end logs in the range)';
  return `${seen}\n${rule}; Log= values (items, errors, policy, OOF, model) from the lines that carry one\n`;
}

/** "front end of EX01, EX02 for 2024-03-04 to 03-05; back end only for 03-06 (…)": which logs were
 *  collected for which days, and how their requests were counted; '' when there are none */
export function coverageText(rows: readonly EasCoverageRow[]): string {
  // per day: the front ends whose log covers it, covers part of it, and is missing
  const days = new Map<string, { whole: string[]; part: string[]; missing: string[] }>();
  for (const r of rows) {
    let d = days.get(r.day);
    if (!d) days.set(r.day, (d = { whole: [], part: [], missing: [] }));
    if (r.frontEndLines > 0) (r.backEndCounted > 0 ? d.part : d.whole).push(r.frontEnd);
    else if (r.backEndCounted > 0) d.missing.push(r.frontEnd);
  }
  const periods: { from: string; to: string; what: string }[] = [];
  let back = false;
  for (const [day, d] of [...days].sort((a, b) => ordinal(a[0], b[0]))) {
    const parts: string[] = [];
    if (d.whole.length > 0) parts.push(`front end of ${d.whole.join(', ')}`);
    if (d.part.length > 0) parts.push(`front end of ${d.part.join(', ')} for part of the day (back end for the rest)`);
    if (d.missing.length > 0) parts.push(parts.length > 0 ? `back end only for ${d.missing.join(', ')}` : 'back end only');
    if (d.part.length + d.missing.length > 0) back = true;
    if (parts.length === 0) continue;
    const what = parts.join(' and ');
    const last = periods.at(-1);
    if (last && last.what === what) last.to = day;
    else periods.push({ from: day, to: day, what });
  }
  if (periods.length === 0) return '';
  const year = periods[0]!.from.slice(0, 4);
  const date = (d: string, first: boolean) => (first || d.slice(0, 4) !== year ? d : d.slice(5));
  const text = periods.map((p, i) => `${p.what} for ${date(p.from, i === 0)}${p.to !== p.from ? ` to ${date(p.to, false)}` : ''}`).join('; ');
  return back
    ? `${text} (counted from the back-end lines where the front end's log is missing; 401s answered by the front end alone are not in those logs)`
    : text;
}

/** the coverage line of a text report's header ('' without EAS lines) */
export function coverageLine(rows: readonly EasCoverageRow[]): string {
  const t = coverageText(rows);
  return t === '' ? '' : `coverage: ${t}\n`;
}

/** what every report asks first: the logs seen and what they cover, over the time range alone */
async function seenOf(store: Store, q: EasQuery): Promise<{ logs: EasLogsSeen; coverage: EasCoverageRow[] }> {
  const range = rangeOnly(q);
  const [logs, coverage] = await Promise.all([eas.logsSeen(store, range), eas.coverage(store, range)]);
  return { logs, coverage };
}

// ---- small helpers ---------------------------------------------------------------------------

/** the time range of a query: which lines count depends on it alone, not on --user/--device */
function rangeOnly(q: EasQuery): TimeRange {
  return { ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) };
}

type Counts = Record<string, number>;

/** ordinal comparison (not locale): the same order on every machine */
export function ordinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byDevice(a: { user: string; deviceId: string }, b: { user: string; deviceId: string }): number {
  return ordinal(a.user, b.user) || ordinal(a.deviceId, b.deviceId);
}

const deviceKey = (user: string, deviceId: string) => `${user}\u0000${deviceId}`;

/** counts keyed by user + device, from the (user, device, key, count) rows */
async function countsByDevice(store: Store, q: EasQuery, by: 'command' | 'httpStatus' | 'error'): Promise<Map<string, Counts>> {
  const out = new Map<string, Counts>();
  for (const r of await eas.deviceCounts(store, q, by)) {
    const k = deviceKey(r.user, r.deviceId);
    let c = out.get(k);
    if (!c) out.set(k, (c = {}));
    c[r.key === '' ? '(none)' : r.key] = Number(r.count);
  }
  return out;
}

/** the same counts with keys by descending count, then name */
export function sortedCounts(c: Counts): Counts {
  return Object.fromEntries(Object.entries(c).sort((a, b) => b[1] - a[1] || ordinal(a[0], b[0])));
}

/** "Sync 3,120, FolderSync 260 …": the n largest counts as text */
export function topText(c: Counts, n = 3): string {
  const e = Object.entries(sortedCounts(c));
  const shown = e.slice(0, n).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`);
  if (e.length > n) shown.push(`+${e.length - n} more`);
  return shown.join(', ');
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ---- eas users -------------------------------------------------------------------------------

export interface EasUserRow {
  user: string;
  deviceId: string;
  deviceType: string;
  hits: number;
  /** cs-bytes: from the device */
  bytesSent: number;
  /** sc-bytes: to the device */
  bytesReceived: number;
  /** requests per Cmd=, largest first */
  commands: Counts;
  /** SendMail + SmartReply + SmartForward answered with HTTP 200 */
  emailsSent: number;
  /** requests per HTTP status */
  httpStatus: Counts;
  /** Cli: adds + changes (from the device) */
  itemsSent: number;
  /** Srv: adds + changes (to the device) */
  itemsReceived: number;
  userAgent: string;
  firstSeen: string;
  lastSeen: string;
  logs: EasLogsSeen;
}

export const userSortKeys = ['user', 'hits', 'bytesSent', 'bytesReceived', 'emailsSent'] as const;
export type UserSortKey = (typeof userSortKeys)[number];

export async function easUsersReport(store: Store, q: EasQuery, sort: UserSortKey = 'user', limit?: number): Promise<EasReport<EasUserRow>> {
  const [{ logs, coverage }, devices, commands, http] = await Promise.all([
    seenOf(store, q),
    eas.devices(store, q),
    countsByDevice(store, q, 'command'),
    countsByDevice(store, q, 'httpStatus'),
  ]);
  let rows: EasUserRow[] = devices
    .filter((d) => d.hits > 0)
    .map((d) => {
      const k = deviceKey(d.user, d.deviceId);
      return {
        user: d.user,
        deviceId: d.deviceId,
        deviceType: d.deviceType,
        hits: d.hits,
        bytesSent: d.bytesSent,
        bytesReceived: d.bytesReceived,
        commands: sortedCounts(commands.get(k) ?? {}),
        emailsSent: d.emailsSent,
        httpStatus: http.get(k) ?? {},
        itemsSent: d.itemsSent,
        itemsReceived: d.itemsReceived,
        userAgent: d.userAgent,
        firstSeen: d.firstSeen,
        lastSeen: d.lastSeen,
        logs,
      };
    });
  rows.sort(sort === 'user' ? byDevice : (a, b) => b[sort] - a[sort] || byDevice(a, b));
  if (limit !== undefined) rows = rows.slice(0, limit);
  return { logs, coverage, rows };
}

// ---- eas devices -----------------------------------------------------------------------------

/** Pa of the latest Provision acknowledgement → Export-ActiveSyncLog's compliance names */
export const complianceNames = ['Unknown', 'Compliant', 'Partially Compliant', 'Not Compliant'] as const;
export type Compliance = (typeof complianceNames)[number];

export function compliance(policyAck: number | null): Compliance {
  return policyAck === 1 || policyAck === 2 || policyAck === 3 ? complianceNames[policyAck] : 'Unknown';
}

export interface EasDeviceRow {
  user: string;
  deviceId: string;
  deviceType: string;
  model: string;
  os: string;
  userAgent: string;
  protocol: string;
  firstSeen: string;
  lastSeen: string;
  hits: number;
  /** from the latest policy acknowledgement (Pa) */
  policy: Compliance;
  logs: EasLogsSeen;
}

export async function easDevicesReport(store: Store, q: EasQuery): Promise<EasReport<EasDeviceRow>> {
  const [{ logs, coverage }, devices] = await Promise.all([seenOf(store, q), eas.devices(store, q)]);
  const rows = devices.map((d) => ({
    user: d.user,
    deviceId: d.deviceId,
    deviceType: d.deviceType,
    model: d.model,
    os: d.os,
    userAgent: d.userAgent,
    protocol: d.protocol,
    firstSeen: d.firstSeen,
    lastSeen: d.lastSeen,
    hits: d.hits,
    policy: compliance(d.policyAck),
    logs,
  }));
  rows.sort(byDevice);
  return { logs, coverage, rows };
}

// ---- eas commands ----------------------------------------------------------------------------

export interface EasCommandsRow {
  user: string;
  deviceId: string;
  deviceType: string;
  userAgent: string;
  hits: number;
  /** requests per Cmd= */
  commands: Counts;
  /** Error: values of the device's Log= lines */
  errors: Counts;
  /** requests answered with HTTP 400 and above, per status */
  httpErrors: Counts;
  /** time-taken of the requests, ms (a Ping's is its parked time) */
  avgTimeTaken: number | null;
  maxTimeTaken: number | null;
  logs: EasLogsSeen;
}

export async function easCommandsReport(store: Store, q: EasQuery): Promise<EasReport<EasCommandsRow>> {
  const [{ logs, coverage }, devices, commands, errors, http] = await Promise.all([
    seenOf(store, q),
    eas.devices(store, q),
    countsByDevice(store, q, 'command'),
    countsByDevice(store, q, 'error'),
    countsByDevice(store, q, 'httpStatus'),
  ]);
  const rows = devices
    .filter((d) => d.hits > 0)
    .map((d) => {
      const k = deviceKey(d.user, d.deviceId);
      const httpErrors = Object.fromEntries(Object.entries(http.get(k) ?? {}).filter(([status]) => Number(status) >= 400));
      return {
        user: d.user,
        deviceId: d.deviceId,
        deviceType: d.deviceType,
        userAgent: d.userAgent,
        hits: d.hits,
        commands: sortedCounts(commands.get(k) ?? {}),
        errors: sortedCounts(errors.get(k) ?? {}),
        httpErrors,
        avgTimeTaken: d.avgTimeTaken === null ? null : round(d.avgTimeTaken, 1),
        maxTimeTaken: d.maxTimeTaken,
        logs,
      };
    });
  rows.sort(byDevice);
  return { logs, coverage, rows };
}

// ---- eas runaway -----------------------------------------------------------------------------

export interface EasRunawayRow {
  user: string;
  deviceId: string;
  deviceType: string;
  userAgent: string;
  per: 'hour' | 'day';
  minHits: number;
  /** how many hours (days) reached minHits, and the busiest one */
  periods: number;
  peakPeriod: string;
  peakHits: number;
  /** requests in all those periods */
  hits: number;
  firstPeriod: string;
  lastPeriod: string;
  /** within those periods: requests per command and per HTTP status, Error: values */
  commands: Counts;
  httpStatus: Counts;
  errors: Counts;
  logs: EasLogsSeen;
}

export async function easRunawayReport(store: Store, q: EasQuery, minHits: number, per: 'hour' | 'day'): Promise<EasReport<EasRunawayRow>> {
  const [{ logs, coverage }, devices] = await Promise.all([seenOf(store, q), eas.runaway(store, q, minHits, per)]);
  const rows = devices.map((d: EasRunawayDevice) => {
    const peak = d.periods.reduce((a, b) => (b.hits > a.hits ? b : a));
    return {
      user: d.user,
      deviceId: d.deviceId,
      deviceType: d.deviceType,
      userAgent: d.userAgent,
      per,
      minHits,
      periods: d.periods.length,
      peakPeriod: peak.period,
      peakHits: peak.hits,
      hits: d.periods.reduce((a, p) => a + p.hits, 0),
      firstPeriod: d.periods[0]!.period,
      lastPeriod: d.periods[d.periods.length - 1]!.period,
      commands: sortedCounts(d.commands),
      httpStatus: d.httpStatus,
      errors: sortedCounts(d.errors),
      logs,
    };
  });
  rows.sort((a, b) => b.peakHits - a.peakHits || byDevice(a, b));
  return { logs, coverage, rows };
}

// ---- eas hourly ------------------------------------------------------------------------------

export interface EasHourlyRow extends EasHourRow {
  logs: EasLogsSeen;
}

export async function easHourlyReport(store: Store, q: EasQuery): Promise<EasReport<EasHourlyRow>> {
  const [{ logs, coverage }, hours] = await Promise.all([seenOf(store, q), eas.hourly(store, q)]);
  return { logs, coverage, rows: hours.map((h) => ({ ...h, logs })) };
}

// ---- eas export: Export-ActiveSyncLog's six files ---------------------------------------------

/** one CSV file of the export: the cmdlet's file name and headers, rows keyed by header */
export interface ExportFile {
  name: string;
  header: readonly string[];
  rows: Record<string, string | number>[];
}

export const exportFileNames = ['Users.csv', 'Servers.csv', 'Hourly.csv', 'StatusCodes.csv', 'PolicyCompliance.csv', 'UserAgents.csv'] as const;

/** the cmdlet's Users.csv headers, and what mxray puts under each (the cmdlet's meaning; see the
 *  top: "Sent" there is from the server to the device) */
export const exportColumnSources: Readonly<Record<string, string>> = {
  'User Name': 'user (cs-username URL-decoded, else User=; lower-cased)',
  'Device ID': 'deviceId',
  'Device Type': 'deviceType',
  'Items Sent': 'itemsReceived: Srv: adds + changes, to the device',
  'Items Received': 'itemsSent: Cli: adds + changes, from the device',
  Hits: 'hits (each request once)',
  'Total Bytes Sent': 'bytesReceived: sc-bytes, to the device',
  'Total Bytes Received': 'bytesSent: cs-bytes, from the device',
  'Total Emails Sent': 'Srv: adds + changes of Em collections, to the device',
  'Total Emails Received': 'emailsSent: SendMail + SmartReply + SmartForward with HTTP 200, from the device',
  'Total Calendar Sent': 'Srv: adds + changes of Ca collections, to the device',
  'Total Calendar Received': 'Cli: adds + changes of Ca collections, from the device',
  'Total Contacts Sent': 'Srv: adds + changes of Co collections, to the device',
  'Total Contacts Received': 'Cli: adds + changes of Co collections, from the device',
  'Total Tasks Sent': 'Srv: adds + changes of Ta collections, to the device',
  'Total Tasks Received': 'Cli: adds + changes of Ta collections, from the device',
  'Total Notes Sent': 'Srv: adds + changes of Nt collections, to the device',
  'Total Notes Received': 'Cli: adds + changes of Nt collections, from the device',
  'Total OOF Messages Set by Client': 'Settings with Oof:Set',
  'Total OOF Messages Retrieved from Server': 'Settings with Oof:Get',
  'Total Searches requested': 'Search requests',
  'Total SharePoint Access': 'sum of Ssp',
  'Total UNC Access': 'sum of Unc',
  'Total Attachment Downloads': 'sum of Att',
  'Total Attachment Size': 'sum of Attb (bytes)',
  'Currently Compliant with Policy': 'the latest Pa: 1 Compliant, 2 Partially Compliant, 3 Not Compliant, none Unknown',
};

const usersHeader = Object.keys(exportColumnSources);
const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
/** collection types of the per-type columns, in the cmdlet's column order */
const typeColumns = [
  ['Em', 'Emails'],
  ['Ca', 'Calendar'],
  ['Co', 'Contacts'],
  ['Ta', 'Tasks'],
  ['Nt', 'Notes'],
] as const;

/** ratios: real fractions, 6 decimals (the cmdlet's StatusCodes ratio was an integer division) */
const ratio = (part: number, whole: number) => (whole > 0 ? round(part / whole, 6) : 0);

export async function easExport(store: Store, q: EasQuery): Promise<{ logs: EasLogsSeen; coverage: EasCoverageRow[]; files: ExportFile[] }> {
  const [{ logs, coverage }, devices, types, servers, week, statuses, agents] = await Promise.all([
    seenOf(store, q),
    eas.devices(store, q),
    eas.folderTypeItems(store, q),
    eas.servers(store, q),
    eas.weekHours(store, q),
    eas.statusCodes(store, q),
    eas.userAgents(store, q),
  ]);

  // Users.csv
  const perType = new Map<string, Map<string, { sent: number; received: number }>>();
  for (const t of types) {
    const k = deviceKey(t.user, t.deviceId);
    let m = perType.get(k);
    if (!m) perType.set(k, (m = new Map()));
    m.set(t.folderType, { sent: Number(t.itemsSent), received: Number(t.itemsReceived) });
  }
  const sorted = [...devices].sort(byDevice);
  const users = sorted.map((d: EasDeviceTotals) => {
    const t = perType.get(deviceKey(d.user, d.deviceId));
    const row: Record<string, string | number> = {
      'User Name': d.user,
      'Device ID': d.deviceId,
      'Device Type': d.deviceType,
      'Items Sent': d.itemsReceived,
      'Items Received': d.itemsSent,
      Hits: d.hits,
      'Total Bytes Sent': d.bytesReceived,
      'Total Bytes Received': d.bytesSent,
    };
    for (const [type, name] of typeColumns) {
      const c = t?.get(type);
      row[`Total ${name} Sent`] = c?.received ?? 0;
      row[`Total ${name} Received`] = type === 'Em' ? d.emailsSent : (c?.sent ?? 0);
    }
    Object.assign(row, {
      'Total OOF Messages Set by Client': d.oofSet,
      'Total OOF Messages Retrieved from Server': d.oofGet,
      'Total Searches requested': d.searches,
      'Total SharePoint Access': d.sharePointDocs,
      'Total UNC Access': d.uncFiles,
      'Total Attachment Downloads': d.attachments,
      'Total Attachment Size': d.attachmentBytes,
      'Currently Compliant with Policy': compliance(d.policyAck),
    });
    return row;
  });
  // the cmdlet's total row, with every numeric column summed (it summed only five)
  const total: Record<string, string | number> = { 'User Name': '*** Total ***', 'Device ID': '', 'Device Type': '' };
  for (const h of usersHeader.slice(3, -1)) total[h] = users.reduce((a, r) => a + Number(r[h]), 0);
  total['Currently Compliant with Policy'] = '';
  users.push(total);

  // Servers.csv: one row per server, address and host name: s-computername, else s-ip; cs-host;
  // s-ip (rows of an earlier mxray have none: their server column is it when no s-computername)
  const serverRows = [...servers]
    .sort((a, b) => ordinal(a.server.toLowerCase(), b.server.toLowerCase()) || ordinal(a.ip, b.ip) || ordinal(a.host, b.host))
    .map((sv) => ({
      Server: sv.server !== '' ? sv.server : sv.ip,
      Host: sv.host,
      'IP Address': sv.ip !== '' ? sv.ip : isIP(sv.server) ? sv.server : '',
      'Average Unique Devices': sv.days > 0 ? round(sv.deviceDays / sv.days, 2) : 0,
      Hits: sv.hits,
      'Total Bytes Sent': sv.bytesToDevices,
      'Total Bytes Received': sv.bytesFromDevices,
    }));

  // Hourly.csv: 7 × 24 rows, Sunday first, UTC (the cmdlet's table by day of the week and hour)
  const cells = new Map(week.map((w) => [w.weekday * 24 + w.hour, w]));
  const hourly: Record<string, string | number>[] = [];
  for (let d = 0; d < 7; d++) {
    for (let h = 0; h < 24; h++) {
      const c = cells.get(d * 24 + h);
      hourly.push({ Day: weekdays[d]!, Hour: h, 'Unique Devices': c?.devices ?? 0, 'Sync Related Requests': c?.syncRequests ?? 0 });
    }
  }

  // StatusCodes.csv
  const allHits = statuses.reduce((a, r) => a + Number(r.hits), 0);
  const statusRows = statuses.map((r) => ({ Status: r.status ?? '', SubStatus: r.substatus ?? '', Hits: r.hits, Ratio: ratio(r.hits, allHits) }));

  // PolicyCompliance.csv: devices by their latest policy acknowledgement
  const perCompliance = new Map<Compliance, number>(complianceNames.map((c) => [c, 0]));
  for (const d of devices) perCompliance.set(compliance(d.policyAck), perCompliance.get(compliance(d.policyAck))! + 1);
  const policyRows = complianceNames.map((c) => ({ 'Compliance Type': c, Total: perCompliance.get(c)!, Ratio: ratio(perCompliance.get(c)!, devices.length) }));

  // UserAgents.csv
  const agentRows = [...agents]
    .sort((a, b) => ordinal(a.userAgent, b.userAgent))
    .map((a) => ({ 'User Agent': a.userAgent, Hits: a.hits, 'Unique Devices': a.devices }));

  const file = (name: (typeof exportFileNames)[number], header: readonly string[], rows: Record<string, string | number>[]): ExportFile => ({
    name,
    header,
    rows,
  });
  return {
    logs,
    coverage,
    files: [
      file('Users.csv', usersHeader, users),
      file('Servers.csv', ['Server', 'Host', 'IP Address', 'Average Unique Devices', 'Hits', 'Total Bytes Sent', 'Total Bytes Received'], serverRows),
      file('Hourly.csv', ['Day', 'Hour', 'Unique Devices', 'Sync Related Requests'], hourly),
      file('StatusCodes.csv', ['Status', 'SubStatus', 'Hits', 'Ratio'], statusRows),
      file('PolicyCompliance.csv', ['Compliance Type', 'Total', 'Ratio'], policyRows),
      file('UserAgents.csv', ['User Agent', 'Hits', 'Unique Devices'], agentRows),
    ],
  };
}
