// Completeness marks of the daily totals (presence_days, hours.ts), so that a report can tell in a
// few rows, without summing the pieces, whether the daily totals over its range are whole:
//   - `epoch`: written once by the first writer of a store that keeps daily totals (the recorder when
//     it opens, the import's after-ingest step), with a `legacy` mark beside it when the store already
//     held pieces then (a store written by an older mxray: their daily totals were never written);
//   - the recorder writes pieces, hourly and daily totals in one atomic batch: it needs no other mark;
//   - the import writes its pieces (the store skips those it has), then the totals of the pieces the
//     store kept: an `open` mark goes in the batch of the pieces, its `close` in the batch of the
//     totals, so an import cut off between them leaves an open chunk.
// A report reads the daily totals when the store has an epoch, no legacy range overlaps its range and
// no open chunk without its close does; otherwise it falls back to the hourly totals (which check
// themselves against the pieces) and says why.
import type { LiveAppender, Store } from '../../store/types.js';
import { live, table } from '../../sql/dialect.js';
import { raw, sql } from '../../sql/sql.js';

/** why the daily totals cannot be used over a range; undefined when they can */
export async function daysIncomplete(store: Store, lo: number, hi: number): Promise<string | undefined> {
  const [m] = await store.query<{ epochs: number; legacy: number; open: number }>(
    'the completeness marks of the presence daily totals',
    sql`SELECT (SELECT count(*) FROM ${table('presenceMarks')} WHERE ${live('presenceMarks')} AND kind = 'epoch') AS epochs,
               (SELECT count(*) FROM ${table('presenceMarks')} WHERE ${live('presenceMarks')} AND kind = 'legacy'
                  AND lo_s < ${raw(String(hi))} AND hi_s >= ${raw(String(lo))}) AS legacy,
               (SELECT count(*) FROM (
                  SELECT chunk, sum(CASE WHEN kind = 'open' THEN 1 ELSE -1 END) AS n, min(lo_s) AS clo, max(hi_s) AS chi
                  FROM ${table('presenceMarks')} WHERE ${live('presenceMarks')} AND kind IN ('open', 'close') GROUP BY chunk) c
                WHERE n <> 0 AND clo < ${raw(String(hi))} AND chi >= ${raw(String(lo))}) AS open`,
  );
  if (Number(m?.epochs ?? 0) === 0) {
    // never written by an mxray that keeps daily totals: any piece in the range is legacy
    const [p] = await store.query<{ n: number }>(
      'whether presence pieces exist in the range',
      sql`SELECT count(*) AS n FROM (SELECT 1 AS x FROM ${table('presenceSpans')} WHERE ${live('presenceSpans')}
            AND start_s >= ${raw(String(lo))} AND start_s < ${raw(String(hi))} LIMIT 1) p`,
    );
    return Number(p?.n ?? 0) > 0 ? 'a store written before mxray kept them' : undefined;
  }
  if (Number(m?.legacy ?? 0) > 0) return 'durations stored before mxray kept them';
  if (Number(m?.open ?? 0) > 0) return 'an import was cut off between its durations and their totals';
  return undefined;
}

/** the epoch mark (and a legacy mark over the pieces already stored), once per store */
export async function ensureEpoch(store: Store, log: LiveAppender): Promise<void> {
  const [e] = await store.query<{ n: number }>(
    'the epoch mark of the presence daily totals',
    sql`SELECT count(*) AS n FROM ${table('presenceMarks')} WHERE ${live('presenceMarks')} AND kind = 'epoch'`,
  );
  if (Number(e?.n ?? 0) > 0) return;
  const [r] = await store.query<{ lo: number | null; hi: number | null; n: number }>(
    'the presence pieces stored before the daily totals',
    sql`SELECT min(start_s) AS lo, max(start_s) AS hi, count(*) AS n FROM ${table('presenceSpans')} WHERE ${live('presenceSpans')}`,
  );
  const legacy = Number(r?.n ?? 0) > 0 ? [['legacy', '', Number(r!.lo), Number(r!.hi)]] : [];
  await log.append({ presenceMarks: [...legacy, ['epoch', '', 0, 0]] });
}
