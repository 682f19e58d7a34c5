// The presence reports' arithmetic: stored pieces (queries.ts) + each user's latest sample (one
// interval) + aggregate-only totals, per user and local day; what no piece covers is unknown. Every
// user-day adds up to the day's length (86,400 s; 82,800 or 90,000 on a day the clocks change).
import type { Store } from '../../store/types.js';
import { DAY, HOUR } from './hours.js';
import { daysIncomplete } from './marks.js';
import {
  dailyTotals,
  dataRange,
  dayTotals,
  hourTotals,
  hoursCoverage,
  latestSamples,
  latestTails,
  offsetSteps,
  onlineByLocalHour,
  pieceTotals,
  userPieces,
} from './queries.js';
import { cut } from './spans.js';
import { type PresenceState, presenceStates } from './types.js';
import { daysOf, localDay, localIso, offsetAt } from './zone.js';

/** one user's day (the JSON contract of `presence report`, README) */
export type PresenceDay = { user: string; day: string } & Record<PresenceState, number> & { firstOnline: string | null; lastOnline: string | null };

export interface PresenceQuery {
  /** first and last local day (YYYY-MM-DD), both included; absent: the data's */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly tz: string;
  readonly user?: string | undefined;
}

export interface PresenceResult {
  rows: PresenceDay[];
  notes: string[];
}

const DEFAULT_INTERVAL = 900;
const dayNames = new Map<number, string>();
/** YYYY-MM-DD of day number n (memoized: called once per user-day) */
const dayName = (n: number): string => {
  let d = dayNames.get(n);
  if (d === undefined) dayNames.set(n, (d = new Date(n * 86_400_000).toISOString().slice(0, 10)));
  return d;
};
// presenceReport's rows name the states in this order
if (presenceStates.join() !== 'online,invisible,busy,beRightBack,idle,away,onThePhone,outToLunch,offline,unknown')
  throw new Error('presence report: presenceStates changed order; update the rows of presenceReport');
const isState = (s: string): s is PresenceState => (presenceStates as readonly string[]).includes(s);
const stateIndex = new Map<string, number>(presenceStates.map((s, i) => [s, i]));

async function daysOfQuery(store: Store, q: PresenceQuery): Promise<{ first: string; last: string } | undefined> {
  if (q.from && q.to) return { first: q.from, last: q.to };
  const r = await dataRange(store);
  if (r.lo === null || r.hi === null || (r.lo === 0 && r.hi === 0)) {
    if (q.from || q.to) return { first: q.from ?? q.to!, last: q.to ?? q.from! };
    return undefined;
  }
  return { first: q.from ?? localDay(q.tz, r.lo), last: q.to ?? localDay(q.tz, r.hi) };
}

/** Seconds per user, local day and state of the stored pieces in [lo, hi), and each user's latest
 *  sample. When the marks say the daily totals are complete over the UTC days the range touches
 *  (marks.ts; the import and the recorder write the hourly totals in the same batches as the daily
 *  ones): for UTC days from the daily totals (presence_days, hours.ts), for a zone whose offsets over
 *  the range are whole hours from the hourly totals (hours.ts), the latest samples from the daily
 *  totals' tails. Otherwise from the hourly totals when the zone's offsets are whole hours and the
 *  totals add up to the pieces, else from the pieces (the same numbers, slower). */
async function storedTotals(store: Store, lo: number, hi: number, tz: string, user: string | undefined, notes: string[]) {
  const steps = offsetSteps(tz, lo, hi);
  const utcDays = steps.every((s) => s.offset === 0) && lo % DAY === 0 && hi % DAY === 0;
  if (utcDays || wholeHours(lo, hi, steps)) {
    const why = await daysIncomplete(store, Math.floor(lo / DAY) * DAY, Math.ceil(hi / DAY) * DAY);
    if (why === undefined) {
      const totals = utcDays ? await dayTotals(store, lo, hi, user) : await hourTotals(store, lo, hi, steps, user);
      return { totals, tails: await latestTails(store, lo - 2 * 86_400, user) };
    }
    notes.push(`the daily totals are incomplete over these days (${why}): reported from the hourly totals or the durations, which is slower`);
  }
  const totals = await hourOrPieceTotals(store, lo, hi, steps, user, notes);
  return { totals, tails: await latestSamples(store, lo - 2 * 86_400, user) };
}

/** every hour of [lo, hi) lies in one local day: the zone's offsets over it are whole hours */
function wholeHours(lo: number, hi: number, steps: readonly { from: number; offset: number }[]): boolean {
  return lo % HOUR === 0 && hi % HOUR === 0 && steps.every((s, i) => s.offset % HOUR === 0 && (i === 0 || s.from % HOUR === 0));
}

async function hourOrPieceTotals(
  store: Store,
  lo: number,
  hi: number,
  steps: readonly { from: number; offset: number }[],
  user: string | undefined,
  notes: string[],
) {
  if (wholeHours(lo, hi, steps)) {
    const c = await hoursCoverage(store, lo, hi, user);
    if (c.pieces === c.hours) return hourTotals(store, lo, hi, steps, user);
    notes.push(
      `the hourly totals do not add up to the stored durations (${c.hours} s of ${c.pieces} s: a store written before mxray kept them, or an interrupted import): reported from the durations, which is slower`,
    );
  }
  return pieceTotals(store, lo, hi, steps, user);
}

interface Acc {
  /** seconds per state, in presenceStates order (an array, not a Map: 600,000 user-days a month) */
  seconds: number[];
  first: number | undefined;
  last: number | undefined;
}

export async function presenceReport(store: Store, q: PresenceQuery): Promise<PresenceResult> {
  const notes: string[] = [];
  const range = await daysOfQuery(store, q);
  if (!range) return { rows: [], notes: ['no presence data in the store'] };
  const days = daysOf(q.tz, range.first, range.last);
  const lo = days[0]!.start;
  const hi = days[days.length - 1]!.end;
  const user = q.user?.toLowerCase();
  // per user, its days in the order of `days` (arrays, not Maps: 600,000 user-days a month of
  // 20,000 users, and every Map entry is garbage the report's collections walk)
  const dayIndex = new Map(days.map((d, i) => [d.day, i]));
  const acc = new Map<string, (Acc | undefined)[]>();
  const daysOfUser = (u: string): (Acc | undefined)[] => {
    let byDay = acc.get(u);
    if (!byDay) acc.set(u, (byDay = new Array<Acc | undefined>(days.length)));
    return byDay;
  };
  const slot = (u: string, day: string): Acc | undefined => {
    const i = dayIndex.get(day);
    if (i === undefined) return undefined;
    const byDay = daysOfUser(u);
    return (byDay[i] ??= { seconds: presenceStates.map(() => 0), first: undefined, last: undefined });
  };
  const add = (u: string, day: string, state: string, seconds: number, first: number, last: number) => {
    const a = slot(u, day);
    if (!a) return;
    const s = isState(state) ? state : 'unknown';
    a.seconds[stateIndex.get(s)!]! += seconds;
    if (s === 'online') {
      a.first = a.first === undefined ? first : Math.min(a.first, first);
      a.last = a.last === undefined ? last : Math.max(a.last, last);
    }
  };

  const stored = await storedTotals(store, lo, hi, q.tz, user, notes);
  for (const p of stored.totals) {
    const i = dayIndex.get(dayName(p.day));
    if (i === undefined) continue;
    const byDay = daysOfUser(p.user);
    // the query's user-days are distinct: the first of a user-day is taken as it is (no copy)
    const a = byDay[i];
    if (!a) {
      byDay[i] = { seconds: p.seconds, first: p.first, last: p.last };
      continue;
    }
    for (let k = 0; k < presenceStates.length; k++) a.seconds[k]! += p.seconds[k] ?? 0;
    if (p.first !== undefined) {
      a.first = a.first === undefined ? p.first : Math.min(a.first, p.first);
      a.last = a.last === undefined ? p.last : Math.max(a.last!, p.last!);
    }
  }
  // each user's latest sample lasts one interval (its piece is stored once its successor is known)
  for (const t of stored.tails)
    for (const p of cut(t.user, t.ts, t.ts + (t.intervalS ?? DEFAULT_INTERVAL), t.state))
      if (p.start >= lo && p.start < hi) add(p.user, localDay(q.tz, p.start), p.state, p.seconds, p.start, p.start + p.seconds);
  // aggregate-only totals
  const zones = new Set<string>();
  for (const d of await dailyTotals(store, range.first, range.last, user)) {
    zones.add(d.tz);
    const i = stateIndex.get(d.state);
    const a = slot(d.user, d.day);
    if (i !== undefined && a) a.seconds[i]! += d.seconds;
  }
  for (const z of zones)
    if (z !== q.tz)
      notes.push(`aggregate-only totals were kept per day in ${z}, not ${q.tz}: they are shown on their own days (no times of day are stored to move them)`);
  if (zones.size) notes.push('aggregate-only totals have no times of day: firstOnline and lastOnline are null for them');

  // one object literal per row, its keys in the contract's order (presenceStates' order, asserted
  // at load): 600,000 rows a month of 20,000 users
  const rows: PresenceDay[] = [];
  const none = presenceStates.map(() => 0);
  for (const u of [...acc.keys()].sort()) {
    const byDay = acc.get(u)!;
    for (let i = 0; i < days.length; i++) {
      const d = days[i]!;
      const a = byDay[i];
      const v = a ? a.seconds : none;
      const known = v[0]! + v[1]! + v[2]! + v[3]! + v[4]! + v[5]! + v[6]! + v[7]! + v[8]!;
      rows.push({
        user: u,
        day: d.day,
        online: v[0]!,
        invisible: v[1]!,
        busy: v[2]!,
        beRightBack: v[3]!,
        idle: v[4]!,
        away: v[5]!,
        onThePhone: v[6]!,
        outToLunch: v[7]!,
        offline: v[8]!,
        // what no piece covers, and pieces in the unknown state
        unknown: Math.max(0, d.end - d.start - known),
        firstOnline: a?.first === undefined ? null : localIso(q.tz, a.first),
        lastOnline: a?.last === undefined ? null : localIso(q.tz, a.last),
      });
    }
  }
  return { rows, notes };
}

/** one state interval of a user's day */
export interface TimelineInterval {
  from: string;
  to: string;
  state: PresenceState;
  seconds: number;
}

export interface PresenceTimeline {
  user: string;
  day: string;
  tz: string;
  intervals: TimelineInterval[];
}

/** a user's day as state intervals, unknown where nothing is known */
export async function presenceTimeline(store: Store, user: string, day: string, tz: string): Promise<PresenceTimeline> {
  const u = user.toLowerCase();
  const [d] = daysOf(tz, day, day);
  const { start: lo, end: hi } = d!;
  const pieces: { start: number; seconds: number; state: string }[] = await userPieces(store, u, lo, hi);
  for (const t of await latestSamples(store, lo - 2 * 86_400, u))
    for (const p of cut(u, t.ts, t.ts + (t.intervalS ?? DEFAULT_INTERVAL), t.state)) if (p.start >= lo && p.start < hi) pieces.push(p);
  pieces.sort((a, b) => a.start - b.start);
  const out: { from: number; to: number; state: PresenceState }[] = [];
  const push = (from: number, to: number, state: PresenceState) => {
    if (to <= from) return;
    const prev = out[out.length - 1];
    if (prev && prev.state === state && prev.to === from) prev.to = to;
    else out.push({ from, to, state });
  };
  let at = lo;
  for (const p of pieces) {
    if (p.start > at) push(at, p.start, 'unknown');
    push(Math.max(p.start, at), p.start + p.seconds, isState(p.state) ? p.state : 'unknown');
    at = Math.max(at, p.start + p.seconds);
  }
  push(at, hi, 'unknown');
  return { user: u, day, tz, intervals: out.map((i) => ({ from: localIso(tz, i.from), to: localIso(tz, i.to), state: i.state, seconds: i.to - i.from })) };
}

/** "PC in use" (seed 000): time online, busy or on the phone per user and day */
export interface PcInUseDay {
  user: string;
  day: string;
  inUse: number;
  online: number;
  busy: number;
  onThePhone: number;
  firstOnline: string | null;
  lastOnline: string | null;
}

export function pcInUse(rows: readonly PresenceDay[]): PcInUseDay[] {
  return rows.map((r) => ({
    user: r.user,
    day: r.day,
    inUse: r.online + r.busy + r.onThePhone,
    online: r.online,
    busy: r.busy,
    onThePhone: r.onThePhone,
    firstOnline: r.firstOnline,
    lastOnline: r.lastOnline,
  }));
}

/** one cell of the presence heat map: online seconds in this local weekday and hour over the range */
export interface HeatmapCell {
  weekday: Weekday;
  hour: number;
  online: number;
}
export const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Weekday = (typeof weekdays)[number];

export interface PresenceHeatmap {
  rows: HeatmapCell[];
  notes: string[];
}

/** Online seconds per local weekday × hour (168 cells, Monday 00 first) over the days of the query,
 *  summed over its users: the stored pieces (or their hourly totals) and each user's latest sample.
 *  Aggregate-only totals have no times of day and are left out (a note says so). */
export async function presenceHeatmap(store: Store, q: PresenceQuery): Promise<PresenceHeatmap> {
  const notes: string[] = [];
  const online = new Array<number>(7 * 24).fill(0);
  const cells = () => online.map((s, i) => ({ weekday: weekdays[Math.floor(i / 24)]!, hour: i % 24, online: s }));
  const range = await daysOfQuery(store, q);
  if (!range) return { rows: cells(), notes: ['no presence data in the store'] };
  const days = daysOf(q.tz, range.first, range.last);
  const lo = days[0]!.start;
  const hi = days[days.length - 1]!.end;
  const user = q.user?.toLowerCase();
  // local hour number -> cell: 1970-01-01 was a Thursday (index 3 from Monday)
  const addHour = (localHour: number, seconds: number) => {
    const weekday = (Math.floor(localHour / 24) + 3) % 7;
    online[weekday * 24 + (localHour % 24)]! += seconds;
  };
  const steps = offsetSteps(q.tz, lo, hi);
  let fromHours = false;
  if (wholeHours(lo, hi, steps)) {
    const c = await hoursCoverage(store, lo, hi, user);
    fromHours = c.pieces === c.hours;
  }
  for (const h of await onlineByLocalHour(store, lo, hi, steps, fromHours, user)) addHour(h.hour, h.seconds);
  for (const t of await latestSamples(store, lo - 2 * 86_400, user))
    for (const p of cut(t.user, t.ts, t.ts + (t.intervalS ?? DEFAULT_INTERVAL), t.state))
      if (p.start >= lo && p.start < hi && p.state === 'online') addHour(Math.floor((p.start + offsetAt(q.tz, p.start)) / HOUR), p.seconds);
  const daily = await dailyTotals(store, range.first, range.last, user);
  if (daily.length) notes.push('aggregate-only totals have no times of day: they are not in the heat map');
  return { rows: cells(), notes };
}
