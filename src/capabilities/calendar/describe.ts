// One plain sentence per logged version: who (actor and role), what (from the trigger action, the
// item class and what changed since the version before it in the same mailbox), from which client.
//
//   <actor> (<role>, in <mailbox>'s mailbox) <what>[ from <client>]
//
// Roles and how the actor is found (spec calendar.md, "COW=Delegate"):
//   assistant / transport / admin  the client says so (clients.ts); the actor is the client;
//   a person                       ResponsibleUserName, resolved to an address; the mailbox's owner
//                                  is `own mailbox`, anyone else is a delegate;
//   the System Attendant           Exchange 2010 logs it as the requesting user of a delegate's
//                                  change (client-server-service COW=Delegate): the delegate is found
//                                  in the other mailboxes' exports of the meeting (correlate());
//   nobody logged                  the sender when it acted for someone else (From differs from
//                                  SentRepresenting), else the mailbox's owner.
import { clientOf, saysDelegate } from './clients.js';
import { appointmentStateName, meetingRequestTypeName, responseTypeName } from './codes.js';
import { shortMailbox } from './values.js';
import type { Change, Role, TimelineEvent, VersionRow } from './types.js';

/** the actor of a delegate's change that no export names */
export const UNIDENTIFIED = 'an unidentified delegate';

const APPOINTMENT = 'IPM.Appointment';
const EXCEPTION = 'IPM.OLE.CLASS.{00061055-0000-0000-C000-000000000046}';
const DELEGATE_COPY = 1048576;
const OUTDATED = 524288;

export interface MeetingContext {
  /** the organizer's address, when known */
  organizer: string | null;
  /** short mailbox name -> address, from every row of the meeting (resolves legacy DNs) */
  addresses: ReadonlyMap<string, string>;
}

/** how a mailbox is named in sentences: its address when known, else its short name */
export function mailboxName(short: string, ctx: MeetingContext): string {
  return short === '' ? '' : (ctx.addresses.get(short) ?? short);
}

/** a legacy DN or address as an address where the meeting's rows know it */
export function personOf(dnOrAddress: string, ctx: MeetingContext): string {
  return ctx.addresses.get(shortMailbox(dnOrAddress)) ?? (dnOrAddress.includes('@') ? dnOrAddress.toLowerCase() : shortMailbox(dnOrAddress));
}

export function isSystemAttendant(user: string | null): boolean {
  return /system attendant/i.test(user ?? '');
}

const isDelete = (a: string) => /^(SoftDelete|HardDelete|MoveToDeletedItems|Delete)$/i.test(a);
const isSent = (v: VersionRow) => /^sent items$/i.test(v.folder ?? '');

function what(v: VersionRow, prev: VersionRow | undefined, ctx: MeetingContext): string {
  const action = v.triggerAction ?? '';
  const cls = v.itemClass;
  const create = /^Create$/i.test(action);
  if (cls === APPOINTMENT || cls === EXCEPTION) {
    const meeting = ((v.appointmentState ?? 0) & 1) !== 0;
    const noun = cls === EXCEPTION || v.exception === 1 ? 'an occurrence' : meeting ? 'the meeting' : 'the appointment';
    if (isDelete(action)) return `deleted ${noun}`;
    if (/^Move$/i.test(action))
      return /^calendar$/i.test(v.folder ?? '') ? `moved ${noun} back to the calendar` : `moved ${noun} to ${v.folder ?? 'another folder'}`;
    if (cls === EXCEPTION || v.exception === 1) return 'changed an occurrence';
    if (create) {
      if (!meeting) return 'created the appointment';
      if (v.responseType === 1) return v.recurring === 1 ? 'created the recurring meeting' : 'created the meeting';
      return 'added the meeting to the calendar';
    }
    if (v.cancelled === 1 && prev && prev.cancelled !== 1) return 'marked the meeting as cancelled';
    if (v.responseType !== null && prev && v.responseType !== prev.responseType) {
      if (v.responseType === 3) return 'accepted the meeting';
      if (v.responseType === 2) return 'tentatively accepted the meeting';
      if (v.responseType === 4) return 'declined the meeting';
    }
    return `updated ${noun}`;
  }
  const sent = isSent(v);
  const byOrganizer = ctx.organizer !== null && (v.sentRepresenting ?? v.fromAddress ?? '') === ctx.organizer;
  if (cls.startsWith('IPM.Schedule.Meeting.Request')) {
    const update = (v.meetingRequestType ?? 1) !== 1 && v.meetingRequestType !== DELEGATE_COPY && v.meetingRequestType !== OUTDATED;
    const kind = update ? 'a meeting update' : 'the meeting request';
    if (isDelete(action)) return v.meetingRequestType === OUTDATED ? 'deleted an outdated meeting update' : `deleted ${kind}`;
    if (!create) return v.meetingRequestType === OUTDATED ? 'marked the meeting request as outdated' : `updated ${kind}`;
    if (v.meetingRequestType === DELEGATE_COPY) return "delivered the delegate's copy of the meeting request";
    if (sent) return byOrganizer ? `sent ${kind}` : 'forwarded the meeting';
    return byOrganizer ? `delivered ${kind}` : 'delivered a forwarded meeting request';
  }
  const responses: Record<string, string> = { Pos: 'an acceptance', Tent: 'a tentative acceptance', Neg: 'a decline' };
  const resp = /^IPM\.Schedule\.Meeting\.Resp\.(Pos|Tent|Neg)/i.exec(cls);
  if (resp) {
    const noun = responses[resp[1]!.charAt(0).toUpperCase() + resp[1]!.slice(1).toLowerCase()]!;
    if (isDelete(action)) return `deleted ${noun}`;
    if (!create) return `updated ${noun}`;
    return sent ? `sent ${noun}` : `delivered ${noun}`;
  }
  const messages: [RegExp, string][] = [
    [/^IPM\.Schedule\.Meeting\.Canceled/i, 'a cancellation'],
    [/^IPM\.Schedule\.Meeting\.Notification\.Forward/i, 'a meeting forward notification'],
  ];
  for (const [re, noun] of messages) {
    if (!re.test(cls)) continue;
    if (isDelete(action)) return `deleted ${noun}`;
    if (!create) return `updated ${noun}`;
    return sent ? `sent ${noun}` : `delivered ${noun}`;
  }
  const verb = create ? 'created' : isDelete(action) ? 'deleted' : /^Move$/i.test(action) ? 'moved' : 'changed';
  return `${verb} an item of class ${cls || '(none)'}`;
}

/** the fields a timeline reports changed, between two versions of one item in one mailbox */
export function changesOf(v: VersionRow, prev: VersionRow | undefined): Change[] {
  if (!prev) return [];
  const time = (t: string | null) => (t === null ? null : t.replace(/\.000$/, ''));
  const yes = (n: number | null) => (n === null ? null : n === 1 ? 'yes' : 'no');
  const pairs: [Change['field'], string | null, string | null][] = [
    ['start', time(prev.startTime), time(v.startTime)],
    ['end', time(prev.endTime), time(v.endTime)],
    ['location', prev.location, v.location],
    ['attendees', prev.attendees, v.attendees],
    ['subject', prev.subject, v.subject],
    ['cancelled', yes(prev.cancelled), yes(v.cancelled)],
  ];
  // an empty value and an absent one are the same: nothing (exports write empty fields for both)
  return pairs.filter(([, a, b]) => (a ?? '') !== (b ?? '')).map(([field, from, to]) => ({ field, from: from || null, to: to || null }));
}

interface Actor {
  actor: string;
  role: Role;
  actorFrom: string;
  /** the mailbox the actor acted for, when it is not the one the version is logged in */
  principal?: string;
}

/** The delegate behind a System Attendant change in mailbox M: the other mailboxes' exports of the
 *  meeting that show the same item (same creation time: the seed's landmark; a delegate-forwarded
 *  copy first), else one of them that sent a message for M's owner within five minutes. */
export function correlate(v: VersionRow, rows: readonly VersionRow[], ctx: MeetingContext): { who: string[]; how: string } | undefined {
  const others = rows.filter((r) => r.mailbox !== '' && r.mailbox !== v.mailbox);
  const owner = mailboxName(v.mailbox, ctx);
  const names = (rs: VersionRow[]) => [...new Set(rs.map((r) => mailboxName(r.mailbox, ctx)))].sort();
  if (v.created) {
    const same = others.filter((r) => r.created === v.created);
    const copies = same.filter((r) => r.meetingRequestType === DELEGATE_COPY);
    const pick = copies.length ? copies : same;
    if (pick.length) return { who: names(pick), how: `same item and creation time (${v.created.replace(/\.000$/, '')}) in the export of` };
  }
  const t = Date.parse(v.modified.replace(' ', 'T') + 'Z');
  const near = others.filter(
    (r) =>
      r.sentRepresenting !== null &&
      r.fromAddress !== null &&
      r.sentRepresenting === owner &&
      r.fromAddress !== owner &&
      Math.abs(Date.parse(r.modified.replace(' ', 'T') + 'Z') - t) <= 5 * 60000,
  );
  if (near.length) return { who: names(near), how: `a message sent for ${owner} within five minutes, in the export of` };
  return undefined;
}

function actorOf(v: VersionRow, rows: readonly VersionRow[], ctx: MeetingContext): Actor {
  const client = clientOf(v.clientInfo);
  if (client.kind !== 'user') return { actor: client.name, role: client.kind, actorFrom: 'client' };
  const owner = mailboxName(v.mailbox, ctx);
  const user = v.responsibleUser ?? '';
  if (user !== '' && !isSystemAttendant(user)) {
    const who = personOf(user, ctx);
    if (v.mailbox !== '' && shortMailbox(who) === v.mailbox) {
      // the owner acting for someone else (a delegate's message saved in its own mailbox)
      if (v.sentRepresenting && v.fromAddress && v.sentRepresenting !== v.fromAddress && shortMailbox(v.sentRepresenting) !== v.mailbox)
        return { actor: who, role: 'delegate', actorFrom: 'responsible user', principal: v.sentRepresenting };
      return { actor: who, role: 'owner', actorFrom: 'responsible user' };
    }
    return { actor: who, role: 'delegate', actorFrom: 'responsible user' };
  }
  if (isSystemAttendant(user) || saysDelegate(v.clientInfo)) {
    if (saysDelegate(v.clientInfo)) {
      const c = correlate(v, rows, ctx);
      if (c && c.who.length === 1) return { actor: c.who[0]!, role: 'delegate', actorFrom: `correlated: ${c.how} ${c.who[0]}` };
      if (c) return { actor: `one of ${c.who.join(', ')}`, role: 'delegate', actorFrom: `correlated: ${c.how} ${c.who.join(', ')}` };
      return { actor: UNIDENTIFIED, role: 'delegate', actorFrom: 'unknown' };
    }
  }
  if (v.fromAddress && v.sentRepresenting && v.fromAddress !== v.sentRepresenting) {
    const who = personOf(v.fromAddress, ctx);
    return shortMailbox(who) === v.mailbox
      ? { actor: who, role: 'delegate', actorFrom: 'sender', principal: v.sentRepresenting }
      : { actor: who, role: 'delegate', actorFrom: 'sender' };
  }
  return { actor: owner === '' ? 'the mailbox owner' : owner, role: 'owner', actorFrom: 'mailbox owner' };
}

/** the words before the verb: who, in which role, in whose mailbox */
export function actorText(a: Actor, mailbox: string): string {
  const where = mailbox === '' ? 'in an unknown mailbox' : `in ${mailbox}'s mailbox`;
  switch (a.role) {
    case 'owner':
      return mailbox === '' ? `${a.actor} (${where})` : `${a.actor} (own mailbox)`;
    case 'delegate':
      if (a.principal) return `${a.actor} (delegate of ${a.principal}, own mailbox)`;
      return a.actor === UNIDENTIFIED ? `${a.actor} (${where})` : `${a.actor} (delegate, ${where})`;
    case 'assistant':
      return `${a.actor} (server assistant, ${where})`;
    case 'transport':
      return `${a.actor} (${where})`;
    case 'admin':
      return `an admin with ${a.actor} (${where})`;
  }
}

/** the events of one meeting's versions, oldest first (the rows come sorted: queries.ts) */
export function describe(rows: readonly VersionRow[], ctx: MeetingContext): TimelineEvent[] {
  const last = new Map<string, VersionRow>();
  return rows.map((v) => {
    const family = `${v.mailbox}\u0000${v.itemClass}`;
    const prev = last.get(family);
    last.set(family, v);
    const mailbox = mailboxName(v.mailbox, ctx);
    const a = actorOf(v, rows, ctx);
    const client = clientOf(v.clientInfo);
    const person = a.role === 'owner' || a.role === 'delegate';
    const sentence = `${actorText(a, mailbox)} ${what(v, prev, ctx)}${person ? ` from ${client.name}` : ''}`;
    return {
      time: v.modified,
      mailbox: mailbox === '' ? '(unknown mailbox)' : mailbox,
      actor: a.actor,
      role: a.role,
      actorFrom: a.actorFrom,
      action: v.triggerAction ?? '',
      itemClass: v.itemClass,
      client: client.name,
      clientInfo: v.clientInfo,
      changes: changesOf(v, prev),
      sentence,
      appointmentState: appointmentStateName(v.appointmentState),
      responseType: responseTypeName(v.responseType),
      meetingRequestType: meetingRequestTypeName(v.meetingRequestType),
    };
  });
}
