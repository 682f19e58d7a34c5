// Message-tracking queries: what the tracking reports (capabilities/tracking/reports.ts) ask of any store.
//
// The counting rules (specs/tracking.md):
// sent      = distinct message ids a user submitted (role bit 1), whatever the number of servers
//             and files that logged them; bytes from the submission event, once per message;
// received  = distinct (message id, recipient) among delivery events (role bit 2), bytes of the
//             delivery event, once per delivery;
// each      = with --recipients each, a sent message counts once per distinct recipient of its
//             submission events (at least once);
// traffic   = per UTC day or hour of a message's first submission event: messages and their bytes;
//             deliveries per period of their first delivery event;
// days      = distinct UTC dates with any event.
//
// Each statement here is written once, for both stores (sql/dialect.ts renders what differs). The
// exceptions, tuned per store for speed and named as such with their reasons, are in ./tuned/: the
// per-user totals (both stores), DuckDB's shortcut for the active days, ClickHouse's traffic. The
// functions below pick them by store.dialect.name.
import type { Store, TimeRange } from '../../store/types.js';
import { f, table } from '../../sql/dialect.js';
import { type Sql, ident, sql } from '../../sql/sql.js';
import { counted } from './events.js';
import * as duckdb from './tuned/duckdb.js';
import * as clickhouse from './tuned/clickhouse.js';
import type { TrafficRow, UserTotals } from './types.js';

export type { TrafficRow, UserTotals } from './types.js';

/** every user with sent or received messages in the range, in byte order of the address */
export function userTotals(store: Store, range: TimeRange, recipients: 'once' | 'each'): Promise<UserTotals[]> {
  return store.dialect.name === 'clickhouse' ? clickhouse.userTotals(store, range, recipients) : duckdb.userTotals(store, range, recipients);
}

/** the distinct UTC dates of the events: a GROUP BY of the date (DuckDB: its perfect hash aggregate
 *  over the date range, cheaper than count(DISTINCT …); ClickHouse: a fixed-size table for the
 *  16-bit Date key). count(d) leaves out the NULL group (a NULL ts, which DuckDB can store). */
export function activeDaysStatement(range: TimeRange): Sql {
  return sql`SELECT count(d) AS days FROM (SELECT ${f.toDate(ident('ts'))} AS d FROM ${table('tracking')} WHERE ${counted(range)} GROUP BY d) dates`;
}

async function countActiveDays(store: Store, range: TimeRange): Promise<number> {
  const [r] = await store.query<{ days: number }>('the active days', activeDaysStatement(range));
  return Number(r?.days ?? 0);
}

/** number of distinct UTC dates with any tracking event in the range */
export function activeDays(store: Store, range: TimeRange): Promise<number> {
  return store.dialect.name === 'duckdb' ? duckdb.activeDays(store, range, countActiveDays) : countActiveDays(store, range);
}

/** role bit 1 / bit 2 set (role is 0–3 today; the arithmetic reads one bit whatever the others) */
const submits = sql`role % 2 = 1`;
const delivers = sql`role % 4 >= 2`;

/** Traffic per period, grouped by the message id strings: what DuckDB runs (ClickHouse runs its
 *  hashed one, ./tuned/clickhouse.ts; this one answers the same there too, which its contract test
 *  checks). The two sides are a UNION ALL summed per period (no FULL JOIN: 18.16), with every column
 *  cast to one type on both sides (18.16's UNION ALL does not convert). */
export function trafficStatement(range: TimeRange, by: 'day' | 'hour'): Sql {
  const t = table('tracking');
  const format = by === 'day' ? '%Y-%m-%d' : '%Y-%m-%dT%H';
  const deliveries = sql`(SELECT message_id, ts, recipients FROM ${t} WHERE ${counted(range)} AND ${delivers})`;
  return sql`SELECT ${f.formatTime(sql`p`, format)} AS period, sum(m_n) AS messages, sum(m_b) AS bytes, sum(d_n) AS deliveries
    FROM (
      SELECT ${f.truncTime(by, sql`msg_ts`)} AS p, CAST(count(*) AS UInt64) AS m_n, CAST(ifNull(sum(msg_bytes), 0) AS Int64) AS m_b, CAST(0 AS UInt64) AS d_n
      FROM (SELECT message_id, min(ts) AS msg_ts, max(bytes) AS msg_bytes FROM ${t} WHERE ${counted(range)} AND ${submits} GROUP BY message_id) msgs
      GROUP BY p
      UNION ALL
      SELECT ${f.truncTime(by, sql`dlv_ts`)} AS p, CAST(0 AS UInt64) AS m_n, CAST(0 AS Int64) AS m_b, CAST(count(*) AS UInt64) AS d_n
      FROM (SELECT rcpt, message_id, min(ts) AS dlv_ts FROM ${f.explode(deliveries, f.split(sql`ifNull(recipients, '')`, ';'), 'rcpt')}
            WHERE rcpt <> '' GROUP BY rcpt, message_id) dlvs
      GROUP BY p
    ) periods GROUP BY p ORDER BY p`;
}

export function traffic(store: Store, range: TimeRange, by: 'day' | 'hour'): Promise<TrafficRow[]> {
  if (store.dialect.name === 'clickhouse') return clickhouse.traffic(store, range, by);
  return store.query<TrafficRow>('the tracking traffic', trafficStatement(range, by));
}

export function eventCountStatement(range: TimeRange): Sql {
  return sql`SELECT count(*) AS n FROM ${table('tracking')} WHERE ${counted(range)}`;
}

/** number of tracking events in the range */
export async function eventCount(store: Store, range: TimeRange): Promise<number> {
  const [r] = await store.query<{ n: number }>('the tracking event count', eventCountStatement(range));
  return Number(r?.n ?? 0);
}
