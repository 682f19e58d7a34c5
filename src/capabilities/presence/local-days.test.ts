// Local days from the daily totals and the hours that move (local-days.ts) equal the local days
// summed from every hourly total (hourTotals, an independent GROUP BY over presence_hours, itself
// checked against the generator's truth by presence.e2e.test.ts), in zones east and west of UTC,
// across clock changes, for users whose online time sits where the daily row cannot tell the local
// day's first or last online second (only in the hours that move, next to them, far from them).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckdbStore } from '../../store/duckdb/store.js';
import { LiveLog } from '../../store/live.js';
import { dayRows, hourRows } from './hours.js';
import { localDayTotals, planLocalDays } from './local-days.js';
import { hourTotals, offsetSteps, type PieceDay } from './queries.js';
import type { Piece } from './spans.js';
import { daysOf, offsetAt } from './zone.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-presence-local-days-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400;
const HOUR = 3600;
const order = (a: PieceDay, b: PieceDay) => a.user.localeCompare(b.user) || a.day - b.day;

/** a small deterministic generator (mulberry32) */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** who is online in which UTC hour of the day */
const patterns: Record<string, (hour: number, r: () => number) => boolean> = {
  always: () => true,
  late: (h) => h >= 20,
  early: (h) => h < 5,
  edges: (h) => h === 23 || h === 0,
  // online mid-day and in the last and first hour: the core's own last (first) is far from the end
  split: (h) => (h >= 9 && h < 12) || h === 23 || h === 0,
  sparse: (_h, r) => r() < 0.1,
  random: (_h, r) => r() < 0.4,
  never: () => false,
};
const others = ['away', 'busy', 'offline', 'unknown', 'idle'] as const;

/** quarter-hour pieces from `from` to `to`, some shorter than their quarter (a gap after them) */
function pieces(from: number, to: number, seed: number): Piece[][] {
  const r = random(seed);
  const cycles: Piece[][] = [];
  for (let t = from; t < to; t += 900) {
    const cycle: Piece[] = [];
    for (const [user, online] of Object.entries(patterns)) {
      const state = online(Math.floor((t % DAY) / HOUR), r) ? 'online' : others[Math.floor(r() * others.length)]!;
      const skip = r() < 0.2 ? Math.floor(r() * 600) : 0;
      const seconds = 900 - skip - (r() < 0.2 ? Math.floor(r() * (300 - 1)) : 0);
      if (r() < 0.05) continue; // a missed cycle: unknown
      cycle.push({ user: `${user}@example.org`, start: t + skip, seconds, state });
    }
    cycles.push(cycle);
  }
  return cycles;
}

/** the store as the recorder writes it: each cycle's pieces with their hourly and daily totals */
async function fill(store: DuckdbStore, from: number, to: number, seed: number): Promise<void> {
  const log = await LiveLog.open(store, 'presence-test');
  const batch: Piece[][] = [];
  const flush = async () => {
    const ps = batch.flat();
    const hours = hourRows(ps);
    await log.append({ presenceSpans: ps.map((p) => [p.user, p.start, p.seconds, p.state]), presenceHours: hours, presenceDays: dayRows(hours) });
    batch.length = 0;
  };
  for (const cycle of pieces(from, to, seed)) {
    batch.push(cycle);
    // a few cycles per batch: an hour is several rows, split across batches now and then
    if (batch.length === 6) await flush();
  }
  await flush();
}

describe('presence local days from the daily totals', () => {
  const cases: { zone: string; first: string; last: string }[] = [
    { zone: 'Europe/Berlin', first: '2026-10-24', last: '2026-10-26' }, // clocks back on the 25th
    { zone: 'Europe/Berlin', first: '2026-03-29', last: '2026-03-29' }, // forward on the 29th
    { zone: 'America/New_York', first: '2026-10-31', last: '2026-11-02' }, // back on 1 November
    { zone: 'Pacific/Auckland', first: '2026-04-04', last: '2026-04-06' }, // +13 → +12 on 5 April
    { zone: 'Pacific/Kiritimati', first: '2026-06-01', last: '2026-06-02' }, // +14
    { zone: 'Pacific/Pago_Pago', first: '2026-06-01', last: '2026-06-02' }, // −11
    { zone: 'Asia/Tokyo', first: '2026-06-01', last: '2026-06-01' }, // +9, one day
  ];
  for (const [i, c] of cases.entries())
    test(`${c.zone} ${c.first}…${c.last}: equal to the local days of every hourly total`, async () => {
      const store = await DuckdbStore.open(join(dir, `case${i}.duckdb`));
      try {
        const days = daysOf(c.zone, c.first, c.last);
        const lo = days[0]!.start;
        const hi = days[days.length - 1]!.end;
        await fill(store, Math.floor(lo / DAY) * DAY - DAY, Math.ceil(hi / DAY) * DAY + DAY, 17 + i);
        const localDayOf = (h: number) => Math.floor((h + offsetAt(c.zone, h)) / DAY);
        const steps = offsetSteps(c.zone, lo, hi);
        const want = (await hourTotals(store, lo, hi, steps)).sort(order);
        assert.ok(want.length >= Object.keys(patterns).length, 'user-days to compare');
        assert.deepEqual((await localDayTotals(store, lo, hi, localDayOf)).sort(order), want);
        // one user whose first/last online second is far from the hours that move
        const one = 'split@example.org';
        assert.deepEqual(
          (await localDayTotals(store, lo, hi, localDayOf, one)).sort(order),
          want.filter((d) => d.user === one),
        );
        // the plan reads most UTC days whole: at most two per range hour by hour
        const plans = planLocalDays(lo, hi, localDayOf);
        assert.ok(plans.filter((p) => p.home === undefined).length <= 2, JSON.stringify(plans.map((p) => p.home)));
      } finally {
        await store.close();
      }
    });
});
