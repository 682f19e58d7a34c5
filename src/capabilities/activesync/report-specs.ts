// The ActiveSync reports as specs (see ../report.ts): their parameters, and how each is written as
// a table (a header line naming the logs counted, then the rows), CSV (the rows only) or JSON (the
// typed rows). The counting is in reports.ts; `eas export`, which writes files, is a command of the
// CLI (cli/eas.ts) that reads its parameters and its file format from here.
import { renderCsv, renderRows, type ColumnSpec, type OutputFormat } from '../../render/render.js';
import type { EasCoverageRow, EasLogsSeen, EasQuery } from './types.js';
import { coverage as coverageRows, logsSeen } from './queries.js';
import { outputParams, rangeOf, rangeOrder, rangeParams } from '../params.js';
import { defineParams, defineReport, param } from '../report.js';
import {
  easCommandsReport,
  easDevicesReport,
  easHourlyReport,
  easRunawayReport,
  easUsersReport,
  exportColumnSources,
  coverageLine,
  logsLine,
  sortedCounts,
  topText,
  userSortKeys,
  type EasCommandsRow,
  type EasDeviceRow,
  type EasHourlyRow,
  type EasReport,
  type EasRunawayRow,
  type EasUserRow,
  type ExportFile,
} from './reports.js';

// ---- parameters every ActiveSync report takes ---------------------------------------------------

const filterParams = [
  param.text('user', '--user <name>', 'only this user: DOMAIN\\name, name@domain or the bare name, any case', { expects: 'a user name' }),
  param.text('device', '--device <id>', 'only this DeviceId, any case', { expects: 'a DeviceId' }),
] as const;

/** --from/--to, --format/--json, --user/--device, in the order --help lists them */
const easParams = [...rangeParams, ...outputParams, ...filterParams] as const;

export function easQuery(v: { from: string | undefined; to: string | undefined; user: string | undefined; device: string | undefined }): EasQuery {
  return { ...rangeOf(v), ...(v.user !== undefined ? { user: v.user } : {}), ...(v.device !== undefined ? { device: v.device } : {}) };
}

/** a report as text (header line + table), CSV (the rows only) or JSON (the typed rows) */
function render<R, D>(r: EasReport<R>, format: OutputFormat, display: (row: R) => D, cols: readonly ColumnSpec<D>[]): string {
  if (format === 'json') return JSON.stringify(r.rows, null, 2) + '\n';
  const rows = r.rows.map(display);
  if (format === 'csv') return renderCsv(rows, cols);
  return `${headerOf(r)}\n${renderRows(rows, cols, 'table')}`;
}

/** the header of a text report: the logs seen, which lines were counted, what the logs cover */
function headerOf(r: { logs: EasLogsSeen; coverage: EasCoverageRow[] }): string {
  return `${logsLine(r.logs)}${coverageLine(r.coverage)}`;
}

/** every count of a map in one CSV cell, largest first: `Sync=9962;FolderSync=4` */
const allCounts = (c: Record<string, number>) =>
  Object.entries(sortedCounts(c))
    .map(([k, n]) => `${k}=${n}`)
    .join(';');

// ---- eas users -------------------------------------------------------------------------------

type UserDisplay = Omit<EasUserRow, 'commands' | 'httpStatus' | 'logs'> & { commands: string; httpStatus: string };
const userColumns: ColumnSpec<UserDisplay>[] = [
  { key: 'user', title: 'user', kind: 'text' },
  { key: 'deviceId', title: 'device id', kind: 'text' },
  { key: 'deviceType', title: 'type', kind: 'text' },
  { key: 'hits', title: 'hits', kind: 'int' },
  { key: 'bytesSent', title: 'bytes sent (from device)', kind: 'bytes' },
  { key: 'bytesReceived', title: 'bytes received (to device)', kind: 'bytes' },
  { key: 'emailsSent', title: 'mails sent (from device)', kind: 'int' },
  { key: 'itemsSent', title: 'items from device', kind: 'int' },
  { key: 'itemsReceived', title: 'items to device', kind: 'int' },
  { key: 'commands', title: 'top commands', kind: 'text' },
];
const userCsvColumns: ColumnSpec<UserDisplay>[] = [
  ...userColumns.slice(0, -1),
  { key: 'commands', title: 'commands', kind: 'text' },
  { key: 'httpStatus', title: 'HTTP statuses', kind: 'text' },
  { key: 'userAgent', title: 'user agent', kind: 'text' },
  { key: 'firstSeen', title: 'first seen', kind: 'text' },
  { key: 'lastSeen', title: 'last seen', kind: 'text' },
];

function renderUsers(r: EasReport<EasUserRow>, format: OutputFormat): string {
  const display =
    (all: boolean) =>
    ({ commands, httpStatus, logs: _, ...rest }: EasUserRow): UserDisplay => ({
      ...rest,
      commands: all ? allCounts(commands) : topText(commands),
      httpStatus: allCounts(httpStatus),
    });
  return format === 'csv' ? render(r, format, display(true), userCsvColumns) : render(r, format, display(false), userColumns);
}

export const easUsers = defineReport({
  id: 'eas.users',
  command: ['eas', 'users'],
  description: 'per user + device: hits, bytes, commands, mails sent, items (Users.csv done right)',
  params: [...easParams, param.choice('sort', '--sort <key>', 'order by', userSortKeys, 'user'), param.int('limit', '--limit <n>', 'only the first n rows')],
  checks: [rangeOrder],
  run: (store, p) => easUsersReport(store, easQuery(p), p.sort, p.limit),
  render: (r, format) => renderUsers(r, format),
  // the header, on stderr beside --json (cli/reports.ts)
  note: (r) => headerOf(r),
});

// ---- eas devices -----------------------------------------------------------------------------

type DeviceDisplay = Omit<EasDeviceRow, 'logs'>;
const deviceColumns: ColumnSpec<DeviceDisplay>[] = [
  { key: 'user', title: 'user', kind: 'text' },
  { key: 'deviceId', title: 'device id', kind: 'text' },
  { key: 'deviceType', title: 'type', kind: 'text' },
  { key: 'model', title: 'model', kind: 'text' },
  { key: 'os', title: 'OS', kind: 'text' },
  { key: 'userAgent', title: 'user agent', kind: 'text' },
  { key: 'protocol', title: 'EAS', kind: 'text' },
  { key: 'firstSeen', title: 'first seen (UTC)', kind: 'text' },
  { key: 'lastSeen', title: 'last seen (UTC)', kind: 'text' },
  { key: 'hits', title: 'hits', kind: 'int' },
  { key: 'policy', title: 'policy', kind: 'text' },
];

export const easDevices = defineReport({
  id: 'eas.devices',
  command: ['eas', 'devices'],
  description: 'device inventory: type, model, OS, user agent, protocol, first and last seen, policy',
  params: easParams,
  checks: [rangeOrder],
  run: (store, p) => easDevicesReport(store, easQuery(p)),
  render: (r, format) => render(r, format, ({ logs: _, ...d }) => d, deviceColumns),
  // the header, on stderr beside --json (cli/reports.ts)
  note: (r) => headerOf(r),
  columns: deviceColumns,
});

// ---- eas commands: one column per command, Error: value and HTTP error status ------------------

type Flat = Record<string, string | number | null>;

function renderCommands(r: EasReport<EasCommandsRow>, format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(r.rows, null, 2) + '\n';
  // columns in the order of their totals over the report
  const totals = (pick: (row: EasCommandsRow) => Record<string, number>) => {
    const t: Record<string, number> = {};
    for (const row of r.rows) for (const [k, v] of Object.entries(pick(row))) t[k] = (t[k] ?? 0) + v;
    return Object.keys(sortedCounts(t));
  };
  const commands = totals((row) => row.commands);
  const errors = totals((row) => row.errors);
  const http = totals((row) => row.httpErrors).sort((a, b) => Number(a) - Number(b));
  const cols: ColumnSpec<Flat>[] = [
    { key: 'user', title: 'user', kind: 'text' },
    { key: 'deviceId', title: 'device id', kind: 'text' },
    { key: 'deviceType', title: 'type', kind: 'text' },
    { key: 'hits', title: 'hits', kind: 'int' },
    ...commands.map((c): ColumnSpec<Flat> => ({ key: c, title: c, kind: 'int' })),
    ...errors.map((e): ColumnSpec<Flat> => ({ key: `Error:${e}`, title: `Error:${e}`, kind: 'int' })),
    ...http.map((h): ColumnSpec<Flat> => ({ key: `HTTP ${h}`, title: `HTTP ${h}`, kind: 'int' })),
    { key: 'avgTimeTaken', title: 'avg ms', kind: 'int' },
    { key: 'maxTimeTaken', title: 'max ms', kind: 'int' },
  ];
  if (format === 'csv') cols.splice(3, 0, { key: 'userAgent', title: 'user agent', kind: 'text' });
  const display = (row: EasCommandsRow): Flat => {
    const f: Flat = {
      user: row.user,
      deviceId: row.deviceId,
      deviceType: row.deviceType,
      userAgent: row.userAgent,
      hits: row.hits,
      avgTimeTaken: row.avgTimeTaken === null ? null : Math.round(row.avgTimeTaken),
      maxTimeTaken: row.maxTimeTaken,
    };
    for (const c of commands) f[c] = row.commands[c] ?? 0;
    for (const e of errors) f[`Error:${e}`] = row.errors[e] ?? 0;
    for (const h of http) f[`HTTP ${h}`] = row.httpErrors[h] ?? 0;
    return f;
  };
  return render(r, format, display, cols);
}

export const easCommands = defineReport({
  id: 'eas.commands',
  command: ['eas', 'commands'],
  description: 'per user + device: requests per command, Error: values and HTTP 4xx/5xx (like ActiveSyncReport.ps1)',
  params: easParams,
  checks: [rangeOrder],
  run: (store, p) => easCommandsReport(store, easQuery(p)),
  render: (r, format) => renderCommands(r, format),
  // the header, on stderr beside --json (cli/reports.ts)
  note: (r) => headerOf(r),
});

// ---- eas runaway -----------------------------------------------------------------------------

type RunawayDisplay = Omit<EasRunawayRow, 'commands' | 'httpStatus' | 'errors' | 'logs'> & {
  commands: string;
  httpStatus: string;
  errors: string;
  why: string;
};

function runawayColumns(per: 'hour' | 'day', minHits: number, format: OutputFormat): ColumnSpec<RunawayDisplay>[] {
  const cols: ColumnSpec<RunawayDisplay>[] = [
    { key: 'user', title: 'user', kind: 'text' },
    { key: 'deviceId', title: 'device id', kind: 'text' },
    { key: 'deviceType', title: 'type', kind: 'text' },
    { key: 'periods', title: `${per}s ≥ ${minHits.toLocaleString('en-US')} hits`, kind: 'int' },
    { key: 'peakPeriod', title: `peak ${per} (UTC)`, kind: 'text' },
    { key: 'peakHits', title: 'peak hits', kind: 'int' },
    { key: 'hits', title: `hits in those ${per}s`, kind: 'int' },
  ];
  if (format === 'csv') {
    return [
      ...cols,
      ...(['userAgent', 'firstPeriod', 'lastPeriod', 'commands', 'httpStatus', 'errors'] as const).map(
        (key): ColumnSpec<RunawayDisplay> => ({ key, title: key, kind: 'text' }),
      ),
    ];
  }
  return [...cols, { key: 'why', title: 'top commands; errors', kind: 'text' }];
}

function renderRunaway(r: EasReport<EasRunawayRow>, format: OutputFormat, per: 'hour' | 'day', minHits: number): string {
  const display = ({ commands, httpStatus, errors, logs: _, ...rest }: EasRunawayRow): RunawayDisplay => {
    const failures: Record<string, number> = { ...errors };
    for (const [status, n] of Object.entries(httpStatus)) if (Number(status) >= 400) failures[`HTTP ${status}`] = n;
    const why = [topText(commands), topText(failures)].filter((s) => s !== '').join('; ');
    return { ...rest, commands: allCounts(commands), httpStatus: allCounts(httpStatus), errors: allCounts(errors), why };
  };
  const text = render(r, format, display, runawayColumns(per, minHits, format));
  if (format === 'table' && r.rows.length === 0) return `${text}no device reached ${minHits.toLocaleString('en-US')} requests in one ${per}\n`;
  return text;
}

export const easRunaway = defineReport({
  id: 'eas.runaway',
  command: ['eas', 'runaway'],
  description: 'devices stuck in a loop: at least --min-hits requests in one hour (or day), with what they sent and the errors they got',
  params: [
    ...easParams,
    param.int('minHits', '--min-hits <n>', 'requests in one period that make a device runaway', { default: 1000 }),
    param.choice('per', '--per <period>', 'period', ['hour', 'day'] as const, 'hour'),
  ],
  checks: [rangeOrder],
  run: (store, p) => easRunawayReport(store, easQuery(p), p.minHits, p.per),
  render: (r, format, p) => renderRunaway(r, format, p.per, p.minHits),
  // the header, on stderr beside --json (cli/reports.ts)
  note: (r) => headerOf(r),
});

// ---- eas hourly ------------------------------------------------------------------------------

type HourDisplay = Omit<EasHourlyRow, 'logs'>;
const hourColumns: ColumnSpec<HourDisplay>[] = [
  { key: 'period', title: 'hour (UTC)', kind: 'text' },
  { key: 'hits', title: 'hits', kind: 'int' },
  { key: 'devices', title: 'devices', kind: 'int' },
  { key: 'syncRequests', title: 'Sync + GetItemEstimate', kind: 'int' },
];

export const easHourly = defineReport({
  id: 'eas.hourly',
  command: ['eas', 'hourly'],
  description: 'requests, devices and sync requests per UTC hour',
  params: easParams,
  checks: [rangeOrder],
  run: (store, p) => easHourlyReport(store, easQuery(p)),
  render: (r, format) => render(r, format, ({ logs: _, ...h }) => h, hourColumns),
  // the header, on stderr beside --json (cli/reports.ts)
  note: (r) => headerOf(r),
  columns: hourColumns,
});

// ---- eas coverage ----------------------------------------------------------------------------

const coverageColumns: ColumnSpec<EasCoverageRow>[] = [
  { key: 'day', title: 'day (UTC)', kind: 'text' },
  { key: 'frontEnd', title: 'front end', kind: 'text' },
  { key: 'frontEndLines', title: 'front-end lines', kind: 'int' },
  { key: 'backEndLines', title: 'back-end lines', kind: 'int' },
  { key: 'backEndCounted', title: 'back-end lines counted', kind: 'int' },
  { key: 'countedFrom', title: 'requests counted from', kind: 'text' },
  { key: 'addresses', title: 'addresses', kind: 'text' },
];

export const easCoverage = defineReport({
  id: 'eas.coverage',
  command: ['eas', 'coverage'],
  description: "which front ends' and back ends' logs were collected per UTC day, and from which lines the requests are counted",
  params: [...rangeParams, ...outputParams],
  checks: [rangeOrder],
  run: async (store, p): Promise<EasReport<EasCoverageRow>> => {
    const range = rangeOf(p);
    const [logs, rows] = await Promise.all([logsSeen(store, range), coverageRows(store, range)]);
    return { logs, coverage: rows, rows };
  },
  render: (r, format) => render(r, format, (row) => row, coverageColumns),
  // the header, on stderr beside --json (cli/reports.ts)
  note: (r) => headerOf(r),
  columns: coverageColumns,
});

/** the store reports, in the order `mxray eas --help` lists them */
export const activesyncReports = [easUsers, easDevices, easCommands, easRunaway, easHourly, easCoverage];

// ---- eas export: Export-ActiveSyncLog's six files (written by the CLI) ---------------------------

/** the parameters of `eas export`: the reports' own, and the folder the files go to */
export const exportParams = defineParams({
  params: [
    ...easParams,
    // the folder as typed: a path is not trimmed, and one that cannot be written is the error
    param.custom('out', '--out <dir>', 'folder for the six files (created if missing; the six files are replaced)', 'text', (v) => v as string, {
      required: true,
    }),
  ],
  checks: [rangeOrder],
});

/** the cmdlet's CSV: UTF-8 with a byte order mark, CRLF, quoted only where needed */
export function exportCsv(f: ExportFile): string {
  return (
    '\ufeff' +
    renderCsv(
      f.rows,
      f.header.map((h): ColumnSpec<Record<string, string | number>> => ({ key: h, title: h, kind: 'text' })),
    )
  );
}

/** what the six files hold, column by column (`mxray eas export --help`) */
export const exportNotes = `
Writes Export-ActiveSyncLog's six files with its exact names and headers, from every ingested
server and file at once. Unlike the cmdlet, each request counts once (front end and back end
log it twice on 2013+), ratios are real fractions, and Average Unique Devices is not truncated.
The headers keep the cmdlet's meaning, which is the server's point of view: in these files
"Sent" is from the server to the device. In Users.csv:
${Object.entries(exportColumnSources)
  .map(([h, s]) => `  ${h.padEnd(41)} ${s}`)
  .join('\n')}
Servers.csv: "Total Bytes Sent" = sc-bytes (to the devices), "Total Bytes Received" = cs-bytes.
Hourly.csv: Day is the UTC day of the week (Sunday…Saturday), 7 × 24 rows.
Servers.csv: one row per server, address and host name: Server is s-computername, else s-ip;
Host is cs-host (empty when the log has none); IP Address is s-ip.`;
