// `mxray generate iis`: a site's IIS W3C logs with Exchange ActiveSync traffic, plus truth.json.
//
//   out/logs/<SERVER>/W3SVC1/u_exYYMMDD.log   front end, port 443 (every version)
//   out/logs/<SERVER>/W3SVC2/u_exYYMMDD.log   2013+ back end, port 444: each proxied EAS request
//                                              again, /Proxy/default.eas with Log=PrxFrom:… (count it once!)
//   out/truth.json                            what the ActiveSync reports must find (see truth.ts)
//
// The same options and seed give the same bytes. Work is streamed one UTC day at a time.
// `leftOut` makes a collection that misses logs (every front end's, some servers' or some days'
// front-end logs, the back ends'): they are made but not written, and the truth counts what the
// written logs show (truth.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { generatedLogs, generatedTruth } from '../layout.js';
import { DayEvents, RUNAWAY_HITS_PER_HOUR, generateDay } from './activity.js';
import { buildPopulation } from './population.js';
import { renderDay } from './render.js';
import { iisVersionNames, iisVersions, type IisVersion } from './tables.js';
import { DAY } from './time.js';
import { TruthBuilder, type IisTruth, type LeftOut } from './truth.js';

export type { IisVersion } from './tables.js';
export type { LeftOut, IisTruth, IisDeviceTruth, IisDeviceLogTruth, IisDeviceDayTruth, CollectionType } from './truth.js';
export { collectionTypes } from './truth.js';
export { generatedLogs, generatedTruth } from '../layout.js';
export { iisVersionNames, RUNAWAY_HITS_PER_HOUR };

export interface IisGenOptions {
  users: number;
  days: number;
  version: IisVersion;
  out: string;
  seed?: number;
  /** first UTC day, YYYY-MM-DD; default 2024-03-04 (a Monday) */
  start?: string;
  /** CAS / front-end servers (2013+: multi-role servers, each with a front and a back end); default 2 */
  servers?: number;
  /** keep adding days past `days` until about this many bytes are written (benchmarks) */
  targetBytes?: number;
  /** logs to make but not write: a collection that misses them (truth.ts says what then counts) */
  leftOut?: LeftOut;
}

export const DEFAULT_START = '2024-03-04';

function positiveInt(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`generate iis: ${name} must be a whole number from 1 to ${max}, got ${v}`);
  return v;
}

function parseStart(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s) {
    throw new RangeError(`generate iis: start must be a date as YYYY-MM-DD, got "${s}"`);
  }
  return t;
}

/** write the logs under out/logs/ and out/truth.json; returns the truth */
export async function generateIis(o: IisGenOptions): Promise<IisTruth> {
  if (!Object.hasOwn(iisVersions, o.version)) throw new RangeError(`generate iis: version must be one of ${iisVersionNames.join(', ')}, got "${o.version}"`);
  const v = iisVersions[o.version];
  const users = positiveInt('users', o.users, 1_000_000);
  const days = positiveInt('days', o.days, 3660);
  const servers = positiveInt('servers', o.servers ?? 2, 64);
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError(`generate iis: seed must be a whole number, got ${seed}`);
  const start = o.start ?? DEFAULT_START;
  const t0 = parseStart(start);
  const target = o.targetBytes ?? 0;

  const logs = generatedLogs(o.out);
  await mkdir(logs, { recursive: true });
  const pop = buildPopulation({ seed, users, days, servers, version: v });
  const truth = new TruthBuilder(pop.devices);
  const activity = { seed, version: v, firstWeekday: new Date(t0).getUTCDay() };
  const events = new DayEvents();
  const dateOf = (day: number) => new Date(t0 + day * DAY).toISOString().slice(0, 10);
  let written = 0;
  let day = 0;
  for (; day < days || written < target; day++) {
    generateDay(activity, pop, day, events);
    written += await renderDay({ seed, version: v, pop, truth, out: logs, ...(o.leftOut ? { leftOut: o.leftOut } : {}) }, day, dateOf(day), events);
  }
  const result = truth.build({ version: o.version, seed, from: start, to: dateOf(day - 1), days: day, ...(o.leftOut ? { leftOut: o.leftOut } : {}) });
  await writeFile(generatedTruth(o.out), JSON.stringify(result, null, 2) + '\n');
  return result;
}
