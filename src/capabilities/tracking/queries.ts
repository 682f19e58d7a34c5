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

/** the distinct UTC dates of the events: a GROUP BY of the date. DuckDB: its perfect hash aggregate
 *  over the date range, cheaper than count(DISTINCT …); ClickHouse 18.16: faster than the
 *  uniqExact(toDate(ts)) it ran before (10 M rows over 348 days, median of 15: 0.36 s against 0.43,
 *  within a range 0.26 against 0.28). count(d) leaves out the NULL group (DuckDB can store a NULL ts). */
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

/** role bit 1: counts as sent; role bit 2: counts as received */
const submits = f.hasBits(ident('role'), 1);
const delivers = f.hasBits(ident('role'), 2);

/** Traffic per period, grouped by the message id strings: what DuckDB runs (ClickHouse runs its
 *  hashed one, ./tuned/clickhouse.ts; these answer the same there too, which its contract test
 *  checks). Two statements, messages and deliveries per period, merged here (a row per period):
 *  as one statement (a UNION ALL of both sides, since 18.16 has no FULL JOIN to speak of) DuckDB ran
 *  them side by side and took 30% more time over 11 M events (2 threads: 1.66 -> 2.20 CPU-seconds);
 *  its grouping of the 2 M (recipient, message) pairs was twice as slow after the grouping of the
 *  1 M messages. The periods are truncated times while grouping, formatted once per period. */
export function trafficStatements(range: TimeRange, by: 'day' | 'hour'): { messages: Sql; deliveries: Sql } {
  const t = table('tracking');
  const format = (p: Sql) => f.formatTime(p, by === 'day' ? '%Y-%m-%d' : '%Y-%m-%dT%H');
  const delivered = sql`(SELECT message_id, ts, recipients FROM ${t} WHERE ${counted(range)} AND ${delivers})`;
  return {
    messages: sql`SELECT ${format(sql`p`)} AS period, messages, bytes FROM (
        SELECT ${f.truncTime(by, sql`msg_ts`)} AS p, count(*) AS messages, ifNull(sum(msg_bytes), 0) AS bytes
        FROM (SELECT message_id, min(ts) AS msg_ts, max(bytes) AS msg_bytes FROM ${t} WHERE ${counted(range)} AND ${submits} GROUP BY message_id) msgs
        GROUP BY p) periods`,
    deliveries: sql`SELECT ${format(sql`p`)} AS period, deliveries FROM (
        SELECT ${f.truncTime(by, sql`dlv_ts`)} AS p, count(*) AS deliveries
        FROM (SELECT rcpt, message_id, min(ts) AS dlv_ts FROM ${f.explode(delivered, f.split(sql`ifNull(recipients, '')`, ';'), 'rcpt')}
              WHERE rcpt <> '' GROUP BY rcpt, message_id) dlvs
        GROUP BY p) periods`,
  };
}

/** trafficStatements run one after the other, as rows per period in period order */
export async function trafficByStatements(store: Store, range: TimeRange, by: 'day' | 'hour'): Promise<TrafficRow[]> {
  const q = trafficStatements(range, by);
  const messages = await store.query<{ period: string; messages: number; bytes: number }>('the tracking traffic', q.messages);
  const deliveries = await store.query<{ period: string; deliveries: number }>('the tracking traffic', q.deliveries);
  const rows = new Map<string, TrafficRow>();
  const row = (period: string) => rows.get(period) ?? rows.set(period, { period, messages: 0, bytes: 0, deliveries: 0 }).get(period)!;
  for (const m of messages) Object.assign(row(m.period), { messages: Number(m.messages), bytes: Number(m.bytes) });
  for (const d of deliveries) row(d.period).deliveries = Number(d.deliveries);
  // periods are ASCII digits and separators: code unit order is the stores' ORDER BY order
  return [...rows.values()].sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
}

export function traffic(store: Store, range: TimeRange, by: 'day' | 'hour'): Promise<TrafficRow[]> {
  if (store.dialect.name === 'clickhouse') return clickhouse.traffic(store, range, by);
  return trafficByStatements(store, range, by);
}

export function eventCountStatement(range: TimeRange): Sql {
  return sql`SELECT count(*) AS n FROM ${table('tracking')} WHERE ${counted(range)}`;
}

/** number of tracking events in the range */
export async function eventCount(store: Store, range: TimeRange): Promise<number> {
  const [r] = await store.query<{ n: number }>('the tracking event count', eventCountStatement(range));
  return Number(r?.n ?? 0);
}
