// How the calendar exports write their values, read once for every format (CSV of
// Get-CalendarDiagnosticObjects / -Analysis, .msg of Get-CalendarDiagnosticLog): times, yes/no
// values, the numeric codes (which an export may also write by name), the meeting id, and which
// mailbox an export belongs to. Formats import these (formats/calendar-*); the reports show the
// codes' names from the same tables (codes.ts).

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
/** Export-Csv on an en-US machine: 3/8/2011 1:48:01 AM (month first) */
const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*([AP]M)?$/i;

const two = (n: number) => String(n).padStart(2, '0');

/** 'YYYY-MM-DD HH:MM:SS.fff' (UTC) from the parts, or undefined when they are not a real time */
export function storedTime(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offsetMinutes = 0): string | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(t);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return undefined;
  const u = new Date(t - offsetMinutes * 60000);
  return `${u.getUTCFullYear()}-${two(u.getUTCMonth() + 1)}-${two(u.getUTCDate())} ${two(u.getUTCHours())}:${two(u.getUTCMinutes())}:${two(u.getUTCSeconds())}.${String(u.getUTCMilliseconds()).padStart(3, '0')}`;
}

/** a time as the exports write it: ISO 8601 (with or without zone; without: taken as UTC) or the
 *  en-US form Export-Csv writes (M/d/yyyy h:mm:ss AM/PM, taken as UTC). Empty: null; not a time:
 *  undefined. */
export function exportTime(v: string): string | null | undefined {
  const t = v.trim();
  if (t === '') return null;
  let m = ISO.exec(t);
  if (m) {
    let offset = 0;
    const z = m[8];
    if (z && z.toUpperCase() !== 'Z') {
      const digits = z.replace(':', '');
      offset = (digits[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
    }
    const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
    return storedTime(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0), ms, offset);
  }
  m = US.exec(t);
  if (m) {
    let h = +m[4]!;
    const ampm = m[8]?.toUpperCase();
    if (ampm) {
      if (h < 1 || h > 12) return undefined;
      h = (h % 12) + (ampm === 'PM' ? 12 : 0);
    }
    const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
    return storedTime(+m[3]!, +m[1]!, +m[2]!, h, +m[5]!, +(m[6] ?? 0), ms);
  }
  return undefined;
}

/** True/False (any case), 1/0; empty: null; else undefined */
export function yesNo(v: string): number | null | undefined {
  const t = v.trim().toLowerCase();
  if (t === '') return null;
  if (t === 'true' || t === '1') return 1;
  if (t === 'false' || t === '0') return 0;
  return undefined;
}

/** The meeting id as stored: hex, upper-case, no spaces; '' when absent. Some exports write the
 *  byte array of CleanGlobalObjectId as hex already, which is what Exchange's cmdlets do. */
export function meetingId(v: string | null | undefined): string {
  return (v ?? '').replace(/\s+/g, '').toUpperCase();
}

/** the short name of a mailbox as CSS-Exchange writes it in file names: the SMTP address before @
 *  (a legacy DN: its last cn= value), lower-case, at most 20 characters */
export function shortMailbox(address: string): string {
  let a = address.trim().toLowerCase();
  const cn = /\/cn=([^/]+)$/.exec(a);
  if (cn) a = cn[1]!;
  const at = a.indexOf('@');
  return (at >= 0 ? a.slice(0, at) : a).slice(0, 20);
}

/** CSS-Exchange's per-mailbox CSV: `<ShortName>_<ShortMeetingID>.csv` (the short meeting id is
 *  the tail of the meeting id, letters and digits): the ShortName, else undefined */
export function mailboxFromFileName(baseName: string): string | undefined {
  const m = /^(.+)_([0-9a-z]{4,40})\.csv$/i.exec(baseName);
  return m ? shortMailbox(m[1]!) : undefined;
}

/** The mailbox a row was certainly logged in, from the row alone: the organizer's own calendar
 *  item (an IPM.Appointment whose ResponseType is 1, organizer) lives in the mailbox of the one it
 *  was sent for (SentRepresenting; From when that is empty). Else undefined. */
export function mailboxFromData(row: {
  item_class?: unknown;
  response_type?: unknown;
  sent_representing?: unknown;
  from_address?: unknown;
}): string | undefined {
  if (row.item_class !== 'IPM.Appointment' || Number(row.response_type) !== 1) return undefined;
  const who = (typeof row.sent_representing === 'string' && row.sent_representing) || (typeof row.from_address === 'string' && row.from_address) || '';
  return who.includes('@') ? who.toLowerCase() : undefined;
}

/** mailbox, mailbox_address and mailbox_from of a row: from the data where certain, else from the
 *  hint (a file name, a folder name), else from what the user said at ingest (--mailbox), else
 *  unknown ('') */
export function whichMailbox(
  row: Parameters<typeof mailboxFromData>[0],
  hint: string | undefined,
  option?: string,
): { mailbox: string; mailbox_address: string | null; mailbox_from: string } {
  const data = mailboxFromData(row);
  if (data) return { mailbox: shortMailbox(data), mailbox_address: data, mailbox_from: 'data' };
  if (hint) return { mailbox: hint, mailbox_address: null, mailbox_from: 'file-name' };
  if (option?.trim()) {
    const o = option.trim().toLowerCase();
    return { mailbox: shortMailbox(o), mailbox_address: o.includes('@') ? o : null, mailbox_from: 'option' };
  }
  return { mailbox: '', mailbox_address: null, mailbox_from: '' };
}
