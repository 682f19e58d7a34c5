// Exchange 4.0/5.0/5.5 message tracking logs: \Exchsrvr\Tracking.log\yyyymmdd.log on every server,
// no header, multi-line entries (KB Q173280): a first line with fields 1–13 (message id, event,
// `2024.3.4 10:12:09`, gateway, partner, remote id, originator DN, priority, length, seconds, cost,
// subject id, recipient count), then one line `\t<recipient>\t<status>` per recipient.
// Events (KB Q173364): 4 submission with remote recipients and 1000 local delivery (submission plus
// delivery of the recipients on the sender's server; a message with both logs both, with one message
// id), 26 distribution list expansion, 7 / 0 transfer out / in between MTAs, 9 delivery, 1012 / 1004
// mail from the internet through the Internet Mail Service on the first server, 1010 / 1011 mail to
// the internet, 34 / 8 / 2 / 10 for the non-delivery report (10 is not a counted delivery). Users are
// their DNs; lengths are the same on every event of a message, 30–46 % above the store's size.
import type { ExternalContact, Mailbox, Server } from './org.js';
import { addressOf, internetCopies, type PlannedMessage } from './plan.js';
import type { Slot } from './sink.js';
import { groupBy, iso, stamp, type Generation, type RenderContext, type Renderer } from './generation.js';
import { organisation } from './tables.js';

export const exchange55: Generation = {
  title: 'Exchange 4.0/5.0/5.5 (tab-delimited, multi-line entries)',
  layout: {
    stem: (server, _stream, t) => `${server.name}/Tracking.log/${stamp(t, false)}`,
    name: (stem) => `${stem}.log`,
    header: () => [],
    bom: false,
    maxBytes: Infinity,
  },
  renderer: (ctx) => new Renderer55(ctx),
};

const o = `/O=${organisation.legacyOrg}/OU=${organisation.legacySite}`;
const mdbOf = (s: Server): string => `${o}/CN=CONFIGURATION/CN=SERVERS/CN=${s.name}/CN=MICROSOFT PRIVATE MDB`;
const mtaOf = (s: Server): string => `${o}/CN=CONFIGURATION/CN=SERVERS/CN=${s.name}/CN=MICROSOFT MTA`;
const imsOf = (s: Server): string => `Internet Mail Service (${s.name})`;
/** a mailbox's key in the truth: its DN in lower case */
const key = (x: Mailbox): string => x.dn.toLowerCase();
/** a recipient that is not in the directory, as the IMS writes it */
const proxy = (address: string): string => `SMTP:${address}`;

interface Recipient55 {
  readonly name: string;
  readonly status: string;
}

/** what every entry of one message carries */
interface Entry55 {
  readonly id: string;
  readonly originator: string;
  readonly priority: number;
  readonly length: number;
}

class Renderer55 implements Renderer {
  private readonly slots: Slot[];
  private readonly counters: number[];

  constructor(private readonly ctx: RenderContext) {
    this.slots = ctx.org.servers.map((s) => ctx.sink.slot(s, 'log'));
    this.counters = ctx.org.servers.map(() => ctx.rng.int(1000, 30000));
  }

  quota(): void {
    // Exchange 5.5 does not log quota warnings in message tracking
  }

  message(m: PlannedMessage): void {
    if (m.sender) this.internal(m, m.sender);
    else this.inbound(m, m.from!);
  }

  private internal(m: PlannedMessage, sender: Mailbox): void {
    const { rng, truth } = this.ctx;
    const home = sender.server;
    const e: Entry55 = { id: this.mtsId(home, m.time), originator: sender.dn, priority: m.priority, length: this.length(m.size) };
    let t = m.time;
    const localDirect = m.deliveries.filter((d) => !d.via && d.mailbox.server === home).map((d) => d.mailbox);
    const others = m.addressees
      .filter((a) => !(a.kind === 'mailbox' && a.mailbox.server === home))
      .map((a): Recipient55 => {
        switch (a.kind) {
          case 'mailbox':
            return { name: a.mailbox.dn, status: '' };
          case 'group':
            return { name: a.group.dn, status: '' };
          default:
            return { name: proxy(a.address), status: '' };
        }
      });
    if (others.length) this.entry(t, home, e, 4, { partner: mdbOf(home) }, others);
    if (localDirect.length) {
      this.entry(
        t,
        home,
        e,
        1000,
        { partner: mdbOf(home) },
        localDirect.map((x) => ({ name: x.dn, status: '' })),
      );
      for (const x of localDirect) truth.deliver(key(x), e.length, t);
    }
    truth.submit(key(sender), e.length, t);

    t += rng.int(1000, 3000);
    t = this.expandAndDeliver(t, home, e, m, localDirect);
    const internet = internetCopies(m);
    if (internet.length) {
      const ims = this.ctx.org.servers[0]!;
      const all = internet.flatMap((c) => [...c.accepted, ...c.rejected]).map((a) => ({ name: proxy(a), status: '' }));
      t += rng.int(1000, 3000);
      if (ims !== home) t = this.transfer(t, home, ims, e, all);
      this.entry(t, ims, e, 1010, { gateway: imsOf(ims) }, all);
      const accepted = internet.flatMap((c) => c.accepted);
      t += rng.int(1000, 8000);
      if (accepted.length) {
        this.entry(
          t,
          ims,
          e,
          1011,
          { gateway: imsOf(ims), remote: `<${rng.hex(32).toUpperCase()}@${ims.fqdn}>` },
          accepted.map((a) => ({ name: proxy(a), status: '' })),
        );
      }
    }
    if (m.failures.length) {
      // the non-delivery report: generated where the failure is seen, delivered to the sender
      const at = m.failures.some((x) => x.remote) ? this.ctx.org.servers[0]! : home;
      const report: Entry55 = { ...e, originator: mtaOf(at) };
      const reportId = this.mtsId(at, t);
      t += rng.int(1000, 3000);
      this.entry(
        t,
        at,
        report,
        34,
        { partner: mtaOf(at), subject: reportId },
        m.failures.map((x) => ({ name: proxy(x.address), status: '1' })),
      );
      const to = [{ name: sender.dn, status: '0' }];
      if (at !== home) {
        this.entry(t, at, report, 8, { partner: mtaOf(home), subject: reportId }, to);
        t += rng.int(1000, 3000);
        this.entry(t, home, report, 2, { partner: mtaOf(at), subject: reportId }, to);
      }
      this.entry(t + rng.int(0, 1000), home, report, 10, { partner: mdbOf(home), subject: reportId }, to);
    }
  }

  private inbound(m: PlannedMessage, from: ExternalContact): void {
    const { rng } = this.ctx;
    const ims = this.ctx.org.servers[0]!;
    const e: Entry55 = { id: this.mtsId(ims, m.time), originator: proxy(from.address), priority: m.priority, length: this.length(m.size) };
    const addressed = m.addressees.map(
      (a): Recipient55 => ({
        name: a.kind === 'mailbox' ? a.mailbox.dn : a.kind === 'group' ? a.group.dn : proxy(addressOf(a)),
        status: '',
      }),
    );
    let t = m.time;
    this.entry(t, ims, e, 1012, { gateway: imsOf(ims), remote: `<${stamp(t, true)}.${rng.hex(12)}@${from.domain.mx}>` }, addressed);
    t += rng.int(1000, 3000);
    this.entry(t, ims, e, 1004, { gateway: imsOf(ims), partner: mtaOf(ims) }, addressed);
    this.expandAndDeliver(t + rng.int(1000, 3000), ims, e, m, []);
  }

  /** 26 per group, then 9 for the recipients on `server` not yet delivered, and 7 / 0 / 9 for the
   *  recipients on each other server; returns the clock */
  private expandAndDeliver(t: number, server: Server, e: Entry55, m: PlannedMessage, done: readonly Mailbox[]): number {
    const { rng, truth, org } = this.ctx;
    for (const g of m.expansions) {
      this.entry(
        t,
        server,
        e,
        26,
        { partner: mtaOf(server) },
        g.members.map((x) => ({ name: x.dn, status: '' })),
      );
      t += rng.int(0, 1000);
    }
    let end = t;
    const pending = m.deliveries.filter((d) => !done.includes(d.mailbox));
    for (const [index, list] of groupBy(pending, (d) => d.mailbox.server.index)) {
      const target = org.servers[index]!;
      const rcpts = list.map((d) => ({ name: d.mailbox.dn, status: '' }));
      let at = t + rng.int(0, 2000);
      if (target !== server) at = this.transfer(at, server, target, e, rcpts);
      at += rng.int(0, 2000);
      this.entry(at, target, e, 9, { partner: mdbOf(target) }, rcpts);
      for (const d of list) truth.deliver(key(d.mailbox), e.length, at);
      end = Math.max(end, at);
    }
    return end;
  }

  /** 7 on `from`, 0 on `to`; returns the clock */
  private transfer(t: number, from: Server, to: Server, e: Entry55, rcpts: readonly Recipient55[]): number {
    this.entry(t, from, e, 7, { partner: mtaOf(to) }, rcpts);
    t += this.ctx.rng.int(1000, 4000);
    this.entry(t, to, e, 0, { partner: mtaOf(from) }, rcpts);
    return t;
  }

  /** C=US;A= ;P=CONTOSO;L=EX01-240304101209Z-1234 */
  private mtsId(server: Server, t: number): string {
    const s = iso(t);
    const x = organisation.x400;
    const stamp12 = s.slice(2, 4) + s.slice(5, 7) + s.slice(8, 10) + s.slice(11, 13) + s.slice(14, 16) + s.slice(17, 19);
    return `C=${x.c};A=${x.a};P=${x.p};L=${server.name}-${stamp12}Z-${++this.counters[server.index]!}`;
  }

  /** the tracking log's length: 30–46 % above the size in the store */
  private length(size: number): number {
    return Math.round(size * this.ctx.rng.real(1.3, 1.46));
  }

  private entry(
    t: number,
    server: Server,
    e: Entry55,
    event: number,
    f: { gateway?: string; partner?: string; remote?: string; subject?: string },
    recipients: readonly Recipient55[],
  ): void {
    const d = new Date(t);
    const time = iso(t).slice(11, 19);
    let text = [
      e.id,
      event,
      `${d.getUTCFullYear()}.${d.getUTCMonth() + 1}.${d.getUTCDate()} ${time}`,
      f.gateway ?? '',
      f.partner ?? '',
      f.remote ?? '',
      e.originator,
      e.priority,
      e.length,
      0,
      0,
      f.subject ?? '',
      recipients.length,
    ].join('\t');
    for (const r of recipients) text += `\r\n\t${r.name}\t${r.status}`;
    this.ctx.sink.emit(t, this.slots[server.index]!, text);
  }
}
