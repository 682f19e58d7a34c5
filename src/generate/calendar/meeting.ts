// What people and servers do to one meeting, as calendar logging records it: each operation logs
// the versions Exchange would write in every mailbox it touches, with their expected sentences.
import {
  address,
  APPOINTMENT,
  CANCELED,
  clients,
  DELEGATE_COPY,
  EXCEPTION,
  FORWARD_NOTIFICATION,
  FULL_UPDATE,
  legacyDn,
  OUTDATED,
  REQUEST,
  RESPONSE,
  SYSTEM_ATTENDANT,
  type Act,
  type ClientId,
  type MeetingState,
  type Role,
  type Version,
  type World,
} from './world.js';

export type Answer = keyof typeof RESPONSE;
const answered: Record<Answer, string> = { accept: 'accepted the meeting', tentative: 'tentatively accepted the meeting', decline: 'declined the meeting' };
const responseNoun: Record<Answer, string> = { accept: 'an acceptance', tentative: 'a tentative acceptance', decline: 'a decline' };
const responseCode: Record<Answer, number> = { accept: 3, tentative: 2, decline: 4 };
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export interface MeetingOptions {
  subject: string;
  organizer: string;
  attendees?: string[];
  /** principal -> delegate: the delegate gets a copy of the principal's meeting requests */
  delegates?: Record<string, string>;
  recurring?: boolean;
  location?: string;
  /** a plain appointment: no attendees, no meeting */
  appointment?: boolean;
  /** mailboxes whose calendar item is never saved (an Outlook save failure) */
  noCalendarItem?: string[];
  /** the room mailbox among the attendees (its Resource Booking Assistant answers) */
  room?: string;
}

export class Meeting {
  readonly id: string;
  readonly organizer: string;
  readonly state: MeetingState;
  readonly delegates: Record<string, string>;
  /** per mailbox: its answer so far (ResponseType) and whether its calendar item is cancelled */
  private readonly copies = new Map<string, { response: number; cancelled: boolean }>();
  private readonly appointment: boolean;
  private readonly noItem: Set<string>;
  readonly room: string | undefined;

  constructor(
    private readonly w: World,
    o: MeetingOptions,
  ) {
    this.id = w.newMeetingId();
    this.organizer = o.organizer;
    this.delegates = o.delegates ?? {};
    this.appointment = o.appointment ?? false;
    this.noItem = new Set(o.noCalendarItem ?? []);
    this.room = o.room;
    const start = Math.ceil((w.now + 2 * 86400000) / 3600000) * 3600000;
    this.state = {
      subject: o.subject,
      start,
      end: start + 3600000,
      location: o.location ?? 'Room 1',
      attendees: o.attendees ?? [],
      recurring: o.recurring ?? false,
      sequence: 0,
    };
  }

  private display(): string {
    return this.state.attendees.map(cap).join('; ');
  }

  /** the fields of a version of this meeting, as an item of class `itemClass` in some folder */
  private fields(itemClass: string, act: Act, o: Partial<Version> & { folder: string; action: string }) {
    const person = act.person;
    const isItem = itemClass === APPOINTMENT || itemClass === EXCEPTION;
    return {
      itemClass,
      client: act.client,
      responsibleUser: act.systemAttendant ? SYSTEM_ATTENDANT : person ? legacyDn(person) : '',
      from: address(this.organizer),
      sentRepresenting: address(this.organizer),
      sentRepresentingName: cap(this.organizer),
      subject: this.state.subject,
      start: this.state.start,
      end: this.state.end,
      location: this.state.location,
      attendees: isItem && !this.appointment ? this.display() : '',
      state: this.appointment ? 0 : 1,
      responseType: 0,
      meetingRequestType: null,
      itemType: this.state.recurring ? 'RecurringMaster' : 'Single',
      recurring: this.state.recurring,
      cancelled: false,
      exception: itemClass === EXCEPTION,
      sequence: this.state.sequence,
      ...o,
    };
  }

  /** owner or delegate, from who acts in which mailbox */
  private role(act: Act, mailbox: string): { actor: string; role: Role } {
    if (!act.person) return { actor: clients[act.client].name, role: act.client === 'transport' ? 'transport' : 'assistant' };
    return { actor: address(act.person), role: act.person === mailbox ? 'owner' : 'delegate' };
  }

  private organizerItem(act: Act, action: string, verb: string, o: Partial<Version> = {}, at?: number): Version {
    const fields = this.fields(APPOINTMENT, act, { folder: 'Calendar', action, responseType: this.appointment ? 0 : 1, ...o });
    return this.w.log(this.organizer, this.id, fields, this.role(act, this.organizer), verb, at);
  }

  create(act: Act): void {
    const noun = this.appointment ? 'the appointment' : this.state.recurring ? 'the recurring meeting' : 'the meeting';
    this.organizerItem(act, 'Create', `created ${noun}`);
  }

  /** the organizer's side sends a request or an update; every attendee (or `to`) gets it */
  send(act: Act, kind: 'request' | 'update', o: { to?: string[]; deleteOutdated?: boolean } = {}): void {
    const mrt = kind === 'request' ? 1 : FULL_UPDATE;
    const noun = kind === 'request' ? 'the meeting request' : 'a meeting update';
    const sender = act.person ?? this.organizer;
    this.w.log(
      this.organizer,
      this.id,
      this.fields(REQUEST, act, { folder: 'Sent Items', action: 'Create', from: address(sender), meetingRequestType: mrt, state: 1 }),
      this.role(act, this.organizer),
      `sent ${noun}`,
    );
    for (const a of o.to ?? this.state.attendees) this.deliver(a, kind, o.deleteOutdated ?? false);
  }

  private deliver(a: string, kind: 'request' | 'update', deleteOutdated: boolean): void {
    const transport: Act = { client: 'transport' };
    const mrt = kind === 'request' ? 1 : FULL_UPDATE;
    const at = this.w.tick();
    const copy = this.copies.get(a);
    if (deleteOutdated && copy) {
      // the Calendar Assistant removes the request the update makes outdated
      this.w.log(
        a,
        this.id,
        this.fields(REQUEST, { client: 'calendarAssistant' }, { folder: 'Inbox', action: 'HardDelete', meetingRequestType: OUTDATED, state: 3 }),
        { actor: clients.calendarAssistant.name, role: 'assistant' },
        'deleted an outdated meeting update',
        at,
      );
    }
    const at2 = deleteOutdated && copy ? this.w.tick() : at;
    this.w.log(
      a,
      this.id,
      this.fields(REQUEST, transport, { folder: 'Inbox', action: 'Create', meetingRequestType: mrt, state: 3, created: at2 }),
      { actor: 'Transport', role: 'transport' },
      `delivered ${kind === 'request' ? 'the meeting request' : 'a meeting update'}`,
      at2,
    );
    const delegate = this.delegates[a];
    if (delegate) {
      this.w.log(
        delegate,
        this.id,
        this.fields(REQUEST, transport, { folder: 'Inbox', action: 'Create', meetingRequestType: DELEGATE_COPY, state: 3, created: at2 }),
        { actor: 'Transport', role: 'transport' },
        "delivered the delegate's copy of the meeting request",
        at2,
      );
    }
    if (this.noItem.has(a)) return;
    if (a === this.room) {
      this.roomBooks(copy === undefined, at2);
      return;
    }
    const c = copy ?? { response: 5, cancelled: false };
    this.copies.set(a, c);
    this.w.log(
      a,
      this.id,
      this.fields(APPOINTMENT, transport, {
        folder: 'Calendar',
        action: copy ? 'Update' : 'Create',
        state: 3,
        responseType: c.response,
        created: copy ? undefined : at2,
      }),
      { actor: 'Transport', role: 'transport' },
      copy ? 'updated the meeting' : 'added the meeting to the calendar',
      at2,
    );
  }

  /** the room's Resource Booking Assistant books and accepts */
  private roomBooks(first: boolean, at: number): void {
    const room = this.room!;
    const rba: Act = { client: 'booking' };
    const who = { actor: clients.booking.name, role: 'assistant' as const };
    this.copies.set(room, { response: 3, cancelled: false });
    if (first)
      this.w.log(
        room,
        this.id,
        this.fields(APPOINTMENT, rba, { folder: 'Calendar', action: 'Create', state: 3, responseType: 5, created: at }),
        who,
        'added the meeting to the calendar',
        at,
      );
    this.w.log(
      room,
      this.id,
      this.fields(APPOINTMENT, rba, { folder: 'Calendar', action: 'Update', state: 3, responseType: 3 }),
      who,
      first ? 'accepted the meeting' : 'updated the meeting',
    );
    this.w.log(
      room,
      this.id,
      this.fields(RESPONSE.accept, rba, {
        folder: 'Sent Items',
        action: 'Create',
        from: address(room),
        sentRepresenting: address(room),
        sentRepresentingName: cap(room),
        state: 3,
      }),
      who,
      'sent an acceptance',
    );
    this.delivered('accept', room, false);
  }

  /** a response reaches the organizer; the Calendar Assistant tracks it (and may delete it) */
  private delivered(answer: Answer, from: string, deleteEmpty: boolean): void {
    const at = this.w.tick();
    const msg = { from: address(from), sentRepresenting: address(from), sentRepresentingName: cap(from), state: 1 };
    this.w.log(
      this.organizer,
      this.id,
      this.fields(RESPONSE[answer], { client: 'transport' }, { folder: 'Inbox', action: 'Create', ...msg }),
      { actor: 'Transport', role: 'transport' },
      `delivered ${responseNoun[answer]}`,
      at,
    );
    this.organizerItem({ client: 'calendarAssistant' }, 'Update', 'updated the meeting');
    if (deleteEmpty)
      this.w.log(
        this.organizer,
        this.id,
        this.fields(RESPONSE[answer], { client: 'calendarAssistant' }, { folder: 'Inbox', action: 'HardDelete', ...msg }),
        { actor: clients.calendarAssistant.name, role: 'assistant' },
        `deleted ${responseNoun[answer]}`,
      );
  }

  /** an attendee (or their delegate) answers, with or without sending the response */
  respond(act: Act, attendee: string, answer: Answer, withResponse: boolean, o: { deleteEmpty?: boolean } = {}): void {
    const c = this.copies.get(attendee) ?? { response: 5, cancelled: false };
    c.response = responseCode[answer];
    this.copies.set(attendee, c);
    this.w.log(
      attendee,
      this.id,
      this.fields(APPOINTMENT, act, { folder: 'Calendar', action: 'Update', state: 3, responseType: c.response, cancelled: c.cancelled }),
      this.role(act, attendee),
      answered[answer],
    );
    if (!withResponse) return;
    this.w.log(
      attendee,
      this.id,
      this.fields(RESPONSE[answer], act, {
        folder: 'Sent Items',
        action: 'Create',
        from: address(act.person ?? attendee),
        sentRepresenting: address(attendee),
        sentRepresentingName: cap(attendee),
        state: 3,
      }),
      this.role(act, attendee),
      `sent ${responseNoun[answer]}`,
    );
    this.delivered(answer, attendee, o.deleteEmpty ?? false);
  }

  /** the organizer's side changes the meeting, and sends the update or not */
  update(act: Act, change: Partial<MeetingState>, send: boolean, o: { deleteOutdated?: boolean; to?: string[] } = {}): void {
    Object.assign(this.state, change);
    if (send) this.state.sequence++;
    this.organizerItem(act, 'Update', 'updated the meeting');
    if (send) this.send(act, 'update', o);
  }

  /** an attendee changes its own copy (a personal location note), nothing is sent */
  attendeeUpdate(act: Act, attendee: string, location: string): void {
    const c = this.copies.get(attendee)!;
    this.w.log(
      attendee,
      this.id,
      this.fields(APPOINTMENT, act, { folder: 'Calendar', action: 'Update', state: 3, responseType: c.response, location }),
      this.role(act, attendee),
      'updated the meeting',
    );
  }

  /** an attendee forwards the meeting to someone new; the organizer is notified */
  forward(act: Act, attendee: string, to: string): void {
    const fwd = { from: address(attendee), sentRepresenting: address(attendee), sentRepresentingName: cap(attendee) };
    this.w.log(
      attendee,
      this.id,
      this.fields(REQUEST, act, { folder: 'Sent Items', action: 'Create', meetingRequestType: 1, state: 3, ...fwd }),
      this.role(act, attendee),
      'forwarded the meeting',
    );
    const at = this.w.tick();
    this.w.log(
      to,
      this.id,
      this.fields(REQUEST, { client: 'transport' }, { folder: 'Inbox', action: 'Create', meetingRequestType: 1, state: 3, ...fwd, created: at }),
      { actor: 'Transport', role: 'transport' },
      'delivered a forwarded meeting request',
      at,
    );
    this.copies.set(to, { response: 5, cancelled: false });
    this.w.log(
      to,
      this.id,
      this.fields(APPOINTMENT, { client: 'transport' }, { folder: 'Calendar', action: 'Create', state: 3, responseType: 5, created: at }),
      { actor: 'Transport', role: 'transport' },
      'added the meeting to the calendar',
      at,
    );
  }

  /** the attendee's server tells the organizer about a forward */
  forwardNotification(attendee: string): void {
    const n = { from: address(attendee), sentRepresenting: address(attendee), sentRepresentingName: cap(attendee), state: 3 };
    this.w.log(
      attendee,
      this.id,
      this.fields(FORWARD_NOTIFICATION, { client: 'calendarAssistant' }, { folder: 'Sent Items', action: 'Create', ...n }),
      { actor: clients.calendarAssistant.name, role: 'assistant' },
      'sent a meeting forward notification',
    );
    this.w.log(
      this.organizer,
      this.id,
      this.fields(FORWARD_NOTIFICATION, { client: 'transport' }, { folder: 'Inbox', action: 'Create', ...n }),
      { actor: 'Transport', role: 'transport' },
      'delivered a meeting forward notification',
    );
  }

  /** the organizer's side deletes the meeting, with a cancellation or without. A delegate acting
   *  with a System Attendant log sends the cancellation from its own mailbox (the default
   *  DelegateSentItemsStyle): that is where its name shows. */
  delete(act: Act, cancel: boolean): void {
    this.organizerItem(act, act.systemAttendant ? 'SoftDelete' : 'MoveToDeletedItems', 'deleted the meeting', {
      folder: act.systemAttendant ? 'Calendar' : 'Deleted Items',
    });
    if (!cancel) return;
    this.cancel(act);
  }

  private cancel(act: Act, o: Partial<Version> = {}, occurrence = false): void {
    const sender = act.person ?? this.organizer;
    const inOwn = act.systemAttendant && act.person && act.person !== this.organizer;
    const box = inOwn ? act.person! : this.organizer;
    const who = inOwn
      ? { actor: address(act.person!), role: 'delegate' as const, principal: address(this.organizer) }
      : this.role({ ...act, systemAttendant: false }, this.organizer);
    this.w.log(
      box,
      this.id,
      this.fields(
        CANCELED,
        { ...act, systemAttendant: false },
        { folder: 'Sent Items', action: 'Create', from: address(sender), state: 5, cancelled: true, ...o },
      ),
      who,
      'sent a cancellation',
    );
    for (const a of this.state.attendees) {
      const at = this.w.tick();
      this.w.log(
        a,
        this.id,
        this.fields(CANCELED, { client: 'transport' }, { folder: 'Inbox', action: 'Create', state: 7, cancelled: true, ...o }),
        { actor: 'Transport', role: 'transport' },
        'delivered a cancellation',
        at,
      );
      const c = this.copies.get(a);
      if (!c || this.noItem.has(a)) continue;
      if (occurrence) {
        this.w.log(
          a,
          this.id,
          this.fields(EXCEPTION, { client: 'transport' }, { folder: 'Calendar', action: 'HardDelete', state: 3, responseType: c.response, ...o }),
          { actor: 'Transport', role: 'transport' },
          'deleted an occurrence',
          at,
        );
        continue;
      }
      c.cancelled = true;
      this.w.log(
        a,
        this.id,
        this.fields(APPOINTMENT, { client: 'transport' }, { folder: 'Calendar', action: 'Update', state: 7, responseType: c.response, cancelled: true }),
        { actor: 'Transport', role: 'transport' },
        'marked the meeting as cancelled',
        at,
      );
    }
  }

  /** the organizer's deleted meeting comes back from Deleted Items */
  moveBack(act: Act): void {
    this.organizerItem(act, 'Move', 'moved the meeting back to the calendar', { folder: 'Calendar' });
  }

  /** an attendee deletes its copy, sending a decline or not */
  attendeeDelete(act: Act, attendee: string, decline: boolean): void {
    if (decline) this.respond(act, attendee, 'decline', true);
    const c = this.copies.get(attendee)!;
    this.w.log(
      attendee,
      this.id,
      this.fields(APPOINTMENT, act, {
        folder: 'Deleted Items',
        action: act.systemAttendant ? 'SoftDelete' : 'MoveToDeletedItems',
        state: 3,
        responseType: c.response,
      }),
      act.systemAttendant ? { actor: address(act.person!), role: 'delegate' } : this.role(act, attendee),
      'deleted the meeting',
    );
  }

  /** one occurrence of the series, `n` weeks on */
  private occurrence(n: number): Partial<Version> {
    return { start: this.state.start + n * 7 * 86400000, end: this.state.end + n * 7 * 86400000, itemType: 'Exception', exception: true, attendees: '' };
  }

  /** an occurrence deleted: by the organizer (cancelling it or not) or by an attendee (declining it or not) */
  deleteOccurrence(act: Act, mailbox: string, n: number, notify: boolean): void {
    const occ = this.occurrence(n);
    const c = this.copies.get(mailbox);
    this.w.log(
      mailbox,
      this.id,
      this.fields(EXCEPTION, act, {
        folder: 'Calendar',
        action: 'HardDelete',
        state: mailbox === this.organizer ? 1 : 3,
        responseType: mailbox === this.organizer ? 1 : (c?.response ?? 5),
        ...occ,
      }),
      this.role(act, mailbox),
      'deleted an occurrence',
    );
    if (!notify) return;
    if (mailbox === this.organizer) {
      this.cancel(act, { start: occ.start!, end: occ.end! }, true);
      return;
    }
    const r = { from: address(mailbox), sentRepresenting: address(mailbox), sentRepresentingName: cap(mailbox), state: 3, start: occ.start!, end: occ.end! };
    this.w.log(
      mailbox,
      this.id,
      this.fields(RESPONSE.decline, act, { folder: 'Sent Items', action: 'Create', ...r }),
      this.role(act, mailbox),
      'sent a decline',
    );
    this.w.log(
      this.organizer,
      this.id,
      this.fields(RESPONSE.decline, { client: 'transport' }, { folder: 'Inbox', action: 'Create', ...r, state: 1 }),
      { actor: 'Transport', role: 'transport' },
      'delivered a decline',
    );
  }

  /** an occurrence moved an hour later: by the organizer (sending the update or not) or by an
   *  attendee in its own copy (answering tentatively or not) */
  changeOccurrence(act: Act, mailbox: string, n: number, notify: boolean): void {
    const occ = this.occurrence(n);
    const moved = { ...occ, start: occ.start! + 3600000, end: occ.end! + 3600000 };
    const organizer = mailbox === this.organizer;
    const c = this.copies.get(mailbox);
    this.w.log(
      mailbox,
      this.id,
      this.fields(EXCEPTION, act, {
        folder: 'Calendar',
        action: 'Create',
        state: organizer ? 1 : 3,
        responseType: organizer ? 1 : (c?.response ?? 5),
        ...moved,
      }),
      this.role(act, mailbox),
      'changed an occurrence',
    );
    if (!notify) return;
    if (organizer) {
      this.w.log(
        this.organizer,
        this.id,
        this.fields(REQUEST, act, { folder: 'Sent Items', action: 'Create', meetingRequestType: FULL_UPDATE, ...moved, attendees: '' }),
        this.role(act, this.organizer),
        'sent a meeting update',
      );
      for (const a of this.state.attendees) {
        const at = this.w.tick();
        this.w.log(
          a,
          this.id,
          this.fields(
            REQUEST,
            { client: 'transport' },
            { folder: 'Inbox', action: 'Create', meetingRequestType: FULL_UPDATE, state: 3, ...moved, attendees: '' },
          ),
          { actor: 'Transport', role: 'transport' },
          'delivered a meeting update',
          at,
        );
        const ac = this.copies.get(a);
        if (ac)
          this.w.log(
            a,
            this.id,
            this.fields(EXCEPTION, { client: 'transport' }, { folder: 'Calendar', action: 'Create', state: 3, responseType: ac.response, ...moved }),
            { actor: 'Transport', role: 'transport' },
            'changed an occurrence',
            at,
          );
      }
      return;
    }
    const r = { from: address(mailbox), sentRepresenting: address(mailbox), sentRepresentingName: cap(mailbox), state: 3, start: moved.start, end: moved.end };
    this.w.log(
      mailbox,
      this.id,
      this.fields(RESPONSE.tentative, act, { folder: 'Sent Items', action: 'Create', ...r }),
      this.role(act, mailbox),
      'sent a tentative acceptance',
    );
    this.w.log(
      this.organizer,
      this.id,
      this.fields(RESPONSE.tentative, { client: 'transport' }, { folder: 'Inbox', action: 'Create', ...r, state: 1 }),
      { actor: 'Transport', role: 'transport' },
      'delivered a tentative acceptance',
    );
  }
}

export type { ClientId };
