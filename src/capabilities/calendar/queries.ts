// Calendar queries, written once for both stores (sql/dialect.ts renders what differs). Times are
// text 'YYYY-MM-DD HH:MM:SS.fff' (schema/tables.ts calendar_versions), so a time range is a text
// comparison, the same in both stores.
import type { Store, TimeRange } from '../../store/types.js';
import { f, table } from '../../sql/dialect.js';
import { type Sql, ident, join, list, sql } from '../../sql/sql.js';
import type { VersionRow } from './types.js';

const t = () => table('calendar');

/** a meeting's key: its CleanGlobalObjectId, or `subject:` and its subject lower-cased for versions
 *  exported without one (merged by subject only: the timeline flags it) */
export const meetingKey = sql`CASE WHEN meeting_id = '' THEN concat('subject:', ${f.lower(sql`ifNull(subject, '')`)}) ELSE meeting_id END`;

function inRange(range: TimeRange): Sql {
  const parts: Sql[] = [];
  if (range.from) parts.push(sql`modified >= ${range.from}`);
  if (range.to) parts.push(sql`modified < ${range.to}`);
  return parts.length ? join(parts, ' AND ') : sql`1 = 1`;
}

export interface MeetingTotals {
  id: string;
  subject: string | null;
  organizer: string | null;
  versions: number;
  first: string;
  last: string;
}

/** every meeting with versions in the range: latest subject, organizer (the organizer's own copy
 *  says it; else whom the meeting requests were sent for), versions, first and last change */
export function meetingsStatement(range: TimeRange): Sql {
  const organizerCopy = sql`item_class = 'IPM.Appointment' AND response_type = 1`;
  const request = sql`item_class LIKE 'IPM.Schedule.Meeting.Request%' AND ifNull(meeting_request_type, 1) <> 1048576`;
  // aliases differ from column names: ClickHouse 18.16 lets an alias shadow its column in the whole SELECT
  return sql`SELECT id, latest_subject AS subject, own, sent, versions, first_change AS first, last_change AS last FROM (
      SELECT ${meetingKey} AS id,
        ${f.argMaxIf(sql`subject`, sql`modified`, sql`subject IS NOT NULL`)} AS latest_subject,
        ${f.maxIf(sql`sent_representing`, organizerCopy)} AS own,
        ${f.maxIf(sql`sent_representing`, request)} AS sent,
        count(*) AS versions, min(modified) AS first_change, max(modified) AS last_change
      FROM ${t()} WHERE ${inRange(range)} GROUP BY id) m
    ORDER BY first_change, id`;
}

export async function meetingTotals(store: Store, range: TimeRange): Promise<MeetingTotals[]> {
  const rows = await store.query<Omit<MeetingTotals, 'organizer'> & { own: string | null; sent: string | null }>(
    'the calendar meetings',
    meetingsStatement(range),
  );
  // an aggregate over no row is NULL in DuckDB and '' in ClickHouse: either is "none"
  return rows.map(({ own, sent, ...r }) => ({ ...r, versions: Number(r.versions), subject: r.subject || null, organizer: own || sent || null }));
}

/** the mailboxes of each meeting (short names) with the address their rows show, if any */
export async function meetingMailboxes(
  store: Store,
  range: TimeRange,
  ids?: readonly string[],
): Promise<{ id: string; mailbox: string; address: string | null; source: string; versions: number }[]> {
  const only = ids ? sql`AND ${meetingKey} IN ${list(ids.length ? [...ids] : [''])}` : sql``;
  const rows = await store.query<{ id: string; mailbox: string; address: string | null; source: string; versions: number }>(
    'the mailboxes of the calendar meetings',
    sql`SELECT ${meetingKey} AS id, mailbox, max(mailbox_address) AS address, max(mailbox_from) AS source, count(*) AS versions
        FROM ${t()} WHERE ${inRange(range)} ${only} GROUP BY id, mailbox ORDER BY id, mailbox`,
  );
  return rows.map((r) => ({ ...r, versions: Number(r.versions) }));
}

/** the address of each mailbox (by short name) as the whole store shows it: the organizer's own
 *  copy of any meeting first, else a sender or sent-for address whose local part is the short
 *  name. How a mailbox (and a legacy DN) is named when this meeting's rows do not say. */
export async function mailboxAddresses(store: Store, mailboxes: readonly string[]): Promise<Map<string, string>> {
  if (!mailboxes.length) return new Map();
  // the distinct addresses of the store are few (its people), whatever its size: grouped in SQL,
  // matched to the short names here
  const rows = await store.query<{ address: string; rank: number }>(
    'the calendar mailbox addresses',
    sql`SELECT mailbox_address AS address, 0 AS rank FROM ${t()} WHERE mailbox_address IS NOT NULL GROUP BY mailbox_address
        UNION ALL SELECT from_address AS address, 1 AS rank FROM ${t()} WHERE from_address IS NOT NULL GROUP BY from_address
        UNION ALL SELECT sent_representing AS address, 1 AS rank FROM ${t()} WHERE sent_representing IS NOT NULL GROUP BY sent_representing`,
  );
  const wanted = new Set(mailboxes);
  const out = new Map<string, { address: string; rank: number }>();
  // the best rank, then the smallest address: the same answer from every store
  for (const r of rows) {
    const at = r.address.indexOf('@');
    if (at < 0) continue;
    const short = r.address.slice(0, at).slice(0, 20);
    if (!wanted.has(short)) continue;
    const had = out.get(short);
    const rank = Number(r.rank);
    if (!had || rank < had.rank || (rank === had.rank && r.address < had.address)) out.set(short, { address: r.address, rank });
  }
  return new Map([...out].map(([k, v]) => [k, v.address]));
}

/** meetings whose subject contains `text` (any case), with their versions' count */
export async function meetingsBySubject(store: Store, text: string, range: TimeRange): Promise<{ id: string; subject: string; versions: number }[]> {
  const like = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await store.query<{ id: string; any_subject: string; versions: number }>(
    'the calendar meetings by subject',
    sql`SELECT ${meetingKey} AS id, max(subject) AS any_subject, count(*) AS versions FROM ${t()}
        WHERE ${f.lower(sql`ifNull(subject, '')`)} LIKE ${like} AND ${inRange(range)} GROUP BY id ORDER BY id`,
  );
  return rows.map((r) => ({ id: r.id, subject: r.any_subject, versions: Number(r.versions) }));
}

const versionColumns = [
  ['file_id', 'fileId'],
  ['line', 'line'],
  ['mailbox', 'mailbox'],
  ['mailbox_address', 'mailboxAddress'],
  ['mailbox_from', 'mailboxFrom'],
  ['meeting_id', 'meetingId'],
  ['modified', 'modified'],
  ['item_version', 'itemVersion'],
  ['item_class', 'itemClass'],
  ['log_time', 'logTime'],
  ['created', 'created'],
  ['trigger_action', 'triggerAction'],
  ['client_info', 'clientInfo'],
  ['responsible_user', 'responsibleUser'],
  ['from_address', 'fromAddress'],
  ['sent_representing', 'sentRepresenting'],
  ['subject', 'subject'],
  ['start_time', 'startTime'],
  ['end_time', 'endTime'],
  ['location', 'location'],
  ['attendees', 'attendees'],
  ['appointment_state', 'appointmentState'],
  ['response_type', 'responseType'],
  ['meeting_request_type', 'meetingRequestType'],
  ['recurring', 'recurring'],
  ['cancelled', 'cancelled'],
  ['exception', 'exception'],
  ['folder', 'folder'],
] as const;

/** every version of one meeting (by its key), oldest first; ties in a fixed order (mailbox, item
 *  class, version, then where it was read) so both stores give the same list */
export async function meetingVersions(store: Store, id: string, range: TimeRange): Promise<VersionRow[]> {
  const cols = join(versionColumns.map(([c, a]) => sql`${ident(c)} AS ${ident(a)}`));
  const where = id.startsWith('subject:') ? sql`meeting_id = '' AND ${meetingKey} = ${id}` : sql`meeting_id = ${id}`;
  const rows = await store.query<VersionRow>(
    'the versions of the meeting',
    sql`SELECT ${cols} FROM ${t()} WHERE ${where} AND ${inRange(range)} ORDER BY modified, mailbox, item_class, item_version, file_id, line`,
  );
  const num = (x: unknown) => (x === null || x === undefined ? null : Number(x));
  return rows.map((r) => ({
    ...r,
    fileId: Number(r.fileId),
    line: Number(r.line),
    itemVersion: Number(r.itemVersion),
    appointmentState: num(r.appointmentState),
    responseType: num(r.responseType),
    meetingRequestType: num(r.meetingRequestType),
    recurring: num(r.recurring),
    cancelled: num(r.cancelled),
    exception: num(r.exception),
  }));
}

/** versions per ClientInfoString over the whole store: what clients the organisation uses */
export async function clientUsage(store: Store): Promise<{ clientInfo: string; versions: number }[]> {
  const rows = await store.query<{ clientInfo: string; versions: number }>(
    'the calendar clients in use',
    sql`SELECT ifNull(client_info, '') AS ${ident('clientInfo')}, count(*) AS versions FROM ${t()} GROUP BY ${ident('clientInfo')}`,
  );
  return rows.map((r) => ({ clientInfo: r.clientInfo, versions: Number(r.versions) }));
}

/** per mailbox: its newest LogTimestamp (else its newest change) over the whole store — the
 *  export's own "now", from which the ~31-day retention is counted back */
export async function exportTimes(store: Store, mailboxes: readonly string[]): Promise<Map<string, string>> {
  if (!mailboxes.length) return new Map();
  const rows = await store.query<{ mailbox: string; newest: string }>(
    'the calendar export times',
    sql`SELECT mailbox, max(ifNull(log_time, modified)) AS newest FROM ${t()} WHERE mailbox IN ${list([...mailboxes])} GROUP BY mailbox`,
  );
  return new Map(rows.map((r) => [r.mailbox, r.newest]));
}
