// The traffic plan: who sends what to whom, when, and how big — independent of the Exchange
// generation that will log it. A day's plan is a time-ordered list of messages (internal mail,
// mail from the internet, the daily system report, announcements) and nightly quota warnings,
// each message already resolved into the mailboxes it reaches (groups expanded, duplicates
// removed), the addresses that fail and the copies that go to the internet.
import { Random, cumulativeSums } from './random.js';
import type { DistributionGroup, ExternalContact, Mailbox, Org } from './org.js';
import {
  announcementSubjects,
  clients,
  dayVariation,
  externalDomains,
  inboundHours,
  inboundSubjects,
  months,
  rates,
  recipientCounts,
  sizeMix,
  subjects,
  userDayVariation,
  weekdayActivity,
  workingHours,
  type Client,
  type ExternalDomain,
} from './tables.js';

export const DAY_MS = 86_400_000;
/** no message starts later than this in its day, so every event of a message falls on its day */
export const LAST_START_MS = DAY_MS - 60_000;

export type RecipientType = 'To' | 'Cc' | 'Bcc';

export type Addressee =
  | { readonly kind: 'mailbox'; readonly mailbox: Mailbox; readonly type: RecipientType }
  | { readonly kind: 'group'; readonly group: DistributionGroup; readonly type: RecipientType }
  | { readonly kind: 'external'; readonly address: string; readonly contact: ExternalContact; readonly rejects: boolean; readonly type: RecipientType }
  /** an address of the organisation's domain that does not exist (a typo) */
  | { readonly kind: 'unknown'; readonly address: string; readonly type: RecipientType };

/** the address an addressee is written with in the logs (lower case) */
export function addressOf(a: Addressee): string {
  switch (a.kind) {
    case 'mailbox':
      return a.mailbox.address;
    case 'group':
      return a.group.address;
    default:
      return a.address;
  }
}

export interface Delivery {
  readonly mailbox: Mailbox;
  /** the group it came through, when not addressed directly */
  readonly via: DistributionGroup | undefined;
}

export interface Failure {
  readonly address: string;
  /** rejected by the remote server (true) or unknown in the directory (false) */
  readonly remote: boolean;
  readonly contact: ExternalContact | undefined;
}

export interface PlannedMessage {
  readonly kind: 'message';
  /** submission (internal) or arrival (internet) time, ms since the epoch, UTC */
  readonly time: number;
  /** position in the day's plan: ties on time are broken by it */
  readonly order: number;
  /** the mailbox that submitted it; undefined for mail from the internet */
  readonly sender: Mailbox | undefined;
  /** the sending contact, for mail from the internet */
  readonly from: ExternalContact | undefined;
  readonly addressees: readonly Addressee[];
  /** bytes as submitted (internal) or as received from the internet */
  readonly size: number;
  readonly subject: string;
  /** 0 normal, 1 high, -1 low (the 5.5 / 2003 encoding) */
  readonly priority: 0 | 1 | -1;
  readonly client: Client;
  readonly attachment: boolean;
  // resolution
  readonly deliveries: readonly Delivery[];
  /** mailboxes reached a second time (directly and through a group, or through two groups) */
  readonly duplicates: readonly Mailbox[];
  readonly expansions: readonly DistributionGroup[];
  /** internet recipients that accept the message */
  readonly externals: readonly ExternalContact[];
  readonly failures: readonly Failure[];
  /** a delivered mailbox whose store later sees the same message again (DUPLICATEDELIVER) */
  readonly redelivered: Mailbox | undefined;
}

/** the internet recipients of one domain: one SMTP conversation */
export interface InternetCopy {
  readonly domain: ExternalDomain;
  readonly accepted: readonly string[];
  /** addresses the remote server rejects */
  readonly rejected: readonly string[];
}

/** a message's internet recipients grouped by domain, in the order of the domain table */
export function internetCopies(m: PlannedMessage): InternetCopy[] {
  const out: { domain: ExternalDomain; accepted: string[]; rejected: string[] }[] = [];
  const of = (d: ExternalDomain) => {
    let c = out.find((x) => x.domain === d);
    if (!c) out.push((c = { domain: d, accepted: [], rejected: [] }));
    return c;
  };
  for (const c of m.externals) of(c.domain).accepted.push(c.address);
  for (const x of m.failures) if (x.remote) of(x.contact!.domain).rejected.push(x.address);
  return out.sort((a, b) => externalDomains.indexOf(a.domain) - externalDomains.indexOf(b.domain));
}

export interface QuotaWarning {
  readonly kind: 'quota';
  readonly time: number;
  readonly order: number;
  readonly mailbox: Mailbox;
}

export type PlannedItem = PlannedMessage | QuotaWarning;

/** the activity of day `dayIndex` of a period starting at `start` (ms, UTC midnight): the weekday's
 *  activity with a per-day variation */
export function dayActivity(seed: number, start: number, dayIndex: number): number {
  const dow = new Date(start + dayIndex * DAY_MS).getUTCDay();
  return weekdayActivity[dow]! * (1 + new Random(seed, `day:${dayIndex}`).real(-dayVariation, dayVariation));
}

/** the mean activity of the `days` days of a period (open-ended, days undefined: of a week). Dividing
 *  a day's activity by it makes the mailboxes' nominal rates rates per average day of the period. */
export function meanActivity(seed: number, start: number, days: number | undefined): number {
  if (days === undefined) return weekdayActivity.reduce((a, b) => a + b, 0) / 7;
  let sum = 0;
  for (let i = 0; i < days; i++) sum += dayActivity(seed, start, i);
  return sum / days;
}

const workingCum = cumulativeSums(workingHours);
const inboundCum = cumulativeSums(inboundHours);
const countCum = cumulativeSums(recipientCounts.map((r) => r.w));
const clientCum = cumulativeSums(clients.map((c) => c.w));
const sizeCum = cumulativeSums(sizeMix.map((s) => s.w));

/** Plans the days of one organisation. Holds the few cross-day indexes it needs. */
export class Planner {
  private readonly outbound: readonly ExternalContact[];
  private readonly outboundCum: Float64Array;
  private readonly known: Set<string>;

  constructor(
    private readonly org: Org,
    private readonly seed: number,
  ) {
    this.outbound = org.contacts.filter((c) => c.domain.kind !== 'newsletter');
    this.outboundCum = cumulativeSums(this.outbound.map((c) => c.domain.w));
    this.known = new Set([...org.mailboxes.map((m) => m.address), ...org.groups.map((g) => g.address)]);
  }

  /** the plan of day `dayIndex` (UTC midnight `dayStart`), `factor` its activity relative to an
   *  average day; sorted by time */
  day(dayIndex: number, dayStart: number, factor: number): PlannedItem[] {
    const org = this.org;
    const rng = new Random(this.seed, `plan:${dayIndex}`);
    const items: PlannedItem[] = [];
    const date = new Date(dayStart);
    const working = factor > 0.5;
    const fill = (template: string): string => fillSubject(rng, template, date);

    // nightly storage quota warnings (rendered as NOTIFYMAPI by 2010+)
    let order = 0;
    for (const m of org.mailboxes) {
      if (m.overQuota) items.push({ kind: 'quota', time: dayStart + 1000 + rng.int(0, 3500), order: order++, mailbox: m });
    }

    // per-mailbox activity of the day
    const sigma = userDayVariation;
    const activity = org.mailboxes.map(() => factor * Math.exp(sigma * rng.normal() - (sigma * sigma) / 2));
    const received = new Int32Array(org.mailboxes.length);
    const addMessage = (m: PlannedMessage): void => {
      items.push(m);
      for (const d of m.deliveries) received[d.mailbox.index]!++;
    };

    for (const sender of org.mailboxes) {
      const count = rng.poisson(sender.sentPerDay * activity[sender.index]!);
      for (let i = 0; i < count; i++) {
        const time = dayStart + sampleTime(rng, workingCum);
        addMessage(
          this.resolve(rng, {
            time,
            order: order++,
            sender,
            from: undefined,
            addressees: this.addressees(rng, sender),
            subject: fill(rng.pick(subjects)),
          }),
        );
      }
    }

    // the daily report of the shared reports mailbox to IT, every day at six
    if (org.reports) {
      addMessage(
        this.resolve(rng, {
          time: dayStart + 6 * 3_600_000 + rng.int(0, 240_000),
          order: order++,
          sender: org.reports,
          from: undefined,
          addressees: [{ kind: 'group', group: org.teams[0]!.group, type: 'To' }],
          subject: `Daily backup report, ${date.toISOString().slice(0, 10)}: "OK", 0 warnings`,
        }),
      );
    }
    // an organisation-wide announcement on some working days
    if (working && org.managers.members.length && org.allStaff.members.length > 1 && rng.chance(rates.announcement)) {
      addMessage(
        this.resolve(rng, {
          time: dayStart + sampleTime(rng, workingCum),
          order: order++,
          sender: rng.pick(org.managers.members),
          from: undefined,
          addressees: [{ kind: 'group', group: org.allStaff, type: 'To' }],
          subject: fill(rng.pick(announcementSubjects)),
        }),
      );
    }
    // internet mail to team groups (newsletters, partner mailings)
    for (const team of org.teams) {
      if (team.members.length && rng.chance(Math.min(1, rates.teamMailings * factor))) {
        addMessage(
          this.resolve(rng, {
            time: dayStart + sampleTime(rng, inboundCum),
            order: order++,
            sender: undefined,
            from: this.contact(rng),
            addressees: [{ kind: 'group', group: team.group, type: 'To' }],
            subject: fill(rng.pick(inboundSubjects)),
          }),
        );
      }
    }

    // internet mail to people: each mailbox's received target minus what colleagues sent it
    const tokens: Mailbox[] = [];
    for (const m of org.mailboxes) {
      const want = rng.poisson(m.receivedPerDay * activity[m.index]!) - received[m.index]!;
      for (let i = 0; i < want; i++) tokens.push(m);
    }
    rng.shuffle(tokens);
    for (let i = 0; i < tokens.length; ) {
      const to: Mailbox[] = [tokens[i++]!];
      if (rng.chance(rates.inboundMulti)) {
        // a few more distinct people from the tokens still to be used, moved to the front
        const extra = rng.int(1, 3);
        for (let j = i; j < tokens.length && to.length <= extra; j++) {
          const m = tokens[j]!;
          if (!to.includes(m)) {
            to.push(m);
            tokens[j] = tokens[i]!;
            tokens[i++] = m;
          }
        }
      }
      addMessage(
        this.resolve(rng, {
          time: dayStart + sampleTime(rng, inboundCum),
          order: order++,
          sender: undefined,
          from: this.contact(rng),
          addressees: to.map((mailbox, k) => ({ kind: 'mailbox', mailbox, type: k === 0 || rng.chance(0.7) ? 'To' : 'Cc' })),
          subject: fill(rng.pick(inboundSubjects)),
        }),
      );
    }

    return byTime(items, dayStart);
  }

  private contact(rng: Random): ExternalContact {
    return this.org.contacts[rng.cumulative(this.org.contactCumulative)]!;
  }

  /** the recipients a mailbox addresses one message to */
  private addressees(rng: Random, sender: Mailbox): Addressee[] {
    const org = this.org;
    const n = recipientCounts[rng.cumulative(countCum)]!.n;
    const out: Addressee[] = [];
    const chosen = new Set<Mailbox>([sender]);
    const team = sender.team >= 0 ? org.teams[sender.team] : undefined;
    const type = (): RecipientType => {
      if (out.length === 0) return 'To';
      const r = rng.float();
      return r < 0.55 ? 'To' : r < 0.93 ? 'Cc' : 'Bcc';
    };
    if (team && team.members.length >= 3 && rng.chance(rates.teamGroup)) out.push({ kind: 'group', group: team.group, type: 'To' });
    for (let guard = 0; out.length < n && guard < 4 * n + 8; guard++) {
      if (rng.chance(sender.externalShare)) {
        const contact = this.outbound[rng.cumulative(this.outboundCum)]!;
        if (rng.chance(rates.externalReject)) {
          out.push({ kind: 'external', address: typo(rng, contact.address), contact, rejects: true, type: type() });
        } else if (!out.some((a) => a.kind === 'external' && a.address === contact.address)) {
          out.push({ kind: 'external', address: contact.address, contact, rejects: false, type: type() });
        }
        continue;
      }
      if (rng.chance(rates.typo)) {
        const address = typo(rng, rng.pick(org.mailboxes).address);
        if (!this.known.has(address)) {
          out.push({ kind: 'unknown', address, type: type() });
          continue;
        }
      }
      let picked: Mailbox | undefined;
      for (let attempt = 0; attempt < 6 && !picked; attempt++) {
        const m =
          team && team.members.length >= 2 && rng.chance(0.5) ? team.members[rng.cumulative(team.cumulative)]! : org.mailboxes[rng.cumulative(org.cumulative)]!;
        if (!chosen.has(m)) picked = m;
      }
      if (!picked) break; // a tiny organisation: nobody left to add
      chosen.add(picked);
      out.push({ kind: 'mailbox', mailbox: picked, type: type() });
    }
    if (out.length === 0) {
      // a one-mailbox organisation: mail goes to the internet
      const contact = this.outbound[rng.cumulative(this.outboundCum)]!;
      out.push({ kind: 'external', address: contact.address, contact, rejects: false, type: 'To' });
    }
    return out;
  }

  /** completes a message: size, client, priority and the resolution of its addressees */
  private resolve(rng: Random, m: Pick<PlannedMessage, 'time' | 'order' | 'sender' | 'from' | 'addressees' | 'subject'>): PlannedMessage {
    const deliveries: Delivery[] = [];
    const duplicates: Mailbox[] = [];
    const expansions: DistributionGroup[] = [];
    const externals: ExternalContact[] = [];
    const failures: Failure[] = [];
    const reached = new Set<Mailbox>();
    for (const a of m.addressees) {
      if (a.kind === 'mailbox') {
        if (reached.has(a.mailbox)) duplicates.push(a.mailbox);
        else {
          reached.add(a.mailbox);
          deliveries.push({ mailbox: a.mailbox, via: undefined });
        }
      } else if (a.kind === 'external') {
        if (a.rejects) failures.push({ address: a.address, remote: true, contact: a.contact });
        else externals.push(a.contact);
      } else if (a.kind === 'unknown') {
        failures.push({ address: a.address, remote: false, contact: undefined });
      }
    }
    for (const a of m.addressees) {
      if (a.kind !== 'group') continue;
      expansions.push(a.group);
      for (const member of a.group.members) {
        if (reached.has(member)) duplicates.push(member);
        else {
          reached.add(member);
          deliveries.push({ mailbox: member, via: a.group });
        }
      }
    }
    const s = sizeMix[rng.cumulative(sizeCum)]!;
    const size = Math.round(Math.min(s.max, Math.max(s.min, s.median * Math.exp(s.sigma * rng.normal()))));
    const r = rng.float();
    // every property written out, in one order: one object shape for all messages
    return {
      kind: 'message',
      time: m.time,
      order: m.order,
      sender: m.sender,
      from: m.from,
      addressees: m.addressees,
      size,
      subject: m.subject,
      attachment: s !== sizeMix[0],
      priority: r < rates.highPriority ? 1 : r < rates.highPriority + 0.005 ? -1 : 0,
      client: clients[rng.cumulative(clientCum)]!,
      deliveries,
      duplicates,
      expansions,
      externals,
      failures,
      redelivered: deliveries.length && rng.chance(rates.duplicateDeliver) ? rng.pick(deliveries).mailbox : undefined,
    };
  }
}

/** items of one day (`order` = position in the array) sorted by time, ties in order */
function byTime(items: PlannedItem[], dayStart: number): PlannedItem[] {
  const slots = 1 << 22;
  if (items.length >= slots) return items.sort((a, b) => a.time - b.time || a.order - b.order);
  // (time in the day, order) packed into one exact double: a numeric sort without a comparator
  const keys = new Float64Array(items.length);
  for (let i = 0; i < items.length; i++) keys[i] = (items[i]!.time - dayStart) * slots + i;
  keys.sort();
  return Array.from(keys, (k) => items[k % slots]!);
}

/** ms after midnight, by hourly weights, never after LAST_START_MS */
function sampleTime(rng: Random, hourCum: Float64Array): number {
  const hour = rng.cumulative(hourCum);
  return hour * 3_600_000 + rng.int(0, Math.min(3_599_999, LAST_START_MS - hour * 3_600_000));
}

/** an address with one letter of its local part dropped or doubled */
function typo(rng: Random, address: string): string {
  const at = address.indexOf('@');
  const local = address.slice(0, at);
  const i = rng.int(1, Math.max(1, local.length - 1));
  const mangled = rng.chance(0.5) ? local.slice(0, i) + local.slice(i + 1) : local.slice(0, i) + local[i - 1] + local.slice(i);
  return `${mangled || 'x'}${address.slice(at)}`;
}

function fillSubject(rng: Random, template: string, date: Date): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    switch (k) {
      case 'n':
        return String(rng.int(100, 9999));
      case 'q':
        return String(rng.int(1, 4));
      case 'month':
        return months[date.getUTCMonth()]!;
      case 'day':
        return `${months[(date.getUTCMonth() + (rng.chance(0.2) ? 1 : 0)) % 12]!.slice(0, 3)} ${rng.int(1, 28)}`;
      case 'name':
        return rng
          .pick(externalDomains)
          .name.split('.')[0]!
          .replace(/^./, (c) => c.toUpperCase());
      default:
        return k;
    }
  });
}
