// The message-tracking reports as specs (see ../report.ts): their parameters, columns, and the
// classes report's text with the counting rules under it. The counting is in reports.ts.
import { renderRows, type ColumnSpec, type OutputFormat } from '../../render/render.js';
import type { TrafficRow } from './types.js';
import { outputParams, rangeOf, rangeOrder, rangeParams } from '../params.js';
import { defineReport, param, type Check } from '../report.js';
import {
  classesReport,
  classifyDefaults,
  topKeys,
  topReport,
  trafficReport,
  usersReport,
  userClasses,
  type ClassesReport,
  type ClassifyOptions,
  type UserRow,
} from './reports.js';

// ---- light / medium / heavy: the parameters of users, classes and top ----------------------------

const classifyParams = [
  ...rangeParams,
  ...outputParams,
  param.number('lightMax', '--light-max <n>', 'n below this is light', { default: classifyDefaults.lightMax }),
  param.number('heavyMin', '--heavy-min <n>', 'n at or above this is heavy', { default: classifyDefaults.heavyMin }),
  param.choice(
    'mode',
    '--mode <mode>',
    'combined: n = sqrt((sent² + received²)/2) per day; sent: sent per day alone',
    ['combined', 'sent'] as const,
    classifyDefaults.mode,
  ),
  param.choice(
    'recipients',
    '--recipients <policy>',
    'a sent message counts once, or once per recipient',
    ['once', 'each'] as const,
    classifyDefaults.recipients,
  ),
] as const;

type ClassifyValues = Omit<ClassifyOptions, 'range'> & { from: string | undefined; to: string | undefined };

const lightBelowHeavy: Check<ClassifyValues> = (v) =>
  v.lightMax > v.heavyMin ? `--light-max (${v.lightMax}) must not be above --heavy-min (${v.heavyMin})` : undefined;

/** the boundaries first, then the range: the order the messages have always come in */
const classifyChecks = [lightBelowHeavy, rangeOrder] as const;

function classifyOptions(v: ClassifyValues): ClassifyOptions {
  return { range: rangeOf(v), recipients: v.recipients, lightMax: v.lightMax, heavyMin: v.heavyMin, mode: v.mode };
}

// ---- columns ---------------------------------------------------------------------------------

export const userColumns: ColumnSpec<UserRow>[] = [
  { key: 'user', title: 'user', kind: 'text' },
  { key: 'sent', title: 'sent', kind: 'int' },
  { key: 'received', title: 'received', kind: 'int' },
  { key: 'sentBytes', title: 'sent bytes', kind: 'bytes' },
  { key: 'receivedBytes', title: 'received bytes', kind: 'bytes' },
  { key: 'sentPerDay', title: 'sent/day', kind: 'float' },
  { key: 'receivedPerDay', title: 'received/day', kind: 'float' },
  { key: 'n', title: 'n', kind: 'float' },
  { key: 'class', title: 'class', kind: 'text' },
];

const trafficColumns: ColumnSpec<TrafficRow>[] = [
  { key: 'period', title: 'period', kind: 'text' },
  { key: 'messages', title: 'messages', kind: 'int' },
  { key: 'bytes', title: 'bytes', kind: 'bytes' },
  { key: 'deliveries', title: 'deliveries', kind: 'int' },
];

interface ClassRow {
  class: string;
  users: number;
  percent: number;
}
const classColumns: ColumnSpec<ClassRow>[] = [
  { key: 'class', title: 'class', kind: 'text' },
  { key: 'users', title: 'users', kind: 'int' },
  { key: 'percent', title: 'percent', kind: 'percent' },
];

/** how the counts were made, printed under the human-readable classes report */
export const countingRules = [
  'sent: each message once per sender across every server and file (2007+ RECEIVE/STOREDRIVER, 2000/2003 event 1027, 5.5 events 4 and 1000);',
  'received: each delivery to a mailbox once per message (2007+ DELIVER/STOREDRIVER, 2000/2003 event 1028, 5.5 events 9 and 1000);',
  'not counted: shadow copies (HARECEIVE, HAREDIRECT), DUPLICATEDELIVER, DSNs and NDRs, transport hops (SMTP RECEIVE/SEND, transfers),',
  'system notifications without a sender (NOTIFYMAPI); mail from outside counts as received only; system mailboxes that submit mail are users.',
].join('\n');

export function renderClasses(r: ClassesReport, format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(r, null, 2) + '\n';
  const rows: ClassRow[] = userClasses.map((c) => ({ class: c, ...r.classes[c] }));
  const body = renderRows(rows, classColumns, format);
  if (format === 'csv') return body;
  const how = r.mode === 'sent' ? 'sent per day' : 'n = sqrt((sent/day² + received/day²) / 2)';
  return `${r.users} users over ${r.days} day(s) with tracking events; ${how}: light < ${r.lightMax} ≤ medium < ${r.heavyMin} ≤ heavy\n\n${body}\n${countingRules}\n`;
}

// ---- the reports -------------------------------------------------------------------------------

export const trackingUsers = defineReport({
  id: 'tracking.users',
  command: ['tracking', 'users'],
  description: 'per user: sent and received messages and bytes, per-day rates, n and class',
  params: classifyParams,
  checks: classifyChecks,
  run: (store, p) => usersReport(store, classifyOptions(p)),
  render: (r, format) => renderRows(r.rows, userColumns, format),
  columns: userColumns,
});

export const trackingClasses = defineReport({
  id: 'tracking.classes',
  command: ['tracking', 'classes'],
  description: 'light / medium / heavy distribution of users, for capacity planning (MMB3 boundaries 48 and 78 by default)',
  params: classifyParams,
  checks: classifyChecks,
  run: (store, p) => classesReport(store, classifyOptions(p)),
  render: (r, format) => renderClasses(r, format),
});

export const trackingTraffic = defineReport({
  id: 'tracking.traffic',
  command: ['tracking', 'traffic'],
  description: 'messages submitted, their bytes, and deliveries per day or hour (UTC)',
  params: [...rangeParams, ...outputParams, param.choice('by', '--by <period>', 'period', ['day', 'hour'] as const, 'day')],
  checks: [rangeOrder],
  run: (store, p) => trafficReport(store, rangeOf(p), p.by),
  render: (rows, format) => renderRows(rows, trafficColumns, format),
  columns: trafficColumns,
});

export const trackingTop = defineReport({
  id: 'tracking.top',
  command: ['tracking', 'top'],
  description: 'the users with the most traffic',
  params: [
    ...classifyParams,
    param.choice('by', '--by <measure>', 'order by', topKeys, 'sent'),
    param.int('limit', '--limit <n>', 'how many users', { default: 20 }),
  ],
  checks: classifyChecks,
  run: (store, p) => topReport(store, classifyOptions(p), p.by, p.limit),
  render: (rows, format) => renderRows(rows, userColumns, format),
  columns: userColumns,
});

/** in the order `mxray tracking --help` lists them */
export const trackingReports = [trackingUsers, trackingClasses, trackingTraffic, trackingTop];
