// Local days of a zone whose offsets are whole hours, from the daily totals (presence_days: a row per
// user and UTC day) and the few hourly totals that do not fall on the local day their UTC day mostly
// does: a month of 20,000 users in Europe/Berlin reads 600,000 daily rows and the 23:00 UTC hour of
// each day (600,000 hourly rows), not the month's 14.4 M hourly rows.
//
// Each UTC day's hours go to one local day (its "home": the local day most of its hours in the range
// fall on) but for a few at one end (Berlin in winter: 23:00–24:00 UTC is the next local day). The
// daily row goes to the home day, and the other hours ("moved") are read from the hourly totals:
// taken off the home day and added to their own local day (when it is in the range). A UTC day at the
// edge of the range with less than half its hours in the range is read hour by hour instead.
//
// First and last online second: the daily row's are the home day's when they lie in its core (the
// hours that stay); when the row's first (or last) falls in a moved hour, the core's own first (last)
// may be anything — "ambiguous". The hours of the core nearest that end are read for every user (four
// hours: a user online in any of them settles it), then the core hours of the few user-days still
// open, by user. The result equals hourTotals over the same range (test: local-days.test.ts).
import type { Store } from '../../store/types.js';
import { type Sql, join, list, raw, sql } from '../../sql/sql.js';
import { DAY, HOUR } from './hours.js';
import { dayTotals, hoursWhere, type PieceDay } from './queries.js';
import { presenceStates } from './types.js';

/** core hours read for every user to settle an ambiguous first or last online second */
const NEAR_HOURS = 4;
/** user-days settled by their own core hours, by user: beyond this, a day's core is read for everyone */
const MAX_BY_USER = 2_000;

/** how one UTC day of the range is read */
export interface UtcDayPlan {
  /** UTC day number (days since 1970-01-01) */
  readonly d: number;
  /** the local day its daily row goes to; undefined: its row is not read, its hours in range are */
  readonly home: number | undefined;
  /** the hours going to `home` (UTC seconds, [coreLo, coreHi)): contiguous */
  readonly coreLo: number;
  readonly coreHi: number;
  /** the hours read from the hourly totals, seconds from the day's start, merged [from, to) ranges */
  readonly moved: readonly (readonly [number, number])[];
}

/** The plan of the UTC days of local days [lo, hi) (whole hours; `localDayOf` the local day number of
 *  an hour's start). */
export function planLocalDays(lo: number, hi: number, localDayOf: (hour: number) => number): UtcDayPlan[] {
  const plans: UtcDayPlan[] = [];
  for (let d = Math.floor(lo / DAY); d * DAY < hi; d++) {
    const start = d * DAY;
    const days: number[] = [];
    const count = new Map<number, number>();
    for (let h = start; h < start + DAY; h += HOUR) {
      const inRange = h >= lo && h < hi;
      const l = inRange ? localDayOf(h) : Number.NaN;
      days.push(l);
      if (inRange) count.set(l, (count.get(l) ?? 0) + 1);
    }
    let home: number | undefined;
    let best = 0;
    for (const [l, c] of count) if (c > best) [home, best] = [l, c];
    const first = days.indexOf(home!);
    const last = days.lastIndexOf(home!);
    // the daily row is read when its home hours are at least half the day, and one run of hours
    const contiguous = first >= 0 && days.slice(first, last + 1).every((l) => l === home);
    if (best * 2 < DAY / HOUR || !contiguous) home = undefined;
    const ranges: [number, number][] = [];
    days.forEach((l, i) => {
      const take = home === undefined ? !Number.isNaN(l) : l !== home;
      if (!take) return;
      const prev = ranges[ranges.length - 1];
      if (prev && prev[1] === i * HOUR) prev[1] = (i + 1) * HOUR;
      else ranges.push([i * HOUR, (i + 1) * HOUR]);
    });
    plans.push(
      home === undefined
        ? { d, home, coreLo: start, coreHi: start, moved: ranges }
        : { d, home, coreLo: start + first * HOUR, coreHi: start + (last + 1) * HOUR, moved: ranges },
    );
  }
  return plans;
}

/** A filter on presence_hours.hour_s: per UTC day `d`, the hours in its ranges (seconds from the
 *  day's start). Runs of consecutive days with the same ranges are one term on the hour of the day,
 *  so a year is a few terms (one per clock change), not one per day. */
export function hourTerms(days: readonly { d: number; ranges: readonly (readonly [number, number])[] }[]): Sql {
  const terms: Sql[] = [];
  const key = (r: readonly (readonly [number, number])[]) => r.map(([a, b]) => `${a}-${b}`).join(',');
  const m = sql`(hour_s % ${raw(String(DAY))})`;
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && days[j + 1]!.d === days[j]!.d + 1 && key(days[j + 1]!.ranges) === key(days[i]!.ranges)) j++;
    const r = days[i]!.ranges;
    if (r.length) {
      const within = r.map(([a, b]) =>
        a === 0 && b === DAY
          ? sql`1 = 1`
          : a === 0
            ? sql`${m} < ${raw(String(b))}`
            : b === DAY
              ? sql`${m} >= ${raw(String(a))}`
              : sql`(${m} >= ${raw(String(a))} AND ${m} < ${raw(String(b))})`,
      );
      terms.push(sql`(hour_s >= ${raw(String(days[i]!.d * DAY))} AND hour_s < ${raw(String((days[j]!.d + 1) * DAY))} AND (${join(within, ' OR ')}))`);
    }
    i = j + 1;
  }
  return terms.length ? sql`(${join(terms, ' OR ')})` : sql`1 = 0`;
}

/** one user's local day being put together */
interface Slot {
  user: string;
  day: number;
  seconds: number[];
  first: number | undefined;
  last: number | undefined;
}

/** a daily row whose core's first or last online second is not known yet */
interface Open {
  slot: Slot;
  plan: UtcDayPlan;
  side: 'first' | 'last';
}

const minOf = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
const maxOf = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
const hourOf = (t: number) => Math.floor(t / HOUR) * HOUR;

/** The same as hourTotals over [lo, hi) (local days of a zone whose offsets are whole hours), from the
 *  daily totals and the hours that move (see the header). The daily totals must be complete over the
 *  UTC days the range touches (report.ts checks the marks). */
export async function localDayTotals(store: Store, lo: number, hi: number, localDayOf: (hour: number) => number, user?: string): Promise<PieceDay[]> {
  const plans = planLocalDays(lo, hi, localDayOf);
  const planOf = new Map(plans.map((p) => [p.d, p]));
  const used = plans.filter((p) => p.home !== undefined);
  const slots = new Map<string, Map<number, Slot>>();
  const slot = (u: string, day: number): Slot => {
    let byDay = slots.get(u);
    if (!byDay) slots.set(u, (byDay = new Map()));
    let s = byDay.get(day);
    if (!s) byDay.set(day, (s = { user: u, day, seconds: presenceStates.map(() => 0), first: undefined, last: undefined }));
    return s;
  };
  /** per user and UTC day: the daily row's slot and what its core's first/last are */
  const cores = new Map<string, Map<number, { slot: Slot; first: number | undefined; last: number | undefined; openFirst: boolean; openLast: boolean }>>();

  if (used.length) {
    for (const r of await dayTotals(store, used[0]!.d * DAY, (used[used.length - 1]!.d + 1) * DAY, user)) {
      const p = planOf.get(r.day);
      if (p?.home === undefined) continue;
      const s = slot(r.user, p.home);
      for (let i = 0; i < s.seconds.length; i++) s.seconds[i]! += r.seconds[i]!;
      // the core's first and last online second, where the daily row's tell them
      let first: number | undefined;
      let last: number | undefined;
      let openFirst = false;
      let openLast = false;
      if (r.first !== undefined && r.last !== undefined) {
        const hf = hourOf(r.first);
        const hl = hourOf(r.last - 1);
        if (hf >= p.coreHi || hl < p.coreLo) {
          // every online piece of the day is in moved hours: the core has none
        } else {
          if (hf >= p.coreLo) first = r.first;
          else openFirst = true;
          if (hl < p.coreHi) last = r.last;
          else openLast = true;
        }
      }
      let byDay = cores.get(r.user);
      if (!byDay) cores.set(r.user, (byDay = new Map()));
      byDay.set(p.d, { slot: s, first, last, openFirst, openLast });
    }
  }

  // the moved hours: off their UTC day's home day, onto their own local day when it is in the range
  const moved = plans.filter((p) => p.moved.length).map((p) => ({ d: p.d, ranges: p.moved }));
  if (moved.length)
    for (const h of await hoursWhere(store, hourTerms(moved), user)) {
      const p = planOf.get(Math.floor(h.day / DAY))!;
      if (p.home !== undefined) {
        const s = slot(h.user, p.home);
        for (let i = 0; i < s.seconds.length; i++) s.seconds[i]! -= h.seconds[i]!;
      }
      if (h.day >= lo && h.day < hi) {
        const s = slot(h.user, localDayOf(h.day));
        for (let i = 0; i < s.seconds.length; i++) s.seconds[i]! += h.seconds[i]!;
        s.first = minOf(s.first, h.first);
        s.last = maxOf(s.last, h.last);
      }
    }

  // the cores' first and last where known; the open ones that matter (no other part of the local
  // day is beyond the core on that side)
  const open: Open[] = [];
  for (const byDay of cores.values())
    for (const [d, c] of byDay) {
      const p = planOf.get(d)!;
      c.slot.first = minOf(c.slot.first, c.first);
      c.slot.last = maxOf(c.slot.last, c.last);
      if (c.openFirst) open.push({ slot: c.slot, plan: p, side: 'first' });
      if (c.openLast) open.push({ slot: c.slot, plan: p, side: 'last' });
    }
  await settle(store, open, user);

  const out: PieceDay[] = [];
  for (const byDay of slots.values()) for (const s of byDay.values()) if (s.seconds.some((v) => v !== 0) || s.last !== undefined) out.push(s);
  return out;
}

/** The first (last) online second of the open cores: from the core hours nearest that end, read for
 *  every user; the rest from their whole core, by user. */
async function settle(store: Store, open: readonly Open[], user: string | undefined): Promise<void> {
  // open only where no other part of the local day lies beyond the core on that side
  const pending = open.filter((o) =>
    o.side === 'first' ? o.slot.first === undefined || o.slot.first >= o.plan.coreLo : o.slot.last === undefined || o.slot.last <= o.plan.coreHi,
  );
  if (!pending.length) return;
  /** the hours of `rows` in [from, to) of the open's user: an online piece among them settles it */
  const byUserDay = (rows: readonly PieceDay[]) => {
    const m = new Map<string, PieceDay[]>();
    for (const h of rows) {
      if (h.last === undefined) continue;
      const k = `${h.user}\u0000${Math.floor(h.day / DAY)}`;
      const l = m.get(k);
      if (l) l.push(h);
      else m.set(k, [h]);
    }
    return (o: Open, from: number, to: number): boolean => {
      let first: number | undefined;
      let last: number | undefined;
      for (const h of m.get(`${o.slot.user}\u0000${o.plan.d}`) ?? [])
        if (h.day >= from && h.day < to) [first, last] = [minOf(first, h.first), maxOf(last, h.last)];
      if (last === undefined) return false;
      if (o.side === 'first') o.slot.first = minOf(o.slot.first, first);
      else o.slot.last = maxOf(o.slot.last, last);
      return true;
    };
  };
  /** the core hours nearest the open end */
  const nearOf = (o: Open): [number, number] =>
    o.side === 'first'
      ? [o.plan.coreLo, Math.min(o.plan.coreHi, o.plan.coreLo + NEAR_HOURS * HOUR)]
      : [Math.max(o.plan.coreLo, o.plan.coreHi - NEAR_HOURS * HOUR), o.plan.coreHi];
  const nearRanges = new Map<number, [number, number][]>();
  for (const o of pending) {
    const [a, b] = nearOf(o);
    const start = o.plan.d * DAY;
    const rs = nearRanges.get(o.plan.d) ?? [];
    if (!rs.some(([x, y]) => x === a - start && y === b - start)) rs.push([a - start, b - start]);
    nearRanges.set(
      o.plan.d,
      rs.sort((x, y) => x[0] - y[0]),
    );
  }
  const near = [...nearRanges].sort((x, y) => x[0] - y[0]).map(([d, ranges]) => ({ d, ranges }));
  const nearFound = byUserDay(await hoursWhere(store, hourTerms(near), user));
  const rest = pending.filter((o) => !nearFound(o, ...nearOf(o)));
  // no online piece near the end: the whole core (its first/last is further in), by user
  const byDay = new Map<number, Open[]>();
  for (const o of rest) {
    const l = byDay.get(o.plan.d);
    if (l) l.push(o);
    else byDay.set(o.plan.d, [o]);
  }
  for (const opens of byDay.values()) {
    const p = opens[0]!.plan;
    const users = [...new Set(opens.map((o) => o.slot.user))];
    const who = user === undefined && users.length <= MAX_BY_USER ? sql`AND user IN ${list(users)}` : sql``;
    const found = byUserDay(await hoursWhere(store, sql`hour_s >= ${raw(String(p.coreLo))} AND hour_s < ${raw(String(p.coreHi))} ${who}`, user));
    for (const o of opens) found(o, p.coreLo, p.coreHi);
  }
}
