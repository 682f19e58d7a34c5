// Hourly totals of the stored pieces (presence_hours, schema/tables.ts): what `presence report` reads
// for whole hours, since a month of 20,000 users is 58 M pieces but 14 M user-hours. They are written
// with the pieces they add up, never guessed from what was sent:
//   - the recorder writes its pieces and their hours in one batch (its pieces are always new: each is
//     a sample's, written once its successor is known);
//   - the import's after-ingest step (ingest-step.ts) may send pieces the store already has (the
//     store skips them by their key): after each batch it reads back the pieces the store kept from
//     that batch's lines (hoursOfLines) and writes their hours, so a re-import adds nothing.
// A report checks that the hours add up to the pieces over its range (report.ts) and reads the
// pieces when they do not (a store written before the hours were kept, an interrupted import).
import type { LiveValue, Store } from '../../store/types.js';
import { f, live, table } from '../../sql/dialect.js';
import { join, raw, sql } from '../../sql/sql.js';
import type { Piece } from './spans.js';
import { presenceStates } from './types.js';

export const HOUR = 3600;
export const DAY = 86_400;

/** presence_hours' column of each state (presenceStates order) */
export const hourColumns: readonly string[] = presenceStates.map((s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

const stateIndex = new Map<string, number>(presenceStates.map((s, i) => [s, i]));
const UNKNOWN = presenceStates.indexOf('unknown');

/** the presence_hours rows of pieces (each inside one quarter hour, so inside one hour) */
export function hourRows(pieces: Iterable<Piece>): LiveValue[][] {
  const acc = new Map<string, { user: string; hour: number; seconds: number[]; first: number | null; last: number | null }>();
  for (const p of pieces) {
    const hour = Math.floor(p.start / HOUR) * HOUR;
    const k = `${p.user}\u0000${hour}`;
    let a = acc.get(k);
    if (!a) acc.set(k, (a = { user: p.user, hour, seconds: presenceStates.map(() => 0), first: null, last: null }));
    a.seconds[stateIndex.get(p.state) ?? UNKNOWN]! += p.seconds;
    if (p.state === 'online') {
      a.first = a.first === null ? p.start : Math.min(a.first, p.start);
      a.last = a.last === null ? p.start + p.seconds : Math.max(a.last, p.start + p.seconds);
    }
  }
  return [...acc.values()].map((a) => [a.user, a.hour, ...a.seconds, a.first, a.last]);
}

/** the presence_hours rows of the pieces stored from lines [fromLine, toLine] of file `fileId`
 *  (the pieces a batch sent that the store kept) */
export async function hoursOfLines(store: Store, fileId: number, fromLine: number, toLine: number): Promise<LiveValue[][]> {
  if (toLine < fromLine) return [];
  const known = presenceStates.filter((s) => s !== 'unknown');
  const rows = await store.query<Record<string, number | string | null>>(
    'the hourly totals of stored presence pieces',
    sql`SELECT user, ${f.toInt(sql`floor(start_s / ${raw(String(HOUR))})`)} * ${raw(String(HOUR))} AS hour_s,
          ${join(
            known.map((s, i) => sql`${f.toInt(sql`coalesce(${f.sumIf(sql`seconds`, sql`state = ${s}`)}, 0)`)} AS s${raw(String(i))}`),
            ', ',
          )},
          ${f.toInt(sql`sum(seconds)`)} AS total,
          ${f.minIf(sql`start_s`, sql`state = 'online'`)} AS first_s, ${f.maxIf(sql`start_s + seconds`, sql`state = 'online'`)} AS last_s
        FROM ${table('presenceSpans')}
        WHERE ${live('presenceSpans')} AND file_id = ${raw(String(fileId))} AND line >= ${raw(String(fromLine))} AND line <= ${raw(String(toLine))}
        GROUP BY user, hour_s`,
  );
  return rows.map((r) => {
    const seconds = known.map((_, i) => Number(r[`s${i}`]));
    // the unknown column: every piece not in a known state (unknown, or a state name no longer known)
    const rest = Number(r.total) - seconds.reduce((a, b) => a + b, 0);
    const values: number[] = presenceStates.map((s) => (s === 'unknown' ? rest : seconds[known.indexOf(s)]!));
    // no online piece: NULL (DuckDB) or 0 (ClickHouse's minIf over no row)
    const last = Number(r.last_s ?? 0) > 0 ? Number(r.last_s) : null;
    const first = last === null ? null : Number(r.first_s);
    return [String(r.user), Number(r.hour_s), ...values, first, last];
  });
}

/** a user's latest sample a writer knows (its piece is not stored yet): presence_days' tail_* */
export interface TailSample {
  user: string;
  ts: number;
  state: string;
  intervalS: number | null;
}

/** The presence_days rows of presence_hours rows (hourRows, hoursOfLines: the same pieces), written
 *  in the same batch as them, and one row per tail sample (no seconds, first/last NULL) on its day. */
export function dayRows(hours: readonly (readonly LiveValue[])[], tails: Iterable<TailSample> = []): LiveValue[][] {
  const n = presenceStates.length;
  const acc = new Map<string, LiveValue[]>();
  for (const h of hours) {
    const user = h[0] as string;
    const day = Math.floor((h[1] as number) / DAY) * DAY;
    const k = `${user}\u0000${day}`;
    let a = acc.get(k);
    if (!a) acc.set(k, (a = [user, day, ...presenceStates.map(() => 0), null, null, null, null, null]));
    for (let i = 0; i < n; i++) (a[2 + i] as number) += h[2 + i] as number;
    const first = h[2 + n] as number | null;
    const last = h[3 + n] as number | null;
    if (last !== null && last !== undefined) {
      a[2 + n] = a[2 + n] === null ? first : Math.min(a[2 + n] as number, first as number);
      a[3 + n] = a[3 + n] === null ? last : Math.max(a[3 + n] as number, last);
    }
  }
  for (const t of tails) {
    const day = Math.floor(t.ts / DAY) * DAY;
    const k = `${t.user}\u0000${day}`;
    let a = acc.get(k);
    if (!a) acc.set(k, (a = [t.user, day, ...presenceStates.map(() => 0), null, null, null, null, null]));
    if (a[4 + n] === null || (a[4 + n] as number) < t.ts) [a[4 + n], a[5 + n], a[6 + n]] = [t.ts, t.state, t.intervalS];
  }
  return [...acc.values()];
}

/** presence_days rows merged per user and day: seconds added, first and last online second the
 *  earliest and latest, the latest tail kept (the same totals as the rows, in fewer rows) */
export function mergeDayRows(rows: Iterable<readonly LiveValue[]>): LiveValue[][] {
  const n = presenceStates.length;
  const acc = new Map<string, LiveValue[]>();
  for (const r of rows) {
    const k = `${r[0]}\u0000${r[1]}`;
    const a = acc.get(k);
    if (!a) {
      acc.set(k, [...r]);
      continue;
    }
    for (let i = 0; i < n; i++) (a[2 + i] as number) += r[2 + i] as number;
    const first = r[2 + n] as number | null;
    const last = r[3 + n] as number | null;
    if (last !== null) {
      a[2 + n] = a[2 + n] === null ? first : Math.min(a[2 + n] as number, first as number);
      a[3 + n] = a[3 + n] === null ? last : Math.max(a[3 + n] as number, last);
    }
    const tail = r[4 + n] as number | null;
    if (tail !== null && (a[4 + n] === null || (a[4 + n] as number) < tail)) [a[4 + n], a[5 + n], a[6 + n]] = [tail, r[5 + n]!, r[6 + n]!];
  }
  return [...acc.values()];
}
