// mxray tracking users | classes | traffic | top
import { Option, type Command } from 'commander';
import { classesReport, classifyDefaults, topKeys, topReport, trafficReport, usersReport, userClasses, type ClassifyOptions, type TopKey, type UserRow, type ClassesReport } from '../reports/tracking.js';
import { renderRows, type ColumnSpec, type OutputFormat } from '../render/render.js';
import type { TrafficRow } from '../capabilities/tracking/types.js';
import { outputFormat, positiveInt, positiveNumber, rangeOf, reportOptions, UsageError, withStore, write, type ReportOpts } from './common.js';

interface ClassOpts extends ReportOpts { lightMax: number; heavyMin: number; mode: 'combined' | 'sent'; recipients: 'once' | 'each' }

function classifyOptions(cmd: Command): Command {
  return reportOptions(cmd)
    .option('--light-max <n>', 'n below this is light', positiveNumber('--light-max'), classifyDefaults.lightMax)
    .option('--heavy-min <n>', 'n at or above this is heavy', positiveNumber('--heavy-min'), classifyDefaults.heavyMin)
    .addOption(new Option('--mode <mode>', 'combined: n = sqrt((sent² + received²)/2) per day; sent: sent per day alone').choices(['combined', 'sent']).default(classifyDefaults.mode))
    .addOption(new Option('--recipients <policy>', 'a sent message counts once, or once per recipient').choices(['once', 'each']).default(classifyDefaults.recipients));
}

function options(o: ClassOpts): ClassifyOptions {
  if (o.lightMax > o.heavyMin) throw new UsageError(`--light-max (${o.lightMax}) must not be above --heavy-min (${o.heavyMin})`);
  return { range: rangeOf(o), recipients: o.recipients, lightMax: o.lightMax, heavyMin: o.heavyMin, mode: o.mode };
}

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

interface ClassRow { class: string; users: number; percent: number }
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

export function registerTracking(program: Command): void {
  const t = program.command('tracking').description('message tracking reports: per-user traffic, capacity classes, traffic over time');

  classifyOptions(t.command('users').description('per user: sent and received messages and bytes, per-day rates, n and class')).action(
    async (o: ClassOpts) => {
      const opts = options(o);
      const { rows } = await withStore(o, (s) => usersReport(s, opts));
      write(renderRows(rows, userColumns, outputFormat(o)));
    },
  );

  classifyOptions(t.command('classes').description('light / medium / heavy distribution of users, for capacity planning (MMB3 boundaries 48 and 78 by default)')).action(
    async (o: ClassOpts) => {
      const opts = options(o);
      const r = await withStore(o, (s) => classesReport(s, opts));
      write(renderClasses(r, outputFormat(o)));
    },
  );

  reportOptions(t.command('traffic').description('messages submitted, their bytes, and deliveries per day or hour (UTC)'))
    .addOption(new Option('--by <period>', 'period').choices(['day', 'hour']).default('day'))
    .action(async (o: ReportOpts & { by: 'day' | 'hour' }) => {
      const range = rangeOf(o);
      const rows = await withStore(o, (s) => trafficReport(s, range, o.by));
      write(renderRows(rows, trafficColumns, outputFormat(o)));
    });

  classifyOptions(t.command('top').description('the users with the most traffic'))
    .addOption(new Option('--by <measure>', 'order by').choices([...topKeys]).default('sent'))
    .option('--limit <n>', 'how many users', positiveInt('--limit'), 20)
    .action(async (o: ClassOpts & { by: TopKey; limit: number }) => {
      const opts = options(o);
      const rows = await withStore(o, (s) => topReport(s, opts, o.by, o.limit));
      write(renderRows(rows, userColumns, outputFormat(o)));
    });
}
