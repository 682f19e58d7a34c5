// After an ingest of presence logs: the durations of the imported samples (spans.ts), computed here
// in TypeScript and stored as pieces (presence_spans), one UTC day at a time in bounded memory.
// Called by `mxray ingest` when presence logs were read (cli/ingest.ts), with the files it read.
//
// The interval of an imported log is the median gap between a user's samples on that day (with
// the one before it); a day with one sample of a user takes the sample's interval_s (the median in
// its file so far), else 15 minutes. Only samples an import stored (source 'log') get pieces here:
// the poller's own samples got theirs from the recorder, so importing its log adds nothing. Pieces
// already stored are skipped by their key (user, start): running the step again adds nothing.
//
// A sample followed by a gap (its successor further than two intervals, or none known yet but a
// later day's) lasts two intervals; an older log imported afterwards may fill that gap, and then the
// sample lasts only until the first sample of the older log. Such "gap" pieces are therefore written
// to a pseudo-file of their own, `live:presence-import-gaps`, all of whose rows are provisional
// (LiveTail): each gap sample's pieces, their hourly and daily totals and a `gap` mark (chunk = user,
// lo_s = the sample, hi_s = the end of its pieces). A step whose samples come before or inside a gap
// recomputes that gap's sample, so it first rewrites the pseudo-file without the gap samples it
// recomputes (Batch.replace: a sealed retraction in the same batch as the step's `open` mark, atomic
// on both stores), then writes their pieces again, where they now end, with its `close` mark. The
// result is the same as importing the logs in time order.
import type { LiveAppender, LiveRows, LiveTail, LiveValue, Store } from '../../store/types.js';
import { f, live, table } from '../../sql/dialect.js';
import { list, sql } from '../../sql/sql.js';
import { dayRows, hourRows, hoursOfLines, type TailSample } from './hours.js';
import { ensureEpoch } from './marks.js';
import { cut, median, type Piece } from './spans.js';

const DAY = 86_400;
const DEFAULT_INTERVAL = 900;
const CHUNK = 100_000;

interface SampleRow {
  user: string;
  ts: number;
  state: string;
  iv: number | null;
  src: string;
}

export interface SpanStepResult {
  /** UTC days looked at */
  days: number;
  /** pieces written (before the store skips those it has) */
  pieces: number;
}

/** the pieces of the samples of the files at `paths` (as ingested) and of their neighbours */
/** the pseudo-file the pieces are appended to (store/live.ts LiveLog): its id and line count tell
 *  which stored pieces a batch wrote */
export type NumberedAppender = LiveAppender & { readonly fileId: number; readonly count: number };

export async function updatePresenceSpans(store: Store, log: NumberedAppender, paths: readonly string[]): Promise<SpanStepResult> {
  if (!paths.length) return { days: 0, pieces: 0 };
  const ids = await store.query<{ id: number }>('the presence log files', sql`SELECT DISTINCT id FROM ingested_files WHERE path IN ${list([...paths])}`);
  if (!ids.length) return { days: 0, pieces: 0 };
  const [range] = await store.query<{ lo: number | null; hi: number | null; n: number }>(
    'the time range of the imported presence samples',
    sql`SELECT min(ts_s) AS lo, max(ts_s) AS hi, count(*) AS n FROM ${table('presence')}
        WHERE ${live('presence')} AND file_id IN ${list(ids.map((r) => Number(r.id)))}`,
  );
  if (!range || !Number(range.n)) return { days: 0, pieces: 0 };
  const first = Math.floor(Number(range.lo) / DAY) * DAY;
  const last = Math.floor(Number(range.hi) / DAY) * DAY;

  // each user's sample before the first day (the one the first day's samples follow)
  const carried = new Map<string, SampleRow>();
  for (const r of await store.query<SampleRow>(
    'the presence samples before the imported ones',
    sql`SELECT user, max(ts_s) AS ts, ${f.argMaxIf(sql`state`, sql`ts_s`, sql`1 = 1`)} AS state, ${f.argMaxIf(sql`interval_s`, sql`ts_s`, sql`1 = 1`)} AS iv,
          ${f.argMaxIf(sql`source`, sql`ts_s`, sql`1 = 1`)} AS src
        FROM ${table('presence')} WHERE ${live('presence')} AND ts_s >= ${first - 2 * DAY} AND ts_s < ${first} GROUP BY user`,
  ))
    carried.set(r.user, { ...r, ts: Number(r.ts), iv: r.iv === null ? null : Number(r.iv) });

  // the gap samples this step recomputes (the header): those of its days, and each user's carried
  // sample when the user has samples on the first day (its chain starts with it)
  const gaps = await log.sibling?.('presence-import-gaps');
  let keptGaps: LiveRows | undefined;
  if (gaps?.count) {
    const onFirst = new Set(
      (
        await store.query<{ user: string }>(
          'the users with presence samples on the first imported day',
          sql`SELECT DISTINCT user FROM ${table('presence')} WHERE ${live('presence')} AND ts_s >= ${first} AND ts_s < ${first + DAY}`,
        )
      ).map((r) => r.user),
    );
    const recomputed = (user: string, ts: number) => (ts >= first && ts < last + DAY) || (carried.get(user)?.ts === ts && onFirst.has(user));
    const marks = await gapMarks(store, gaps);
    if (marks.some((m) => recomputed(m.user, m.lo)))
      keptGaps = await gapRowsOf(
        store,
        gaps,
        marks.filter((m) => !recomputed(m.user, m.lo)),
      );
  }

  // the daily totals' marks (marks.ts): the epoch once; this step's latest samples (tails) are
  // written at its end, so an open mark covers its days until then; the gap samples it recomputes
  // are taken out of their pseudo-file in the same batch
  await ensureEpoch(store, log);
  const stepChunk = `tails:${log.fileId}:${log.count + 1}`;
  const openMark: LiveRows = { presenceMarks: [['open', stepChunk, first, last + DAY - 1]] };
  if (gaps && keptGaps) await log.append(openMark, { to: gaps, rows: keptGaps, replaceFrom: 1, provisionalFrom: 1 });
  else await log.append(openMark);
  /** the pieces of the gap samples, per sample (written at the end, to `gaps`) */
  const gapPieces: { user: string; ts: number; end: number; pieces: Piece[] }[] = [];
  const tails = new Map<string, TailSample>();

  let pieces = 0;
  let days = 0;
  let out: LiveValue[][] = [];
  const flush = async () => {
    if (!out.length) return;
    const from = log.count + 1;
    const chunk = `${log.fileId}:${from}`;
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of out) {
      lo = Math.min(lo, r[1] as number);
      hi = Math.max(hi, r[1] as number);
    }
    await log.append({ presenceSpans: out, presenceMarks: [['open', chunk, lo, hi]] });
    // their hourly and daily totals, of the pieces the store kept (those it had already are skipped
    // by key), with the mark that closes the chunk
    const hours = await hoursOfLines(store, log.fileId, from, from + out.length - 1);
    await log.append({ presenceHours: hours, presenceDays: dayRows(hours), presenceMarks: [['close', chunk, lo, hi]] });
    pieces += out.length;
    out = [];
  };
  for (let d = first; d <= last; d += DAY) {
    days++;
    const rows = await store.query<SampleRow>(
      'a day of presence samples',
      sql`SELECT user, ts_s AS ts, state, interval_s AS iv, source AS src FROM ${table('presence')}
          WHERE ${live('presence')} AND ts_s >= ${d} AND ts_s < ${d + DAY} ORDER BY user, ts_s`,
    );
    // each user's first sample after the day: the successor of its last sample of the day
    const after = new Map<string, number>();
    for (const r of await store.query<{ user: string; ts: number }>(
      'the presence samples after a day',
      sql`SELECT user, min(ts_s) AS ts FROM ${table('presence')} WHERE ${live('presence')} AND ts_s >= ${d + DAY} AND ts_s < ${d + 3 * DAY} GROUP BY user`,
    ))
      after.set(r.user, Number(r.ts));
    // one user at a time (rows are ordered by user)
    let i = 0;
    const seen = new Set<string>();
    while (i < rows.length) {
      const user = rows[i]!.user;
      let j = i;
      while (j < rows.length && rows[j]!.user === user) j++;
      const own = rows.slice(i, j).map((r) => ({ ...r, ts: Number(r.ts), iv: r.iv === null ? null : Number(r.iv) }));
      const prev = carried.get(user);
      const chain = prev ? [prev, ...own] : own;
      const gaps: number[] = [];
      for (let k = 1; k < chain.length; k++) gaps.push(chain[k]!.ts - chain[k - 1]!.ts);
      const dayInterval = gaps.length >= 2 ? median(gaps)! : undefined;
      const next = after.get(user);
      for (let k = 0; k < chain.length; k++) {
        const s = chain[k]!;
        const succ = k + 1 < chain.length ? chain[k + 1]!.ts : next;
        if (succ === undefined || s.src !== 'log') continue;
        const interval = dayInterval ?? s.iv ?? DEFAULT_INTERVAL;
        const end = Math.min(succ, s.ts + 2 * interval);
        const pieces = cut(user, s.ts, end, s.state);
        // a gap follows (the header): its pieces may be shortened by an older log imported later
        if (gaps && succ > end) gapPieces.push({ user, ts: s.ts, end, pieces });
        else for (const p of pieces) out.push([p.user, p.start, p.seconds, p.state]);
      }
      // the last sample of the day is carried to the next day, where its successor is (if any)
      const lastOwn = own[own.length - 1]!;
      carried.set(user, { ...lastOwn });
      tails.set(user, { user, ts: lastOwn.ts, state: lastOwn.state, intervalS: lastOwn.iv });
      // its pieces were written here when the successor is known (next): do not write them again
      if (next !== undefined) carried.delete(user);
      seen.add(user);
      if (out.length >= CHUNK) await flush();
      i = j;
    }
    // users without a sample this day: their carried sample's successor is not in this day
    for (const u of [...carried.keys()]) if (!seen.has(u)) carried.delete(u);
    await flush();
  }
  // each user's latest sample of the imported days (the report's tail when it has no successor)
  // and the gap samples' pieces with their totals, in the same batch as the close mark
  const closing: LiveRows = { presenceDays: dayRows([], tails.values()), presenceMarks: [['close', stepChunk, first, last + DAY - 1]] };
  if (gaps && gapPieces.length) await log.append(closing, { to: gaps, rows: gapRows(gapPieces), provisionalFrom: 1 });
  else await log.append(closing);
  return { days, pieces: pieces + gapPieces.reduce((a, g) => a + g.pieces.length, 0) };
}

interface GapMark {
  user: string;
  /** the sample's time and the end of its pieces */
  lo: number;
  hi: number;
}

/** the gap marks of the gaps' pseudo-file */
async function gapMarks(store: Store, gaps: LiveTail): Promise<GapMark[]> {
  const rows = await store.query<{ user: string; lo: number; hi: number }>(
    'the gap marks of the imported presence samples',
    sql`SELECT chunk AS user, lo_s AS lo, hi_s AS hi FROM ${table('presenceMarks')} WHERE ${live('presenceMarks')} AND file_id = ${gaps.fileId} AND kind = 'gap'`,
  );
  return rows.map((r) => ({ user: r.user, lo: Number(r.lo), hi: Number(r.hi) }));
}

/** the rows of the gap samples `kept` (their pieces read back from the gaps' pseudo-file) */
async function gapRowsOf(store: Store, gaps: LiveTail, kept: readonly GapMark[]): Promise<LiveRows> {
  const byUser = new Map<string, { start: number; seconds: number; state: string }[]>();
  for (const r of await store.query<{ user: string; start: number; seconds: number; state: string }>(
    'the gap pieces of the imported presence samples',
    sql`SELECT user, start_s AS start, seconds, state FROM ${table('presenceSpans')} WHERE ${live('presenceSpans')} AND file_id = ${gaps.fileId} ORDER BY user, start_s`,
  )) {
    let list = byUser.get(r.user);
    if (!list) byUser.set(r.user, (list = []));
    list.push({ start: Number(r.start), seconds: Number(r.seconds), state: r.state });
  }
  return gapRows(
    kept.map((m) => ({
      user: m.user,
      ts: m.lo,
      end: m.hi,
      pieces: (byUser.get(m.user) ?? []).filter((p) => p.start >= m.lo && p.start < m.hi).map((p) => ({ user: m.user, ...p })),
    })),
  );
}

/** the rows of gap samples: their pieces, hourly and daily totals, and one gap mark each */
function gapRows(samples: readonly { user: string; ts: number; end: number; pieces: readonly Piece[] }[]): LiveRows {
  const pieces = samples.flatMap((g) => g.pieces);
  const hours = hourRows(pieces);
  return {
    presenceSpans: pieces.map((p) => [p.user, p.start, p.seconds, p.state]),
    presenceHours: hours,
    presenceDays: dayRows(hours),
    presenceMarks: samples.map((g) => ['gap', g.user, g.ts, g.end]),
  };
}
