// Message-tracking queries of the ClickHouse store: the counting rules of the DuckDB backend
// (store/duckdb/tracking.ts, specs/tracking.md), in SQL that runs on 18.16 and on current releases
// (no CTEs with subqueries, no FULL JOIN needed: the two sides are a UNION ALL summed by key).
// sent      = distinct message ids a user submitted (role bit 1); bytes from the submission event,
//             once per message (max over the events of the message);
// received  = distinct (message id, recipient) among delivery events (role bit 2), bytes of the
//             delivery, once per delivery;
// each      = with --recipients each, a sent message counts once per distinct recipient of its
//             submission events (at least once);
// traffic   = per UTC day or hour of a message's first submission event: messages and their bytes;
//             deliveries per hour of their first delivery event.
// Every query reads only rows of live batches (`live`: committed and not replaced, see store.ts).
//
// Speed (10M+ events): what costs is finding the distinct (user, message) pairs — millions of
// them, about 1 µs each on 18.16 when grouped pair by pair. So user totals take two steps
// (store.ts runs them):
//   1. per user: rows, distinct messages (uniqExact, ClickHouse's exact distinct count: a 128-bit
//      hash set per user, small enough to stay in cache), the sum of bytes, and for `each` the
//      distinct recipients of each row. When a user's rows equal their distinct messages, no
//      message appears twice for them, so these ARE the totals (each row is its message's only
//      event: its bytes are the max, its recipients the message's);
//   2. only for the users where they differ (a message logged twice), the per-pair grouping.
// Measured on 17.8M events: step 1 takes ~3 CPU-seconds, the per-pair grouping of everyone ~7.
// Traffic groups per message and per (recipient, message) with fixed-width keys (sipHash128 of the
// message id, cityHash64 of the address): grouping by two strings took 4 s where this takes 1.2.
// Those counts differ from string grouping only if two message ids share a 128-bit hash, or two
// addresses that got the same message share a 64-bit one (p < 10^-7 for a million addresses).
// Conditions on role also name ifNull(role, 0), the first column of the table's sorting key
// (tables.ts): most events count neither way and their granules are skipped.
//
import type { TimeRange } from '../types.js';
import { type Sql, ident, join, sql } from '../../sql/sql.js';

export interface ReadContext {
  /** the tracking table (MergeTree, or Distributed in cluster mode) */
  readonly table: Sql;
  /** the condition selecting rows of live batches */
  readonly live: Sql;
}

const WHEN = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d{1,3})\d*)?$/;

/** one bound of a range: whole seconds compare on `ts`, a fraction also on `ts_ms` */
function bound(value: string, side: 'from' | 'to'): Sql {
  const m = WHEN.exec(value);
  if (!m) throw new TypeError(`time range ${side}: expected 'YYYY-MM-DD HH:MM:SS', got ${JSON.stringify(value)}`);
  const at = sql`toDateTime(${m[1]!}, 'UTC')`;
  const ms = m[2] ? Number(m[2].padEnd(3, '0')) : 0;
  const ts = ident('ts'), tsMs = ident('ts_ms');
  if (side === 'from') return ms === 0 ? sql`${ts} >= ${at}` : sql`(${ts} > ${at} OR (${ts} = ${at} AND ${tsMs} >= ${ms}))`;
  return ms === 0 ? sql`${ts} < ${at}` : sql`(${ts} < ${at} OR (${ts} = ${at} AND ${tsMs} < ${ms}))`;
}

/** rows of live batches in the range */
export function where(c: ReadContext, r: TimeRange): Sql {
  const parts = [c.live];
  if (r.from) parts.push(bound(r.from, 'from'));
  if (r.to) parts.push(bound(r.to, 'to'));
  return join(parts, ' AND ');
}

const rcptJoin = sql`ARRAY JOIN splitByChar(';', ifNull(recipients, '')) AS rcpt`;
/** rows that count as sent (role bit 1) / received (role bit 2) */
const submits = sql`ifNull(role, 0) > 0 AND bitAnd(role, 1) = 1`;
const delivers = sql`ifNull(role, 0) >= 2 AND bitAnd(role, 2) = 2`;
const messageId = sql`assumeNotNull(message_id)`;
const messageKey = sql`sipHash128(${messageId})`;

/** the recipients of one row, distinct, without empty entries: how many */
const rowRecipients = sql`arrayUniq(arrayFilter(x -> x != '', splitByChar(';', ifNull(recipients, ''))))`;

/** Step 1 of the user totals: per side ('s' sent, 'r' received) and user: rows (c), distinct messages
 *  (n), sum of bytes (b), and for sent the sum over rows of max(1, distinct recipients) (e, the
 *  `each` count when every message has one row). Columns: side, user, c, n, b, e. */
export function userCounts(c: ReadContext, r: TimeRange, recipients: 'once' | 'each'): Sql {
  // constants are materialize()d: 18.16 refuses a constant column in a Distributed table's result
  // ("non constant in source stream but must be constant in result")
  const each = recipients === 'each' ? sql`toUInt64(sum(greatest(1, ${rowRecipients})))` : sql`materialize(toUInt64(0))`;
  return sql`SELECT materialize('s') AS side, assumeNotNull(sender) AS user, toUInt64(count()) AS c, toUInt64(uniqExact(${messageId})) AS n,
      toInt64(ifNull(sum(bytes), 0)) AS b, ${each} AS e
    FROM ${c.table} WHERE ${where(c, r)} AND ${submits} AND sender != '' GROUP BY user
    UNION ALL
    SELECT materialize('r') AS side, rcpt AS user, toUInt64(count()) AS c, toUInt64(uniqExact(${messageId})) AS n,
      toInt64(ifNull(sum(bytes), 0)) AS b, materialize(toUInt64(0)) AS e
    FROM ${c.table} ${rcptJoin} WHERE ${where(c, r)} AND ${delivers} AND rcpt != '' GROUP BY user`;
}

/** Step 2: exact per-pair totals of the users of `side` that step 1 found with a message twice.
 *  `users` is the membership test: IN (their names), or GLOBAL IN usersWithRepeats(). Columns:
 *  user, n, b, e. */
export function userCountsByPair(c: ReadContext, r: TimeRange, side: 's' | 'r', users: Sql): Sql {
  if (side === 's') {
    return sql`SELECT msg_sender AS user, toUInt64(count()) AS n, toInt64(ifNull(sum(msg_bytes), 0)) AS b, toUInt64(sum(greatest(1, msg_rcpts))) AS e
      FROM (SELECT assumeNotNull(sender) AS msg_sender, ${messageId} AS msg_id, max(bytes) AS msg_bytes,
              uniqExactArray(arrayFilter(x -> x != '', splitByChar(';', ifNull(recipients, '')))) AS msg_rcpts
            FROM ${c.table} WHERE ${where(c, r)} AND ${submits} AND sender ${users}
            GROUP BY msg_sender, msg_id)
      GROUP BY msg_sender`;
  }
  return sql`SELECT dlv_rcpt AS user, toUInt64(count()) AS n, toInt64(ifNull(sum(dlv_bytes), 0)) AS b, materialize(toUInt64(0)) AS e
    FROM (SELECT rcpt AS dlv_rcpt, ${messageId} AS dlv_id, max(bytes) AS dlv_bytes
          FROM ${c.table} ${rcptJoin} WHERE ${where(c, r)} AND ${delivers} AND rcpt ${users}
          GROUP BY dlv_rcpt, dlv_id)
    GROUP BY dlv_rcpt`;
}

/** the users of `side` with a message counted twice in step 1, as a subquery for step 2 */
export function usersWithRepeats(c: ReadContext, r: TimeRange, side: 's' | 'r'): Sql {
  return sql`(SELECT user FROM (${userCounts(c, r, 'once')}) WHERE side = ${side} AND c != n)`;
}

export function activeDays(c: ReadContext, r: TimeRange): Sql {
  return sql`SELECT toFloat64(uniqExact(toDate(ts))) AS days FROM ${c.table} WHERE ${where(c, r)}`;
}

export function eventCount(c: ReadContext, r: TimeRange): Sql {
  return sql`SELECT toFloat64(count()) AS n FROM ${c.table} WHERE ${where(c, r)}`;
}

export function traffic(c: ReadContext, r: TimeRange, by: 'day' | 'hour'): Sql {
  // periods as DateTime while grouping millions of messages; formatted once per period at the end
  const start = (col: string) => (by === 'day' ? sql`toStartOfDay(${ident(col)})` : sql`toStartOfHour(${ident(col)})`);
  const fmt = by === 'day' ? '%Y-%m-%d' : '%Y-%m-%dT%H';
  return sql`SELECT formatDateTime(p, ${fmt}, 'UTC') AS period, toFloat64(sum(m_n)) AS messages, toFloat64(sum(m_b)) AS bytes, toFloat64(sum(d_n)) AS deliveries
    FROM (
      SELECT ${start('msg_ts')} AS p, toUInt64(count()) AS m_n, toInt64(ifNull(sum(msg_bytes), 0)) AS m_b, toUInt64(0) AS d_n
      FROM (SELECT ${messageKey} AS msg_key, min(ts) AS msg_ts, max(bytes) AS msg_bytes FROM ${c.table}
            WHERE ${where(c, r)} AND ${submits} GROUP BY msg_key)
      GROUP BY p
      UNION ALL
      SELECT ${start('dlv_ts')} AS p, toUInt64(0) AS m_n, toInt64(0) AS m_b, toUInt64(count()) AS d_n
      FROM (SELECT cityHash64(rcpt) AS dlv_user, ${messageKey} AS dlv_key, min(ts) AS dlv_ts
            FROM ${c.table} ${rcptJoin} WHERE ${where(c, r)} AND ${delivers} AND rcpt != ''
            GROUP BY dlv_user, dlv_key)
      GROUP BY p
    ) GROUP BY p ORDER BY p`;
}
