// The ActiveSync queries' questions and answers (queries.ts asks them of any Store; the counting
// rules are written at the top of queries.ts). Directions are the device's: "sent" = from the
// device (cs-bytes, SendMail …), "received" = to the device.
import type { TimeRange } from '../../store/types.js';

/** a time range, narrowed to one user and/or one device */
export interface EasQuery extends TimeRange {
  /** logon as logged (CONTOSO\jdoe, jdoe@contoso.com) or the bare account name (jdoe); any case */
  readonly user?: string;
  /** DeviceId, any case */
  readonly device?: string;
}

/** front-end: the front-end lines (their back-end twins ignored); back-end: the back-end lines (no
 *  front-end log); mixed: the front-end lines and the back-end lines whose front end's log is
 *  missing (activesync/coverage.ts) */
export type EasCountedLines = 'front-end' | 'back-end' | 'mixed' | 'none';

/** which EAS lines the time range holds, and which of them count as the requests */
export interface EasLogsSeen {
  /** lines logged by a front end (/Microsoft-Server-ActiveSync, /…/default.eas) */
  frontEndLines: number;
  /** lines logged by a 2013+ back end (/Microsoft-Server-ActiveSync/Proxy/…): twins of front-end lines */
  backEndLines: number;
  /** lines with a Log= value (on 2013+ only the back end writes one) */
  logLines: number;
  /** which lines are the requests (see EasCountedLines); none without EAS lines */
  counted: EasCountedLines;
}

/** one UTC day and front-end server: what was collected and how its requests were counted */
export interface EasCoverageRow {
  /** UTC day, YYYY-MM-DD */
  day: string;
  /** the front end: s-computername when logged, else its address */
  frontEnd: string;
  /** its addresses (normal form, space-separated): its s-ip, and those its back ends saw it by */
  addresses: string;
  /** its own EAS lines that day (each one a request) */
  frontEndLines: number;
  /** back-end lines of requests it proxied that day */
  backEndLines: number;
  /** of those, the ones counted: its log does not cover their time */
  backEndCounted: number;
  /** 'front end', 'back end' (its log is missing), or 'front end and back end' (its log covers part of the day) */
  countedFrom: string;
}

/** one user + device: totals over its requests in the range */
export interface EasDeviceTotals {
  user: string;
  deviceId: string;
  deviceType: string;
  /** the latest non-empty value seen */
  userAgent: string;
  /** DevModel / DevOS of the latest Settings that sent them; '' when never sent */
  model: string;
  os: string;
  /** EAS protocol version (14.1 …) of the latest request that names one */
  protocol: string;
  /** ISO UTC times of the first and last request */
  firstSeen: string;
  lastSeen: string;
  /** requests (counted lines) */
  hits: number;
  /** cs-bytes: from the device */
  bytesSent: number;
  /** sc-bytes: to the device */
  bytesReceived: number;
  /** SendMail + SmartReply + SmartForward answered with HTTP 200 */
  emailsSent: number;
  /** Search requests */
  searches: number;
  /** items the device added or changed (Cli: a + c, every collection) */
  itemsSent: number;
  /** items the server added or changed on the device (Srv: a + c, every collection and FolderSync) */
  itemsReceived: number;
  /** Settings with Oof:Set / Oof:Get */
  oofSet: number;
  oofGet: number;
  sharePointDocs: number;
  uncFiles: number;
  /** attachments downloaded (Att) and their bytes (Attb) */
  attachments: number;
  attachmentBytes: number;
  /** the latest policy acknowledgement (Pa 1 applied, 2 partially, 3 failed); null when none */
  policyAck: number | null;
  /** time-taken in ms over the counted lines; null when the layout has no time-taken */
  avgTimeTaken: number | null;
  maxTimeTaken: number | null;
}

/** what deviceCounts (queries.ts) counts per user + device: Cmd= values and HTTP statuses of the counted
 *  lines, `Error:` values of the lines with a Log */
export type EasCountKind = 'command' | 'httpStatus' | 'error';

export interface EasDeviceCount {
  user: string;
  deviceId: string;
  /** the command, the HTTP status as text, or the Error: value; '' when the line names none */
  key: string;
  count: number;
}

/** items moved per collection type (Em, Ca, Co, Ta, Nt; '' for counters outside a collection,
 *  such as FolderSync's) */
export interface EasFolderTypeItems {
  user: string;
  deviceId: string;
  folderType: string;
  /** Cli: adds + changes (from the device) */
  itemsSent: number;
  /** Srv: adds + changes (to the device) */
  itemsReceived: number;
}

export interface EasHourRow {
  /** UTC hour, YYYY-MM-DDTHH */
  period: string;
  hits: number;
  /** distinct device ids */
  devices: number;
  /** Sync and GetItemEstimate requests */
  syncRequests: number;
}

export interface EasWeekHourRow {
  /** UTC day of the week, 0 Sunday … 6 Saturday */
  weekday: number;
  hour: number;
  hits: number;
  devices: number;
  syncRequests: number;
}

export interface EasStatusRow {
  status: number | null;
  substatus: number | null;
  hits: number;
}

export interface EasUserAgentRow {
  userAgent: string;
  hits: number;
  devices: number;
}

export interface EasServerRow {
  /** s-computername, else s-ip (as the iis_requests.server column) */
  server: string;
  /** s-ip ('' when not stored: rows of an earlier mxray) */
  ip: string;
  /** cs-host ('' when not logged) */
  host: string;
  /** UTC days with requests, and the sum over those days of each day's distinct devices */
  days: number;
  deviceDays: number;
  hits: number;
  bytesFromDevices: number;
  bytesToDevices: number;
}

export interface EasRunawayDevice {
  user: string;
  deviceId: string;
  deviceType: string;
  userAgent: string;
  /** every period (UTC hour YYYY-MM-DDTHH or day YYYY-MM-DD) with at least minHits requests */
  periods: { period: string; hits: number }[];
  /** within those periods: requests per command, per HTTP status, per Error: value */
  commands: Record<string, number>;
  httpStatus: Record<string, number>;
  errors: Record<string, number>;
}
