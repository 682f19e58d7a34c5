// The calendar reports: the meetings in the store, and one meeting's merged timeline across every
// mailbox exported (describe.ts words each version), with the warnings an expert would give.
import type { Store, TimeRange } from '../../store/types.js';
import { clientOf } from './clients.js';
import { describe, mailboxName, UNIDENTIFIED, type MeetingContext } from './describe.js';
import { clientUsage, exportTimes, mailboxAddresses, meetingMailboxes, meetingTotals, meetingVersions, meetingsBySubject } from './queries.js';
import type { MeetingRow, Timeline, TimelineEvent, VersionRow } from './types.js';
import { shortMailbox } from './values.js';

/** Exchange keeps calendar log versions for about this long */
export const RETENTION_DAYS = 31;
/** a client used for fewer than this share of the store's versions is unusual for the organisation */
export const UNUSUAL_SHARE = 0.01;
/** ... once the store holds this many versions (fewer say nothing about habits) */
export const UNUSUAL_MIN_VERSIONS = 100;

export async function meetingsReport(store: Store, range: TimeRange): Promise<MeetingRow[]> {
  const [totals, boxes] = await Promise.all([meetingTotals(store, range), meetingMailboxes(store, range)]);
  const shorts = [...new Set(boxes.map((b) => b.mailbox).filter((m) => m !== ''))];
  const known = await mailboxAddresses(store, shorts);
  const byMeeting = new Map<string, string[]>();
  for (const b of boxes) {
    const name = b.mailbox === '' ? '(unknown mailbox)' : b.address || known.get(b.mailbox) || b.mailbox;
    const list = byMeeting.get(b.id);
    if (list) list.push(name);
    else byMeeting.set(b.id, [name]);
  }
  return totals.map((m) => ({ ...m, mailboxes: byMeeting.get(m.id) ?? [] }));
}

/** which meeting a timeline is asked for: --meeting, else the one meeting whose subject matches */
export async function findMeeting(store: Store, q: { meeting?: string | undefined; subject?: string | undefined }, range: TimeRange): Promise<string> {
  if (q.meeting) return q.meeting.startsWith('subject:') ? q.meeting : q.meeting.replace(/\s+/g, '').toUpperCase();
  if (!q.subject) throw new TimelineError('name the meeting: --meeting <CleanGlobalObjectId> or --subject <text>');
  const found = await meetingsBySubject(store, q.subject, range);
  if (found.length === 1) return found[0]!.id;
  if (!found.length) throw new TimelineError(`no meeting's subject contains "${q.subject}"`);
  const list = found.map((m) => `  ${m.id}  ${m.subject} (${m.versions} versions)`).join('\n');
  throw new TimelineError(`${found.length} meetings' subjects contain "${q.subject}": name one with --meeting\n${list}`);
}

/** a timeline that cannot be made as asked (no such meeting, several match): exit 1 with the message */
export class TimelineError extends Error {}

function context(rows: readonly VersionRow[], stored: ReadonlyMap<string, string>): MeetingContext {
  const addresses = new Map<string, string>(stored);
  for (const r of rows) if (r.mailboxAddress) addresses.set(r.mailbox, r.mailboxAddress);
  // the people the meeting's messages name: how legacy DNs and short names become addresses
  for (const r of rows)
    for (const a of [r.fromAddress, r.sentRepresenting]) if (a?.includes('@') && !addresses.has(shortMailbox(a))) addresses.set(shortMailbox(a), a);
  const own = rows.find((r) => r.itemClass === 'IPM.Appointment' && r.responseType === 1 && r.sentRepresenting);
  const req = rows.find((r) => r.itemClass.startsWith('IPM.Schedule.Meeting.Request') && r.meetingRequestType !== 1048576 && r.sentRepresenting);
  return { organizer: own?.sentRepresenting ?? req?.sentRepresenting ?? null, addresses };
}

const days = (a: string, b: string) => (Date.parse(b.replace(' ', 'T') + 'Z') - Date.parse(a.replace(' ', 'T') + 'Z')) / 86400000;
const shown = (t: string) => t.replace(/\.000$/, '');

export async function timelineReport(store: Store, id: string, range: TimeRange): Promise<Timeline> {
  const rows = await meetingVersions(store, id, range);
  if (!rows.length) throw new TimelineError(`no logged versions of meeting ${id}${range.from || range.to ? ' in that period' : ''}`);
  const shorts = [...new Set(rows.map((r) => r.mailbox).filter((m) => m !== ''))];
  const [stored, newest, usage] = await Promise.all([mailboxAddresses(store, shorts), exportTimes(store, shorts), clientUsage(store)]);
  const ctx = context(rows, stored);
  const events = describe(rows, ctx);
  const latest = [...rows].reverse().find((r) => r.subject !== null);
  const counts = new Map<string, { from: string; versions: number }>();
  for (const r of rows) {
    const c = counts.get(r.mailbox) ?? { from: r.mailbox === '' ? 'unknown' : r.mailboxFrom, versions: 0 };
    if (r.mailboxFrom === 'data') c.from = 'data';
    c.versions++;
    counts.set(r.mailbox, c);
  }
  const mailboxes = [...counts].map(([m, c]) => ({ mailbox: m === '' ? '(unknown mailbox)' : mailboxName(m, ctx), from: c.from, versions: c.versions }));
  return {
    meeting: { id, subject: latest?.subject ?? null, organizer: ctx.organizer },
    mailboxes,
    events,
    warnings: warnings(id, rows, events, ctx, newest, usage),
  };
}

function warnings(
  id: string,
  rows: readonly VersionRow[],
  events: readonly TimelineEvent[],
  ctx: MeetingContext,
  newest: ReadonlyMap<string, string>,
  usage: readonly { clientInfo: string; versions: number }[],
): string[] {
  const out: string[] = [];
  const name = (m: string) => mailboxName(m, ctx);
  const boxes = [...new Set(rows.map((r) => r.mailbox))];
  if (id.startsWith('subject:'))
    out.push('merged by subject only: these versions carry no CleanGlobalObjectId, so other meetings with the same subject may be mixed in');
  const unknown = rows.filter((r) => r.mailbox === '').length;
  if (unknown) out.push(`${unknown} version(s) come from exports whose mailbox is unknown (not in their rows, nor in a <ShortName>_<MeetingId>.csv file name)`);

  // one side missing
  const organizer = ctx.organizer ? shortMailbox(ctx.organizer) : undefined;
  if (organizer && !boxes.includes(organizer)) out.push(`no export of the organizer's mailbox (${ctx.organizer}): its authoritative copy is missing`);
  if (organizer && boxes.length === 1 && boxes[0] === organizer) out.push("only the organizer's mailbox is exported: no attendee's side of the meeting");
  for (const e of events)
    if (e.actor === UNIDENTIFIED)
      out.push(
        `no delegate export: a System Attendant change in ${e.mailbox} at ${shown(e.time)} could not be attributed (export the delegates' mailboxes too)`,
      );

  // the calendar item never saved (an Outlook save failure): a delivered request, no calendar item
  for (const m of boxes) {
    const mine = rows.filter((r) => r.mailbox === m);
    const delivered = mine.some(
      (r) => r.itemClass.startsWith('IPM.Schedule.Meeting.Request') && r.meetingRequestType !== 1048576 && !/^sent items$/i.test(r.folder ?? ''),
    );
    if (delivered && !mine.some((r) => r.itemClass === 'IPM.Appointment'))
      out.push(
        `${m === '' ? 'an unknown mailbox' : name(m)} has the meeting request but no IPM.Appointment version: the calendar item was never saved there (an Outlook save failure?)`,
      );
  }

  // retention, counted back from each export's own newest log time (never the wall clock)
  for (const m of boxes) {
    const end = newest.get(m);
    if (!end) continue;
    const old = rows.filter((r) => r.mailbox === m && days(r.modified, end) > RETENTION_DAYS);
    if (old.length)
      out.push(
        `${name(m)}: ${old.length} change(s) older than ${RETENTION_DAYS} days before the export's newest log time (${shown(end)}): Exchange keeps about ${RETENTION_DAYS} days, so the history before ${shown(old[old.length - 1]!.modified)} may be incomplete`,
      );
  }

  // calendar logging apparently off: the organizer sent updates after an attendee's log stops
  if (organizer) {
    const sent = rows.filter(
      (r) =>
        r.mailbox === organizer &&
        /^Create$/i.test(r.triggerAction ?? '') &&
        /^sent items$/i.test(r.folder ?? '') &&
        (r.itemClass.startsWith('IPM.Schedule.Meeting.Canceled') ||
          (r.itemClass.startsWith('IPM.Schedule.Meeting.Request') && (r.meetingRequestType ?? 1) !== 1)),
    );
    for (const m of boxes) {
      if (m === organizer || m === '') continue;
      // rows come oldest first: the mailbox's last version is its last row
      const last = rows.filter((r) => r.mailbox === m).at(-1)!.modified;
      const later = sent.filter((s) => days(last, s.modified) > 1 / 24);
      if (later.length && rows.some((r) => r.mailbox === m && r.meetingRequestType !== 1048576 && r.itemClass === 'IPM.Appointment'))
        out.push(
          `calendar logging apparently off in ${name(m)} after ${shown(last)}: the organizer's ${later.length} later update(s) (first at ${shown(later[0]!.modified)}) are not in its log`,
        );
    }
  }

  // a client the organisation does not normally use
  const total = usage.reduce((a, u) => a + u.versions, 0);
  if (total >= UNUSUAL_MIN_VERSIONS) {
    const byName = new Map<string, number>();
    for (const u of usage) {
      const c = clientOf(u.clientInfo);
      if (c.kind === 'user') byName.set(c.name, (byName.get(c.name) ?? 0) + u.versions);
    }
    const said = new Set<string>();
    for (const e of events) {
      const n = byName.get(e.client);
      if (n === undefined || n >= total * UNUSUAL_SHARE || said.has(e.client)) continue;
      said.add(e.client);
      out.push(`changed from ${e.client}, a client the organisation does not normally use (${n} of ${total} logged versions in this store)`);
    }
  }
  return out;
}
