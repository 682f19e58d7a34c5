// Message-tracking reports: per-user traffic, light/medium/heavy classes for capacity planning
// (seed 003: n = sqrt((S² + R²) / 2) per day, MMB3 boundaries 48 and 78), traffic over time, top
// users. Counting itself is the tracking capability's queries' (capabilities/tracking/queries.ts);
// this module turns totals into the typed rows of the JSON contract.
import type { Store, TimeRange } from '../../store/types.js';
import { activeDays, traffic, userTotals } from './queries.js';
import type { TrafficRow, UserTotals } from './types.js';

export type UserClass = 'light' | 'medium' | 'heavy';
export const userClasses: readonly UserClass[] = ['light', 'medium', 'heavy'];

export interface ClassifyOptions {
  range: TimeRange;
  recipients: 'once' | 'each';
  /** n below this is light (default 48) */
  lightMax: number;
  /** n at or above this is heavy (default 78) */
  heavyMin: number;
  /** combined: n from sent and received; sent: by sentPerDay alone (the article's first method) */
  mode: 'combined' | 'sent';
}

export const classifyDefaults = { lightMax: 48, heavyMin: 78, mode: 'combined', recipients: 'once' } as const;

export interface UserRow extends UserTotals {
  sentPerDay: number;
  receivedPerDay: number;
  n: number;
  class: UserClass;
}

export interface ClassesReport {
  days: number;
  mode: 'combined' | 'sent';
  lightMax: number;
  heavyMin: number;
  users: number;
  classes: Record<UserClass, { users: number; percent: number }>;
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function classify(n: number, o: Pick<ClassifyOptions, 'lightMax' | 'heavyMin'>): UserClass {
  if (n < o.lightMax) return 'light';
  if (n >= o.heavyMin) return 'heavy';
  return 'medium';
}

export function userRows(totals: readonly UserTotals[], days: number, o: Pick<ClassifyOptions, 'lightMax' | 'heavyMin' | 'mode'>): UserRow[] {
  const d = Math.max(days, 1);
  return totals.map((t) => {
    const sentPerDay = t.sent / d;
    const receivedPerDay = t.received / d;
    const n = o.mode === 'sent' ? sentPerDay : Math.sqrt((sentPerDay ** 2 + receivedPerDay ** 2) / 2);
    return { ...t, sentPerDay: round(sentPerDay), receivedPerDay: round(receivedPerDay), n: round(n), class: classify(n, o) };
  });
}

export async function usersReport(store: Store, o: ClassifyOptions): Promise<{ days: number; rows: UserRow[] }> {
  const [days, totals] = await Promise.all([activeDays(store, o.range), userTotals(store, o.range, o.recipients)]);
  return { days, rows: userRows(totals, days, o) };
}

export function classesOf(rows: readonly UserRow[], days: number, o: Pick<ClassifyOptions, 'lightMax' | 'heavyMin' | 'mode'>): ClassesReport {
  const counts: Record<UserClass, number> = { light: 0, medium: 0, heavy: 0 };
  for (const r of rows) counts[r.class]++;
  const total = rows.length;
  const pct = (n: number) => (total ? round((100 * n) / total, 2) : 0);
  return {
    days,
    mode: o.mode,
    lightMax: o.lightMax,
    heavyMin: o.heavyMin,
    users: total,
    classes: {
      light: { users: counts.light, percent: pct(counts.light) },
      medium: { users: counts.medium, percent: pct(counts.medium) },
      heavy: { users: counts.heavy, percent: pct(counts.heavy) },
    },
  };
}

export async function classesReport(store: Store, o: ClassifyOptions): Promise<ClassesReport> {
  const { days, rows } = await usersReport(store, o);
  return classesOf(rows, days, o);
}

export function trafficReport(store: Store, range: TimeRange, by: 'day' | 'hour'): Promise<TrafficRow[]> {
  return traffic(store, range, by);
}

export const topKeys = ['sent', 'received', 'sentBytes', 'receivedBytes', 'n'] as const;
export type TopKey = (typeof topKeys)[number];

export async function topReport(store: Store, o: ClassifyOptions, by: TopKey, limit: number): Promise<UserRow[]> {
  const { rows } = await usersReport(store, o);
  return [...rows].sort((a, b) => b[by] - a[by] || a.user.localeCompare(b.user)).slice(0, limit);
}
