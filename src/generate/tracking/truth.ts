// The ground truth: what the reports must reproduce from the generated logs. The writers record each
// counted event here as they render it (a submission once per message, a delivery once per message
// and mailbox), from the plan — never by reading the files back.
import { DAY_MS } from './plan.js';

export interface UserTruth {
  sent: number;
  received: number;
  sentBytes: number;
  receivedBytes: number;
}

export interface DayTraffic {
  /** distinct messages whose submission event falls on the day */
  messages: number;
  /** their sizes as logged on the submission event */
  bytes: number;
  /** counted deliveries whose delivery event falls on the day */
  deliveries: number;
}

export interface UserClasses {
  light: number;
  medium: number;
  heavy: number;
}

export interface TrackingTruth {
  version: string;
  seed: number;
  /** first and last UTC date with any event in the logs */
  from: string;
  to: string;
  /** distinct UTC dates with any event */
  days: number;
  /** per mailbox key (lower case SMTP address; 5.5: lower case DN), only mailboxes with sent + received > 0 */
  users: Record<string, UserTruth>;
  traffic: Record<string, DayTraffic>;
  classes: UserClasses;
}

/** MMB3 boundaries of the classification (seed 003) */
export const classBoundaries = { lightMax: 48, heavyMin: 78 } as const;

/** the class of a mailbox from its counts over `days` days: n = sqrt((S² + R²) / 2) per day */
export function classify(sent: number, received: number, days: number, b = classBoundaries): keyof UserClasses {
  const s = sent / days,
    r = received / days;
  const n = Math.sqrt((s * s + r * r) / 2);
  return n < b.lightMax ? 'light' : n >= b.heavyMin ? 'heavy' : 'medium';
}

const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export class TruthBuilder {
  private readonly users = new Map<string, UserTruth>();
  private readonly traffic = new Map<number, DayTraffic>();
  private readonly eventDays = new Set<number>();
  private lastDay = NaN;

  /** any event written at `t` (ms): its date counts as a day of the logs */
  event(t: number): void {
    const day = Math.floor(t / DAY_MS);
    if (day !== this.lastDay) {
      this.eventDays.add(day);
      this.lastDay = day;
    }
  }

  /** `user` submitted one message of `bytes` at `t` (call once per message) */
  submit(user: string, bytes: number, t: number): void {
    const u = this.user(user);
    u.sent++;
    u.sentBytes += bytes;
    const d = this.day(t);
    d.messages++;
    d.bytes += bytes;
  }

  /** one message of `bytes` was delivered to `user`'s mailbox at `t` (call once per message and user) */
  deliver(user: string, bytes: number, t: number): void {
    const u = this.user(user);
    u.received++;
    u.receivedBytes += bytes;
    this.day(t).deliveries++;
  }

  build(version: string, seed: number): TrackingTruth {
    const dayList = [...this.eventDays].sort((a, b) => a - b);
    const days = dayList.length;
    const users: Record<string, UserTruth> = {};
    const classes: UserClasses = { light: 0, medium: 0, heavy: 0 };
    for (const key of [...this.users.keys()].sort()) {
      const u = this.users.get(key)!;
      if (u.sent + u.received === 0) continue;
      users[key] = { ...u };
      classes[classify(u.sent, u.received, days)]++;
    }
    const traffic: Record<string, DayTraffic> = {};
    for (const day of [...this.traffic.keys()].sort((a, b) => a - b)) traffic[dateOf(day)] = { ...this.traffic.get(day)! };
    return {
      version,
      seed,
      from: days ? dateOf(dayList[0]!) : '',
      to: days ? dateOf(dayList[days - 1]!) : '',
      days,
      users,
      traffic,
      classes,
    };
  }

  private user(key: string): UserTruth {
    let u = this.users.get(key);
    if (!u) this.users.set(key, (u = { sent: 0, received: 0, sentBytes: 0, receivedBytes: 0 }));
    return u;
  }

  private day(t: number): DayTraffic {
    const day = Math.floor(t / DAY_MS);
    let d = this.traffic.get(day);
    if (!d) this.traffic.set(day, (d = { messages: 0, bytes: 0, deliveries: 0 }));
    return d;
  }
}
