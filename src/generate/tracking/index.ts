// `mxray generate tracking`: a realistic organisation's message tracking logs for one Exchange
// generation, and truth.json with the exact per-user counts the reports must reproduce.
//
//   org.ts      the organisation (servers, mailboxes in behaviour groups, groups, outside contacts)
//   plan.ts     who sends what to whom and when, per day, independent of the generation
//   msgtrk.ts   2007 / 2010 / 2013+ CSV writers (one renderer, profiles as data)
//   exchange2003.ts, exchange55.ts   the tab-delimited generations
//   sink.ts     time-ordered, buffered, rolling file output
//   truth.ts    the counts, recorded by the writers as they log the counted events
import { mkdirSync, writeFileSync } from 'node:fs';
import { generatedLogs, generatedTruth } from '../layout.js';
import { buildOrg } from './org.js';
import { DAY_MS, Planner, dayActivity, meanActivity } from './plan.js';
import { Random } from './random.js';
import { LogSink } from './sink.js';
import { TruthBuilder, type TrackingTruth } from './truth.js';
import { msgtrkGeneration, msgtrkProfiles } from './msgtrk.js';
import { exchange2003 } from './exchange2003.js';
import { exchange55 } from './exchange55.js';
import type { Generation } from './generation.js';

export type { TrackingTruth, UserTruth, DayTraffic, UserClasses } from './truth.js';
export { classify, classBoundaries } from './truth.js';
export { generatedLogs, generatedTruth } from '../layout.js';

/** the one list of generations the generator writes */
export const trackingGenerations = {
  '2013': msgtrkGeneration(msgtrkProfiles['2013']),
  '2010': msgtrkGeneration(msgtrkProfiles['2010']),
  '2007': msgtrkGeneration(msgtrkProfiles['2007']),
  '2003': exchange2003,
  '55': exchange55,
} as const satisfies Record<string, Generation>;

export type TrackingVersion = keyof typeof trackingGenerations;
export const trackingVersions = Object.keys(trackingGenerations) as TrackingVersion[];

export interface TrackingGenOptions {
  users: number;
  days: number;
  servers: number;
  version: TrackingVersion;
  /** output folder (created): the logs in out/logs/, one sub-folder per server; out/truth.json */
  out: string;
  seed?: number;
  /** first UTC date, YYYY-MM-DD (default 2024-03-04, a Monday) */
  start?: string;
  /** keep generating until about this many bytes are written (benchmarks); `days` is then ignored */
  targetBytes?: number;
}

export const defaultStart = '2024-03-04';
export const defaultSeed = 1;

/** checks the options; throws a RangeError naming the option that is wrong */
export function checkTrackingOptions(o: TrackingGenOptions): void {
  const whole = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`--${name}: expected a whole number from ${min} to ${max}, got ${v}`);
  };
  // a day's plan is held in memory: about 30 messages and 40 kB per mailbox
  whole('users', o.users, 1, 20_000);
  whole('days', o.days, 1, 3660);
  whole('servers', o.servers, 1, 99);
  if (!Object.hasOwn(trackingGenerations, o.version)) {
    throw new RangeError(`--version: expected one of ${trackingVersions.join(', ')}, got ${String(o.version)}`);
  }
  if (o.seed !== undefined) whole('seed', o.seed, 0, 0xffffffff);
  if (
    o.start !== undefined &&
    (!/^\d{4}-\d{2}-\d{2}$/.test(o.start) ||
      Number.isNaN(Date.parse(`${o.start}T00:00:00Z`)) ||
      new Date(`${o.start}T00:00:00Z`).toISOString().slice(0, 10) !== o.start)
  ) {
    throw new RangeError(`--start: expected a date YYYY-MM-DD, got ${o.start}`);
  }
  if (o.targetBytes !== undefined && !(o.targetBytes > 0)) throw new RangeError(`targetBytes: expected a positive number, got ${o.targetBytes}`);
}

/** writes the logs of one generation under `o.out/logs/`, and `o.out/truth.json`; returns the truth */
export async function generateTracking(o: TrackingGenOptions): Promise<TrackingTruth> {
  checkTrackingOptions(o);
  const seed = o.seed ?? defaultSeed;
  const start = Date.parse(`${o.start ?? defaultStart}T00:00:00Z`);
  const generation: Generation = trackingGenerations[o.version];
  const org = buildOrg(seed, o.users, o.servers);
  const planner = new Planner(org, seed);
  const truth = new TruthBuilder();
  const logs = generatedLogs(o.out);
  mkdirSync(logs, { recursive: true });
  const sink = new LogSink(logs, generation.layout, truth);
  const renderer = generation.renderer({ org, rng: new Random(seed, `render:${o.version}`), sink, truth });
  const open = o.targetBytes !== undefined;
  const target = o.targetBytes ?? Infinity;
  const mean = meanActivity(seed, start, open ? undefined : o.days);

  try {
    // open-ended (targetBytes): a hundred years at most, whatever the organisation writes per day
    for (let day = 0; open ? day < 36_525 : day < o.days; day++) {
      const dayStart = start + day * DAY_MS;
      const items = planner.day(day, dayStart, dayActivity(seed, start, day) / mean);
      for (const item of items) {
        if (sink.bytes >= target) break;
        sink.release(item.time);
        if (item.kind === 'quota') renderer.quota(item);
        else renderer.message(item);
      }
      sink.release(dayStart + DAY_MS);
      if (sink.bytes >= target) break;
      // let other work run between days of a long generation
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    sink.finish();
  }

  const result = truth.build(o.version, seed);
  writeFileSync(generatedTruth(o.out), JSON.stringify(result, null, 2) + '\n');
  return result;
}
