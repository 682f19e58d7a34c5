// Message-tracking queries TUNED FOR DUCKDB: the named exceptions to "each query is written once"
// (../queries.ts picks them when store.dialect.name is 'duckdb').
//
// Why they are DuckDB's own: the per-user totals are the classes report's cost, and the fast way to
// count them on DuckDB (per event, then a recount of the pairs that 64-bit hashed keys show repeated:
// 1.0 s -> 0.6 s over 10 M events) leans on DuckDB's hash(), lists, MATERIALIZED CTEs and window
// sort, none of which ClickHouse 18.16 has in that form (ClickHouse has its own tuned way: ./clickhouse.ts).
// The active days ask first for the first and last dates, which DuckDB answers from its column
// statistics without a scan (ClickHouse would scan, so it only counts).
//
// The counting rules (specs/tracking.md):
// sent      = distinct message ids a user submitted (role bit 1), whatever the number of servers
//             and files that logged them; bytes from the submission event, once per message;
// received  = distinct (message id, recipient) among delivery events (role bit 2), bytes of the
//             delivery event, once per delivery;
// each      = with --recipients each, a sent message counts once per distinct recipient of its
//             submission events (at least once).
import type { Store, TimeRange } from '../../../store/types.js';
import { table } from '../../../sql/dialect.js';
import { type Sql, raw, sql } from '../../../sql/sql.js';
import { counted } from '../events.js';
import type { UserTotals } from '../types.js';

/** The rules above, read literally: group the (user, message id) pairs by their strings, then by
 *  user. Exact and simple, but grouping millions of pairs with two string keys (hash table inserts,
 *  resizes and the merge of the threads' tables) was most of the classes report's time. The store
 *  uses userTotals below, which gives the same numbers faster; this one is the reference it is
 *  tested against (duckdb.test.ts), and userTotals' recount is this grouping, applied to the few
 *  pairs that need it. */
export function userTotalsByPairs(r: TimeRange, recipients: 'once' | 'each'): Sql {
  const each = recipients === 'each';
  const t = table('tracking');
  const where = counted(r);
  const sentCount = each ? raw('sum(greatest(1, len(list_distinct(flatten(rcpts)))))') : raw('count(*)');
  // the recipient lists are only gathered when a message counts once per recipient
  const rcpts = each ? raw(`, list(list_filter(string_split(recipients, ';'), x -> x <> '')) AS rcpts`) : raw('');
  return sql`
  WITH submitted AS (
    SELECT sender, message_id, max(bytes) AS bytes${rcpts}
    FROM ${t} WHERE ${where} AND (role & 1) = 1 AND sender IS NOT NULL AND sender <> '' GROUP BY sender, message_id),
  sent AS (SELECT sender AS "user", ${sentCount} AS sent, sum(bytes) AS sent_bytes FROM submitted GROUP BY sender),
  delivered AS (
    SELECT rcpt, message_id, max(bytes) AS bytes
    FROM (SELECT unnest(string_split(recipients, ';')) AS rcpt, message_id, bytes FROM ${t} WHERE ${where} AND (role & 2) = 2)
    WHERE rcpt <> '' GROUP BY rcpt, message_id),
  recv AS (SELECT rcpt AS "user", count(*) AS received, sum(bytes) AS received_bytes FROM delivered GROUP BY rcpt)
  SELECT coalesce(s."user", r."user") AS "user",
         coalesce(s.sent, 0)::DOUBLE AS sent, coalesce(r.received, 0)::DOUBLE AS received,
         coalesce(s.sent_bytes, 0)::DOUBLE AS "sentBytes", coalesce(r.received_bytes, 0)::DOUBLE AS "receivedBytes"
  FROM sent s FULL OUTER JOIN recv r ON s."user" = r."user"
  ORDER BY 1`;
}

/** The same numbers as userTotalsByPairs, without grouping millions of (user, message id) strings.
 *
 *  Counting per event and summing per user is exact for every pair that one event holds, which is
 *  nearly every pair (a message is submitted once, and delivered once to each mailbox). Only pairs
 *  that several events hold would be counted more than once; they are found with 64-bit keys
 *  k = xor(hash(side, user), hash(message id)): one pair always has one key, so a key that occurs
 *  once is a pair that one event holds. A key that occurs more than once is a repeated pair or, very
 *  rarely, a hash collision of different pairs; either way the events with that key are counted
 *  again by their strings, exactly as userTotalsByPairs does, and that count replaces their
 *  per-event one (totals = per event - those events + recount). A collision costs time, never a
 *  wrong number; duckdb.test.ts checks this with hashes cut down to a few values.
 *
 *  Why it is shaped like this (10 M events, 2.8 M pairs, 2 cores; warm time of the classes report
 *  about 1.0 s before, 0.6 s after):
 *  - sent: events grouped by sender (a few thousand groups: cheap), summing count and bytes and
 *    gathering the message hashes into a list per sender. The list is how one scan feeds both the
 *    sums and the search for repeated keys: a CTE of the events used twice would be scanned twice
 *    or materialised with its strings, both dearer.
 *  - received: deliveries are first grouped by their whole recipients string (far fewer distinct
 *    lists than deliveries: 11 k for 1.3 M), and only those lists are split into recipients. This
 *    is cheaper than splitting every delivery; a recipient twice in one list gives two equal keys,
 *    so it goes to the recount like any repeated pair.
 *  - repeated keys: a sort (lag over ORDER BY k) of the unnested keys. Sorting 2.8 M integers cost
 *    about half of grouping them (GROUP BY k HAVING count(*) > 1), and partitioning the window by
 *    high bits of k made it slower.
 *  - recount: a semi join of the events on the repeated keys. When no key repeats (the usual case)
 *    its hash table is empty and DuckDB stops that second scan after its first vectors; data with
 *    many repeated pairs pays a second scan plus the string grouping of those pairs only.
 *  sub and del are NOT MATERIALIZED: they are only read again by the recount. sent and lists are
 *  MATERIALIZED (a few thousand rows): both the sums and the keys read them. */
export function userTotalsStatement(r: TimeRange, recipients: 'once' | 'each'): Sql {
  const each = recipients === 'each';
  const t = table('tracking');
  const where = counted(r);
  // --recipients each: a submission event counts once per distinct recipient (at least once); a
  // message that several events hold counts the distinct recipients of all of them (the recount)
  const rcptList = `list_filter(string_split(recipients, ';'), x -> x <> '')`;
  const subCols = raw(each ? `, greatest(1, len(list_distinct(${rcptList}))) AS w, ${rcptList} AS rl` : '');
  const sentPerEvent = raw(each ? 'sum(w)' : 'count(*)');
  const sentPerPair = raw(each ? 'sum(greatest(1, len(list_distinct(flatten(rls)))))' : 'count(*)');
  const pairRcpts = raw(each ? ', list(rl) AS rls' : '');
  return sql`
  WITH
  sub AS NOT MATERIALIZED (
    SELECT sender AS u, message_id, bytes${subCols}
    FROM ${t} WHERE ${where} AND (role & 1) = 1 AND sender IS NOT NULL AND sender <> ''),
  del AS NOT MATERIALIZED (
    SELECT rcpt AS u, message_id, bytes
    FROM (SELECT unnest(string_split(recipients, ';')) AS rcpt, message_id, bytes FROM ${t} WHERE ${where} AND (role & 2) = 2)
    WHERE rcpt <> ''),
  sent AS MATERIALIZED (SELECT u, ${sentPerEvent} AS n, sum(bytes) AS b, list(hash(message_id)) AS hs FROM sub GROUP BY u),
  lists AS MATERIALIZED (
    SELECT recipients, count(*) AS n, sum(bytes) AS b, list(hash(message_id)) AS hs
    FROM ${t} WHERE ${where} AND (role & 2) = 2 GROUP BY recipients),
  rcpt AS NOT MATERIALIZED (
    SELECT u, n, b, hs FROM (SELECT unnest(string_split(recipients, ';')) AS u, n, b, hs FROM lists) WHERE u <> ''),
  per_event AS (
    SELECT 1 AS side, u, n, b FROM sent
    UNION ALL
    SELECT 2 AS side, u, sum(n) AS n, sum(b) AS b FROM rcpt GROUP BY u),
  repeated AS (
    SELECT DISTINCT k FROM (
      SELECT k, lag(k) OVER (ORDER BY k) AS prev FROM (
        SELECT xor(hash(1, u), unnest(hs)) AS k FROM sent
        UNION ALL
        SELECT xor(hash(2, u), unnest(hs)) AS k FROM rcpt))
    WHERE k = prev),
  recount AS (
    SELECT 1 AS side, u, ${sentPerPair} AS n, sum(b) AS b, sum(en) AS en, sum(eb) AS eb FROM (
      SELECT u, message_id, max(bytes) AS b, ${sentPerEvent} AS en, sum(bytes) AS eb${pairRcpts} FROM sub
      WHERE xor(hash(1, u), hash(message_id)) IN (SELECT k FROM repeated) GROUP BY u, message_id)
    GROUP BY u
    UNION ALL
    SELECT 2 AS side, u, count(*) AS n, sum(b) AS b, sum(en) AS en, sum(eb) AS eb FROM (
      SELECT u, message_id, max(bytes) AS b, count(*) AS en, sum(bytes) AS eb FROM del
      WHERE xor(hash(2, u), hash(message_id)) IN (SELECT k FROM repeated) GROUP BY u, message_id)
    GROUP BY u),
  totals AS (
    SELECT e.side, e.u, e.n - coalesce(x.en, 0) + coalesce(x.n, 0) AS n, coalesce(e.b, 0) - coalesce(x.eb, 0) + coalesce(x.b, 0) AS b
    FROM per_event e LEFT JOIN recount x ON x.side = e.side AND x.u = e.u)
  SELECT u AS "user",
         coalesce(sum(n) FILTER (side = 1), 0)::DOUBLE AS sent, coalesce(sum(n) FILTER (side = 2), 0)::DOUBLE AS received,
         coalesce(sum(b) FILTER (side = 1), 0)::DOUBLE AS "sentBytes", coalesce(sum(b) FILTER (side = 2), 0)::DOUBLE AS "receivedBytes"
  FROM totals GROUP BY u
  ORDER BY 1`;
}

export function userTotals(store: Store, r: TimeRange, recipients: 'once' | 'each'): Promise<UserTotals[]> {
  return store.query<UserTotals>('the per-user tracking totals', userTotalsStatement(r, recipients));
}

/** Days from the first event's UTC date to the last one's. When that is 0 or 1, every date of the
 *  span has events (the first and the last event's), so the active days are span + 1 without
 *  counting: min and max come from the column statistics (no scan) when there is no range, and a
 *  range only reads ts. Counting the dates of 10 M events took 0.1–0.15 s; longer spans still do
 *  (`count`, the statement written once in ../queries.ts). */
export function activeDaysSpan(r: TimeRange): Sql {
  return sql`SELECT (CAST(max(ts) AS DATE) - CAST(min(ts) AS DATE))::DOUBLE AS span FROM ${table('tracking')} WHERE ${counted(r)}`;
}

export async function activeDays(store: Store, r: TimeRange, count: (store: Store, r: TimeRange) => Promise<number>): Promise<number> {
  const [s] = await store.query<{ span: number | null }>('the active days', activeDaysSpan(r));
  if (s?.span === null || s?.span === undefined) return 0;
  if (s.span <= 1) return s.span + 1;
  return count(store, r);
}
