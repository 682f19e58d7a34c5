// The numbers of the calendar logs and their names (spec calendar.md, from the
// Get-CalendarDiagnosticObjects documentation): shown as names, never as codes. An export may also
// write a code by its name (ResponseType "Accept"): codeOf() reads either.

/** ResponseType: the response of this mailbox's owner */
export const responseTypes: Readonly<Record<number, string>> = {
  0: 'none',
  1: 'organizer',
  2: 'tentative',
  3: 'accepted',
  4: 'declined',
  5: 'not responded',
};

/** AppointmentState: a bit set */
export const appointmentStateBits: Readonly<Record<number, string>> = { 1: 'meeting', 2: 'received', 4: 'cancelled', 8: 'forwarded' };

/** MeetingRequestType */
export const meetingRequestTypes: Readonly<Record<number, string>> = {
  0: 'none',
  1: 'request',
  65536: 'full update',
  131072: 'informational update',
  262144: 'silent update',
  524288: 'outdated',
  1048576: 'delegate-forwarded copy',
};

/** names an export may write instead of the number (the .NET enum names of the cmdlets' objects) */
const byName: Readonly<Record<string, number>> = {
  // ResponseType
  none: 0,
  organizer: 1,
  tentative: 2,
  tentativelyaccepted: 2,
  accept: 3,
  accepted: 3,
  decline: 4,
  declined: 4,
  notresponded: 5,
  // MeetingRequestType
  newmeetingrequest: 1,
  fullupdate: 65536,
  informationalupdate: 131072,
  silentupdate: 262144,
  outdated: 524288,
  principalwantscopy: 1048576,
  // AppointmentState (one flag by name)
  meeting: 1,
  received: 2,
  cancelled: 4,
  forwarded: 8,
};

/** a code as exported: digits, or a name above (any case, spaces ignored); empty: null; else undefined */
export function codeOf(v: string): number | null | undefined {
  const t = v.trim();
  if (t === '') return null;
  if (/^\d{1,10}$/.test(t)) {
    const n = Number(t);
    return n <= 2147483647 ? n : undefined;
  }
  // "1.0" as some post-processed exports write it
  if (/^\d{1,9}\.0+$/.test(t)) return Number(t);
  const flags = t.split(/\s*,\s*/).map((p) => byName[p.replace(/\s+/g, '').toLowerCase()]);
  if (flags.some((f) => f === undefined)) return undefined;
  return (flags as number[]).reduce((a, b) => a | b, 0);
}

export function responseTypeName(n: number | null | undefined): string | null {
  return n === null || n === undefined ? null : (responseTypes[n] ?? String(n));
}

export function meetingRequestTypeName(n: number | null | undefined): string | null {
  return n === null || n === undefined ? null : (meetingRequestTypes[n] ?? String(n));
}

/** 5 -> 'meeting, cancelled'; 0 -> 'appointment' (no meeting bits) */
export function appointmentStateName(n: number | null | undefined): string | null {
  if (n === null || n === undefined) return null;
  if (n === 0) return 'appointment';
  const names = Object.entries(appointmentStateBits)
    .filter(([bit]) => (n & Number(bit)) !== 0)
    .map(([, name]) => name);
  const rest = n & ~15;
  return [...names, ...(rest ? [String(rest)] : [])].join(', ');
}
