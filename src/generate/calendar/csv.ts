// Versions written as `Get-CalendarDiagnosticObjects | Export-Csv` writes them: every field
// quoted, CRLF, the #TYPE line unless -NoTypeInformation, UTF-8 or UTF-16 LE (-Encoding Unicode),
// times in ISO form or as an en-US machine prints them, the columns in CSS-Exchange's order or
// another, with columns mxray does not store (kept as unknown columns).
import { text, clients, type Version } from './world.js';
import type { Prng } from '../iis/prng.js';

const columns: readonly [string, (v: Version, time: (t: number) => string) => string][] = [
  ['LogTimestamp', (v, t) => t(v.logTime)],
  ['OriginalLastModifiedTime', (v, t) => t(v.modified)],
  ['CreationTime', (v, t) => t(v.created)],
  ['ItemClass', (v) => v.itemClass],
  ['CalendarLogTriggerAction', (v) => v.action],
  ['ClientInfoString', (v) => clients[v.client].info],
  ['ResponsibleUserName', (v) => v.responsibleUser],
  ['From', (v) => v.from],
  ['SentRepresentingEmailAddress', (v) => v.sentRepresenting],
  ['SentRepresentingDisplayName', (v) => v.sentRepresentingName],
  ['NormalizedSubject', (v) => v.subject],
  ['StartTime', (v, t) => t(v.start)],
  ['EndTime', (v, t) => t(v.end)],
  ['Location', (v) => v.location],
  ['DisplayAttendeesAll', (v) => v.attendees],
  ['AppointmentState', (v) => String(v.state)],
  ['ResponseType', (v) => String(v.responseType)],
  ['MeetingRequestType', (v) => (v.meetingRequestType === null ? '' : String(v.meetingRequestType))],
  ['CalendarItemType', (v) => v.itemType],
  ['AppointmentRecurring', (v) => (v.recurring ? 'True' : 'False')],
  ['IsCancelled', (v) => (v.cancelled ? 'True' : 'False')],
  ['IsException', (v) => (v.exception ? 'True' : 'False')],
  ['AppointmentSequenceNumber', (v) => String(v.sequence)],
  ['ItemVersion', (v) => String(v.itemVersion)],
  ['ParentDisplayName', (v) => v.folder],
  ['CleanGlobalObjectId', (v) => v.meetingId],
  // not stored by mxray: kept as unknown columns
  ['FreeBusyStatus', (v) => (v.itemClass === 'IPM.Appointment' ? 'Busy' : '')],
  ['TimeZone', () => '(UTC) Coordinated Universal Time'],
];

/** 3/8/2011 1:48:01 AM */
function enUs(t: number): string {
  const d = new Date(t);
  const h = d.getUTCHours();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}
const iso = (t: number) => text(t).replace(' ', 'T');

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

export interface CsvStyle {
  typeLine: boolean;
  utf16: boolean;
  enUsTimes: boolean;
  shuffled: boolean;
}

export function csvStyle(rng: Prng): CsvStyle {
  return { typeLine: rng.chance(0.5), utf16: rng.chance(0.15), enUsTimes: rng.chance(0.5), shuffled: rng.chance(0.3) };
}

/** the header of an export in this style (its column order) */
export function csvOrder(style: CsvStyle, rng: Prng): number[] {
  const order = columns.map((_, i) => i);
  if (style.shuffled)
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  return order;
}

export function csvHead(style: CsvStyle, order: readonly number[]): string {
  return `${style.typeLine ? '#TYPE Deserialized.Microsoft.Exchange.Data.Storage.Management.CalendarLog\r\n' : ''}${order.map((i) => quote(columns[i]![0])).join(',')}\r\n`;
}

export function csvRows(vs: readonly Version[], style: CsvStyle, order: readonly number[]): string {
  const time = style.enUsTimes ? enUs : iso;
  return vs.map((v) => order.map((i) => quote(columns[i]![1](v, time))).join(',') + '\r\n').join('');
}

/** the bytes of a file: UTF-8 without BOM, or UTF-16 LE with its BOM */
export function encode(s: string, style: CsvStyle): Buffer {
  return style.utf16 ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]) : Buffer.from(s, 'utf8');
}
