// `mxray generate presence`: the seed's daily IM presence logs (YYYYMMDD.log, CRLF, local time) of N
// users over D days, sampled every interval by a logger that is down now and then, with the exact
// truth in truth.json: per user and local day the seconds in each state, counted minute by minute by
// this generator's own bookkeeping (its own day boundaries from Intl, not mxray's zone code), by the
// rules of issue 18: a sample lasts until the user's next sample, at most twice the interval; the
// last one lasts one interval; the rest is unknown. Every time here is a whole minute.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedLogs, generatedTruth } from '../layout.js';
import { Random } from '../tracking/random.js';

export interface PresenceGenOptions {
  users: number;
  days: number;
  /** seconds, a whole number of minutes */
  intervalS: number;
  /** first day, YYYY-MM-DD, local in `tz` */
  start: string;
  tz: string;
  seed: number;
  out: string;
}

const states = ['online', 'invisible', 'busy', 'beRightBack', 'idle', 'away', 'onThePhone', 'outToLunch', 'offline', 'unknown'] as const;
type State = (typeof states)[number];
const code: Record<State, number> = {
  online: 2,
  invisible: 6,
  busy: 10,
  beRightBack: 14,
  idle: 18,
  away: 34,
  onThePhone: 50,
  outToLunch: 66,
  offline: 1,
  unknown: 0,
};

export type TruthDay = { user: string; day: string } & Record<State, number> & { firstOnline: string | null; lastOnline: string | null };
export interface PresenceTruth {
  users: number;
  days: string[];
  tz: string;
  intervalS: number;
  samples: number;
  /** the logger's outages (UTC ISO times) */
  outages: { from: string; to: string }[];
  rows: TruthDay[];
  /** online seconds per local weekday and hour (Mon 00 … Sun 23), summed over users and days */
  heatmap: { weekday: string; hour: number; online: number }[];
}

/** local wall clock of a UTC minute in the zone, by Intl (cached per minute asked) */
class Clock {
  private readonly fmt: Intl.DateTimeFormat;
  constructor(readonly tz: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
  }
  parts(t: number): { y: string; m: string; d: string; hh: string; mm: string; wd: string } {
    const p = Object.fromEntries(this.fmt.formatToParts(new Date(t * 1000)).map((x) => [x.type, x.value]));
    return { y: p.year!, m: p.month!, d: p.day!, hh: p.hour!, mm: p.minute!, wd: p.weekday! };
  }
  day(t: number): string {
    const p = this.parts(t);
    return `${p.y}-${p.m}-${p.d}`;
  }
  /** 2026-03-29T03:15:00+02:00 (UTC: Z) */
  iso(t: number): string {
    const p = this.parts(t);
    const wall = Date.UTC(+p.y, +p.m - 1, +p.d, +p.hh, +p.mm) / 1000;
    const off = wall - t;
    const s = `${p.y}-${p.m}-${p.d}T${p.hh}:${p.mm}:00`;
    if (this.tz === 'UTC') return `${s}Z`;
    const a = Math.abs(off);
    return `${s}${off < 0 ? '-' : '+'}${String(Math.floor(a / 3600)).padStart(2, '0')}:${String((a / 60) % 60).padStart(2, '0')}`;
  }
  /** the first UTC minute whose local day is `day` */
  midnight(day: string): number {
    let t = Date.parse(`${day}T00:00:00Z`) / 1000 - 15 * 3600;
    while (this.day(t) < day) t += 900;
    while (this.day(t - 60) >= day) t -= 60;
    return t;
  }
}

export async function generatePresence(o: PresenceGenOptions): Promise<PresenceTruth> {
  if (o.intervalS % 60 !== 0 || o.intervalS < 60) throw new Error('--interval: a whole number of minutes');
  const rnd = new Random(o.seed, 'presence');
  const clock = new Clock(o.tz);
  const dayList: string[] = [];
  for (let i = 0; i <= o.days; i++) dayList.push(new Date(Date.parse(`${o.start}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10));
  const begin = clock.midnight(dayList[0]!);
  const end = clock.midnight(dayList[o.days]!);
  const days = dayList.slice(0, o.days);

  const users = Array.from({ length: o.users }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    return {
      address: i === 1 ? `User${n}@Example.org` : `user${n}@example.org`,
      username: i === 2 ? `Doe, Jane ${n}` : `User${n}`,
      state: 'offline' as State,
    };
  });

  // the logger's cycles: on the interval's grid, except while it is down (at most one outage of 1–3 h a day)
  const outages: { from: number; to: number }[] = [];
  for (let t = begin; t < end; t += 86_400) {
    if (!rnd.chance(0.6)) continue;
    const from = t + rnd.int(0, 20) * 3600 + rnd.int(0, 3) * 900;
    outages.push({ from, to: from + rnd.int(1, 3) * 3600 + rnd.int(0, 3) * 900 });
  }
  const cycles: number[] = [];
  for (let t = begin; t < end; t += o.intervalS) if (!outages.some((w) => t >= w.from && t < w.to)) cycles.push(t);

  // truth: per user, day, state: minutes; first/last online minute
  const minutes = new Map<string, Map<string, Map<State, number>>>();
  const online = new Map<string, { first: number; last: number }>();
  const dayOfMinute = new Map<number, string>();
  const dayOf = (t: number) => {
    const q = Math.floor(t / 900);
    let d = dayOfMinute.get(q);
    if (d === undefined) dayOfMinute.set(q, (d = clock.day(q * 900)));
    return d;
  };
  const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const heat = new Array<number>(7 * 24).fill(0);
  const cellOfQuarter = new Map<number, number>();
  const cellOf = (t: number) => {
    const q = Math.floor(t / 900);
    let c = cellOfQuarter.get(q);
    if (c === undefined) {
      const p = clock.parts(q * 900);
      cellOfQuarter.set(q, (c = weekdays.indexOf(p.wd) * 24 + +p.hh));
    }
    return c;
  };
  const cover = (user: string, from: number, to: number, s: State) => {
    let byDay = minutes.get(user);
    if (!byDay) minutes.set(user, (byDay = new Map()));
    for (let t = from; t < to; t += 60) {
      if (t < begin || t >= end) continue;
      const d = dayOf(t);
      let byState = byDay.get(d);
      if (!byState) byDay.set(d, (byState = new Map()));
      byState.set(s, (byState.get(s) ?? 0) + 1);
      if (s === 'online') {
        heat[cellOf(t)]! += 60;
        const k = `${user}|${d}`;
        const w = online.get(k);
        if (!w) online.set(k, { first: t, last: t + 60 });
        else {
          w.first = Math.min(w.first, t);
          w.last = Math.max(w.last, t + 60);
        }
      }
    }
  };

  mkdirSync(generatedLogs(o.out), { recursive: true });
  let file: { day: string; stream: ReturnType<typeof createWriteStream> } | undefined;
  const write = async (day: string, text: string) => {
    if (file?.day !== day) {
      if (file) await new Promise<void>((r) => file!.stream.end(r));
      file = { day, stream: createWriteStream(join(generatedLogs(o.out), `${day.replaceAll('-', '')}.log`), { flags: 'a' }) };
    }
    if (!file.stream.write(text)) await new Promise<void>((r) => file!.stream.once('drain', r));
  };

  let samples = 0;
  const last = new Map<string, { t: number; s: State }>();
  for (const t of cycles) {
    const p = clock.parts(t);
    const hour = +p.hh;
    const work = hour >= 8 && hour < 18;
    const lines: string[] = [];
    for (const u of users) {
      // a simple day: offline at night; at work mostly online, sometimes away, busy, idle …
      if (!rnd.chance(0.65)) {
        u.state = work
          ? (['online', 'online', 'online', 'away', 'busy', 'idle', 'beRightBack', 'onThePhone', hour === 12 ? 'outToLunch' : 'online', 'invisible'] as const)[
              rnd.int(0, 9)
            ]!
          : rnd.chance(0.85)
            ? 'offline'
            : 'online';
      }
      // now and then the IM client is connecting (0x0200) or unknown
      const raw = rnd.chance(0.01) ? 512 : rnd.chance(0.005) ? 0 : code[u.state];
      const s: State = raw === code[u.state] ? u.state : 'unknown';
      lines.push(`${p.y}${p.m}${p.d},${p.hh}:${p.mm},${u.address},${u.username},${raw}\r\n`);
      const key = u.address.toLowerCase();
      const prev = last.get(key);
      if (prev) cover(key, prev.t, Math.min(t, prev.t + 2 * o.intervalS), prev.s);
      last.set(key, { t, s });
      samples++;
    }
    await write(`${p.y}-${p.m}-${p.d}`, lines.join(''));
  }
  if (file) await new Promise<void>((r) => file!.stream.end(r));
  for (const [user, l] of last) cover(user, l.t, l.t + o.intervalS, l.s);

  // minutes of each local day
  const dayMinutes = new Map<string, number>();
  for (let t = begin; t < end; t += 60) dayMinutes.set(dayOf(t), (dayMinutes.get(dayOf(t)) ?? 0) + 1);
  const rows: TruthDay[] = [];
  for (const u of users.map((x) => x.address.toLowerCase()).sort()) {
    for (const d of days) {
      const byState = minutes.get(u)?.get(d);
      const row = { user: u, day: d } as TruthDay;
      let known = 0;
      for (const s of states) {
        const m = s === 'unknown' ? 0 : (byState?.get(s) ?? 0);
        row[s] = m * 60;
        known += m;
      }
      row.unknown = (dayMinutes.get(d)! - known) * 60;
      const w = online.get(`${u}|${d}`);
      row.firstOnline = w ? clock.iso(w.first) : null;
      row.lastOnline = w ? clock.iso(w.last) : null;
      rows.push(row);
    }
  }
  const truth: PresenceTruth = {
    users: o.users,
    days,
    tz: o.tz,
    intervalS: o.intervalS,
    samples,
    outages: outages.map((w) => ({ from: new Date(w.from * 1000).toISOString(), to: new Date(w.to * 1000).toISOString() })),
    rows,
    heatmap: heat.map((online, i) => ({ weekday: weekdays[Math.floor(i / 24)]!, hour: i % 24, online })),
  };
  writeFileSync(generatedTruth(o.out), JSON.stringify(truth, null, 1));
  return truth;
}
