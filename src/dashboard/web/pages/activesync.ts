// ActiveSync: the devices, requests as a day × hour heat map, EAS status and HTTP errors, and the
// runaway devices (`mxray eas devices|hourly|commands|runaway --json`).
import { pageRequests } from '../../requests.js';
import { chart } from '../charts.js';
import { reports } from '../data.js';
import type { Page } from '../page.js';
import { h, message, section, table } from '../ui.js';

type Row = Record<string, unknown>;
interface Hour {
  period: string;
  hits: number;
  devices: number;
  syncRequests: number;
}
interface Commands {
  hits: number;
  errors: Record<string, number>;
  httpErrors: Record<string, number>;
}

function totals(rows: Commands[], key: 'errors' | 'httpErrors'): { code: string; requests: number }[] {
  const t = new Map<string, number>();
  for (const r of rows) for (const [k, v] of Object.entries(r[key] ?? {})) t.set(k, (t.get(k) ?? 0) + v);
  return [...t.entries()].map(([code, requests]) => ({ code, requests })).sort((a, b) => b.requests - a.requests || a.code.localeCompare(b.code));
}

function heatmap(hours: Hour[]) {
  const days = [...new Set(hours.map((r) => r.period.slice(0, 10)))].sort();
  const data = hours.map((r) => [Number(r.period.slice(11, 13)), days.indexOf(r.period.slice(0, 10)), r.hits]);
  const max = Math.max(1, ...hours.map((r) => r.hits));
  return chart(
    'eas-heatmap',
    'requests per day and hour (UTC)',
    {
      grid: { left: 90, right: 24, top: 16, bottom: 84 },
      tooltip: { position: 'top' },
      xAxis: {
        type: 'category',
        data: Array.from({ length: 24 }, (_, i) => String(i).padStart(2, '0')),
        name: 'hour (UTC)',
        nameLocation: 'middle',
        nameGap: 24,
      },
      yAxis: { type: 'category', data: days },
      visualMap: { min: 0, max, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, inRange: { color: ['#eef4fb', '#2563a6', '#0b2e55'] } },
      series: [{ type: 'heatmap', name: 'requests', data }],
    },
    Math.max(220, 124 + days.length * 26),
  );
}

export const activesyncPage: Page = {
  path: 'activesync',
  title: 'ActiveSync',
  async render({ root, route, signal }) {
    const d = (await reports(pageRequests.activesync(route.range), signal)) as { devices: Row[]; hourly: Hour[]; commands: Commands[]; runaway: Row[] };
    const easErrors = totals(d.commands, 'errors');
    const httpErrors = totals(d.commands, 'httpErrors');
    const codeColumns = [
      { key: 'code', title: 'code', kind: 'text' as const },
      { key: 'requests', title: 'requests', kind: 'int' as const },
    ];
    root.append(
      section(
        'Devices',
        table({
          name: 'eas-devices',
          caption: 'every device seen',
          search: true,
          rows: d.devices,
          columns: [
            { key: 'user', title: 'user', kind: 'text' },
            { key: 'deviceId', title: 'device id', kind: 'text' },
            { key: 'deviceType', title: 'type', kind: 'text' },
            { key: 'model', title: 'model', kind: 'text' },
            { key: 'os', title: 'OS', kind: 'text' },
            { key: 'protocol', title: 'protocol', kind: 'text' },
            { key: 'hits', title: 'requests', kind: 'int' },
            { key: 'firstSeen', title: 'first seen', kind: 'text' },
            { key: 'lastSeen', title: 'last seen', kind: 'text' },
            { key: 'policy', title: 'policy', kind: 'text' },
          ],
        }),
      ),
      section(
        'Requests per day and hour',
        d.hourly.length ? heatmap(d.hourly) : message('no ActiveSync requests in this period'),
        table({
          name: 'eas-hourly',
          caption: 'requests per hour (UTC)',
          rows: d.hourly,
          columns: [
            { key: 'period', title: 'hour', kind: 'text' },
            { key: 'hits', title: 'requests', kind: 'int' },
            { key: 'devices', title: 'devices', kind: 'int' },
            { key: 'syncRequests', title: 'Sync', kind: 'int' },
          ],
        }),
      ),
      h(
        'div',
        { class: 'two' },
        section(
          'EAS status',
          easErrors.length
            ? chart('eas-errors', 'requests per EAS status', {
                grid: { left: 180, right: 24, top: 8, bottom: 24 },
                tooltip: {},
                xAxis: { type: 'value' },
                yAxis: {
                  type: 'category',
                  data: easErrors
                    .slice(0, 12)
                    .map((e) => e.code)
                    .reverse(),
                },
                series: [
                  {
                    type: 'bar',
                    name: 'requests',
                    data: easErrors
                      .slice(0, 12)
                      .map((e) => e.requests)
                      .reverse(),
                  },
                ],
              })
            : null,
          table({ name: 'eas-status', caption: 'requests per EAS status (not OK)', rows: easErrors, columns: codeColumns }),
        ),
        section('HTTP errors', table({ name: 'eas-http', caption: 'requests per HTTP error status', rows: httpErrors, columns: codeColumns })),
      ),
      section(
        'Runaway devices',
        table({
          name: 'eas-runaway',
          caption: 'devices with at least 1,000 requests in an hour',
          rows: d.runaway,
          columns: [
            { key: 'user', title: 'user', kind: 'text' },
            { key: 'deviceId', title: 'device id', kind: 'text' },
            { key: 'deviceType', title: 'type', kind: 'text' },
            { key: 'periods', title: 'hours', kind: 'int' },
            { key: 'peakPeriod', title: 'peak', kind: 'text' },
            { key: 'peakHits', title: 'peak requests', kind: 'int' },
            { key: 'hits', title: 'requests', kind: 'int' },
          ],
        }),
      ),
    );
  },
};
