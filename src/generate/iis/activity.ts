// What the devices do, one UTC day at a time: a Ping/Sync chain (Direct Push) or a polling loop,
// the user's own actions (mail sent, attachments opened, searches…), the daily FolderSync,
// Settings and policy refresh, the faults, and the runaway episodes. The result is a list of
// events (time, device, command, outcome, argument) in typed arrays; render.ts turns them into text.
import { Prng } from './prng.js';
import { C, NON_EAS, O, commands, site, type VersionInfo } from './tables.js';
import type { Device, Population, User } from './population.js';
import { DAY, HOUR, MINUTE, SECOND } from './time.js';

/** Sync argument bits: the low byte is the number of items the server sends */
export const SYNC_CALENDAR = 1 << 8;
export const SYNC_CLIENT_CHANGE = 1 << 9;
export const SYNC_FIRST = 1 << 10;
/** Settings argument: what the request was about */
export const SETTINGS_DEVICE = 0;
export const SETTINGS_OOF = 1;
export const SETTINGS_USERINFO = 2;

/** the minimum hits in one hour that marks a runaway device (ActiveSyncReport.ps1's MinimumHits idea);
 *  the episodes below run at 1,400–4,500 an hour, ordinary devices stay under a few hundred */
export const RUNAWAY_HITS_PER_HOUR = 1000;

// mail and calendar changes arriving in the mailbox, per local hour of a weekday (per device, activity 1)
const changesPerHour = [0.3, 0.2, 0.2, 0.2, 0.3, 0.6, 1.5, 3, 6, 8, 8, 7, 6, 7, 8, 7, 6, 4, 3, 2.5, 2, 1.5, 1, 0.5];
// things the user does on the device, per local hour of a weekday
const actionsPerHour = [0.02, 0.01, 0.01, 0.01, 0.02, 0.05, 0.3, 0.8, 1.2, 1.2, 1.1, 1, 1.2, 1.1, 1, 1, 0.9, 0.8, 0.7, 0.6, 0.6, 0.5, 0.3, 0.1];
// OWA / EWS / Autodiscover / MAPI sessions per user and local hour of a weekday
const otherPerHour = [0, 0, 0, 0, 0, 0.02, 0.1, 0.3, 0.5, 0.5, 0.5, 0.4, 0.4, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.05, 0.05, 0.02, 0];
const WEEKEND = 0.3;

interface Action {
  readonly cmd: number;
  readonly w: number;
}
const userActions: readonly Action[] = [
  { cmd: C.SendMail, w: 18 },
  { cmd: C.SmartReply, w: 14 },
  { cmd: C.SmartForward, w: 4 },
  { cmd: C.ItemOperations, w: 22 },
  { cmd: C.Search, w: 8 },
  { cmd: C.MeetingResponse, w: 3 },
  { cmd: C.MoveItems, w: 7 },
  { cmd: C.Sync, w: 22 },
  { cmd: C.FolderSync, w: 2 },
];

/** the events of one day; times are ms since the start of that UTC day */
export class DayEvents {
  n = 0;
  t = new Int32Array(1 << 16);
  dev = new Int32Array(1 << 16);
  cmd = new Uint8Array(1 << 16);
  out = new Uint8Array(1 << 16);
  arg = new Int32Array(1 << 16);

  clear(): void {
    this.n = 0;
  }

  push(t: number, dev: number, cmd: number, out: number, arg: number): void {
    if (this.n === this.t.length) this.grow();
    const i = this.n++;
    this.t[i] = t;
    this.dev[i] = dev;
    this.cmd[i] = cmd;
    this.out[i] = out;
    this.arg[i] = arg;
  }

  /** indices in time order; equal times keep their insertion order */
  order(): Int32Array {
    const n = this.n;
    if (n > 1 << 26) throw new Error(`too many requests in one day (${n}): use fewer users`);
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = this.t[i]! * 67108864 + i;
    keys.sort();
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = keys[i]! % 67108864;
    return idx;
  }

  private grow(): void {
    const m = this.t.length * 2;
    const g = <T extends Int32Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.t = g(this.t, new Int32Array(m));
    this.dev = g(this.dev, new Int32Array(m));
    this.cmd = g(this.cmd, new Uint8Array(m));
    this.out = g(this.out, new Uint8Array(m));
    this.arg = g(this.arg, new Int32Array(m));
  }
}

export interface ActivityOptions {
  readonly seed: number;
  readonly version: VersionInfo;
  /** weekday (0 Sunday) of day 0 */
  readonly firstWeekday: number;
}

/** local hour (0–23) and weekend flag of a time in ms since the start of the run */
function localHour(o: ActivityOptions, t: number): { hour: number; weekend: boolean } {
  const local = t + site.utcOffsetHours * HOUR;
  const dayIndex = Math.floor(local / DAY);
  const wd = (((o.firstWeekday + dayIndex) % 7) + 7) % 7;
  return { hour: Math.floor((local - dayIndex * DAY) / HOUR), weekend: wd === 0 || wd === 6 };
}

function rate(table: readonly number[], o: ActivityOptions, t: number): number {
  const h = localHour(o, t);
  return table[h.hour]! * (h.weekend ? WEEKEND : 1);
}

/** one device's day */
class DeviceDay {
  private readonly start: number;
  private readonly end: number;

  constructor(
    private readonly o: ActivityOptions,
    private readonly ev: DayEvents,
    private readonly d: Device,
    private readonly r: Prng,
    day: number,
  ) {
    this.start = day * DAY;
    this.end = this.start + DAY;
  }

  /** one event at absolute time t; past the day's end it waits in the device's carry */
  private emit(t: number, cmd: number, out: number, arg: number): void {
    if (t < this.start) t = this.start;
    if (t >= this.end) this.d.carry.push(t, cmd, out, arg);
    else this.ev.push(t - this.start, this.d.index, cmd, out, arg);
  }

  /** a request as the device makes it: the mailbox's fate decides some outcomes, an anonymous
   *  401 challenge sometimes comes first */
  private request(t: number, cmd: number, out: number, arg: number): void {
    const d = this.d;
    if (d.user.movedAt !== undefined && t >= d.user.movedAt) out = O.redirect;
    else if (d.stalePassword && t >= d.stalePassword.from && t < d.stalePassword.to) out = O.badPassword;
    else if (d.user.mailboxFull && commands[cmd]!.sendsMail) out = O.mailboxFull;
    if (out !== O.badPassword && this.r.chance(d.profile.challengeRate)) this.emit(t - this.r.range(15, 400), cmd, O.challenge, arg);
    this.emit(t, cmd, out, arg);
  }

  private has(cmd: number): boolean {
    const c = commands[cmd]!;
    return this.d.protocol.eas >= c.minEas && this.d.protocol.eas <= c.maxEas;
  }

  run(): void {
    const d = this.d;
    const carry = d.carry;
    d.carry = [];
    for (let i = 0; i < carry.length; i += 4) this.emit(carry[i]!, carry[i + 1]!, carry[i + 2]!, carry[i + 3]!);
    if (d.gone) return;
    const episode = this.runawayEpisode();
    if (episode) this.runaway(episode.from, episode.to);
    this.chain(episode);
    if (d.gone) return;
    this.userActions();
    this.daily();
  }

  /** the runaway window of this day, if any: 2–5 hours, inside the UTC day */
  private runawayEpisode(): { from: number; to: number } | undefined {
    const ra = this.d.runaway;
    if (!ra) return undefined;
    const day = this.start / DAY;
    // decide with a stream of its own, so the rest of the day does not depend on it
    const r = new Prng(this.o.seed, 9, this.d.index, day);
    if (day !== ra.firstDay && !r.chance(0.25)) return undefined;
    const len = 2 * HOUR + r.int(3 * HOUR);
    const from = this.start + r.int(DAY - len);
    return { from, to: from + len };
  }

  /** Direct Push (Ping, then Sync when something changed) or polling, all day */
  private chain(episode: { from: number; to: number } | undefined): void {
    const d = this.d;
    const r = this.r;
    let t = Math.max(d.clock, this.start);
    while (t < this.end) {
      if (episode && t >= episode.from && t < episode.to) {
        t = episode.to;
        continue;
      }
      const moved = d.user.movedAt;
      if (moved !== undefined && t >= moved) {
        // HTTP 451 to everything; the device keeps trying for one to three hours, then is re-pointed
        if (t >= moved + HOUR + (d.index % 3) * HOUR) {
          d.gone = true;
          break;
        }
        this.request(t, r.pick([C.Ping, C.Sync, C.FolderSync, C.Options]), O.ok, 0);
        t += r.range(20, 240) * SECOND;
        continue;
      }
      if (d.stalePassword && t >= d.stalePassword.from && t < d.stalePassword.to) {
        this.request(t, r.pick([C.Ping, C.Sync, C.FolderSync]), O.ok, 0);
        t += r.range(15, 90) * SECOND;
        continue;
      }
      if (!d.profile.push) {
        const night = rate(changesPerHour, this.o, t) < 1;
        t += (d.profile.pollMinutes ?? 30) * MINUTE * (night ? 4 : 1) * (0.9 + 0.2 * r.float());
        this.sync(t, 1 + r.poisson(0.5));
        continue;
      }
      const hb = d.heartbeat * SECOND;
      const wait = r.exp((rate(changesPerHour, this.o, t) * d.activity) / HOUR);
      if (wait < hb) {
        const end = t + wait + r.range(50, 900);
        this.request(end, C.Ping, r.chance(0.0005) ? O.throttled : O.pingChanges, end - t);
        const s = end + r.range(300, 2500);
        this.sync(s, 1 + r.poisson(0.4));
        t = s + r.range(100, 1500);
      } else if (r.chance(0.003)) {
        // a second Ping from the same device makes the parked one return at once
        const end = t + r.int(hb);
        this.request(end, C.Ping, O.pingCollision, end - t);
        t = end + r.range(5, 80);
      } else if (r.chance(0.01)) {
        // the phone lost its network while the Ping was parked, and stayed away a while
        const end = t + r.int(hb);
        this.request(end, C.Ping, O.clientGone, end - t);
        t = end + r.range(10, 900) * SECOND;
      } else {
        const dur = hb + r.range(0, 3000);
        this.request(t + dur, C.Ping, r.chance(0.0005) ? O.throttled : O.ok, dur);
        t += dur + r.range(100, 1500);
      }
    }
    d.clock = t;
  }

  /** a Sync of the inbox (sometimes with the calendar), with its rare faults and recovery */
  private sync(t: number, adds: number, flags = 0): void {
    const r = this.r;
    if (r.chance(0.15)) flags |= SYNC_CALENDAR;
    const fault = r.float();
    if (fault < 0.0008) {
      // the server lost the device's sync state: the device starts over with FolderSync and Sync 0
      this.request(t, C.Sync, r.chance(0.5) ? O.syncStateNotFound : O.invalidSyncKey, flags);
      this.request(t + r.range(200, 1500), C.FolderSync, O.ok, 0);
      this.request(t + r.range(1600, 4000), C.Sync, O.ok, SYNC_FIRST | Math.min(adds * 20, 255));
    } else if (fault < 0.0015) {
      this.request(t, C.Sync, O.throttled, flags);
    } else {
      this.request(t, C.Sync, O.ok, Math.min(adds, 255) | flags);
    }
  }

  /** thousands of requests an hour, as real devices in a sync loop make them; the normal
   *  Ping/Sync chain pauses for the window (a Ping parked before it may still end inside) */
  private runaway(from: number, to: number): void {
    const r = this.r;
    const kind = this.d.runaway!.kind;
    // 0.8–2.6 s apart: 1,400–4,500 an hour
    for (let t = from; t < to; t += r.range(800, 2600)) {
      const throttled = r.chance(0.04);
      if (kind === 'syncLoop') {
        if (throttled) this.emit(t, C.Sync, O.throttled, 0);
        else if (r.chance(0.08)) this.emit(t, C.FolderSync, O.ok, 0);
        else this.emit(t, C.Sync, r.chance(0.7) ? O.syncStateNotFound : O.ok, r.chance(0.7) ? SYNC_FIRST : 0);
      } else if (kind === 'pingLoop') {
        this.emit(t, C.Ping, throttled ? O.throttled : O.pingCollision, r.range(20, 600));
      } else {
        this.emit(t, C.Sync, throttled ? O.throttled : O.mailboxFull, SYNC_CLIENT_CHANGE);
      }
    }
  }

  /** the user's own actions, by the hour */
  private userActions(): void {
    const r = this.r;
    const d = this.d;
    for (let h = 0; h < 24; h++) {
      const hourStart = this.start + h * HOUR;
      const n = r.poisson(rate(actionsPerHour, this.o, hourStart) * d.activity);
      for (let k = 0; k < n; k++) {
        const t = hourStart + r.int(HOUR);
        if (d.user.movedAt !== undefined && t >= d.user.movedAt) continue;
        let cmd = r.weighted(userActions).cmd;
        if (cmd === C.ItemOperations && !this.has(cmd)) cmd = C.GetAttachment;
        let arg = 0;
        if (commands[cmd]!.sendsMail) {
          arg = Math.round(Math.min(25000, Math.max(1, r.logNormal(12, 1.3))));
          // big attachments sometimes fail on the server (HTTP 500)
          const failed = r.chance(arg > 10000 ? 0.3 : 0.002);
          this.request(t, cmd, failed ? O.serverError : O.ok, arg);
          continue;
        }
        if (cmd === C.ItemOperations || cmd === C.GetAttachment) {
          arg = cmd === C.GetAttachment || r.chance(0.45) ? Math.round(Math.min(20000, Math.max(2, r.logNormal(150, 1.3)))) : 0;
        } else if (cmd === C.Search) {
          arg = r.chance(0.8) ? 0 : 1;
        } else if (cmd === C.Sync) {
          this.sync(t, r.poisson(0.3), SYNC_CLIENT_CHANGE);
          continue;
        }
        this.request(t, cmd, O.ok, arg);
      }
    }
  }

  /** FolderSync, Settings, Options, GetItemEstimate and the daily policy refresh */
  private daily(): void {
    const r = this.r;
    const d = this.d;
    const at = () => this.start + r.int(DAY);
    const alive = (t: number) => d.user.movedAt === undefined || t < d.user.movedAt;
    const emitIf = (t: number, cmd: number, arg: number) => {
      if (alive(t)) this.request(t, cmd, O.ok, arg);
    };
    for (let k = 1 + r.poisson(1.5); k > 0; k--) emitIf(at(), C.FolderSync, 0);
    if (this.has(C.Settings)) {
      emitIf(at(), C.Settings, SETTINGS_DEVICE);
      for (let k = r.poisson(0.4); k > 0; k--) emitIf(at(), C.Settings, r.chance(0.8) ? SETTINGS_OOF : SETTINGS_USERINFO);
    }
    for (let k = r.poisson(0.6); k > 0; k--) emitIf(at(), C.Options, 0);
    for (let k = r.poisson(d.profile.estimatesPerDay * d.activity); k > 0; k--) emitIf(at(), C.GetItemEstimate, 1 + r.int(4));
    if (this.has(C.Provision)) {
      // the policy refresh: the next request is refused, the device provisions (request + acknowledgement)
      let t = this.start + d.policyMinute * MINUTE;
      if (alive(t) && !(d.stalePassword && t >= d.stalePassword.from && t < d.stalePassword.to)) {
        this.request(t, C.FolderSync, d.protocol.eas >= 14 ? O.policyRefresh : O.needProvision, 0);
        this.request((t += r.range(300, 1500)), C.Provision, O.ok, 0);
        this.request((t += r.range(300, 1500)), C.Provision, O.ok, d.policyAck);
        this.request((t += r.range(300, 1500)), C.FolderSync, O.ok, 0);
      }
    }
  }
}

/** OWA, EWS, Autodiscover, MAPI (and on 2003 the DAV calls of the ActiveSync server): one user's day */
function otherRequests(o: ActivityOptions, ev: DayEvents, u: User, r: Prng, day: number): void {
  const start = day * DAY;
  const templates = o.version.nonEas;
  const weights = templates.map((tp, i) => ({ i, w: tp.w }));
  for (let h = 0; h < 24; h++) {
    const hourStart = start + h * HOUR;
    for (let n = r.poisson(rate(otherPerHour, o, hourStart) * u.activity * 1.5); n > 0; n--) {
      let t = hourStart + r.int(HOUR);
      if (u.movedAt !== undefined && t >= u.movedAt) continue;
      const i = r.weighted(weights).i;
      const lines = templates[i]!.lines.length;
      for (let k = 0; k < lines && t < start + DAY; k++, t += r.range(5, 400)) {
        ev.push(t - start, u.devices[0]!.index, NON_EAS, k, i);
      }
    }
  }
}

/** every event of one UTC day (day 0 = the start date) */
export function generateDay(o: ActivityOptions, pop: Population, day: number, ev: DayEvents): void {
  ev.clear();
  for (const d of pop.devices) new DeviceDay(o, ev, d, new Prng(o.seed, 1, d.index, day), day).run();
  for (const u of pop.users) otherRequests(o, ev, u, new Prng(o.seed, 2, u.index, day), day);
}
