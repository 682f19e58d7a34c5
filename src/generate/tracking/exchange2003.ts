// Exchange 2000/2003 message tracking logs: \Exchsrvr\<SERVER>.log\yyyymmdd.log, tab-delimited,
// 20 fields, one line per recipient, `-` for empty. MSGID (field 10) is the RFC message id without
// brackets; Linked-MSGID (field 18) is the X.400 MTS-ID and the same on every line of one message on
// every server. Per message: 1027 (MAPI submission, sender in field 20) on the sender's server,
// 1025 / 1024 / 1033 through the categorizer, 1036 + 1028 (local delivery) per local recipient,
// 1034 / 1020 / 1031 to another server, which logs 1019 / 1025 / 1024 / 1033 / 1036 / 1028, and to
// the internet; mail from the internet arrives with 1019 on the first server; 1030 + an NDR
// delivered with 1028 for addresses that fail.
import type { ExternalContact, Mailbox, Server } from './org.js';
import { addressOf, internetCopies, type PlannedMessage } from './plan.js';
import type { Slot } from './sink.js';
import { groupBy, iso, stamp, type Generation, type RenderContext, type Renderer } from './generation.js';
import { organisation } from './tables.js';

const fields2003 = [
  'Date',
  'Time',
  'client-ip',
  'Client-hostname',
  'Partner-Name',
  'Server-hostname',
  'server-IP',
  'Recipient-Address',
  'Event-ID',
  'MSGID',
  'Priority',
  'Recipient-Report-Status',
  'total-bytes',
  'Number-Recipients',
  'Origination-Time',
  'Encryption',
  'service-Version',
  'Linked-MSGID',
  'Message-Subject',
  'Sender-Address',
] as const;

/** the SMTP service version logged on SMTP events (Windows Server 2003 SP2) */
const smtpVersion = 'Version: 6.0.3790.4675';

export const exchange2003: Generation = {
  title: 'Exchange 2000/2003 (tab-delimited, 20 fields, one line per recipient)',
  layout: {
    stem: (server, _stream, t) => `${server.name}.log/${stamp(t, false)}`,
    name: (stem) => `${stem}.log`,
    header: () => ['# Message Tracking Log File', '# Exchange System Attendant Version 6.5.7638.1', `# ${fields2003.join('\t')}`],
    bom: false,
    maxBytes: Infinity,
  },
  renderer: (ctx) => new Renderer2003(ctx),
};

/** fields of one line other than date, time, recipient and event */
interface Line {
  clientIp?: string;
  clientHost?: string;
  partner?: string;
  server: Server;
  serverIp?: string;
  status?: number;
  count: number;
  version?: string;
}

/** what every line of one message carries */
interface Message2003 {
  readonly msgid: string;
  readonly linked: string;
  readonly priority: number;
  readonly bytes: number;
  readonly origin: string;
  readonly subject: string;
  readonly sender: string;
}

const clean = (s: string): string =>
  s
    .replace(/[\t\r\n]/g, ' ')
    .normalize('NFD')
    .replace(/[^\x20-\x7e]/g, '') || '-';

class Renderer2003 implements Renderer {
  private readonly slots: Slot[];
  private readonly counters: number[];

  constructor(private readonly ctx: RenderContext) {
    this.slots = ctx.org.servers.map((s) => ctx.sink.slot(s, 'log'));
    this.counters = ctx.org.servers.map(() => ctx.rng.int(1, 400));
  }

  quota(): void {
    // Exchange 2003 does not log quota warnings in message tracking
  }

  message(m: PlannedMessage): void {
    if (m.sender) this.internal(m, m.sender);
    else this.inbound(m, m.from!);
  }

  private internal(m: PlannedMessage, sender: Mailbox): void {
    const { rng, truth } = this.ctx;
    const home = sender.server;
    let t = m.time;
    const msg = this.describe(m, home, sender.smtp, `${rng.hex(36).toUpperCase()}@${home.fqdn.toLowerCase()}`, m.size);
    const addressed = m.addressees.map(addressOf);
    const n = addressed.length;
    for (const a of addressed) this.line(t, a, 1027, msg, { server: home, count: n });
    truth.submit(sender.address, msg.bytes, t);
    t += rng.int(1000, 2000);
    this.categorize(t, msg, home, addressed, m);
    t += rng.int(1000, 2000);
    t = this.route(t, msg, home, m);
    if (m.failures.length) {
      // the NDR, from the postmaster, delivered to the sender's mailbox
      const ndr = this.describe(
        m,
        home,
        `postmaster@${organisation.domain}`,
        `${rng.hex(36).toUpperCase()}@${home.fqdn.toLowerCase()}`,
        5_500 + rng.int(0, 4_000) + Math.min(m.size, 20_000),
        `Undeliverable: ${m.subject}`,
      );
      t += rng.int(1000, 3000);
      this.line(t, sender.address, 1036, ndr, { server: home, serverIp: home.ipv4, count: 1, version: smtpVersion });
      this.line(t, sender.address, 1028, ndr, { server: home, count: 1 });
      truth.deliver(sender.address, ndr.bytes, t);
    }
  }

  private inbound(m: PlannedMessage, from: ExternalContact): void {
    const { rng } = this.ctx;
    const entry = this.ctx.org.servers[0]!;
    let t = m.time;
    const msg = this.describe(m, entry, from.address, `${stamp(t, true)}.${rng.hex(12)}@${from.domain.mx}`, m.size);
    const addressed = m.addressees.map(addressOf);
    for (const a of addressed) {
      this.line(t, a, 1019, msg, {
        clientIp: from.domain.ip,
        clientHost: from.domain.mx,
        server: entry,
        serverIp: entry.ipv4,
        count: addressed.length,
        version: smtpVersion,
      });
    }
    t += rng.int(1000, 2000);
    this.categorize(t, msg, entry, addressed, m);
    this.route(t + rng.int(1000, 2000), msg, entry, m);
  }

  /** 1025 / 1024 per address as addressed, then 1033 per resolved recipient and 1030 per unknown one */
  private categorize(t: number, msg: Message2003, server: Server, addressed: readonly string[], m: PlannedMessage): void {
    const smtp: Line = { clientIp: server.ipv4, clientHost: server.fqdn, server, serverIp: server.ipv4, count: addressed.length, version: smtpVersion };
    for (const a of addressed) this.line(t, a, 1025, msg, smtp);
    for (const a of addressed) this.line(t, a, 1024, msg, smtp);
    const resolved = [
      ...m.deliveries.map((d) => d.mailbox.address),
      ...m.externals.map((c) => c.address),
      ...m.failures.filter((x) => x.remote).map((x) => x.address),
    ];
    for (const r of resolved) this.line(t + 1000, r, 1033, msg, { ...smtp, count: resolved.length });
    for (const x of m.failures) if (!x.remote) this.line(t + 1000, x.address, 1030, msg, { ...smtp, count: 1, status: 1 });
  }

  /** local delivery, relay to the other servers, the internet; returns the clock */
  private route(t: number, msg: Message2003, server: Server, m: PlannedMessage): number {
    const { rng, truth, org } = this.ctx;
    let end = t;
    for (const [index, list] of groupBy(m.deliveries, (d) => d.mailbox.server.index)) {
      const target = org.servers[index]!;
      const rcpts = list.map((d) => d.mailbox.address);
      let at = t + rng.int(0, 2000);
      if (target !== server) {
        at = this.relay(at, msg, server, rcpts, target.fqdn, target.ipv4);
        const smtp: Line = { clientIp: server.ipv4, clientHost: server.fqdn, server: target, serverIp: target.ipv4, count: rcpts.length, version: smtpVersion };
        at += rng.int(1000, 2000);
        for (const r of rcpts) this.line(at, r, 1019, msg, smtp);
        for (const r of rcpts) this.line(at, r, 1025, msg, smtp);
        for (const r of rcpts) this.line(at, r, 1024, msg, smtp);
        at += rng.int(0, 1000);
        for (const r of rcpts) this.line(at, r, 1033, msg, smtp);
      }
      at += rng.int(0, 1000);
      const local: Line = { server: target, serverIp: target.ipv4, count: rcpts.length, version: smtpVersion };
      for (const r of rcpts) this.line(at, r, 1036, msg, local);
      at += rng.int(0, 2000);
      for (const r of rcpts) {
        this.line(at, r, 1028, msg, { server: target, count: rcpts.length });
        truth.deliver(r, msg.bytes, at);
      }
      end = Math.max(end, at);
    }
    for (const { domain: d, accepted, rejected } of internetCopies(m)) {
      let at = t + rng.int(1000, 4000);
      if (accepted.length) at = this.relay(at, msg, server, accepted, d.mx, d.ip);
      for (const address of rejected) {
        this.line(at, address, 1020, msg, { partner: d.mx, server, serverIp: d.ip, count: 1, version: smtpVersion });
        this.line(at + 1000, address, 1030, msg, { server, serverIp: server.ipv4, count: 1, status: 1, version: smtpVersion });
      }
      end = Math.max(end, at + 1000);
    }
    return end;
  }

  /** 1034 / 1020 / 1031 on `server` for recipients relayed to `host`; returns the clock */
  private relay(t: number, msg: Message2003, server: Server, rcpts: readonly string[], host: string, ip: string): number {
    const { rng } = this.ctx;
    const n = rcpts.length;
    for (const r of rcpts) this.line(t, r, 1034, msg, { server, serverIp: server.ipv4, count: n, version: smtpVersion });
    t += rng.int(0, 1000);
    for (const r of rcpts) this.line(t, r, 1020, msg, { partner: host, server, serverIp: ip, count: n, version: smtpVersion });
    t += rng.int(0, 2000);
    for (const r of rcpts) this.line(t, r, 1031, msg, { partner: host, server, serverIp: ip, count: n, version: smtpVersion });
    return t;
  }

  private describe(m: PlannedMessage, server: Server, sender: string, msgid: string, bytes: number, subject = m.subject): Message2003 {
    const t = m.time;
    const counter = ++this.counters[server.index]!;
    const s = iso(t);
    const x = organisation.x400;
    return {
      msgid,
      bytes,
      sender,
      subject: clean(subject),
      priority: m.priority,
      origin: `${s.slice(0, 10)} ${s.slice(11, 19)} GMT`,
      linked: `c=${x.c};a=${x.a};p=${x.p};l=${server.name}-${s.slice(2, 4)}${s.slice(5, 7)}${s.slice(8, 10)}${s.slice(11, 13)}${s.slice(14, 16)}${s.slice(17, 19)}Z-${counter}`,
    };
  }

  private line(t: number, recipient: string, event: number, msg: Message2003, l: Line): void {
    const s = iso(t);
    const text = [
      s.slice(0, 10),
      `${s.slice(11, 19)} GMT`,
      l.clientIp ?? '-',
      l.clientHost ?? '-',
      l.partner ?? '-',
      l.server.name,
      l.serverIp ?? '-',
      recipient,
      event,
      msg.msgid,
      msg.priority,
      l.status ?? 0,
      msg.bytes,
      l.count,
      msg.origin,
      0,
      l.version ?? '-',
      msg.linked,
      msg.subject,
      msg.sender,
    ].join('\t');
    this.ctx.sink.emit(t, this.slots[l.server.index]!, text);
  }
}
