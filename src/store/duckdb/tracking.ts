// Message-tracking queries of the DuckDB store: the counting rules of specs/tracking.md.
// sent      = distinct message ids a user submitted (role bit 1), whatever the number of servers
//             and files that logged them; bytes from the submission event, once per message;
// received  = distinct (message id, recipient) among delivery events (role bit 2), bytes of the
//             delivery event, once per delivery;
// each      = with --recipients each, a sent message counts once per distinct recipient of its
//             submission events (at least once).
import type { TimeRange } from '../types.js';

export function rangeWhere(r: TimeRange): string {
  const parts = ['1 = 1'];
  if (r.from) parts.push('ts >= CAST($from AS TIMESTAMP)');
  if (r.to) parts.push('ts < CAST($to AS TIMESTAMP)');
  return parts.join(' AND ');
}

export function rangeParams(r: TimeRange): Record<string, string> {
  const p: Record<string, string> = {};
  if (r.from) p.from = r.from;
  if (r.to) p.to = r.to;
  return p;
}

export function userTotals(r: TimeRange, recipients: 'once' | 'each'): string {
  const each = recipients === 'each';
  const sentCount = each ? 'sum(greatest(1, len(list_distinct(flatten(rcpts)))))' : 'count(*)';
  // the recipient lists are only gathered when a message counts once per recipient
  const rcpts = each ? `, list(list_filter(string_split(recipients, ';'), x -> x <> '')) AS rcpts` : '';
  return `
  WITH submitted AS (
    SELECT sender, message_id, max(bytes) AS bytes${rcpts}
    FROM tracking_events WHERE ${rangeWhere(r)} AND (role & 1) = 1 AND sender IS NOT NULL AND sender <> '' GROUP BY sender, message_id),
  sent AS (SELECT sender AS "user", ${sentCount} AS sent, sum(bytes) AS sent_bytes FROM submitted GROUP BY sender),
  delivered AS (
    SELECT rcpt, message_id, max(bytes) AS bytes
    FROM (SELECT unnest(string_split(recipients, ';')) AS rcpt, message_id, bytes FROM tracking_events WHERE ${rangeWhere(r)} AND (role & 2) = 2)
    WHERE rcpt <> '' GROUP BY rcpt, message_id),
  recv AS (SELECT rcpt AS "user", count(*) AS received, sum(bytes) AS received_bytes FROM delivered GROUP BY rcpt)
  SELECT coalesce(s."user", r."user") AS "user",
         coalesce(s.sent, 0)::DOUBLE AS sent, coalesce(r.received, 0)::DOUBLE AS received,
         coalesce(s.sent_bytes, 0)::DOUBLE AS "sentBytes", coalesce(r.received_bytes, 0)::DOUBLE AS "receivedBytes"
  FROM sent s FULL OUTER JOIN recv r ON s."user" = r."user"
  ORDER BY 1`;
}

export function activeDays(r: TimeRange): string {
  return `SELECT count(DISTINCT CAST(ts AS DATE))::DOUBLE AS days FROM tracking_events WHERE ${rangeWhere(r)}`;
}

export function traffic(r: TimeRange, by: 'day' | 'hour'): string {
  const fmt = by === 'day' ? '%Y-%m-%d' : '%Y-%m-%dT%H';
  return `
  WITH msgs AS (SELECT message_id, min(ts) AS t, max(bytes) AS bytes FROM tracking_events WHERE ${rangeWhere(r)} AND (role & 1) = 1 GROUP BY message_id),
  dels AS (
    SELECT rcpt, message_id, min(ts) AS t
    FROM (SELECT unnest(string_split(recipients, ';')) AS rcpt, message_id, ts FROM tracking_events WHERE ${rangeWhere(r)} AND (role & 2) = 2)
    WHERE rcpt <> '' GROUP BY rcpt, message_id),
  m AS (SELECT strftime(t, '${fmt}') AS period, count(*) AS messages, sum(bytes) AS bytes FROM msgs GROUP BY 1),
  d AS (SELECT strftime(t, '${fmt}') AS period, count(*) AS deliveries FROM dels GROUP BY 1)
  SELECT coalesce(m.period, d.period) AS period, coalesce(m.messages, 0)::DOUBLE AS messages,
         coalesce(m.bytes, 0)::DOUBLE AS bytes, coalesce(d.deliveries, 0)::DOUBLE AS deliveries
  FROM m FULL OUTER JOIN d ON m.period = d.period ORDER BY 1`;
}
