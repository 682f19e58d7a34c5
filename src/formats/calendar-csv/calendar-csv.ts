// CSV exports of the calendar diagnostic logs (spec calendar.md), one row per logged version:
//   Get-CalendarDiagnosticObjects -Identity … | Export-Csv   (Exchange 2013–SE, Exchange Online):
//     property names as the header, any subset and order (CSS-Exchange asks for its own list);
//   Get-CalendarDiagnosticAnalysis -OutputAs CSV (Basic and Advanced): "Local Log Time", ItemId,
//     NormalizedSubject, … the same property names for the rest.
// Both are one format: the same columns under their property names, the Analysis names as aliases.
// UTF-8 or UTF-16, with or without Export-Csv's #TYPE line, quoted fields over several lines:
// csv-data.ts. Columns this table does not know are kept in `extra` as JSON. Times: ISO 8601, or
// en-US as Export-Csv writes them on such a machine (capabilities/calendar/values.ts).
//
// Which mailbox: from the row where it is certain (the organizer's own calendar item), else from
// CSS-Exchange's file name `<ShortName>_<ShortMeetingID>.csv`, else unknown (the timeline says so).
import { basename } from 'node:path';
import { csvDataFormat, type CsvValue } from '../csv-data.js';
import { codeOf } from '../../capabilities/calendar/codes.js';
import { exportTime, mailboxFromFileName, meetingId, whichMailbox, yesNo } from '../../capabilities/calendar/values.js';

const time = { parse: exportTime, invalid: 'bad-time' } as const;
const flag = { parse: yesNo, invalid: 'malformed' } as const;
const code = { parse: codeOf, invalid: 'bad-number' } as const;
/** `Name <address>` or an address: the address */
const address = (v: string): CsvValue => {
  const m = /<([^<>]+)>\s*$/.exec(v);
  const a = (m ? m[1]! : v).trim();
  return a === '' ? null : a;
};

export const calendarCsv = csvDataFormat({
  name: 'calendar-csv',
  title: 'Calendar diagnostic log export (Get-CalendarDiagnosticObjects or -Analysis, CSV)',
  table: 'calendar',
  columns: {
    modified: { aliases: ['OriginalLastModifiedTime'], required: true, parse: (v) => exportTime(v) ?? undefined, invalid: 'bad-time' },
    item_class: { aliases: ['ItemClass'], required: true },
    meeting_id: { aliases: ['CleanGlobalObjectId'], parse: meetingId },
    item_version: {
      aliases: ['ItemVersion'],
      parse: (v) => (v.trim() === '' ? 0 : /^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : undefined),
      invalid: 'bad-number',
    },
    log_time: { aliases: ['LogTimestamp', 'Local Log Time', 'LogTime'], ...time },
    created: { aliases: ['CreationTime'], ...time },
    trigger_action: { aliases: ['CalendarLogTriggerAction'] },
    client_info: { aliases: ['ClientInfoString', 'LogClientInfoString'] },
    client_intent: { aliases: ['ClientIntent'] },
    responsible_user: { aliases: ['ResponsibleUserName'] },
    from_address: { aliases: ['From', 'SenderEmailAddress'], parse: address },
    sent_representing: { aliases: ['SentRepresentingEmailAddress'], parse: address },
    sent_representing_name: { aliases: ['SentRepresentingDisplayName'] },
    subject: { aliases: ['NormalizedSubject', 'Subject'] },
    start_time: { aliases: ['StartTime'], ...time },
    end_time: { aliases: ['EndTime'], ...time },
    location: { aliases: ['Location'] },
    attendees: { aliases: ['DisplayAttendeesAll'] },
    appointment_state: { aliases: ['AppointmentState'], ...code },
    response_type: { aliases: ['ResponseType'], ...code },
    meeting_request_type: { aliases: ['MeetingRequestType'], ...code },
    item_type: { aliases: ['CalendarItemType'] },
    recurring: { aliases: ['AppointmentRecurring'], ...flag },
    cancelled: { aliases: ['IsCancelled'], ...flag },
    exception: { aliases: ['IsException'], ...flag },
    sequence: { aliases: ['AppointmentSequenceNumber'], parse: (v) => codeOf(v) ?? (v.trim() === '' ? null : undefined), invalid: 'bad-number' },
    folder: { aliases: ['ParentDisplayName', 'ParentDisplay'] },
  },
  derived: ['mailbox', 'mailbox_address', 'mailbox_from'],
  extra: 'extra',
  fileName: /_[0-9a-z]{4,40}\.csv$|calendar|callog/i,
  complete(row, file) {
    const hint = mailboxFromFileName(basename(file.path));
    Object.assign(row, whichMailbox(row, hint, file.hints?.mailbox));
    if (row.mailbox === '')
      file.note(
        'which mailbox this export belongs to is not in its rows or its name (<ShortName>_<MeetingId>.csv): give it with --mailbox, else its lines say "unknown mailbox"',
      );
    else if (hint && row.mailbox !== hint) file.note(`the rows show mailbox ${String(row.mailbox_address)}, the file name says ${hint}: the rows win`);
    if (row.meeting_id === null) row.meeting_id = '';
    if (row.item_class === null) row.item_class = '';
    if (row.item_version === null) row.item_version = 0;
    return undefined;
  },
});
