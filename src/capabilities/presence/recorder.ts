// The presence recorder: what the poller (`mxray presence poll`) hands its samples to. It keeps them
// in the store (presence_samples, through the LiveLog pseudo-file the caller opens, `live:presence-poll`), appends the
// seed's line per sample to `<logDir>/YYYYMMDD.log`, stores each sample's duration once its successor
// is known (presence_spans, see spans.ts) and the poller's heartbeat (presence_heartbeats). In
// aggregate-only mode it keeps per user and day the seconds in each state (presence_daily) and writes
// neither sample rows nor log lines.
//
// API (for the poller):
//   const live = await LiveLog.open(store, 'presence-poll');   // store/live.ts (the caller opens it:
//                                                             // capabilities see the store by its types)
//   const rec = await openPresenceRecorder(store, live, { intervalS: 900, logDir: 'imlogs', tz: 'Europe/Berlin' });
//   await rec.recordCycle(at, enrolledUsers, observations);  // one cycle: every enrolled user's sample
//   await rec.recordPush(observation);                       // a change pushed between cycles (XMPP)
//   await rec.heartbeat(at);                                 // running, but no samples this time
//   await rec.close(at);                                     // the poller stops (flushes daily totals)
// Calls are serialized (each one awaits the previous): call them from one loop, in time order.
//
// Times: a sample's time is cut to the minute, as the seed's log writes it, so that importing the
// poller's own log later adds nothing (a sample is its user and its second). Two samples of one user
// in one minute: the first is kept. Enrolled users without an observation get an `unknown` sample
// (raw `not observed`). A gap while the poller did not run: the last sample before it lasts one
// interval (the poller stopped), the rest is unknown, never offline.
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LiveAppender, LiveTail, LiveValue, Store } from '../../store/types.js';
import { sql } from '../../sql/sql.js';
import { f, live, table } from '../../sql/dialect.js';
import { DAY, dayRows, hourRows, mergeDayRows, type TailSample } from './hours.js';
import { collectGarbage } from './gc.js';
import { ensureEpoch } from './marks.js';
import { daysOfLines } from './queries.js';
import { cut, spanEnd, type Piece } from './spans.js';
import { type EnrolledUser, type Observation, type PresenceState, seedCode } from './types.js';
import { checkZone, localDay, machineZone, offsetAt } from './zone.js';

export interface PresenceRecorderOptions {
  /** the sampling interval in seconds (the configured one) */
  readonly intervalS: number;
  /** folder of the seed's daily log files `YYYYMMDD.log` (created if missing); none: no log files */
  readonly logDir?: string;
  /** zone of the log lines' local time and of aggregate-only days (default: this machine's zone for
   *  the log, UTC for the days) */
  readonly tz?: string;
  /** store per user and day the seconds in each state only: no sample rows, no log lines */
  readonly aggregateOnly?: boolean;
  /** users per batch of a cycle (default 2,000): each user's sample, pieces and totals go in one
   *  batch, the cycle's heartbeat in its last */
  readonly batchUsers?: number;
}

export interface PresenceRecorder {
  /** one cycle at `at`: a sample of every observation, and `unknown` for enrolled users not observed */
  recordCycle(at: Date, users: readonly EnrolledUser[], observations: readonly Observation[]): Promise<void>;
  /** a change pushed between cycles (Observation.pushed true): it splits the interval there */
  recordPush(o: Observation): Promise<void>;
  /** the poller is running but recorded no samples (the directory could not be read …) */
  heartbeat(at: Date): Promise<void>;
  /** the poller stops at `at` (default now): heartbeat `stop`; aggregate-only: each user's last
   *  sample gets its one interval and the daily totals are written */
  close(at?: Date): Promise<void>;
}

interface Last {
  ts: number;
  state: PresenceState | string;
  intervalS: number;
  /** the sample came from before this recorder started: the poller was not running after it */
  before: boolean;
}

const sec = (d: Date) => Math.floor(d.getTime() / 1000);
const two = (n: number) => String(n).padStart(2, '0');

/** the seed's line of a sample: `20020404,10:21,administrator@exbend,Administrator,2` and its file's day */
export function seedLine(localSeconds: number, imAddress: string, username: string, code: number): { file: string; line: string } {
  const d = new Date(localSeconds * 1000);
  const ymd = `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}`;
  return { file: `${ymd}.log`, line: `${ymd},${two(d.getUTCHours())}:${two(d.getUTCMinutes())},${imAddress},${username},${code}` };
}

/** the seed's number of a sample: the raw value when it is one of the seed's numbers (an imported
 *  log's sample), else the state's */
function codeOf(o: { state: PresenceState; raw: string; source: string }): number {
  if (o.source === 'log' && /^\d+$/.test(o.raw)) return Number(o.raw);
  return seedCode[o.state];
}

export async function openPresenceRecorder(store: Store, log: LiveAppender, opts: PresenceRecorderOptions): Promise<PresenceRecorder> {
  if (!(Number.isInteger(opts.intervalS) && opts.intervalS >= 1))
    throw new Error(`presence recorder: intervalS must be a whole number of seconds ≥ 1, got ${opts.intervalS}`);
  const intervalS = opts.intervalS;
  const batchUsers = Math.max(1, opts.batchUsers ?? 2000);
  const logZone = checkZone(opts.tz ?? machineZone(), 'presence tz');
  const dayZone = opts.tz ? logZone : 'UTC';
  const aggregate = opts.aggregateOnly === true;
  const last = new Map<string, Last>();
  if (!aggregate) {
    // each user's latest stored sample: the poller was not running since, so it lasts one interval
    // (at most) once the first new sample of the user comes
    const rows = await store.query<{ user: string; ts: number; state: string; iv: number | null }>(
      'the latest presence sample of each user',
      sql`SELECT user, max(ts_s) AS ts, ${f.argMaxIf(sql`state`, sql`ts_s`, sql`1 = 1`)} AS state, ${f.argMaxIf(sql`interval_s`, sql`ts_s`, sql`1 = 1`)} AS iv
          FROM ${table('presence')} WHERE ${live('presence')} GROUP BY user`,
    );
    for (const r of rows) last.set(r.user, { ts: Number(r.ts), state: r.state, intervalS: r.iv ? Number(r.iv) : intervalS, before: true });
    // the daily totals' epoch (marks.ts): written once, before this recorder's first totals
    await ensureEpoch(store, log);
  }
  // The daily totals (presence_days) go to a pseudo-file of their own, `live:presence-days`, when the
  // appender has siblings (the store's LiveLog): each batch appends a row per user for the day of its
  // pieces, ~96 a day; once a day is over (the first batch two intervals after its end, when no
  // piece of it is still to come), the rows of the open days are replaced, in that batch, by one row
  // per user and day (their sums: mergeDayRows), and the rows of the days not over yet stay
  // provisional. A piece that comes later for a day already merged (a user back after an absence)
  // adds a row, merged again with the next day's. Reports add a user-day's rows up: the same totals.
  const days: LiveTail | undefined = aggregate ? undefined : await log.sibling?.('presence-days');
  /** the first provisional line of the days' pseudo-file, and the earliest day among its rows */
  let openFrom = days ? (days.provisionalFrom ?? 1) : 1;
  let openSince: number | undefined;
  if (days && days.count >= openFrom) {
    openSince = earliestDay(await daysOfLines(store, days.fileId, openFrom), openSince);
  }
  /** aggregate-only: user → day → state → seconds, not yet written */
  const totals = new Map<string, Map<string, Map<string, number>>>();
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const next = chain.then(job);
    chain = next.catch(() => undefined);
    return next;
  };

  const heartbeatRow = (t: number, event: string, users: number): LiveValue[] => [new Date(t * 1000), t, event, intervalS, users];

  function addTotals(pieces: readonly Piece[]): void {
    for (const p of pieces) {
      const day = localDay(dayZone, p.start);
      let byDay = totals.get(p.user);
      if (!byDay) totals.set(p.user, (byDay = new Map()));
      let byState = byDay.get(day);
      if (!byState) byDay.set(day, (byState = new Map()));
      byState.set(p.state, (byState.get(p.state) ?? 0) + p.seconds);
    }
  }

  /** aggregate-only: the rows of the days that ended before `until` (every day when undefined) */
  function takeTotals(until: number | undefined): LiveValue[][] {
    const rows: LiveValue[][] = [];
    const lastDay = until === undefined ? undefined : localDay(dayZone, until);
    for (const [user, byDay] of totals) {
      for (const [day, byState] of byDay) {
        if (lastDay !== undefined && day >= lastDay) continue;
        for (const [state, seconds] of byState) rows.push([user, day, dayZone, state, seconds]);
        byDay.delete(day);
      }
      if (!byDay.size) totals.delete(user);
    }
    return rows;
  }

  /** the samples of one call: their rows, log lines and the pieces of the samples they follow */
  async function record(at: number, samples: readonly Observation[], event: string, users: number): Promise<void> {
    const sampleRows: LiveValue[][] = [];
    const spanRows: LiveValue[][] = [];
    const stored: Piece[] = [];
    const tails: TailSample[] = [];
    const lines = new Map<string, string[]>();
    for (const o of samples) {
      const user = o.imAddress.trim().toLowerCase();
      const ts = Math.floor(sec(o.at) / 60) * 60;
      const prev = last.get(user);
      if (prev && ts <= prev.ts) continue; // the same minute (or older): the first sample stands
      if (prev) {
        const end = spanEnd(prev.ts, ts, prev.intervalS, prev.before ? 1 : 2);
        const pieces = cut(user, prev.ts, end, prev.state);
        if (aggregate) addTotals(pieces);
        else
          for (const p of pieces) {
            spanRows.push([p.user, p.start, p.seconds, p.state]);
            stored.push(p);
          }
      }
      // the user's entry changed in place: a new one per user and cycle was 20,000 objects of
      // garbage a cycle (issue 18)
      if (prev) {
        prev.ts = ts;
        prev.state = o.state;
        prev.intervalS = intervalS;
        prev.before = false;
      } else last.set(user, { ts, state: o.state, intervalS, before: false });
      if (aggregate) continue;
      sampleRows.push([user, o.username, new Date(ts * 1000), ts, o.state, o.raw, o.source, o.pushed ? 1 : 0, intervalS]);
      tails.push({ user, ts, state: o.state, intervalS });
      if (opts.logDir) {
        const l = seedLine(ts + offsetAt(logZone, ts), o.imAddress, o.username, codeOf(o));
        const list = lines.get(l.file);
        if (list) list.push(l.line);
        else lines.set(l.file, [l.line]);
      }
    }
    if (opts.logDir && lines.size) {
      await mkdir(opts.logDir, { recursive: true });
      for (const [file, list] of lines) await appendFile(join(opts.logDir, file), list.map((l) => `${l}\r\n`).join(''));
    }
    const daily = aggregate ? takeTotals(at - 2 * intervalS) : [];
    const hours = hourRows(stored);
    // the pieces' hourly and daily totals and the samples that have no piece yet, in the same
    // batch (hours.ts)
    const dayTotals = dayRows(hours, tails);
    const rows = {
      presence: sampleRows,
      presenceSpans: spanRows,
      presenceHours: hours,
      presenceDaily: daily,
      presenceHeartbeats: event ? [heartbeatRow(at, event, users)] : [],
    };
    if (!days) {
      await log.append({ ...rows, presenceDays: dayTotals });
      return;
    }
    /** a day is over once no piece of it is still to come: two intervals after its end */
    const over = (day: number) => day + DAY + 2 * intervalS <= at;
    if (openSince === undefined || !over(openSince)) {
      if (!dayTotals.length) return log.append(rows);
      await log.append(rows, { to: days, rows: { presenceDays: dayTotals }, provisionalFrom: openFrom });
      openSince = earliestDay(dayTotals, openSince);
      return;
    }
    // a day is over: the open rows and this batch's, one per user and day; those of days over
    // first (kept), then the others (provisional)
    const merged = mergeDayRows([...(await daysOfLines(store, days.fileId, openFrom)), ...dayTotals]);
    const kept = merged.filter((r) => over(r[1] as number));
    const open = merged.filter((r) => !over(r[1] as number));
    const from = openFrom;
    await log.append(rows, { to: days, rows: { presenceDays: [...kept, ...open] }, replaceFrom: from, provisionalFrom: from + kept.length });
    openFrom = from + kept.length;
    openSince = earliestDay(open, undefined);
  }

  await log.append({ presenceHeartbeats: [heartbeatRow(Math.floor(Date.now() / 1000), 'start', 0)] });

  return {
    recordCycle: (at, users, observations) =>
      serial(async () => {
        const seen = new Set(observations.map((o) => o.imAddress.trim().toLowerCase()));
        const missing: Observation[] = users
          .filter((u) => !seen.has(u.imAddress.trim().toLowerCase()))
          .map((u) => ({ imAddress: u.imAddress, username: u.username, at, state: 'unknown', raw: 'not observed', source: 'poller', pushed: false }));
        const all = missing.length ? [...observations, ...missing] : observations;
        // in batches of `batchUsers` users (each user's sample, pieces and totals in one), the
        // heartbeat with the last: a batch's rows, text and load are a few MB instead of the whole
        // cycle's (20,000 users: ~15 MB of TSV and ~50 MB of short-lived objects at once)
        for (let i = 0; i < all.length || i === 0; i += batchUsers) {
          const lastBatch = i + batchUsers >= all.length;
          await record(sec(at), all.slice(i, i + batchUsers), lastBatch ? 'cycle' : '', lastBatch ? seen.size + missing.length : 0);
          // a cycle of several batches: each batch's garbage collected before the next (gc.ts)
          if (all.length > batchUsers) collectGarbage();
        }
        // the cycle's rows written out of the store's memory (DuckDB: ~20 MB of blocks until its
        // next checkpoint), so that the poller's compacting collection after the cycle (poller.ts)
        // comes at its lowest; DuckDB checkpoints by itself later anyway (checkpoint_threshold), so
        // a failure (another transaction in the way, in `mxray serve`) costs nothing but memory
        await store.checkpoint?.().catch(() => undefined);
      }),
    recordPush: (o) => serial(() => record(sec(o.at), [{ ...o, pushed: true }], '', 0)),
    heartbeat: (at) => serial(() => record(sec(at), [], 'alive', 0)),
    close: (at) =>
      serial(async () => {
        const t = sec(at ?? new Date());
        if (aggregate) {
          for (const [user, l] of last) if (!l.before) addTotals(cut(user, l.ts, l.ts + l.intervalS, l.state));
          last.clear();
        }
        await log.append({ presenceDaily: takeTotals(undefined), presenceHeartbeats: [heartbeatRow(t, 'stop', 0)] });
      }),
  };
}

/** the earliest day (column 1) among daily-total rows, or `since` if earlier; undefined for none */
function earliestDay(rows: readonly (readonly LiveValue[])[], since: number | undefined): number | undefined {
  for (const r of rows) since = Math.min(since ?? Infinity, r[1] as number);
  return since;
}
