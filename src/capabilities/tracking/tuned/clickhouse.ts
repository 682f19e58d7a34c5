// Message-tracking queries TUNED FOR CLICKHOUSE: the named exceptions to "each query is written once"
// (../queries.ts picks them when store.dialect.name is 'clickhouse').
//
// Why they are ClickHouse's own: what costs is finding the distinct (user, message) pairs — millions
// of them, about 1 µs each on 18.16 when grouped pair by pair — and DuckDB's tuned way (./duckdb.ts:
// hashed keys in lists, a window sort) has no 18.16 form. ClickHouse instead counts
// distinct messages per user with uniqExact and groups traffic by fixed-width hashes, and in cluster
// mode lets each shard finish its per-message groups (groupsWithinShard). Same counting rules as
// DuckDB (specs/tracking.md), in SQL that runs on 18.16 and on current releases (no CTEs with
// subqueries, no FULL JOIN needed: the two sides are a UNION ALL summed by key):
// sent      = distinct message ids a user submitted (role bit 1); bytes from the submission event,
//             once per message (max over the events of the message);
// received  = distinct (message id, recipient) among delivery events (role bit 2), bytes of the
//             delivery, once per delivery;
// each      = with --recipients each, a sent message counts once per distinct recipient of its
//             submission events (at least once);
// traffic   = per UTC day or hour of a message's first submission event: messages and their bytes;
//             deliveries per hour of their first delivery event.
// Every query reads only rows of live batches (`live('tracking')`: committed and not replaced, see
// store/clickhouse/store.ts).
//
// Speed (10M+ events): user totals take two steps (userTotals below):
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
// (store/clickhouse/tables.ts): most events count neither way and their granules are skipped.
import type { Store, TimeRange } from '../../../store/types.js';
import { table } from '../../../sql/dialect.js';
import { type Sql, ident, list, sql } from '../../../sql/sql.js';
import { counted } from '../events.js';
import type { TrafficRow, UserTotals } from '../types.js';

export const userTotalsTuning = {
  /** up to this many users with repeated messages are named in the second step of the user totals;
   *  more are selected by a subquery (the query text stays small) */
  namedUsersMax: 1000,
};

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
export function userCounts(r: TimeRange, recipients: 'once' | 'each'): Sql {
  const t = table('tracking');
  // constants are materialize()d: 18.16 refuses a constant column in a Distributed table's result
  // ("non constant in source stream but must be constant in result")
  const each = recipients === 'each' ? sql`toUInt64(sum(greatest(1, ${rowRecipients})))` : sql`materialize(toUInt64(0))`;
  return sql`SELECT materialize('s') AS side, assumeNotNull(sender) AS user, toUInt64(count()) AS c, toUInt64(uniqExact(${messageId})) AS n,
      toInt64(ifNull(sum(bytes), 0)) AS b, ${each} AS e
    FROM ${t} WHERE ${counted(r)} AND ${submits} AND sender != '' GROUP BY user
    UNION ALL
    SELECT materialize('r') AS side, rcpt AS user, toUInt64(count()) AS c, toUInt64(uniqExact(${messageId})) AS n,
      toInt64(ifNull(sum(bytes), 0)) AS b, materialize(toUInt64(0)) AS e
    FROM ${t} ${rcptJoin} WHERE ${counted(r)} AND ${delivers} AND rcpt != '' GROUP BY user`;
}

/** Step 2: exact per-pair totals of the users of `side` that step 1 found with a message twice.
 *  `users` is the membership test: IN (their names), or GLOBAL IN usersWithRepeats(). Columns:
 *  user, n, b, e. */
export function userCountsByPair(r: TimeRange, side: 's' | 'r', users: Sql): Sql {
  const t = table('tracking');
  if (side === 's') {
    return sql`SELECT msg_sender AS user, toUInt64(count()) AS n, toInt64(ifNull(sum(msg_bytes), 0)) AS b, toUInt64(sum(greatest(1, msg_rcpts))) AS e
      FROM (SELECT assumeNotNull(sender) AS msg_sender, ${messageId} AS msg_id, max(bytes) AS msg_bytes,
              uniqExactArray(arrayFilter(x -> x != '', splitByChar(';', ifNull(recipients, '')))) AS msg_rcpts
            FROM ${t} WHERE ${counted(r)} AND ${submits} AND sender ${users}
            GROUP BY msg_sender, msg_id)
      GROUP BY msg_sender`;
  }
  return sql`SELECT dlv_rcpt AS user, toUInt64(count()) AS n, toInt64(ifNull(sum(dlv_bytes), 0)) AS b, materialize(toUInt64(0)) AS e
    FROM (SELECT rcpt AS dlv_rcpt, ${messageId} AS dlv_id, max(bytes) AS dlv_bytes
          FROM ${t} ${rcptJoin} WHERE ${counted(r)} AND ${delivers} AND rcpt ${users}
          GROUP BY dlv_rcpt, dlv_id)
    GROUP BY dlv_rcpt`;
}

/** the users of `side` with a message counted twice in step 1, as a subquery for step 2 */
export function usersWithRepeats(r: TimeRange, side: 's' | 'r'): Sql {
  return sql`(SELECT user FROM (${userCounts(r, 'once')}) WHERE side = ${side} AND c != n)`;
}

type Counts = { side: 's' | 'r'; user: string; c: number; n: number; b: number; e: number };

/** the two steps above; groupsWithinShard: in cluster mode every event of a message is on one shard
 *  (store/clickhouse/tables.ts, shardKeys), so per-shard distinct messages add up and each shard
 *  finishes its groups itself */
export async function userTotals(store: Store, range: TimeRange, recipients: 'once' | 'each'): Promise<UserTotals[]> {
  // step 1: per user and side; in cluster mode one row per shard
  const rows = await store.query<Counts>('the per-user tracking totals', userCounts(range, recipients), { groupsWithinShard: true });
  const totals = new Map<string, { s?: Counts; r?: Counts; repeats: { s: boolean; r: boolean } }>();
  for (const row of rows) {
    const t = totals.get(row.user) ?? { repeats: { s: false, r: false } };
    const had = t[row.side];
    t[row.side] = had ? { ...had, c: had.c + row.c, n: had.n + row.n, b: had.b + row.b, e: had.e + row.e } : row;
    if (row.c !== row.n) t.repeats[row.side] = true;
    totals.set(row.user, t);
  }
  // step 2, only for the users with a message counted twice: the exact per-pair totals
  for (const side of ['s', 'r'] as const) {
    const users = [...totals].filter(([, t]) => t.repeats[side]).map(([u]) => u);
    if (users.length === 0) continue;
    const test = users.length <= userTotalsTuning.namedUsersMax ? sql`IN ${list(users)}` : sql`GLOBAL IN ${usersWithRepeats(range, side)}`;
    const exact = await store.query<{ user: string; n: number; b: number; e: number }>('the per-user tracking totals', userCountsByPair(range, side, test), {
      groupsWithinShard: true,
    });
    for (const x of exact) {
      const t = totals.get(x.user)!;
      t[side] = { side, user: x.user, c: x.n, n: x.n, b: x.b, e: x.e };
    }
  }
  const out: UserTotals[] = [];
  for (const [user, t] of totals) {
    const sent = t.s ? (recipients === 'each' ? t.s.e : t.s.n) : 0;
    out.push({ user, sent, received: t.r?.n ?? 0, sentBytes: t.s?.b ?? 0, receivedBytes: t.r?.b ?? 0 });
  }
  // in byte order, as ORDER BY does (and DuckDB): UTF-16 order differs above U+FFFF
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.user), Buffer.from(b.user)));
}

export function trafficStatement(r: TimeRange, by: 'day' | 'hour'): Sql {
  const t = table('tracking');
  // periods as DateTime while grouping millions of messages; formatted once per period at the end
  const start = (col: string) => (by === 'day' ? sql`toStartOfDay(${ident(col)})` : sql`toStartOfHour(${ident(col)})`);
  const fmt = by === 'day' ? '%Y-%m-%d' : '%Y-%m-%dT%H';
  return sql`SELECT formatDateTime(p, ${fmt}, 'UTC') AS period, toFloat64(sum(m_n)) AS messages, toFloat64(sum(m_b)) AS bytes, toFloat64(sum(d_n)) AS deliveries
    FROM (
      SELECT ${start('msg_ts')} AS p, toUInt64(count()) AS m_n, toInt64(ifNull(sum(msg_bytes), 0)) AS m_b, toUInt64(0) AS d_n
      FROM (SELECT ${messageKey} AS msg_key, min(ts) AS msg_ts, max(bytes) AS msg_bytes FROM ${t}
            WHERE ${counted(r)} AND ${submits} GROUP BY msg_key)
      GROUP BY p
      UNION ALL
      SELECT ${start('dlv_ts')} AS p, toUInt64(0) AS m_n, toInt64(0) AS m_b, toUInt64(count()) AS d_n
      FROM (SELECT cityHash64(rcpt) AS dlv_user, ${messageKey} AS dlv_key, min(ts) AS dlv_ts
            FROM ${t} ${rcptJoin} WHERE ${counted(r)} AND ${delivers} AND rcpt != ''
            GROUP BY dlv_user, dlv_key)
      GROUP BY p
    ) GROUP BY p ORDER BY p`;
}

/** groupsWithinShard: the inner groups are per message (see userTotals) */
export function traffic(store: Store, r: TimeRange, by: 'day' | 'hour'): Promise<TrafficRow[]> {
  return store.query<TrafficRow>('the tracking traffic', trafficStatement(r, by), { groupsWithinShard: true });
}
