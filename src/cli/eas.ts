// mxray eas decode | users | devices | commands | runaway | hourly | export
import { Option, type Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeJson, describeText } from '../capabilities/activesync/describe.js';
import {
  easCommandsReport, easDevicesReport, easExport, easHourlyReport, easRunawayReport, easUsersReport, exportColumnSources,
  logsLine, sortedCounts, topText, userSortKeys,
  type EasCommandsRow, type EasDeviceRow, type EasHourlyRow, type EasReport, type EasRunawayRow, type EasUserRow, type ExportFile, type UserSortKey,
} from '../reports/activesync.js';
import { renderCsv, renderRows, type ColumnSpec, type OutputFormat } from '../render/render.js';
import type { EasQuery } from '../capabilities/activesync/types.js';
import { outputFormat, positiveInt, rangeOf, reportOptions, UsageError, withStore, write, type ReportOpts } from './common.js';

interface EasOpts extends ReportOpts { user?: string; device?: string }

function easOptions(cmd: Command): Command {
  return reportOptions(cmd)
    .option('--user <name>', 'only this user: DOMAIN\\name, name@domain or the bare name, any case')
    .option('--device <id>', 'only this DeviceId, any case');
}

function queryOf(o: EasOpts): EasQuery {
  const q: { from?: string; to?: string; user?: string; device?: string } = { ...rangeOf(o) };
  if (o.user !== undefined) {
    if (o.user.trim() === '') throw new UsageError('--user: expected a user name, got an empty value');
    q.user = o.user.trim();
  }
  if (o.device !== undefined) {
    if (o.device.trim() === '') throw new UsageError('--device: expected a DeviceId, got an empty value');
    q.device = o.device.trim();
  }
  return q;
}

/** a report as text (header line + table), CSV (the rows only) or JSON (the typed rows) */
function render<R, D>(r: EasReport<R>, format: OutputFormat, display: (row: R) => D, cols: readonly ColumnSpec<D>[]): string {
  if (format === 'json') return JSON.stringify(r.rows, null, 2) + '\n';
  const rows = r.rows.map(display);
  if (format === 'csv') return renderCsv(rows, cols);
  return `${logsLine(r.logs)}\n${renderRows(rows, cols, 'table')}`;
}

/** every count of a map in one CSV cell, largest first: `Sync=9962;FolderSync=4` */
const allCounts = (c: Record<string, number>) => Object.entries(sortedCounts(c)).map(([k, n]) => `${k}=${n}`).join(';');

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
  const display = (all: boolean) => ({ commands, httpStatus, logs: _, ...rest }: EasUserRow): UserDisplay =>
    ({ ...rest, commands: all ? allCounts(commands) : topText(commands), httpStatus: allCounts(httpStatus) });
  return format === 'csv' ? render(r, format, display(true), userCsvColumns) : render(r, format, display(false), userColumns);
}

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
    const f: Flat = { user: row.user, deviceId: row.deviceId, deviceType: row.deviceType, userAgent: row.userAgent, hits: row.hits,
      avgTimeTaken: row.avgTimeTaken === null ? null : Math.round(row.avgTimeTaken), maxTimeTaken: row.maxTimeTaken };
    for (const c of commands) f[c] = row.commands[c] ?? 0;
    for (const e of errors) f[`Error:${e}`] = row.errors[e] ?? 0;
    for (const h of http) f[`HTTP ${h}`] = row.httpErrors[h] ?? 0;
    return f;
  };
  return render(r, format, display, cols);
}

// ---- eas runaway -----------------------------------------------------------------------------

type RunawayDisplay = Omit<EasRunawayRow, 'commands' | 'httpStatus' | 'errors' | 'logs'> & { commands: string; httpStatus: string; errors: string; why: string };

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
    return [...cols, ...(['userAgent', 'firstPeriod', 'lastPeriod', 'commands', 'httpStatus', 'errors'] as const)
      .map((key): ColumnSpec<RunawayDisplay> => ({ key, title: key, kind: 'text' }))];
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

// ---- eas hourly ------------------------------------------------------------------------------

type HourDisplay = Omit<EasHourlyRow, 'logs'>;
const hourColumns: ColumnSpec<HourDisplay>[] = [
  { key: 'period', title: 'hour (UTC)', kind: 'text' },
  { key: 'hits', title: 'hits', kind: 'int' },
  { key: 'devices', title: 'devices', kind: 'int' },
  { key: 'syncRequests', title: 'Sync + GetItemEstimate', kind: 'int' },
];

// ---- eas export ------------------------------------------------------------------------------

/** the cmdlet's CSV: UTF-8 with a byte order mark, CRLF, quoted only where needed */
export function exportCsv(f: ExportFile): string {
  return '\ufeff' + renderCsv(f.rows, f.header.map((h): ColumnSpec<Record<string, string | number>> => ({ key: h, title: h, kind: 'text' })));
}

const exportHelp = `
Writes Export-ActiveSyncLog's six files with its exact names and headers, from every ingested
server and file at once. Unlike the cmdlet, each request counts once (front end and back end
log it twice on 2013+), ratios are real fractions, and Average Unique Devices is not truncated.
The headers keep the cmdlet's meaning, which is the server's point of view: in these files
"Sent" is from the server to the device. In Users.csv:
${Object.entries(exportColumnSources).map(([h, s]) => `  ${h.padEnd(41)} ${s}`).join('\n')}
Servers.csv: "Total Bytes Sent" = sc-bytes (to the devices), "Total Bytes Received" = cs-bytes.
Hourly.csv: Day is the UTC day of the week (Sunday…Saturday), 7 × 24 rows.
Servers.csv: Server is s-computername, or IP Address the s-ip when the log has no s-computername;
Host (cs-host) is not kept by mxray and stays empty.`;

export function registerEas(program: Command): void {
  const e = program.command('eas').description('Exchange ActiveSync: decode Log= strings, per-device reports, runaway devices, Export-ActiveSyncLog files');

  e.command('decode')
    .description('translate an ActiveSync Log= value (or a whole cs-uri-query with Log=) element by element')
    .argument('<log>', "the Log= value, e.g. 'V120_Ty:Em_Fid:37_Fc1_Filt2_St:S_Sk:1805_Srv:1a0c0d0s0e0r_Pk2260121383_S1_'")
    .option('--json', 'an array of {key, value, name, meaning}')
    .action((log: string, o: { json?: boolean }) => {
      // a whole query string: take its Log= value (still URL-escaped, as the decoder wants it)
      const m = /(?:^|&)Log=([^&]*)/.exec(log);
      const value = m ? m[1]! : log;
      write(o.json ? JSON.stringify(describeJson(value), null, 2) + '\n' : describeText(value));
    });

  easOptions(e.command('users').description('per user + device: hits, bytes, commands, mails sent, items (Users.csv done right)'))
    .addOption(new Option('--sort <key>', 'order by').choices([...userSortKeys]).default('user'))
    .option('--limit <n>', 'only the first n rows', positiveInt('--limit'))
    .action(async (o: EasOpts & { sort: UserSortKey; limit?: number }) => {
      const q = queryOf(o);
      const r = await withStore(o, (s) => easUsersReport(s, q, o.sort, o.limit));
      write(renderUsers(r, outputFormat(o)));
    });

  easOptions(e.command('devices').description('device inventory: type, model, OS, user agent, protocol, first and last seen, policy'))
    .action(async (o: EasOpts) => {
      const q = queryOf(o);
      const r = await withStore(o, (s) => easDevicesReport(s, q));
      write(render(r, outputFormat(o), ({ logs: _, ...d }) => d, deviceColumns));
    });

  easOptions(e.command('commands').description('per user + device: requests per command, Error: values and HTTP 4xx/5xx (like ActiveSyncReport.ps1)'))
    .action(async (o: EasOpts) => {
      const q = queryOf(o);
      const r = await withStore(o, (s) => easCommandsReport(s, q));
      write(renderCommands(r, outputFormat(o)));
    });

  easOptions(e.command('runaway').description('devices stuck in a loop: at least --min-hits requests in one hour (or day), with what they sent and the errors they got'))
    .option('--min-hits <n>', 'requests in one period that make a device runaway', positiveInt('--min-hits'), 1000)
    .addOption(new Option('--per <period>', 'period').choices(['hour', 'day']).default('hour'))
    .action(async (o: EasOpts & { minHits: number; per: 'hour' | 'day' }) => {
      const q = queryOf(o);
      const r = await withStore(o, (s) => easRunawayReport(s, q, o.minHits, o.per));
      write(renderRunaway(r, outputFormat(o), o.per, o.minHits));
    });

  easOptions(e.command('hourly').description('requests, devices and sync requests per UTC hour'))
    .action(async (o: EasOpts) => {
      const q = queryOf(o);
      const r = await withStore(o, (s) => easHourlyReport(s, q));
      write(render(r, outputFormat(o), ({ logs: _, ...h }) => h, hourColumns));
    });

  easOptions(e.command('export').description("Export-ActiveSyncLog's six CSV files (Users, Servers, Hourly, StatusCodes, PolicyCompliance, UserAgents)"))
    .requiredOption('--out <dir>', 'folder for the six files (created if missing; the six files are replaced)')
    .addHelpText('after', exportHelp)
    .action(async (o: EasOpts & { out: string }) => {
      const q = queryOf(o);
      const format = outputFormat(o);
      if (format === 'csv') throw new UsageError('--format csv: eas export always writes CSV files; use --format table or --json for its summary');
      const r = await withStore(o, (s) => easExport(s, q));
      try {
        mkdirSync(o.out, { recursive: true });
        for (const f of r.files) writeFileSync(join(o.out, f.name), exportCsv(f));
      } catch (err) {
        throw new UsageError(`--out: cannot write to ${o.out}: ${(err as Error).message}`);
      }
      if (format === 'json') {
        write(JSON.stringify({ out: o.out, files: r.files.map((f) => ({ name: f.name, rows: f.rows.length })), logs: r.logs }, null, 2) + '\n');
        return;
      }
      const files = r.files.map((f) => `  ${join(o.out, f.name)}  ${f.rows.length.toLocaleString('en-US')} row(s)`).join('\n');
      write(`${logsLine(r.logs)}\nwrote Export-ActiveSyncLog's files:\n${files}\n` +
        'in these files "Sent" is the server\'s side (to the device), as in the cmdlet: see `mxray eas export --help`\n');
    });
}
