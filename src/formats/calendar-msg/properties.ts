// The MAPI properties of a calendar log .msg file (Get-CalendarDiagnosticLog -LogLocation, Exchange
// 2010/2013) and the calendar_versions column each one fills: one table read by the format and
// written by the generator's .msg writer. No real export is public, so this follows the documents:
//   - the item's own properties: MS-OXPROPS / MS-OXOCAL names (PidTag…, PidLid… in
//     PSETID_Appointment and PSETID_Meeting);
//   - the copy-on-write metadata: seed 001 lists them as named properties with ids 0x0006–0x0014
//     (action, creation and modification time, requesting user, client-server-service, modifying
//     application, client, client version, service, responding server, server version, mailbox
//     server, version and DN). Their property set is not named there: PSETID_CalendarAssistant,
//     where MS-OXPROPS puts PidLidClientIntent (0x0015) right after them, is this project's
//     inference;
//   - ItemVersion and LogTimestamp (2013+ names, no MAPI name known) as string-named properties.
// So the .msg path is verified against this project's writer only (README), until a real export
// turns up.

export const PSETID_Appointment = '00062002-0000-0000-C000-000000000046';
export const PSETID_Meeting = '6ED8DA90-450B-101B-98DA-00AA003F1305';
export const PSETID_CalendarAssistant = '11000E07-B51B-40D6-AF21-CAA85EDAB1D0';
export const PS_PUBLIC_STRINGS = '00020329-0000-0000-C000-000000000046';

export type MsgType = 'unicode' | 'time' | 'int' | 'bool' | 'binary';

export interface MsgProperty {
  /** a PidTag id (below 0x8000), or a named property: its set and long id or string name */
  readonly tag?: number;
  readonly set?: string;
  readonly lid?: number;
  readonly name?: string;
  readonly type: MsgType;
  /** the calendar_versions column it fills, or the key it has in `extra` */
  readonly column?: string;
  readonly extra?: string;
  /** MS-OXPROPS name or the seed's label */
  readonly doc: string;
}

export const msgProperties: readonly MsgProperty[] = [
  { tag: 0x001a, type: 'unicode', column: 'item_class', doc: 'PidTagMessageClass' },
  { tag: 0x0e1d, type: 'unicode', column: 'subject', doc: 'PidTagNormalizedSubject' },
  { tag: 0x0c1f, type: 'unicode', column: 'from_address', doc: 'PidTagSenderEmailAddress' },
  { tag: 0x0065, type: 'unicode', column: 'sent_representing', doc: 'PidTagSentRepresentingEmailAddress' },
  { tag: 0x0042, type: 'unicode', column: 'sent_representing_name', doc: 'PidTagSentRepresentingName' },
  { tag: 0x0e05, type: 'unicode', column: 'folder', doc: 'PidTagParentDisplay' },
  { set: PSETID_Appointment, lid: 0x820d, type: 'time', column: 'start_time', doc: 'PidLidAppointmentStartWhole' },
  { set: PSETID_Appointment, lid: 0x820e, type: 'time', column: 'end_time', doc: 'PidLidAppointmentEndWhole' },
  { set: PSETID_Appointment, lid: 0x8208, type: 'unicode', column: 'location', doc: 'PidLidLocation' },
  { set: PSETID_Appointment, lid: 0x8238, type: 'unicode', column: 'attendees', doc: 'PidLidAllAttendeesString' },
  { set: PSETID_Appointment, lid: 0x8217, type: 'int', column: 'appointment_state', doc: 'PidLidAppointmentStateFlags' },
  { set: PSETID_Appointment, lid: 0x8218, type: 'int', column: 'response_type', doc: 'PidLidResponseStatus' },
  { set: PSETID_Appointment, lid: 0x8201, type: 'int', column: 'sequence', doc: 'PidLidAppointmentSequence' },
  { set: PSETID_Appointment, lid: 0x8223, type: 'bool', column: 'recurring', doc: 'PidLidRecurring' },
  { set: PSETID_Meeting, lid: 0x0023, type: 'binary', column: 'meeting_id', doc: 'PidLidCleanGlobalObjectId' },
  { set: PSETID_Meeting, lid: 0x000a, type: 'bool', column: 'exception', doc: 'PidLidIsException' },
  { set: PSETID_Meeting, lid: 0x0026, type: 'int', column: 'meeting_request_type', doc: 'PidLidMeetingType' },
  { set: PSETID_CalendarAssistant, lid: 0x0006, type: 'unicode', column: 'trigger_action', doc: 'seed: type of action (Create, Update, SoftDelete …)' },
  { set: PSETID_CalendarAssistant, lid: 0x0008, type: 'time', column: 'created', doc: 'seed: creation time' },
  { set: PSETID_CalendarAssistant, lid: 0x0009, type: 'time', column: 'modified', doc: 'seed: modification time' },
  { set: PSETID_CalendarAssistant, lid: 0x000a, type: 'unicode', column: 'responsible_user', doc: 'seed: requesting user' },
  {
    set: PSETID_CalendarAssistant,
    lid: 0x000b,
    type: 'unicode',
    column: 'client_info',
    doc: 'seed: client server service (Client=MSExchangeRPC;COW=Delegate)',
  },
  { set: PSETID_CalendarAssistant, lid: 0x000c, type: 'unicode', extra: 'ModifyingApplication', doc: 'seed: modifying application' },
  { set: PSETID_CalendarAssistant, lid: 0x000d, type: 'unicode', extra: 'ModifyingClient', doc: 'seed: modifying client' },
  { set: PSETID_CalendarAssistant, lid: 0x000e, type: 'unicode', extra: 'ClientVersion', doc: 'seed: client version' },
  { set: PSETID_CalendarAssistant, lid: 0x000f, type: 'unicode', extra: 'ModifyingService', doc: 'seed: modifying service' },
  { set: PSETID_CalendarAssistant, lid: 0x0010, type: 'unicode', extra: 'RespondingServer', doc: 'seed: responding server' },
  { set: PSETID_CalendarAssistant, lid: 0x0011, type: 'unicode', extra: 'ServerVersion', doc: 'seed: server version' },
  { set: PSETID_CalendarAssistant, lid: 0x0012, type: 'unicode', extra: 'CalendarMailboxServer', doc: 'seed: calendar mailbox server' },
  { set: PSETID_CalendarAssistant, lid: 0x0013, type: 'unicode', extra: 'CalendarMailboxVersion', doc: 'seed: calendar mailbox version' },
  { set: PSETID_CalendarAssistant, lid: 0x0014, type: 'unicode', extra: 'CalendarMailboxDN', doc: 'seed: calendar mailbox DN' },
  { set: PSETID_CalendarAssistant, lid: 0x0015, type: 'int', column: 'client_intent', doc: 'PidLidClientIntent' },
  { set: PS_PUBLIC_STRINGS, name: 'ItemVersion', type: 'int', column: 'item_version', doc: 'ItemVersion (2013+ name)' },
  { set: PS_PUBLIC_STRINGS, name: 'LogTimestamp', type: 'time', column: 'log_time', doc: 'LogTimestamp (2013+ name)' },
];

/** a named property's identity as msgreader reports it: the set in lower case and the long id as
 *  8 hex digits, or the string name */
export function namedKey(p: { set?: string; lid?: number; name?: string }): string {
  if (p.name !== undefined) return `name:${p.name}`;
  return `${(p.set ?? '').toLowerCase()}:${(p.lid ?? 0).toString(16).padStart(8, '0')}`;
}
