// The calendar generator's world: people, their mailboxes, the clients they use, and a builder
// that logs versions the way Exchange's calendar logging does (a version per change, in every
// mailbox the change touches), each with the sentence the timeline must say for it. The sentence
// and the changes are this generator's own bookkeeping (who it made act, in which role, what it
// changed), written independently of capabilities/calendar, so the tests can hold the timeline to
// them.
import { Prng } from '../iis/prng.js';

export const DOMAIN = 'corp.example';
export const address = (short: string) => `${short}@${DOMAIN}`;
export const legacyDn = (short: string) => `/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${short}`;
export const SYSTEM_ATTENDANT = '/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EX01/cn=Microsoft System Attendant';

/** the clients this generator uses: the ClientInfoString it writes and the name the timeline shows */
export const clients = {
  outlook: { info: 'Client=MSExchangeRPC', name: 'Outlook desktop (MAPI)' },
  outlookDelegate: { info: 'Client=MSExchangeRPC;COW=Delegate', name: 'Outlook desktop (MAPI)' },
  owa: { info: 'Client=OWA;Action=ViaProxy', name: 'OWA (Outlook on the web)' },
  iphone: {
    info: 'Client=ActiveSync;UserAgent=Apple-iPhone9C1/1402.100;Version=160;Action=/Microsoft-Server-ActiveSync/Proxy/default.eas?Cmd=Sync',
    name: 'iOS Mail (ActiveSync, Apple-iPhone9C1)',
  },
  transport: { info: 'Client=Hub Transport', name: 'Transport' },
  calendarAssistant: { info: 'Client=TBA;Service=MSExchangeMailboxAssistants;Action=CalendarAssistant', name: 'Calendar Assistant' },
  repair: { info: 'Client=TBA;Service=MSExchangeMailboxAssistants;Action=CalendarRepairAssistant', name: 'Calendar Repair Assistant' },
  booking: { info: 'Client=EBA;Action=FreeBusyPublishingAssistant;ResourceBookingAssistant', name: 'Resource Booking Assistant' },
} as const;
export type ClientId = keyof typeof clients;

export type Role = 'owner' | 'delegate' | 'assistant' | 'transport';

/** one logged version, as written to the exports */
export interface Version {
  mailbox: string;
  meetingId: string;
  /** ms since the epoch, UTC */
  modified: number;
  logTime: number;
  created: number;
  itemVersion: number;
  itemClass: string;
  action: string;
  client: ClientId;
  responsibleUser: string;
  from: string;
  sentRepresenting: string;
  sentRepresentingName: string;
  subject: string;
  start: number;
  end: number;
  location: string;
  attendees: string;
  state: number;
  responseType: number;
  meetingRequestType: number | null;
  itemType: string;
  recurring: boolean;
  cancelled: boolean;
  exception: boolean;
  sequence: number;
  folder: string;
  /** what the timeline must say */
  expect: { actor: string; role: Role; sentence: string; changes: { field: string; from: string | null; to: string | null }[] };
}

export const APPOINTMENT = 'IPM.Appointment';
export const EXCEPTION = 'IPM.OLE.CLASS.{00061055-0000-0000-C000-000000000046}';
export const REQUEST = 'IPM.Schedule.Meeting.Request';
export const CANCELED = 'IPM.Schedule.Meeting.Canceled';
export const FORWARD_NOTIFICATION = 'IPM.Schedule.Meeting.Notification.Forward';
export const RESPONSE = {
  accept: 'IPM.Schedule.Meeting.Resp.Pos',
  tentative: 'IPM.Schedule.Meeting.Resp.Tent',
  decline: 'IPM.Schedule.Meeting.Resp.Neg',
} as const;
export const DELEGATE_COPY = 1048576;
export const OUTDATED = 524288;
export const FULL_UPDATE = 65536;

const pad = (n: number) => String(n).padStart(2, '0');
/** 'YYYY-MM-DD HH:MM:SS' of a time (the timeline shows times so; changes too) */
export function text(t: number): string {
  const d = new Date(t);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** the words before the verb, by role (the timeline's grammar, README) */
function who(actor: string, role: Role, mailbox: string, principal?: string): string {
  const where = `in ${address(mailbox)}'s mailbox`;
  switch (role) {
    case 'owner':
      return `${actor} (own mailbox)`;
    case 'delegate':
      return principal ? `${actor} (delegate of ${principal}, own mailbox)` : `${actor} (delegate, ${where})`;
    case 'assistant':
      return `${actor} (server assistant, ${where})`;
    case 'transport':
      return `${actor} (${where})`;
  }
}

/** the state of one meeting (or appointment) as its organizer sees it */
export interface MeetingState {
  subject: string;
  start: number;
  end: number;
  location: string;
  attendees: string[];
  recurring: boolean;
  sequence: number;
}

/** who acts: a person (their mailbox short name) with a client, or a server component */
export interface Act {
  /** the person acting, or undefined for transport/assistants */
  person?: string;
  client: ClientId;
  /** the person acts in someone else's mailbox as a delegate, logged with their own name */
  /** the change is logged with the System Attendant as the requesting user (Exchange 2010's delegate case) */
  systemAttendant?: boolean;
}

export class World {
  readonly versions: Version[] = [];
  private readonly last = new Map<string, Version>();
  private readonly itemVersions = new Map<string, number>();
  readonly rng: Prng;
  now: number;
  private meetings = 0;

  constructor(seed: number, start: number) {
    this.rng = new Prng(seed, 17);
    this.now = start;
  }

  /** time moves on by 1–3 minutes, in whole seconds (CSV exports keep seconds only) */
  tick(): number {
    this.now += (61 + this.rng.int(120)) * 1000;
    return this.now;
  }

  /** the versions logged so far, handed over and forgotten with the items' histories (a bulk
   *  run writes them out meeting by meeting, in bounded memory) */
  drain(): Version[] {
    const out = this.versions.splice(0);
    this.last.clear();
    this.itemVersions.clear();
    return out;
  }

  newMeetingId(): string {
    this.meetings++;
    const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
    // 040000008200E00074C5B7101A82E008 + 8 zero bytes (Clean) + creation time + size + a unique id
    return `040000008200E00074C5B7101A82E00800000000${hex(Math.floor(this.now / 1000))}${hex(this.rng.int(0x7fffffff))}000000000000000010000000${hex(this.meetings)}${hex(this.rng.int(0x7fffffff))}${hex(0xc0ffee)}${hex(this.meetings * 7919)}`;
  }

  /** log a version in `mailbox`; its expected sentence is made from `actor`, `role` and `verb` */
  log(
    mailbox: string,
    meetingId: string,
    fields: Omit<Version, 'mailbox' | 'meetingId' | 'modified' | 'logTime' | 'itemVersion' | 'expect' | 'created'> & { created?: number },
    who_: { actor: string; role: Role; principal?: string },
    verb: string,
    at: number = this.tick(),
  ): Version {
    const family = `${mailbox}\u0000${meetingId}\u0000${fields.itemClass}`;
    const prev = this.last.get(family);
    const itemVersion = (this.itemVersions.get(family) ?? 0) + 1;
    this.itemVersions.set(family, itemVersion);
    const person = who_.role === 'owner' || who_.role === 'delegate';
    const sentence = `${who(who_.actor, who_.role, mailbox, who_.principal)} ${verb}${person ? ` from ${clients[fields.client].name}` : ''}`;
    const v: Version = {
      ...fields,
      mailbox,
      meetingId,
      modified: at,
      logTime: at + 1000,
      created: fields.created ?? prev?.created ?? at,
      itemVersion,
      expect: { actor: who_.actor, role: who_.role, sentence, changes: changes(prev, fields) },
    };
    this.last.set(family, v);
    this.versions.push(v);
    return v;
  }
}

/** what changed since the item's previous version in the same mailbox (start, end, location,
 *  attendees, subject, cancelled), as the timeline shows it */
function changes(prev: Version | undefined, v: Pick<Version, 'start' | 'end' | 'location' | 'attendees' | 'subject' | 'cancelled'>) {
  if (!prev) return [];
  const out: { field: string; from: string | null; to: string | null }[] = [];
  const s = (x: string) => (x === '' ? null : x);
  if (prev.start !== v.start) out.push({ field: 'start', from: text(prev.start), to: text(v.start) });
  if (prev.end !== v.end) out.push({ field: 'end', from: text(prev.end), to: text(v.end) });
  if (prev.location !== v.location) out.push({ field: 'location', from: s(prev.location), to: s(v.location) });
  if (prev.attendees !== v.attendees) out.push({ field: 'attendees', from: s(prev.attendees), to: s(v.attendees) });
  if (prev.subject !== v.subject) out.push({ field: 'subject', from: s(prev.subject), to: s(v.subject) });
  if (prev.cancelled !== v.cancelled) out.push({ field: 'cancelled', from: prev.cancelled ? 'yes' : 'no', to: v.cancelled ? 'yes' : 'no' });
  return out;
}
