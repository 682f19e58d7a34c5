// The 31 actions that write a calendar log entry (seed 001, spec calendar.md), each as a small
// story in an organisation, plus the stories the timeline's warnings are for. Each returns its
// meeting and what of it is not exported.
import { Meeting } from './meeting.js';
import type { Act, World } from './world.js';

export interface Story {
  meeting: Meeting;
  /** mailboxes whose export is missing */
  unexported?: string[];
  /** a mailbox whose calendar logging stops after this time (ms) */
  loggingOff?: { mailbox: string; after: number };
  /** the expected actor of a System Attendant change that no export can attribute, by the time */
  unattributed?: number[];
  /** the warning the story is for (checked against the timeline's warnings) */
  warns?: string;
}

export interface Scenario {
  n: number;
  title: string;
  story(w: World): Story;
}

const outlook = (person: string): Act => ({ person, client: 'outlook' });
const owa = (person: string): Act => ({ person, client: 'owa' });
/** a delegate's change that Exchange logs with the System Attendant as the requesting user */
const asSystemAttendant = (person: string): Act => ({ person, client: 'outlookDelegate', systemAttendant: true });

const meeting = (w: World, o: ConstructorParameters<typeof Meeting>[1]) => new Meeting(w, o);

/** a meeting created and sent by its organizer */
function sent(
  w: World,
  organizer: string,
  subject: string,
  attendees: string[],
  o: { recurring?: boolean; client?: 'outlook' | 'owa'; delegates?: Record<string, string>; room?: string } = {},
) {
  const m = meeting(w, { subject, organizer, attendees, ...o });
  const act = o.client === 'owa' ? owa(organizer) : outlook(organizer);
  m.create(act);
  m.send(act, 'request');
  return m;
}

export const scenarios: readonly Scenario[] = [
  {
    n: 1,
    title: 'Create new appointment',
    story: (w) => {
      const m = meeting(w, { subject: 'Dentist', organizer: 'carol', appointment: true });
      m.create(outlook('carol'));
      return { meeting: m };
    },
  },
  { n: 2, title: 'Create new meeting', story: (w) => ({ meeting: sent(w, 'bob', 'Team sync', ['carol', 'dave'], { client: 'owa' }) }) },
  { n: 3, title: 'Create new re-occurring meeting', story: (w) => ({ meeting: sent(w, 'dave', 'Weekly standup', ['bob', 'carol'], { recurring: true }) }) },
  {
    n: 4,
    title: 'Accept/Tentative accept meeting/meeting update without response',
    story: (w) => {
      const m = sent(w, 'bob', 'Design review', ['carol', 'dave']);
      m.respond(outlook('carol'), 'carol', 'accept', false);
      m.respond(owa('dave'), 'dave', 'tentative', false);
      return { meeting: m };
    },
  },
  {
    n: 5,
    title: 'Accept/Tentative accept meeting/meeting update with response',
    story: (w) => {
      const m = sent(w, 'carol', 'Budget planning', ['bob', 'dave']);
      m.respond(outlook('bob'), 'bob', 'accept', true);
      m.respond(outlook('dave'), 'dave', 'tentative', true);
      return { meeting: m };
    },
  },
  {
    n: 6,
    title: 'Decline meeting without response',
    story: (w) => {
      const m = sent(w, 'bob', 'Offsite logistics', ['carol']);
      m.respond(outlook('carol'), 'carol', 'decline', false);
      return { meeting: m };
    },
  },
  {
    n: 7,
    title: 'Decline meeting with response',
    story: (w) => {
      const m = sent(w, 'dave', 'Vendor demo', ['bob']);
      m.respond(outlook('bob'), 'bob', 'decline', true);
      return { meeting: m };
    },
  },
  {
    n: 8,
    title: 'Update meeting without sending (Organizer)',
    story: (w) => {
      const m = sent(w, 'bob', 'Roadmap', ['carol', 'dave']);
      m.respond(outlook('carol'), 'carol', 'accept', true);
      m.update(outlook('bob'), { location: 'Room 2' }, false);
      return { meeting: m };
    },
  },
  {
    n: 9,
    title: 'Update meeting and send (Organizer)',
    story: (w) => {
      const m = sent(w, 'carol', 'Hiring sync', ['bob', 'dave'], { client: 'owa' });
      m.update(owa('carol'), { start: m.state.start + 3600000, end: m.state.end + 3600000 }, true);
      return { meeting: m };
    },
  },
  {
    n: 10,
    title: 'Update meeting (Attendee)',
    story: (w) => {
      const m = sent(w, 'bob', 'Customer call', ['carol']);
      m.attendeeUpdate({ person: 'carol', client: 'iphone' }, 'carol', 'Phone');
      return { meeting: m };
    },
  },
  {
    n: 11,
    title: 'Forward meeting',
    story: (w) => {
      const m = sent(w, 'dave', 'All hands prep', ['bob']);
      m.forward(outlook('bob'), 'bob', 'eve');
      m.respond(outlook('eve'), 'eve', 'accept', true);
      return { meeting: m };
    },
  },
  {
    n: 12,
    title: 'Delete meeting, send no cancelation (Organizer)',
    story: (w) => {
      const m = sent(w, 'carol', 'Lunch and learn', ['bob'], { client: 'owa' });
      m.delete(owa('carol'), false);
      return { meeting: m };
    },
  },
  {
    n: 13,
    title: 'Delete meeting, send cancelation (Organizer)',
    // the organizer's log shows only the System Attendant: the delegate is found in its own export
    story: (w) => {
      const m = sent(w, 'ceo', 'Board meeting', ['bob', 'carol', 'boardroom'], { room: 'boardroom' });
      m.delete(asSystemAttendant('alice'), true);
      return { meeting: m };
    },
  },
  {
    n: 14,
    title: 'Delete meeting, send no decline (Attendee)',
    // the seed's case: a delegate deletes the VIP's meeting request; the VIP's log shows the System
    // Attendant, the delegate's own export has the forwarded copy with the same creation time
    story: (w) => {
      const m = sent(w, 'bob', 'Budget review', ['ceo', 'carol'], { delegates: { ceo: 'alice' } });
      m.respond(outlook('carol'), 'carol', 'accept', true);
      m.attendeeDelete(asSystemAttendant('alice'), 'ceo', false);
      return { meeting: m };
    },
  },
  {
    n: 15,
    title: 'Delete meeting, send decline (Attendee)',
    story: (w) => {
      const m = sent(w, 'dave', 'Partner review', ['carol']);
      m.attendeeDelete(outlook('carol'), 'carol', true);
      return { meeting: m };
    },
  },
  {
    n: 16,
    title: 'Send meeting forward notification',
    story: (w) => {
      const m = sent(w, 'carol', 'Security briefing', ['dave']);
      m.forward(outlook('dave'), 'dave', 'eve');
      m.forwardNotification('dave');
      return { meeting: m };
    },
  },
  {
    n: 17,
    title: 'Mark meeting as cancelled',
    story: (w) => {
      const m = sent(w, 'bob', 'Release retro', ['carol', 'dave']);
      m.delete(outlook('bob'), true);
      return { meeting: m };
    },
  },
  {
    n: 18,
    title: 'Delete outdated request update',
    story: (w) => {
      const m = sent(w, 'dave', 'Quarterly review', ['bob', 'carol']);
      m.update(outlook('dave'), { start: m.state.start + 86400000, end: m.state.end + 86400000 }, true, { deleteOutdated: true });
      return { meeting: m };
    },
  },
  {
    n: 19,
    title: 'Delete outdated empty response',
    story: (w) => {
      const m = sent(w, 'bob', 'Ops review', ['dave']);
      m.respond(outlook('dave'), 'dave', 'accept', true, { deleteEmpty: true });
      return { meeting: m };
    },
  },
  {
    n: 20,
    title: 'Add attendee to meeting',
    story: (w) => {
      const m = sent(w, 'carol', 'Strategy session', ['bob']);
      m.update(outlook('carol'), { attendees: ['bob', 'dave'] }, true, { to: ['dave'] });
      return { meeting: m };
    },
  },
  {
    n: 21,
    title: 'Update attendee tracking status',
    story: (w) => {
      const m = sent(w, 'dave', 'Interview loop', ['bob', 'carol']);
      m.respond(outlook('bob'), 'bob', 'accept', true);
      m.respond(owa('carol'), 'carol', 'tentative', true);
      return { meeting: m };
    },
  },
  {
    n: 22,
    title: 'Forwarding Meeting Update to Delegate',
    story: (w) => {
      const m = sent(w, 'bob', 'Exec staff', ['ceo'], { delegates: { ceo: 'alice' } });
      m.update(outlook('bob'), { location: 'Board room' }, true);
      return { meeting: m };
    },
  },
  {
    n: 23,
    title: 'Delete occurrence, send no cancelation (Organizer)',
    story: (w) => {
      const m = sent(w, 'carol', 'Weekly 1:1', ['bob'], { recurring: true });
      m.deleteOccurrence(outlook('carol'), 'carol', 1, false);
      return { meeting: m };
    },
  },
  {
    n: 24,
    title: 'Delete occurrence, send cancelation (Organizer)',
    story: (w) => {
      const m = sent(w, 'bob', 'Weekly planning', ['carol', 'dave'], { recurring: true });
      m.deleteOccurrence(outlook('bob'), 'bob', 2, true);
      return { meeting: m };
    },
  },
  {
    n: 25,
    title: 'Delete occurrence, send no response (Attendee)',
    story: (w) => {
      const m = sent(w, 'dave', 'Weekly ops', ['bob'], { recurring: true });
      m.deleteOccurrence(outlook('bob'), 'bob', 1, false);
      return { meeting: m };
    },
  },
  {
    n: 26,
    title: 'Delete occurrence, send response (Attendee)',
    story: (w) => {
      const m = sent(w, 'bob', 'Weekly design', ['carol'], { recurring: true });
      m.deleteOccurrence(outlook('carol'), 'carol', 3, true);
      return { meeting: m };
    },
  },
  {
    n: 27,
    title: 'Change occurrence, send no update (Organizer)',
    story: (w) => {
      const m = sent(w, 'carol', 'Weekly sales', ['dave'], { recurring: true });
      m.changeOccurrence(outlook('carol'), 'carol', 1, false);
      return { meeting: m };
    },
  },
  {
    n: 28,
    title: 'Change occurrence, send update (Organizer)',
    story: (w) => {
      const m = sent(w, 'dave', 'Weekly eng', ['bob', 'carol'], { recurring: true });
      m.changeOccurrence(outlook('dave'), 'dave', 2, true);
      return { meeting: m };
    },
  },
  {
    n: 29,
    title: 'Change occurrence, send no response (Attendee)',
    story: (w) => {
      const m = sent(w, 'bob', 'Weekly hr', ['dave'], { recurring: true });
      m.changeOccurrence(outlook('dave'), 'dave', 1, false);
      return { meeting: m };
    },
  },
  {
    n: 30,
    title: 'Change occurrence, send response (Attendee)',
    story: (w) => {
      const m = sent(w, 'carol', 'Weekly finance', ['bob'], { recurring: true });
      m.changeOccurrence(outlook('bob'), 'bob', 2, true);
      return { meeting: m };
    },
  },
  {
    n: 31,
    title: 'Move meeting back from deleted items into Calendar (Organizer)',
    story: (w) => {
      const m = sent(w, 'bob', 'Project kickoff', ['carol']);
      m.delete(outlook('bob'), false);
      m.moveBack(outlook('bob'));
      return { meeting: m };
    },
  },
];

/** the stories of the warnings (not among the 31 actions) */
export const warningStories: readonly Scenario[] = [
  {
    n: 101,
    title: 'Outlook save failure: the request arrives, the calendar item is never saved',
    story: (w) => {
      const m = meeting(w, { subject: 'Quarterly numbers', organizer: 'bob', attendees: ['dave'], noCalendarItem: ['dave'] });
      m.create(outlook('bob'));
      m.send(outlook('bob'), 'request');
      return { meeting: m, warns: 'no IPM.Appointment' };
    },
  },
  {
    n: 102,
    title: "Calendar logging off in an attendee's mailbox",
    story: (w) => {
      const m = sent(w, 'bob', 'Vendor call', ['carol']);
      m.respond(outlook('carol'), 'carol', 'accept', true);
      const after = w.now;
      w.now += 2 * 3600000;
      m.update(outlook('bob'), { location: 'Room 3' }, true);
      return { meeting: m, loggingOff: { mailbox: 'carol', after }, warns: 'logging apparently off' };
    },
  },
  {
    n: 103,
    title: 'A delegate deletes with only the System Attendant logged, and no delegate export',
    story: (w) => {
      const m = sent(w, 'bob', 'Legal hold', ['ceo'], { delegates: { ceo: 'alice' } });
      m.attendeeDelete(asSystemAttendant('alice'), 'ceo', false);
      return { meeting: m, unexported: ['alice'], unattributed: [w.now], warns: 'no delegate export' };
    },
  },
  {
    n: 104,
    title: "The organizer's mailbox not exported",
    story: (w) => ({ meeting: sent(w, 'partner', 'External sync', ['bob']), unexported: ['partner'], warns: "organizer's mailbox" }),
  },
];

/** the story of the retention warning: it starts 40 days before the others and ends after them */
export function oldMeeting(w: World): Meeting {
  return sent(w, 'frank', 'Old project sync', ['bob']);
}
