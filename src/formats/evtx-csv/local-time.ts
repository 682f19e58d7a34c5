// TimeCreated as Export-Csv writes it: the DateTime's ToString() in the exporting session's culture,
// local time of that machine, to the second:
//   en-US   11/3/2026 2:15:07 PM        M/d/yyyy h:mm:ss tt
//   en-GB   03/11/2026 14:15:07         dd/MM/yyyy HH:mm:ss
//   de-DE   03.11.2026 14:15:07         dd.MM.yyyy HH:mm:ss
//   nl-NL   3-11-2026 14:15:07          d-M-yyyy H:mm:ss
//   sv-SE   2026-11-03 14:15:07         yyyy-MM-dd HH:mm:ss  (ja-JP, zh-CN: yyyy/MM/dd)
// Which of day and month comes first is not in the text when both are 12 or less: the order is
// given (`mxray ingest --date-order dmy|mdy|ymd`), or read from the first date that settles it
// (a day above 12), or assumed from the separator (`.` and `-`: day first; `/` with AM/PM: month
// first, as en-US; `/` without: day first, as en-GB, fr-FR …). The parser says which in a note.

export const dateOrders = ['dmy', 'mdy', 'ymd'] as const;
export type DateOrder = (typeof dateOrders)[number];

/** a local date and time as written, before the order of its first two numbers is known */
export interface LocalParts {
  /** the numbers as written: [a, b, c] of a{sep}b{sep}c */
  readonly a: number;
  readonly b: number;
  readonly c: number;
  /** a has four digits: year first */
  readonly yearFirst: boolean;
  readonly sep: string;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly ms: number;
  readonly ampm: 'AM' | 'PM' | undefined;
}

const TEXT =
  /^(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})\.?[ T,]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:[.,](\d{1,7}))?)?\s*(AM|PM|A\.M\.|P\.M\.|a\.m\.|p\.m\.|am|pm|vorm\.|nachm\.)?$/;

/** the parts of a TimeCreated text, or undefined when it is not a date and time */
export function localParts(v: string): LocalParts | undefined {
  const m = TEXT.exec(v.trim());
  if (!m) return undefined;
  const yearFirst = m[1]!.length === 4;
  if (!yearFirst && m[4]!.length !== 4) return undefined; // a two-digit year: not what Export-Csv writes
  const mark = m[9]?.toLowerCase().replace(/\./g, '');
  const ampm = mark === undefined ? undefined : mark === 'am' || mark === 'vorm' ? 'AM' : 'PM';
  return {
    a: Number(m[1]),
    b: Number(m[3]),
    c: Number(m[4]),
    yearFirst,
    sep: m[2]!,
    hour: Number(m[5]),
    minute: Number(m[6]),
    second: Number(m[7] ?? 0),
    ms: m[8] ? Number(m[8].padEnd(3, '0').slice(0, 3)) : 0,
    ampm,
  };
}

/** the order these parts settle on their own: year first, or a number above 12 in the first two
 *  places; undefined when both are 12 or less */
export function orderOf(p: LocalParts): DateOrder | undefined {
  if (p.yearFirst) return 'ymd';
  if (p.a > 12 && p.b <= 12) return 'dmy';
  if (p.b > 12 && p.a <= 12) return 'mdy';
  return undefined;
}

/** the order assumed for a date that does not settle it, from how it is written */
export function assumedOrder(p: LocalParts): { order: DateOrder; why: string } {
  if (p.yearFirst) return { order: 'ymd', why: 'the year is written first' };
  if (p.sep === '/' && p.ampm)
    return { order: 'mdy', why: `'/' with AM/PM as en-US writes it (M/d/yyyy h:mm:ss tt); give --date-order dmy for en-AU, en-NZ …` };
  if (p.sep === '/') return { order: 'dmy', why: `'/' with a 24-hour clock as en-GB, fr-FR … write it (dd/MM/yyyy); give --date-order mdy if not` };
  return { order: 'dmy', why: `'${p.sep}' as de-DE, ru-RU, nl-NL … write it (day first)` };
}

/** the local wall-clock time as seconds since 1970 read as if UTC, with the milliseconds; undefined
 *  when the numbers are no date in that order (a 13th month, 31 February, 25 o'clock) */
export function wallClock(p: LocalParts, order: DateOrder): { local: number; ms: number } | undefined {
  const [y, mo, d] = order === 'ymd' ? [p.a, p.b, p.c] : order === 'dmy' ? [p.c, p.b, p.a] : [p.c, p.a, p.b];
  let h = p.hour;
  if (p.ampm) {
    if (h < 1 || h > 12) return undefined;
    h = (h % 12) + (p.ampm === 'PM' ? 12 : 0);
  }
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || p.minute > 59 || p.second > 59) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, p.minute, p.second);
  const check = new Date(t);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  return { local: t / 1000, ms: p.ms };
}
