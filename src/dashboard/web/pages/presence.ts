// Presence: each user's days as bars of time per state (`mxray presence report --json`), online time
// per weekday × hour as a heat map (`mxray presence heatmap`), and one user's day as its intervals
// (`mxray presence timeline`), chosen from the table.
import { pageRequests } from '../../requests.js';
import { chart } from '../charts.js';
import { report, reports } from '../data.js';
import type { Page } from '../page.js';
import { href } from '../range.js';
import { h, message, section, table, type Column } from '../ui.js';

const states = ['online', 'busy', 'onThePhone', 'beRightBack', 'idle', 'away', 'outToLunch', 'invisible', 'offline', 'unknown'] as const;
const stateColour: Record<(typeof states)[number], string> = {
  online: '#1a7f37',
  busy: '#b42318',
  onThePhone: '#8250df',
  beRightBack: '#d4a72c',
  idle: '#a16207',
  away: '#c2570c',
  outToLunch: '#0f766e',
  invisible: '#57606a',
  offline: '#afb8c1',
  unknown: '#e5e7eb',
};
type Day = Record<(typeof states)[number], number> & { user: string; day: string; firstOnline: string | null; lastOnline: string | null };
interface Cell {
  weekday: string;
  hour: number;
  online: number;
}
const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const hours = Array.from({ length: 24 }, (_, i) => String(i).padStart(2, '0'));

/** online hours per weekday × hour: the chart (cells [hour, weekday, seconds]) and a table of the same numbers */
function heatmap(cells: Cell[]): HTMLElement[] {
  const max = Math.max(1, ...cells.map((c) => c.online));
  const byDay = weekdays.map((weekday) => {
    const row: Record<string, string | number> = { weekday };
    for (const c of cells) if (c.weekday === weekday) row[hours[c.hour]!] = c.online;
    return row;
  });
  return [
    cells.some((c) => c.online > 0)
      ? chart(
          'presence-heatmap',
          'online time per weekday and hour (UTC), all users',
          {
            grid: { left: 60, right: 24, top: 16, bottom: 110 },
            tooltip: {
              position: 'top',
              formatter: (p: { value: number[] }) => `${weekdays[p.value[1]!]} ${hours[p.value[0]!]}:00: ${(p.value[2]! / 3600).toFixed(2)} h online`,
            },
            xAxis: { type: 'category', data: hours, name: 'hour (UTC)', nameLocation: 'middle', nameGap: 24 },
            yAxis: { type: 'category', data: weekdays, inverse: true },
            visualMap: {
              min: 0,
              max,
              calculable: true,
              orient: 'horizontal',
              left: 'center',
              bottom: 0,
              inRange: { color: ['#eefbf1', '#1a7f37', '#0b3d1a'] },
            },
            series: [{ type: 'heatmap', name: 'online seconds', data: cells.map((c) => [c.hour, weekdays.indexOf(c.weekday), c.online]) }],
          },
          150 + 7 * 30,
        )
      : message('no one online in this period'),
    table({
      name: 'presence-heatmap',
      caption: 'online hours per weekday and hour (UTC), all users',
      rows: byDay,
      columns: [
        { key: 'weekday', title: 'weekday', kind: 'text' },
        ...hours.map((hh) => ({ key: hh, title: hh, kind: 'float' as const, value: (r: Record<string, string | number>) => Number(r[hh] ?? 0) / 3600 })),
      ],
    }),
  ];
}

interface Timeline {
  user: string;
  day: string;
  tz: string;
  intervals: { from: string; to: string; state: string; seconds: number }[];
}

export const presencePage: Page = {
  path: 'presence',
  title: 'Presence',
  async render({ root, route, signal }) {
    const d = (await reports(pageRequests.presence(route.range), signal)) as { days: Day[]; heatmap: Cell[] };
    const rows = d.days;
    const labels = rows.map((r) => `${r.user.replace(/@.*/, '')} ${r.day}`);
    const columns: Column<Day>[] = [
      { key: 'user', title: 'user', kind: 'text' },
      { key: 'day', title: 'day', kind: 'text' },
      ...states.map((s) => ({ key: s, title: `${s} (h)`, kind: 'float' as const, value: (r: Day) => r[s] / 3600 })),
      { key: 'firstOnline', title: 'first online', kind: 'text' },
      { key: 'lastOnline', title: 'last online', kind: 'text' },
    ];
    root.append(
      section(
        'Days by state',
        rows.length
          ? chart(
              'presence-days',
              'hours in each state per user and day',
              {
                grid: { left: 170, right: 24, top: 40, bottom: 30 },
                tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
                legend: { top: 0, type: 'scroll' },
                xAxis: { type: 'value', max: 25, name: 'hours' },
                yAxis: { type: 'category', data: labels, inverse: true },
                series: states.map((s) => ({
                  type: 'bar',
                  stack: 'day',
                  name: s,
                  itemStyle: { color: stateColour[s] },
                  data: rows.map((r) => Math.round((r[s] / 3600) * 100) / 100),
                })),
              },
              Math.max(220, 70 + rows.length * 22),
            )
          : message('no presence data in this period'),
        table({
          name: 'presence-days',
          caption: 'per user and day: hours in each state',
          rows,
          columns,
          search: true,
          link: (r, key) => (key === 'day' ? href('presence', route.range, { user: r.user, day: r.day }) : undefined),
        }),
      ),
      section('Online time per weekday and hour', ...heatmap(d.heatmap)),
    );
    const user = route.args.get('user');
    const day = route.args.get('day');
    if (user && day) {
      const box = section(`${user} on ${day}`);
      root.prepend(box);
      try {
        const t = await report<Timeline>({ id: 'presence.timeline', params: { user, day } }, signal);
        box.append(
          h(
            'div',
            { class: 'timeline', role: 'img', 'aria-label': `${user}'s states on ${day}` },
            ...t.intervals.map((i) =>
              h('span', {
                class: 'seg',
                title: `${i.from.slice(11, 16)}–${i.to.slice(11, 16)} ${i.state}`,
                style: `flex:${i.seconds};background:${stateColour[i.state as keyof typeof stateColour] ?? '#999'}`,
              }),
            ),
          ),
          table({
            name: 'presence-timeline',
            caption: `${user}'s day as intervals (${t.tz})`,
            rows: t.intervals,
            columns: [
              { key: 'from', title: 'from', kind: 'text' },
              { key: 'to', title: 'to', kind: 'text' },
              { key: 'state', title: 'state', kind: 'text' },
              { key: 'seconds', title: 'seconds', kind: 'int' },
            ],
          }),
        );
      } catch (e) {
        box.append(message((e as Error).message, 'error'));
      }
    }
  },
};
