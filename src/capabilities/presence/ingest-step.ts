// After an ingest of presence logs: the durations of the imported samples (spans.ts), computed here
// in TypeScript and stored as pieces (presence_spans), one UTC day at a time in bounded memory.
// Called by every `mxray ingest` of a store holding presence logs (cli/ingest.ts), with the files it
// read: it also finishes what a step cut off earlier left undone (resumePresenceSteps), so that a
// cut-off at any point followed by the next ingest of any path ends as an uninterrupted import.
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
// on both stores), then writes their pieces again, where they now end, in the batches of the chunks
// they come with (a step cut off after that batch is done over its days again, which recomputes
// them). The result is the same as importing the logs in time order.
//
// Memory: one day of samples, a chunk of pieces, a row per user (carried samples, tails) and per
// presence log (which to step over). Not bounded: gapRowsOf reads every gap sample of the gaps'
// pseudo-file back when a step recomputes any of them (rewritten whole: Batch.replace deletes from
// a line on).
import type { LiveAppender, LiveRows, LiveTail, LiveTailPart, LiveValue, Store } from '../../store/types.js';
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
  /** an earlier step was cut off: this one finished it */
  resumed: boolean;
}

/** the pseudo-file the pieces are appended to (store/live.ts LiveLog): its id and line count tell
 *  which stored pieces a batch wrote */
export type NumberedAppender = LiveAppender & { readonly fileId: number; readonly count: number };

/** whether the store holds presence logs (the import's pseudo-file is opened only then) */
export async function hasPresenceLogs(store: Store): Promise<boolean> {
  const [r] = await store.query<{ n: number }>(
    'whether presence logs were ingested',
    sql`SELECT count(*) AS n FROM (SELECT id FROM ingested_files WHERE format = 'presence-log' LIMIT 1) f`,
  );
  return Number(r?.n ?? 0) > 0;
}

/** the pieces of the samples of the files at `paths` (as ingested) and of their neighbours, after
 *  finishing what an earlier step left undone (resumePresenceSteps) */
export async function updatePresenceSpans(store: Store, log: NumberedAppender, paths: readonly string[]): Promise<SpanStepResult> {
  const ids = paths.length
    ? (await store.query<{ id: number }>('the presence log files', sql`SELECT DISTINCT id FROM ingested_files WHERE path IN ${list([...paths])}`)).map((r) =>
        Number(r.id),
      )
    : [];
  return resumePresenceSteps(store, log, ids);
}

interface OpenChunk {
  chunk: string;
  lo: number;
  hi: number;
  /** the line of its open mark (the last line of its batch) */
  line: number;
}

/** a range of UTC days to step over, and the marks its closing batch writes besides its own */
interface DayRange {
  first: number;
  last: number;
  marks: LiveValue[][];
}

/**
 * The step is range-driven: it runs over UTC days, and what it has to run over is found in the
 * store, so a step cut off anywhere is finished by the next `mxray ingest` (of any path):
 *   - a chunk whose pieces are stored without their totals (an `open` mark `<fileId>:<fromLine>`
 *     without its close): the totals of the pieces of its own lines (from its first line to its
 *     open mark's), not of what a later batch kept, with the close, in one batch;
 *   - a step's own open mark (`tails:<fileId>:<line>`, lo/hi = its days) without its close: its days
 *     are stepped again (that restores the gap samples its first batch took out of their
 *     pseudo-file), and its close goes in the closing batch of the new step;
 *   - a presence log ingested but not stepped over (its lines past its `stepped` mark, chunk
 *     `file:<id>`, hi_s = the lines stepped; or one of `fileIds`): the days of its samples; its
 *     `stepped` mark goes in the closing batch.
 * The ranges are merged where they overlap or touch and stepped in time order, one day at a time.
 */
export async function resumePresenceSteps(store: Store, log: NumberedAppender, fileIds: readonly number[] = []): Promise<SpanStepResult> {
  const open = await openChunks(store, log.fileId);
  for (const c of open) {
    const m = /^(\d+):(\d+)$/.exec(c.chunk);
    if (!m || Number(m[1]) !== log.fileId) continue;
    const hours = await hoursOfLines(store, log.fileId, Number(m[2]), c.line);
    await log.append({ presenceHours: hours, presenceDays: dayRows(hours), presenceMarks: [['close', c.chunk, c.lo, c.hi]] });
  }
  const ranges: DayRange[] = [];
  for (const c of open) if (c.chunk.startsWith('tails:')) ranges.push({ first: dayOf(c.lo), last: dayOf(c.hi), marks: [['close', c.chunk, c.lo, c.hi]] });
  const files = await filesToStep(store, log.fileId, fileIds);
  /** the `stepped` marks of files without samples of their own (a poller's log: its samples were
   *  stored by the poller) */
  const bare: LiveValue[][] = [];
  const given = new Set(fileIds);
  let resumed = open.length > 0;
  if (files.length) {
    const spans = new Map<number, { lo: number; hi: number }>();
    for (const r of await store.query<{ id: number; lo: number; hi: number }>(
      'the time ranges of the presence samples of the logs to step over',
      sql`SELECT file_id AS id, min(ts_s) AS lo, max(ts_s) AS hi FROM ${table('presence')}
          WHERE ${live('presence')} AND file_id IN ${list(files.map((f) => f.id))} GROUP BY file_id`,
    ))
      spans.set(Number(r.id), { lo: Number(r.lo), hi: Number(r.hi) });
    for (const f of files) {
      const mark: LiveValue[] = ['stepped', `file:${f.id}`, 0, f.lines];
      const span = spans.get(f.id);
      if (span) ranges.push({ first: dayOf(span.lo), last: dayOf(span.hi), marks: [mark] });
      else bare.push(mark);
      if (span && !given.has(f.id)) resumed = true;
    }
  }
  ranges.sort((a, b) => a.first - b.first);
  const merged: DayRange[] = [];
  for (const r of ranges) {
    const m = merged[merged.length - 1];
    if (m && r.first <= m.last + DAY) {
      m.last = Math.max(m.last, r.last);
      m.marks.push(...r.marks);
    } else merged.push({ ...r, marks: [...r.marks] });
  }
  if (bare.length) {
    if (merged.length) merged[merged.length - 1]!.marks.push(...bare);
    else await log.append({ presenceMarks: bare });
  }
  const result: SpanStepResult = { days: 0, pieces: 0, resumed };
  for (const r of merged) {
    const step = await stepDays(store, log, r.first, r.last, r.marks);
    result.days += step.days;
    result.pieces += step.pieces;
  }
  return result;
}

const dayOf = (s: number) => Math.floor(s / DAY) * DAY;

/** the open/close chunks of the import's pseudo-file without their close */
async function openChunks(store: Store, fileId: number): Promise<OpenChunk[]> {
  const rows = await store.query<{ chunk: string; lo: number; hi: number; line: number }>(
    'the presence import chunks without their close',
    sql`SELECT chunk, lo, hi, line FROM (
          SELECT chunk, sum(CASE WHEN kind = 'open' THEN 1 ELSE -1 END) AS n, min(lo_s) AS lo, max(hi_s) AS hi,
            max(CASE WHEN kind = 'open' THEN line ELSE 0 END) AS line
          FROM ${table('presenceMarks')} WHERE ${live('presenceMarks')} AND file_id = ${fileId} AND kind IN ('open', 'close') GROUP BY chunk) c
        WHERE n > 0 ORDER BY line`,
  );
  return rows.map((r) => ({ chunk: r.chunk, lo: Number(r.lo), hi: Number(r.hi), line: Number(r.line) }));
}

/** the presence logs with lines past their `stepped` mark, and `ids`: their ids and lines */
async function filesToStep(store: Store, fileId: number, ids: readonly number[]): Promise<{ id: number; lines: number }[]> {
  const stepped = new Map<string, number>();
  for (const r of await store.query<{ chunk: string; hi: number }>(
    'the presence logs stepped over',
    sql`SELECT chunk, max(hi_s) AS hi FROM ${table('presenceMarks')} WHERE ${live('presenceMarks')} AND file_id = ${fileId} AND kind = 'stepped' GROUP BY chunk`,
  ))
    stepped.set(r.chunk, Number(r.hi));
  const wanted = new Set(ids);
  return (
    await store.query<{ id: number; next: number }>(
      'the presence logs ingested',
      sql`SELECT id, next_line AS next FROM ingested_files WHERE format = 'presence-log' ORDER BY id`,
    )
  )
    .map((r) => ({ id: Number(r.id), lines: Number(r.next) - 1 }))
    .filter((f) => wanted.has(f.id) || f.lines > (stepped.get(`file:${f.id}`) ?? -1));
}

/** the pieces of the samples of UTC days [first, last] (day starts) and of their neighbours; `marks`
 *  go in its closing batch */
async function stepDays(
  store: Store,
  log: NumberedAppender,
  first: number,
  last: number,
  closeMarks: readonly LiveValue[][],
): Promise<{ days: number; pieces: number }> {
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
  /** the pieces of the gap samples, per sample (written to `gaps` with the chunk they come in: the
   *  gap samples a step cut off wrote are in its days, so the step that finishes it recomputes them) */
  let gapPieces: { user: string; ts: number; end: number; pieces: Piece[] }[] = [];
  let gapCount = 0;
  const tails = new Map<string, TailSample>();

  let pieces = 0;
  let days = 0;
  let out: LiveValue[][] = [];
  const flush = async () => {
    const gapTail: LiveTailPart | undefined = gaps && gapPieces.length ? { to: gaps, rows: gapRows(gapPieces), provisionalFrom: 1 } : undefined;
    pieces += gapCount;
    gapPieces = [];
    gapCount = 0;
    if (!out.length) {
      if (gapTail) await log.append({}, gapTail);
      return;
    }
    const from = log.count + 1;
    const chunk = `${log.fileId}:${from}`;
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of out) {
      lo = Math.min(lo, r[1] as number);
      hi = Math.max(hi, r[1] as number);
    }
    await log.append({ presenceSpans: out, presenceMarks: [['open', chunk, lo, hi]] }, gapTail);
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
        if (succ > end) {
          gapPieces.push({ user, ts: s.ts, end, pieces });
          gapCount += pieces.length;
        } else for (const p of pieces) out.push([p.user, p.start, p.seconds, p.state]);
      }
      // the last sample of the day is carried to the next day, where its successor is (if any)
      const lastOwn = own[own.length - 1]!;
      carried.set(user, { ...lastOwn });
      tails.set(user, { user, ts: lastOwn.ts, state: lastOwn.state, intervalS: lastOwn.iv });
      // its pieces were written here when the successor is known (next): do not write them again
      if (next !== undefined) carried.delete(user);
      seen.add(user);
      if (out.length + gapCount >= CHUNK) await flush();
      i = j;
    }
    // users without a sample this day: their carried sample's successor is not in this day
    for (const u of [...carried.keys()]) if (!seen.has(u)) carried.delete(u);
    await flush();
  }
  // each user's latest sample of the imported days (the report's tail when it has no successor)
  // and the gap samples' pieces with their totals, in the same batch as the close mark
  const closing: LiveRows = { presenceDays: dayRows([], tails.values()), presenceMarks: [['close', stepChunk, first, last + DAY - 1], ...closeMarks] };
  await log.append(closing);
  return { days, pieces };
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
