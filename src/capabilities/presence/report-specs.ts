// The presence reports as specs (see ../report.ts): `presence report` (per user and day: seconds in
// each state), `presence timeline` (a user's day as state intervals) and `presence pc-in-use` (the
// seed's "how long each PC was in use": online, busy, on the phone). JSON: the contract of
// report.ts (README); table and CSV: the same rows.
import type { ColumnSpec } from '../../render/render.js';
import { renderRows } from '../../render/render.js';
import { outputParams } from '../params.js';
import { defineReport, param } from '../report.js';
import {
  type HeatmapCell,
  pcInUse,
  type PcInUseDay,
  type PresenceDay,
  presenceHeatmap,
  presenceReport,
  presenceTimeline,
  type TimelineInterval,
} from './report.js';
import { presenceStates } from './types.js';
import { checkZone } from './zone.js';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
function parseDay(flag: string, v: string): string {
  const m = DAY.exec(v.trim());
  const d = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)) : undefined;
  if (!m || !d || d.getUTCMonth() !== +m[2]! - 1 || d.getUTCDate() !== +m[3]!) throw new Error(`${flag}: expected a day as YYYY-MM-DD, got "${v}"`);
  return v.trim();
}

const tzParam = param.custom('tz', '--tz <zone>', 'count days in this time zone (IANA name, e.g. Europe/Berlin); default UTC', 'text', (v) => {
  if (v === undefined) return 'UTC';
  if (v.trim() === '') throw new Error('--tz: expected a time zone, got an empty value');
  return checkZone(v.trim());
});
const userParam = param.text('user', '--user <address>', 'only this user (IM address)', { expects: 'an IM address' });
const dayRange = [
  param.custom('from', '--from <day>', 'first day (YYYY-MM-DD, in --tz); default: the first day with data', 'text', (v) =>
    v ? parseDay('--from', v) : undefined,
  ),
  param.custom('to', '--to <day>', 'last day, included (YYYY-MM-DD, in --tz); default: the last day with data', 'text', (v) =>
    v ? parseDay('--to', v) : undefined,
  ),
] as const;
const dayOrder = (v: { from: string | undefined; to: string | undefined }) =>
  v.from !== undefined && v.to !== undefined && v.from > v.to ? `--from (${v.from}) must not be after --to (${v.to})` : undefined;

const stateTitles: Record<(typeof presenceStates)[number], string> = {
  online: 'online',
  invisible: 'invisible',
  busy: 'busy',
  beRightBack: 'be right back',
  idle: 'idle',
  away: 'away',
  onThePhone: 'on the phone',
  outToLunch: 'out to lunch',
  offline: 'offline',
  unknown: 'unknown',
};

const dayColumns: ColumnSpec<PresenceDay>[] = [
  { key: 'user', title: 'user', kind: 'text' },
  { key: 'day', title: 'day', kind: 'text' },
  ...presenceStates.map((s) => ({ key: s, title: `${stateTitles[s]} (s)`, kind: 'int' as const })),
  { key: 'firstOnline', title: 'first online', kind: 'text' },
  { key: 'lastOnline', title: 'last online', kind: 'text' },
];

export const presenceDays = defineReport({
  id: 'presence.report',
  command: ['presence', 'report'],
  description: 'per user and day: seconds online, busy, away … offline and unknown (adding up to the day), first and last time online',
  params: [...dayRange, tzParam, userParam, ...outputParams],
  checks: [dayOrder],
  run: (store, p) => presenceReport(store, { from: p.from, to: p.to, tz: p.tz, user: p.user }),
  render: (r, format) => (format === 'json' ? JSON.stringify(r.rows, null, 2) + '\n' : renderRows(r.rows, dayColumns, format)),
  note: (r) => r.notes.join('\n'),
  columns: dayColumns as ColumnSpec<never>[],
});

const timelineColumns: ColumnSpec<TimelineInterval>[] = [
  { key: 'from', title: 'from', kind: 'text' },
  { key: 'to', title: 'to', kind: 'text' },
  { key: 'state', title: 'state', kind: 'text' },
  { key: 'seconds', title: 'seconds', kind: 'int' },
];

export const presenceTimelineReport = defineReport({
  id: 'presence.timeline',
  command: ['presence', 'timeline'],
  description: "one user's day as state intervals (unknown where the poller was not running or no sample covers it)",
  params: [
    param.text('user', '--user <address>', 'the user (IM address)', { expects: 'an IM address' }),
    param.custom('day', '--day <day>', 'the day (YYYY-MM-DD, in --tz)', 'text', (v) => (v === undefined ? undefined : parseDay('--day', v))),
    tzParam,
    ...outputParams,
  ],
  checks: [(v) => (v.user === undefined || v.day === undefined ? 'name the user and the day: --user <address> --day <YYYY-MM-DD>' : undefined)],
  run: (store, p) => presenceTimeline(store, p.user!, p.day!, p.tz),
  render: (t, format) => (format === 'json' ? JSON.stringify(t, null, 2) + '\n' : renderRows(t.intervals, timelineColumns, format)),
});

const pcColumns: ColumnSpec<PcInUseDay>[] = [
  { key: 'user', title: 'user', kind: 'text' },
  { key: 'day', title: 'day', kind: 'text' },
  { key: 'inUse', title: 'in use (s)', kind: 'int' },
  { key: 'online', title: 'online (s)', kind: 'int' },
  { key: 'busy', title: 'busy (s)', kind: 'int' },
  { key: 'onThePhone', title: 'on the phone (s)', kind: 'int' },
  { key: 'firstOnline', title: 'first online', kind: 'text' },
  { key: 'lastOnline', title: 'last online', kind: 'text' },
];

export const presencePcInUse = defineReport({
  id: 'presence.pc-in-use',
  command: ['presence', 'pc-in-use'],
  description: "how long each user's PC was in use per day (seed 000): time online, busy or on the phone (the client goes idle or away without input)",
  params: [...dayRange, tzParam, userParam, ...outputParams],
  checks: [dayOrder],
  run: async (store, p) => {
    const r = await presenceReport(store, { from: p.from, to: p.to, tz: p.tz, user: p.user });
    return { rows: pcInUse(r.rows), notes: r.notes };
  },
  render: (r, format) => (format === 'json' ? JSON.stringify(r.rows, null, 2) + '\n' : renderRows(r.rows, pcColumns, format)),
  note: (r) => r.notes.join('\n'),
  columns: pcColumns as ColumnSpec<never>[],
});

const heatmapColumns: ColumnSpec<HeatmapCell>[] = [
  { key: 'weekday', title: 'weekday', kind: 'text' },
  { key: 'hour', title: 'hour', kind: 'int' },
  { key: 'online', title: 'online (s)', kind: 'int' },
];

export const presenceHeatmapReport = defineReport({
  id: 'presence.heatmap',
  command: ['presence', 'heatmap'],
  description: 'online time per local weekday × hour (168 cells, Monday 00 first), summed over the users and the days of the range',
  params: [...dayRange, tzParam, userParam, ...outputParams],
  checks: [dayOrder],
  run: (store, p) => presenceHeatmap(store, { from: p.from, to: p.to, tz: p.tz, user: p.user }),
  render: (r, format) => (format === 'json' ? JSON.stringify(r.rows, null, 2) + '\n' : renderRows(r.rows, heatmapColumns, format)),
  note: (r) => r.notes.join('\n'),
  columns: heatmapColumns as ColumnSpec<never>[],
});

export const presenceReports = [presenceDays, presenceTimelineReport, presencePcInUse, presenceHeatmapReport] as const;
