// The calendar capability's shapes: a stored version as the queries read it, and the JSON contract
// of `calendar meetings` and `calendar timeline` (README).

/** one logged version (a row of calendar_versions) as queries.ts reads it */
export interface VersionRow {
  fileId: number;
  line: number;
  mailbox: string;
  mailboxAddress: string | null;
  mailboxFrom: string;
  meetingId: string;
  modified: string;
  itemVersion: number;
  itemClass: string;
  logTime: string | null;
  created: string | null;
  triggerAction: string | null;
  clientInfo: string | null;
  responsibleUser: string | null;
  fromAddress: string | null;
  sentRepresenting: string | null;
  subject: string | null;
  startTime: string | null;
  endTime: string | null;
  location: string | null;
  attendees: string | null;
  appointmentState: number | null;
  responseType: number | null;
  meetingRequestType: number | null;
  recurring: number | null;
  cancelled: number | null;
  exception: number | null;
  folder: string | null;
}

/** `calendar meetings --json`: one per meeting */
export interface MeetingRow {
  /** CleanGlobalObjectId, or `subject:<subject>` for versions exported without one */
  id: string;
  subject: string | null;
  organizer: string | null;
  mailboxes: string[];
  versions: number;
  first: string;
  last: string;
}

export type Role = 'owner' | 'delegate' | 'assistant' | 'transport' | 'admin';

export interface Change {
  field: 'start' | 'end' | 'location' | 'attendees' | 'subject' | 'cancelled';
  from: string | null;
  to: string | null;
}

export interface TimelineEvent {
  /** OriginalLastModifiedTime, YYYY-MM-DD HH:MM:SS.fff */
  time: string;
  /** the mailbox it was logged in (its address when known) */
  mailbox: string;
  /** who made the change: an address, an assistant's name, Transport … */
  actor: string;
  role: Role;
  /** how the actor was found: 'responsible user', 'sender', 'mailbox owner', 'client',
   *  'correlated: …' (a System Attendant change matched with a delegate's own export), 'unknown' */
  actorFrom: string;
  /** CalendarLogTriggerAction as logged */
  action: string;
  itemClass: string;
  /** the client's name (clients.ts) and the ClientInfoString it comes from */
  client: string;
  clientInfo: string | null;
  changes: Change[];
  sentence: string;
  /** the version's codes by name (codes.ts): AppointmentState, ResponseType, MeetingRequestType */
  appointmentState: string | null;
  responseType: string | null;
  meetingRequestType: string | null;
}

export interface TimelineMailbox {
  mailbox: string;
  /** how the mailbox was known: 'data' (its own rows), 'file-name', 'unknown' */
  from: string;
  versions: number;
}

export interface Timeline {
  meeting: { id: string; subject: string | null; organizer: string | null };
  mailboxes: TimelineMailbox[];
  events: TimelineEvent[];
  warnings: string[];
}
