// Time zones for presence: the seed's logs write local time, and reports count days in a zone. Built
// on Intl (the IANA database Node carries), with the offset of each hour cached: a month of logs asks
// a few hundred distinct hours, not millions.

/** this machine's zone (IANA name), the default of `ingest --tz` */
export function machineZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** the zone's canonical name, or an error naming `what` (`--tz`) and the bad value */
export function checkZone(zone: string, what = '--tz'): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new Error(`${what}: unknown time zone "${zone}" (expected an IANA name such as Europe/Berlin or UTC)`);
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** per zone: quarter hour number → offset (a number key: no text made per call, 1.2 M calls a
 *  month's report) */
const offsets = new Map<string, Map<number, number>>();

/** the zone's offset from UTC in seconds at UTC second `t` (Europe/Berlin in summer: 7200) */
export function offsetAt(zone: string, t: number): number {
  if (zone === 'UTC') return 0;
  // offsets change on whole quarter hours: cache per quarter hour
  const q = Math.floor(t / 900);
  let byQuarter = offsets.get(zone);
  if (!byQuarter) offsets.set(zone, (byQuarter = new Map()));
  const known = byQuarter.get(q);
  if (known !== undefined) return known;
  let fmt = formatters.get(zone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, fmt);
  }
  const at = q * 900;
  const p = Object.fromEntries(fmt.formatToParts(new Date(at * 1000)).map((x) => [x.type, x.value]));
  const local = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!) / 1000;
  const off = local - at;
  if (byQuarter.size > 100_000) byQuarter.clear();
  byQuarter.set(q, off);
  return off;
}

/** The UTC seconds a local wall-clock time (as seconds since 1970 read as if UTC) stands for: one
 *  answer normally, two in the hour repeated when clocks go back (earlier first), none in the hour
 *  skipped when they go forward. */
export function localToUtc(zone: string, local: number): number[] {
  const out: number[] = [];
  for (const o of new Set([offsetAt(zone, local - 86_400), offsetAt(zone, local + 86_400), offsetAt(zone, local)])) {
    const t = local - o;
    if (offsetAt(zone, t) === o && !out.includes(t)) out.push(t);
  }
  return out.sort((a, b) => a - b);
}

const two = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const dayTexts = new Map<number, string>();
const suffixes = new Map<number, string>();

/** local date-time text of UTC second `t` in the zone: 2026-03-29T03:15:00+02:00 (UTC: ...Z);
 *  called twice per user-day by the report (1.2 M times a month of 20,000 users): the day's text and
 *  the offset's are kept, the time of day is put together from two-digit texts */
export function localIso(zone: string, t: number): string {
  // the same second is asked for again and again (a cycle's samples share it): one text for all of
  // its user-days, not one text made of several parts each time (issue 18's bench: most of the
  // report's memory was these texts, and its time the garbage collections walking them)
  if (zone !== isoZone) {
    isoZone = zone;
    isoTexts.clear();
  }
  let text = isoTexts.get(t);
  if (text === undefined) {
    if (isoTexts.size >= MAX_ISO_TEXTS) isoTexts.clear();
    isoTexts.set(t, (text = isoText(zone, t)));
  }
  return text;
}
const MAX_ISO_TEXTS = 100_000;
const isoTexts = new Map<number, string>();
let isoZone = '';

function isoText(zone: string, t: number): string {
  const o = offsetAt(zone, t);
  const local = t + o;
  const dayNumber = Math.floor(local / 86_400);
  let day = dayTexts.get(dayNumber);
  if (day === undefined) {
    if (dayTexts.size > 10_000) dayTexts.clear();
    dayTexts.set(dayNumber, (day = `${new Date(dayNumber * 86_400_000).toISOString().slice(0, 10)}T`));
  }
  let suffix = zone === 'UTC' ? 'Z' : suffixes.get(o);
  if (suffix === undefined) {
    const a = Math.abs(o);
    suffixes.set(o, (suffix = `${o < 0 ? '-' : '+'}${two[Math.floor(a / 3600)] ?? String(Math.floor(a / 3600))}:${two[Math.floor(a / 60) % 60]}`));
  }
  const s = local - dayNumber * 86_400;
  return `${day}${two[Math.floor(s / 3600)]}:${two[Math.floor(s / 60) % 60]}:${two[s % 60]}${suffix}`;
}

/** the local day (YYYY-MM-DD) that UTC second `t` falls on in the zone */
export function localDay(zone: string, t: number): string {
  return new Date((t + offsetAt(zone, t)) * 1000).toISOString().slice(0, 10);
}

/** UTC second where local day `day` (YYYY-MM-DD) starts in the zone (a day starting in a skipped
 *  hour starts at the first instant after it) */
export function dayStart(zone: string, day: string): number {
  const local = Date.parse(`${day}T00:00:00Z`) / 1000;
  const c = localToUtc(zone, local);
  if (c.length) return c[0]!;
  // midnight skipped: the day starts at the jump, where the clock read midnight by the old offset
  return local - offsetAt(zone, local - 86_400);
}

/** the days from `first` to `last` (YYYY-MM-DD, both included), each with its UTC start and end */
export function daysOf(zone: string, first: string, last: string): { day: string; start: number; end: number }[] {
  const out: { day: string; start: number; end: number }[] = [];
  for (let d = Date.parse(`${first}T00:00:00Z`); d <= Date.parse(`${last}T00:00:00Z`); d += 86_400_000) {
    const day = new Date(d).toISOString().slice(0, 10);
    const next = new Date(d + 86_400_000).toISOString().slice(0, 10);
    out.push({ day, start: dayStart(zone, day), end: dayStart(zone, next) });
  }
  return out;
}
