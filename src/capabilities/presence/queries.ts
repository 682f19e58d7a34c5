// Presence queries, written once for both stores (sql/dialect.ts renders what differs). They read
// the stored durations (presence_spans: pieces that never straddle a local midnight, spans.ts), the
// latest sample of each user (whose piece is not stored yet: it lasts one interval), and the
// aggregate-only totals (presence_daily). Days are local days of a zone: a piece's day is its start
// plus the zone's offset then, an expression of at most a few branches (the clock changes in the
// range), so the GROUP BY stays one pass over the pieces.
import type { LiveValue, Store } from '../../store/types.js';
import { f, live, table } from '../../sql/dialect.js';
import { type Sql, ident, join, raw, sql } from '../../sql/sql.js';
import { hourColumns } from './hours.js';
import { offsetAt } from './zone.js';
import { presenceStates } from './types.js';

/** the zone's offset over [lo, hi) as (from, offset) steps: found per quarter hour, the finest step
 *  of any zone's rules */
export function offsetSteps(zone: string, lo: number, hi: number): { from: number; offset: number }[] {
  const steps = [{ from: lo, offset: offsetAt(zone, lo) }];
  for (let t = Math.floor(lo / 900) * 900 + 900; t < hi; t += 900) {
    const o = offsetAt(zone, t);
    if (o !== steps[steps.length - 1]!.offset) steps.push({ from: t, offset: o });
  }
  return steps;
}

/** the zone's offset (seconds) at a UTC seconds expression, from the steps over the range */
function localOffset(column: Sql, steps: readonly { from: number; offset: number }[]): Sql {
  if (steps.length === 1) return raw(String(steps[0]!.offset));
  const branches = steps.slice(1).map((s, i) => sql`WHEN ${column} < ${raw(String(s.from))} THEN ${raw(String(steps[i]!.offset))}`);
  return sql`CASE ${join(branches, ' ')} ELSE ${raw(String(steps[steps.length - 1]!.offset))} END`;
}

/** local day number (days since 1970-01-01 in the zone) of a UTC seconds expression */
function localDayNumber(column: Sql, steps: readonly { from: number; offset: number }[]): Sql {
  return f.toInt(sql`floor((${column} + ${localOffset(column, steps)}) / 86400)`);
}

/** one user's day: seconds per state (in presenceStates order), first and last online second */
export interface PieceDay {
  user: string;
  day: number;
  seconds: number[];
  first: number | undefined;
  last: number | undefined;
}

/** Seconds per user, local day and state of the stored pieces starting in [lo, hi). One row per
 *  user, its days in one flat array (perUser): a month of 20,000 users is 600,000 user-days, and
 *  rows cost far more to hand from a store to JavaScript than arrays of integers. */
export async function pieceTotals(
  store: Store,
  lo: number,
  hi: number,
  steps: readonly { from: number; offset: number }[],
  user?: string,
): Promise<PieceDay[]> {
  const who = user ? sql`AND user = ${user}` : sql``;
  return perUser(
    store,
    'presence time per user, day and state',
    sql`SELECT user, ${dayArray(
      presenceStates.map((s) => f.sumIf(sql`seconds`, sql`state = ${s}`)),
      f.minIf(sql`start_s`, sql`state = 'online'`),
      f.maxIf(sql`start_s + seconds`, sql`state = 'online'`),
    )} AS d FROM (
          SELECT user, ${localDayNumber(sql`start_s`, steps)} AS day, state, seconds, start_s
          FROM ${table('presenceSpans')} WHERE ${live('presenceSpans')} AND start_s >= ${raw(String(lo))} AND start_s < ${raw(String(hi))} ${who}) p
        GROUP BY user, day`,
  );
}

/** The same as pieceTotals, from the hourly totals (presence_hours, hours.ts) of the hours starting
 *  in [lo, hi): for a zone whose offsets over the range are whole hours (report.ts checks), every
 *  hour lies in one local day. */
export async function hourTotals(store: Store, lo: number, hi: number, steps: readonly { from: number; offset: number }[], user?: string): Promise<PieceDay[]> {
  return summedTotals(
    store,
    'presence time per user, day and state (hourly totals)',
    'presenceHours',
    localDayNumber(sql`hour_s`, steps),
    sql`hour_s >= ${raw(String(lo))} AND hour_s < ${raw(String(hi))}`,
    user,
  );
}

/** The same as pieceTotals for UTC days, from the daily totals (presence_days, hours.ts) of the days
 *  starting in [lo, hi) (whole UTC days; report.ts checks the marks first, marks.ts). */
export async function dayTotals(store: Store, lo: number, hi: number, user?: string): Promise<PieceDay[]> {
  const days = await summedTotals(
    store,
    'presence time per user, day and state (daily totals)',
    'presenceDays',
    f.toInt(sql`floor(day_s / 86400)`),
    sql`day_s >= ${raw(String(lo))} AND day_s < ${raw(String(hi))}`,
    user,
  );
  return days.filter((d) => d.seconds.some((v) => v > 0));
}

/** numbers of a day in perUser's array */
const DAY_WIDTH = presenceStates.length + 3;

/** one user-day as perUser reads it, in a query grouped by user and `day`: [day, seconds per state
 *  in presenceStates order, first online second, last online second], NULLs as 0, all 64-bit */
function dayArray(seconds: readonly Sql[], first: Sql, last: Sql): Sql {
  const n = (x: Sql) => f.toInt(sql`coalesce(${x}, 0)`);
  return sql`[${join([n(sql`day`), ...seconds.map(n), n(first), n(last)])}]`;
}

/** seconds per state, first and last online second of presence_hours or presence_days rows per user
 *  and `key` (a day number expression of their columns), of the rows `where` selects */
function summedTotals(store: Store, what: string, from: 'presenceHours' | 'presenceDays', key: Sql, where: Sql, user?: string): Promise<PieceDay[]> {
  const who = user ? sql`AND user = ${user}` : sql``;
  const seconds = dayArray(
    hourColumns.map((c) => sql`sum(${ident(c)})`),
    sql`min(first_online_s)`,
    sql`max(last_online_s)`,
  );
  return perUser(
    store,
    what,
    sql`SELECT user, ${seconds} AS d FROM (
          SELECT user, ${key} AS day, ${join(hourColumns.map((c) => ident(c)))}, first_online_s, last_online_s
          FROM ${table(from)} WHERE ${live(from)} AND ${where} ${who}) p
        GROUP BY user, day`,
  );
}

/** The user-days of `days` (rows: user, d: a dayArray, one per user and day), as one row per user
 *  whose days are one flat array of integers (DAY_WIDTH per day). A month of 20,000 users is
 *  600,000 user-days: as rows, or as texts packed per user (what this did before), handing them to
 *  JavaScript cost more than the query (issue 18's bench: the UTC month's daily totals 3.2 CPU-s
 *  packed, ~1.5 as arrays); the integers are cast to 64 bits before (DuckDB sums INTs as HUGEINT).
 *  ClickHouse sends 64-bit integers as JSON strings: read with Number() either way. */
async function perUser(store: Store, what: string, days: Sql): Promise<PieceDay[]> {
  const rows = await store.query<{ user: string; days: readonly (number | string)[] }>(
    what,
    sql`SELECT user, ${f.concatArrays(sql`d`)} AS days FROM (${days}) g GROUP BY user`,
  );
  const out: PieceDay[] = [];
  const n = presenceStates.length;
  for (const r of rows) {
    const a = r.days;
    if (a.length % DAY_WIDTH !== 0) throw new Error(`presence totals of ${r.user}: ${a.length} numbers, not a multiple of ${DAY_WIDTH}`);
    // DuckDB's numbers as they are; ClickHouse's texts converted first (one pass, then one loop)
    const v = typeof a[0] === 'number' ? (a as readonly number[]) : a.map(Number);
    for (let at = 0; at < v.length; at += DAY_WIDTH) {
      const seconds = new Array<number>(n);
      for (let i = 0; i < n; i++) seconds[i] = v[at + 1 + i]!;
      const first = v[at + n + 1]!;
      const last = v[at + n + 2]!;
      out.push({ user: r.user, day: v[at]!, seconds, first: last > 0 ? first : undefined, last: last > 0 ? last : undefined });
    }
  }
  return out;
}

/** each user's latest sample from `since` on, from the tails of the daily totals (the same as
 *  latestSamples where the marks say the daily totals are complete) */
export async function latestTails(store: Store, since: number, user?: string): Promise<Tail[]> {
  const who = user ? sql`AND user = ${user}` : sql``;
  const rows = await store.query<{ user: string; ts: number; state: string; iv: number | null }>(
    'the latest presence sample of each user (daily totals)',
    sql`SELECT user, max(tail_s) AS ts, ${f.argMaxIf(sql`tail_state`, sql`tail_s`, sql`1 = 1`)} AS state, ${f.argMaxIf(sql`tail_interval_s`, sql`tail_s`, sql`1 = 1`)} AS iv
        FROM ${table('presenceDays')} WHERE ${live('presenceDays')} AND tail_s >= ${raw(String(since))} ${who} GROUP BY user`,
  );
  return rows.map((r) => ({ user: r.user, ts: Number(r.ts), state: r.state, intervalS: r.iv === null || r.iv === undefined ? null : Number(r.iv) }));
}

/** seconds of the stored pieces and of the hourly totals over [lo, hi) (whole hours): equal when
 *  every piece's hour was written (report.ts reads the pieces otherwise) */
export async function hoursCoverage(store: Store, lo: number, hi: number, user?: string): Promise<{ pieces: number; hours: number }> {
  const who = user ? sql`AND user = ${user}` : sql``;
  const [r] = await store.query<{ pieces: number | null; hours: number | null }>(
    'the seconds of the presence pieces and of their hourly totals',
    sql`SELECT (SELECT sum(seconds) FROM ${table('presenceSpans')} WHERE ${live('presenceSpans')} AND start_s >= ${raw(String(lo))} AND start_s < ${raw(String(hi))} ${who}) AS pieces,
               (SELECT sum(${join(
                 hourColumns.map((c) => ident(c)),
                 ' + ',
               )}) FROM ${table('presenceHours')} WHERE ${live('presenceHours')} AND hour_s >= ${raw(String(lo))} AND hour_s < ${raw(String(hi))} ${who}) AS hours`,
  );
  return { pieces: Number(r?.pieces ?? 0), hours: Number(r?.hours ?? 0) };
}

export interface Tail {
  user: string;
  ts: number;
  state: string;
  intervalS: number | null;
}

/** each user's latest sample from `since` on (no piece stored yet: it lasts one interval) */
export async function latestSamples(store: Store, since: number, user?: string): Promise<Tail[]> {
  const who = user ? sql`AND user = ${user}` : sql``;
  const rows = await store.query<{ user: string; ts: number; state: string; iv: number | null }>(
    'the latest presence sample of each user',
    sql`SELECT user, max(ts_s) AS ts, ${f.argMaxIf(sql`state`, sql`ts_s`, sql`1 = 1`)} AS state, ${f.argMaxIf(sql`interval_s`, sql`ts_s`, sql`1 = 1`)} AS iv
        FROM ${table('presence')} WHERE ${live('presence')} AND ts_s >= ${raw(String(since))} ${who} GROUP BY user`,
  );
  return rows.map((r) => ({ user: r.user, ts: Number(r.ts), state: r.state, intervalS: r.iv === null || r.iv === undefined ? null : Number(r.iv) }));
}

/** the pieces of one user in [lo, hi), in time order (the timeline) */
export async function userPieces(store: Store, user: string, lo: number, hi: number): Promise<{ start: number; seconds: number; state: string }[]> {
  const rows = await store.query<{ start: number; seconds: number; state: string }>(
    "a user's presence pieces",
    sql`SELECT start_s AS start, seconds, state FROM ${table('presenceSpans')}
        WHERE ${live('presenceSpans')} AND user = ${user} AND start_s >= ${raw(String(lo))} AND start_s < ${raw(String(hi))} ORDER BY start_s`,
  );
  return rows.map((r) => ({ start: Number(r.start), seconds: Number(r.seconds), state: r.state }));
}

/** aggregate-only totals of days first…last (YYYY-MM-DD) */
export async function dailyTotals(
  store: Store,
  first: string,
  last: string,
  user?: string,
): Promise<{ user: string; day: string; tz: string; state: string; seconds: number }[]> {
  const who = user ? sql`AND user = ${user}` : sql``;
  const rows = await store.query<{ user: string; day: string; tz: string; state: string; seconds: number }>(
    'the aggregate-only presence totals',
    sql`SELECT user, day, tz, state, sum(seconds) AS seconds FROM ${table('presenceDaily')}
        WHERE ${live('presenceDaily')} AND day >= ${first} AND day <= ${last} ${who} GROUP BY user, day, tz, state`,
  );
  return rows.map((r) => ({ ...r, seconds: Number(r.seconds) }));
}

/** the first and last day with presence data (UTC), for a report without --from/--to */
export async function dataRange(store: Store): Promise<{ lo: number | null; hi: number | null }> {
  const [r] = await store.query<{ lo: number | null; hi: number | null }>(
    'the time range of the presence data',
    sql`SELECT min(lo) AS lo, max(hi) AS hi FROM (
          SELECT min(ts_s) AS lo, max(ts_s) AS hi FROM ${table('presence')} WHERE ${live('presence')}
          UNION ALL SELECT min(start_s) AS lo, max(start_s) AS hi FROM ${table('presenceSpans')} WHERE ${live('presenceSpans')}) r`,
  );
  return { lo: r?.lo === null || r?.lo === undefined ? null : Number(r.lo), hi: r?.hi === null || r?.hi === undefined ? null : Number(r.hi) };
}

/** Online seconds per local hour number (hours since 1970-01-01 in the zone) of the stored pieces
 *  starting in [lo, hi) (each piece lies inside one quarter hour, so inside one local hour), or of the
 *  hourly totals (`fromHours`: for a zone whose offsets over the range are whole hours). The caller
 *  folds the hours into weekday × hour (at most 24 × days rows). */
export async function onlineByLocalHour(
  store: Store,
  lo: number,
  hi: number,
  steps: readonly { from: number; offset: number }[],
  fromHours: boolean,
  user?: string,
): Promise<{ hour: number; seconds: number }[]> {
  const who = user ? sql`AND user = ${user}` : sql``;
  const t = fromHours ? sql`hour_s` : sql`start_s`;
  const online = fromHours ? sql`sum(online)` : f.sumIf(sql`seconds`, sql`state = 'online'`);
  const rows = await store.query<{ hour: number; seconds: number | null }>(
    'online seconds per local hour',
    sql`SELECT hour, ${f.toInt(sql`coalesce(${online}, 0)`)} AS seconds FROM (
          SELECT ${f.toInt(sql`floor((${t} + ${localOffset(t, steps)}) / 3600)`)} AS hour, ${fromHours ? sql`online` : sql`state, seconds`}
          FROM ${table(fromHours ? 'presenceHours' : 'presenceSpans')}
          WHERE ${live(fromHours ? 'presenceHours' : 'presenceSpans')} AND ${t} >= ${raw(String(lo))} AND ${t} < ${raw(String(hi))} ${who}) p
        GROUP BY hour`,
  );
  return rows.map((r) => ({ hour: Number(r.hour), seconds: Number(r.seconds ?? 0) }));
}

/** The presence_days rows of one pseudo-file from line `fromLine` on, one per user and day (sums,
 *  first and last online second, the latest tail): what the recorder writes in their place once
 *  their days are over (recorder.ts), in presence_days' column order after file_id and line. */
export async function daysOfLines(store: Store, fileId: number, fromLine: number): Promise<LiveValue[][]> {
  const where = sql`${live('presenceDays')} AND file_id = ${raw(String(fileId))} AND line >= ${raw(String(fromLine))}`;
  const sums = await store.query<Record<string, number | string | null>>(
    'the presence daily totals of a pseudo-file, per user and day',
    sql`SELECT user, day_s, ${join(hourColumns.map((c, i) => sql`${f.toInt(sql`sum(${ident(c)})`)} AS s${raw(String(i))}`))},
          min(first_online_s) AS first_s, max(last_online_s) AS last_s
        FROM ${table('presenceDays')} WHERE ${where} GROUP BY user, day_s`,
  );
  const tails = await store.query<{ user: string; day_s: number; ts: number; state: string; iv: number | null }>(
    'the latest tails of the presence daily totals of a pseudo-file, per user and day',
    sql`SELECT user, day_s, max(tail_s) AS ts, ${f.argMaxIf(sql`tail_state`, sql`tail_s`, sql`1 = 1`)} AS state,
          ${f.argMaxIf(sql`tail_interval_s`, sql`tail_s`, sql`1 = 1`)} AS iv
        FROM ${table('presenceDays')} WHERE ${where} AND tail_s IS NOT NULL GROUP BY user, day_s`,
  );
  const tailOf = new Map(tails.map((t) => [`${t.user}\u0000${Number(t.day_s)}`, t]));
  return sums.map((r) => {
    const t = tailOf.get(`${r.user}\u0000${Number(r.day_s)}`);
    // no online piece: NULL (DuckDB) or 0 (ClickHouse's min over NULLs of a non-Nullable read)
    const last = Number(r.last_s ?? 0) > 0 ? Number(r.last_s) : null;
    return [
      String(r.user),
      Number(r.day_s),
      ...hourColumns.map((_, i) => Number(r[`s${i}`] ?? 0)),
      last === null ? null : Number(r.first_s),
      last,
      t ? Number(t.ts) : null,
      t ? t.state : null,
      t && t.iv !== null && t.iv !== undefined ? Number(t.iv) : null,
    ];
  });
}
