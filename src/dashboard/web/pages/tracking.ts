// Message tracking: the light / medium / heavy distribution with its thresholds, the users table,
// traffic per day and per hour, the top senders and receivers. Every number is a report's JSON
// (`mxray tracking classes|users|traffic|top --json`).
import { pageRequests } from '../../requests.js';
import { chart } from '../charts.js';
import { reports } from '../data.js';
import type { Page } from '../page.js';
import { h, section, table, type Column } from '../ui.js';

interface Classes {
  days: number;
  mode: string;
  lightMax: number;
  heavyMin: number;
  users: number;
  classes: Record<'light' | 'medium' | 'heavy', { users: number; percent: number }>;
}
interface UserRow {
  user: string;
  n: number;
  class: string;
  [k: string]: unknown;
}
interface TrafficRow {
  period: string;
  messages: number;
  bytes: number;
  deliveries: number;
}

export const userColumns: Column<UserRow>[] = [
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
const trafficColumns: Column<TrafficRow>[] = [
  { key: 'period', title: 'period', kind: 'text' },
  { key: 'messages', title: 'messages', kind: 'int' },
  { key: 'bytes', title: 'bytes', kind: 'bytes' },
  { key: 'deliveries', title: 'deliveries', kind: 'int' },
];

/** users per bin of n, with the two thresholds as lines */
function histogram(users: UserRow[], c: Classes) {
  const top = Math.max(c.heavyMin * 1.5, ...users.map((u) => u.n));
  const width = Math.max(1, Math.ceil(top / 30));
  const bins = Array.from({ length: Math.ceil(top / width) + 1 }, (_, i) => i * width);
  const counts = bins.map(() => 0);
  for (const u of users) counts[Math.min(bins.length - 1, Math.floor(u.n / width))]!++;
  return chart('tracking-n', `users by n, with the light threshold ${c.lightMax} and the heavy threshold ${c.heavyMin}`, {
    grid: { left: 48, right: 24, top: 30, bottom: 40 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: bins.map((b) => String(b)), name: 'n', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'value', name: 'users', minInterval: 1 },
    series: [
      {
        type: 'bar',
        name: 'users',
        data: counts,
        markLine: {
          symbol: 'none',
          label: { formatter: '{b}' },
          data: [
            { name: `light < ${c.lightMax}`, xAxis: String(Math.floor(c.lightMax / width) * width) },
            { name: `heavy ≥ ${c.heavyMin}`, xAxis: String(Math.floor(c.heavyMin / width) * width) },
          ],
        },
      },
    ],
  });
}

function trafficChart(name: string, label: string, rows: TrafficRow[]) {
  return chart(name, label, {
    grid: { left: 56, right: 56, top: 36, bottom: rows.length > 48 ? 70 : 40 },
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    xAxis: { type: 'category', data: rows.map((r) => r.period) },
    yAxis: [
      { type: 'value', name: 'messages' },
      { type: 'value', name: 'deliveries', splitLine: { show: false } },
    ],
    ...(rows.length > 48 ? { dataZoom: [{ type: 'slider', bottom: 8 }] } : {}),
    series: [
      { type: 'bar', name: 'messages', data: rows.map((r) => r.messages) },
      { type: 'line', name: 'deliveries', yAxisIndex: 1, data: rows.map((r) => r.deliveries), showSymbol: false },
    ],
  });
}

export const trackingPage: Page = {
  path: 'tracking',
  title: 'Message tracking',
  async render({ root, route, signal }) {
    const d = (await reports(pageRequests.tracking(route.range), signal)) as {
      classes: Classes;
      users: UserRow[];
      perDay: TrafficRow[];
      perHour: TrafficRow[];
      topSenders: UserRow[];
      topReceivers: UserRow[];
    };
    const c = d.classes;
    const classRows = (['light', 'medium', 'heavy'] as const).map((k) => ({ class: k, ...c.classes[k] }));
    root.append(
      section(
        'Classes',
        h(
          'p',
          { class: 'lead', 'data-summary': 'tracking.classes' },
          `${c.users} users over ${c.days} day(s); light < ${c.lightMax} ≤ medium < ${c.heavyMin} ≤ heavy (${c.mode === 'sent' ? 'sent per day' : 'n = √((sent/day² + received/day²) / 2)'})`,
        ),
        h(
          'div',
          { class: 'two' },
          chart('tracking-classes', 'users per class', {
            grid: { left: 48, right: 16, top: 16, bottom: 30 },
            tooltip: {},
            xAxis: { type: 'category', data: classRows.map((r) => r.class) },
            yAxis: { type: 'value', minInterval: 1 },
            series: [
              { type: 'bar', name: 'users', data: classRows.map((r, i) => ({ value: r.users, itemStyle: { color: ['#1a7f37', '#c2570c', '#b42318'][i] } })) },
            ],
          }),
          histogram(d.users, c),
        ),
        table({
          name: 'tracking-classes',
          caption: 'users per class',
          rows: classRows,
          columns: [
            { key: 'class', title: 'class', kind: 'text' },
            { key: 'users', title: 'users', kind: 'int' },
            { key: 'percent', title: 'percent', kind: 'percent' },
          ],
        }),
      ),
      section('Users', table({ name: 'tracking-users', caption: 'per user: traffic, n and class', rows: d.users, columns: userColumns, search: true })),
      section(
        'Traffic per day',
        trafficChart('tracking-day', 'messages and deliveries per day', d.perDay),
        table({ name: 'tracking-traffic-day', caption: 'traffic per day (UTC)', rows: d.perDay, columns: trafficColumns }),
      ),
      section(
        'Traffic per hour',
        trafficChart('tracking-hour', 'messages and deliveries per hour', d.perHour),
        table({ name: 'tracking-traffic-hour', caption: 'traffic per hour (UTC)', rows: d.perHour, columns: trafficColumns }),
      ),
      h(
        'div',
        { class: 'two' },
        section('Top senders', table({ name: 'tracking-top-senders', caption: 'most messages sent', rows: d.topSenders, columns: userColumns.slice(0, 3) })),
        section(
          'Top receivers',
          table({ name: 'tracking-top-receivers', caption: 'most messages received', rows: d.topReceivers, columns: userColumns.slice(0, 3) }),
        ),
      ),
    );
  },
};
