// Exchange 2007, 2010 and 2013+ message tracking logs (MSGTRK*.LOG, CSV). One renderer; what differs
// between the generations is data (`msgtrkProfiles`): the field list, the version, the file names,
// how mail is submitted (2007/2010: SUBMIT on the mailbox server then RECEIVE/STOREDRIVER on the hub;
// 2013+: NOTIFYMAPI, RECEIVE/STOREDRIVER and SUBMIT by Mailbox Transport Submission, then a second
// RECEIVE over SMTP on a transport server), shadow redundancy, agents, and how mail is delivered
// (2007/2010: the hub of the mailbox's site delivers, after SEND/RECEIVE between sites; 2013+: SEND to
// Mailbox Transport Delivery, which logs DELIVER in MSGTRKMD).
//
// Entries are built as arrays in the 30-column 2013 order (`col`) holding CSV-ready text (values that
// can contain commas or quotes go through `csv()` when they are made); a profile writes the columns
// its generation has, in its order.
import type { ExternalContact, Mailbox, Server } from './org.js';
import { addressOf, internetCopies, type PlannedMessage, type QuotaWarning } from './plan.js';
import type { Random } from './random.js';
import type { Slot } from './sink.js';
import { groupBy, iso, secs, stamp, type Generation, type RenderContext, type Renderer } from './generation.js';
import { organisation } from './tables.js';

const fields2007 = [
  'date-time',
  'client-ip',
  'client-hostname',
  'server-ip',
  'server-hostname',
  'source-context',
  'connector-id',
  'source',
  'event-id',
  'internal-message-id',
  'message-id',
  'recipient-address',
  'recipient-status',
  'total-bytes',
  'recipient-count',
  'related-recipient-address',
  'reference',
  'message-subject',
  'sender-address',
  'return-path',
  'message-info',
] as const;
const fields2010 = [...fields2007, 'directionality', 'tenant-id', 'original-client-ip', 'original-server-ip', 'custom-data'] as const;
const fields2013 = [...fields2010.slice(0, 11), 'network-message-id', ...fields2010.slice(11), 'transport-traffic-type', 'log-id', 'schema-version'] as const;
type MsgtrkField = (typeof fields2013)[number];

/** column positions of an entry (the 2013 order) */
const col = Object.fromEntries(fields2013.map((f, i) => [f, i])) as { readonly [K in MsgtrkField]: number };
const COLUMNS = fields2013.length;
/** one log entry: CSV-ready text (or a number) per column, in the 2013 order */
type Entry = (string | number | undefined)[];

export interface MsgtrkProfile {
  readonly title: string;
  readonly fields: readonly MsgtrkField[];
  /** #Version: and (2013+) schema-version */
  readonly version: string;
  /** file names carry the hour (MSGTRK2024030410-1.LOG, 2013+) or only the date (MSGTRK20240304-1.LOG) */
  readonly hourlyNames: boolean;
  /** file prefixes of the transport, mailbox submission and mailbox delivery events */
  readonly streams: { readonly transport: string; readonly submission: string; readonly delivery: string };
  /** 2013+: Mailbox Transport Submission (NOTIFYMAPI, RECEIVE/STOREDRIVER, SUBMIT) and a second RECEIVE
   *  over SMTP on any transport server of the site; 2007/2010: SUBMIT, then RECEIVE/STOREDRIVER on the
   *  hub role of the same server */
  readonly submission: 'mailbox-transport' | 'hub-store-driver';
  /** HAREDIRECT on the primary, HARECEIVE on the shadow server */
  readonly shadow: boolean;
  /** AGENTINFO: on every message (anti-malware summary, 2013+), on mail with transport rules or
   *  content filtering (2010), never (2007) */
  readonly agentInfo: 'always' | 'rules' | 'never';
  readonly duplicateDeliver: boolean;
  /** TRANSFER of the expanded recipients to a forked copy after EXPAND */
  readonly transfer: boolean;
  /** nightly storage quota warnings as NOTIFYMAPI without message id (bom8 sample) */
  readonly quotaWarnings: boolean;
  readonly messageId: (rng: Random, server: Server) => string;
  readonly ndrSender: string;
  readonly clientType: 'type2013' | 'type2010';
  readonly unknownRecipient: string;
  /** the receive connector that takes mail from the internet, by server name */
  readonly internetConnector: (server: string) => string;
  /** first hex digits of SMTP session ids (they grow with the date) */
  readonly sessionPrefix: string;
}

const domain = organisation.domain;
const forest = `S:DeliveryPriority=Normal;S:AccountForest=${domain}`;

export const msgtrkProfiles = {
  '2013': {
    title: 'Exchange 2013 CU and later: 2016, 2019, SE (CSV, 30 fields; MSGTRK, MSGTRKMS, MSGTRKMD)',
    fields: fields2013,
    version: '15.01.2507.006',
    hourlyNames: true,
    streams: { transport: 'MSGTRK', submission: 'MSGTRKMS', delivery: 'MSGTRKMD' },
    submission: 'mailbox-transport',
    shadow: true,
    agentInfo: 'always',
    duplicateDeliver: true,
    transfer: false,
    quotaWarnings: true,
    messageId: (rng, s) => `<${rng.hex(32)}@${s.fqdn}>`,
    ndrSender: `MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@${domain}`,
    clientType: 'type2013',
    unknownRecipient: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found',
    internetConnector: (s) => `${s}\\Default Frontend ${s}`,
    sessionPrefix: '08DC',
  },
  '2010': {
    title: 'Exchange 2010 (CSV, 26 fields)',
    fields: fields2010,
    version: '14.03.0513.000',
    hourlyNames: false,
    streams: { transport: 'MSGTRK', submission: 'MSGTRK', delivery: 'MSGTRK' },
    submission: 'hub-store-driver',
    shadow: false,
    agentInfo: 'rules',
    duplicateDeliver: false,
    transfer: true,
    quotaWarnings: true,
    messageId: (rng, s) => `<${rng.hex(36).toUpperCase()}@${s.fqdn.toLowerCase()}>`,
    ndrSender: `MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@${domain}`,
    clientType: 'type2010',
    unknownRecipient: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found',
    internetConnector: (s) => `${s}\\Default ${s}`,
    sessionPrefix: '08D1',
  },
  '2007': {
    title: 'Exchange 2007 (CSV, 21 fields)',
    fields: fields2007,
    version: '08.03.0485.001',
    hourlyNames: false,
    streams: { transport: 'MSGTRK', submission: 'MSGTRK', delivery: 'MSGTRK' },
    submission: 'hub-store-driver',
    shadow: false,
    agentInfo: 'never',
    duplicateDeliver: false,
    transfer: true,
    quotaWarnings: false,
    messageId: (rng, s) => `<${rng.hex(36).toUpperCase()}@${s.fqdn.toLowerCase()}>`,
    ndrSender: `postmaster@${domain}`,
    clientType: 'type2010',
    unknownRecipient: '550 5.1.1 User unknown',
    internetConnector: (s) => `${s}\\Default ${s}`,
    sessionPrefix: '08CD',
  },
} as const satisfies Record<string, MsgtrkProfile>;

/** a value as a CSV field: quoted when it holds a comma, a quote or a line break */
function csv(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** a copy of `base` with columns changed: edit(base, col.x, value, col.y, value …) */
function edit(base: Entry, ...changes: (string | number | undefined)[]): Entry {
  const e = base.slice();
  for (let i = 0; i < changes.length; i += 2) e[changes[i] as number] = changes[i + 1];
  return e;
}

/** the Generation of one CSV profile */
export function msgtrkGeneration(p: MsgtrkProfile): Generation {
  return {
    title: p.title,
    layout: {
      stem: (server, stream, t) => `${server.name}/${stream}${stamp(t, p.hourlyNames)}`,
      name: (stem, seq) => `${stem}-${seq}.LOG`,
      header: (t) => [
        '#Software: Microsoft Exchange Server',
        `#Version: ${p.version}`,
        '#Log-type: Message Tracking Log',
        `#Date: ${iso(t)}`,
        `#Fields: ${p.fields.join(',')}`,
      ],
      bom: true,
      maxBytes: 10 * 1024 * 1024,
    },
    renderer: (ctx) => new MsgtrkRenderer(p, ctx),
  };
}

/** one message on its way through the organisation */
interface Flight {
  /** the clock: time of the last event logged */
  t: number;
  /** when the client created it (internal) or the sending host started (internet) */
  readonly created: number;
  /** the transport server routing it */
  readonly hub: Server;
  /** columns every transport event of the message carries */
  readonly hop: Entry;
  readonly transportBytes: number;
  readonly messageId: string;
  /** message-info of the hops before routing (latency trail) */
  readonly trail: string;
}

class MsgtrkRenderer implements Renderer {
  private readonly transportSlots: Slot[];
  private readonly submissionSlots: Slot[];
  private readonly deliverySlots: Slot[];
  /** per-server internal-message-id counters of the transport and mailbox services */
  private readonly transportIds: number[];
  private readonly mailboxIds: number[];
  /** per-server MAPI event counters */
  private readonly mapiEvents: number[];
  /** the profile's columns as positions in an Entry; undefined when they are all, in order (2013+) */
  private readonly columns: number[] | undefined;
  /** the profile has log-id and schema-version (2013+) */
  private readonly stamped: boolean;

  constructor(
    private readonly p: MsgtrkProfile,
    private readonly ctx: RenderContext,
  ) {
    const { sink, org, rng } = ctx;
    this.transportSlots = org.servers.map((s) => sink.slot(s, p.streams.transport));
    this.submissionSlots = org.servers.map((s) => sink.slot(s, p.streams.submission));
    this.deliverySlots = org.servers.map((s) => sink.slot(s, p.streams.delivery));
    this.transportIds = org.servers.map(() => rng.int(1_000_000, 90_000_000) * 1_000_000 + rng.int(0, 999_999));
    this.mailboxIds = org.servers.map(() => rng.int(200, 9000));
    this.mapiEvents = org.servers.map(() => rng.int(1_000_000, 300_000_000));
    this.columns = p.fields.length === COLUMNS ? undefined : p.fields.map((f) => col[f]);
    this.stamped = p.fields.includes('log-id');
  }

  quota(q: QuotaWarning): void {
    if (!this.p.quotaWarnings) return;
    const { rng } = this.ctx;
    const m = q.mailbox;
    const e: Entry = new Array(COLUMNS);
    e[col['source-context']] = csv(
      `MDB:${m.database.guid}, Mailbox:${m.guid}, Event:${this.mapiEvent(m.server)}, ` +
        `MessageClass:IPM.Note.StorageQuotaWarning.Warning, CreationTime:${iso(q.time - rng.int(900, 1100))}, ClientType:System`,
    );
    e[col.source] = 'STOREDRIVER';
    e[col['event-id']] = 'NOTIFYMAPI';
    e[col['custom-data']] = `S:ItemEntryId=${rng.bytesDashed(70)}`;
    this.emit(q.time, this.submissionSlots[m.server.index]!, e);
  }

  message(m: PlannedMessage): void {
    if (m.sender) this.internal(m, m.sender);
    else this.inbound(m, m.from!);
  }

  // ---------------------------------------------------------------------------------------------
  // submission

  private internal(m: PlannedMessage, sender: Mailbox): void {
    const { rng, truth, org } = this.ctx;
    const p = this.p;
    const home = sender.server;
    const created = m.time - rng.int(80, 600);
    let t = m.time;
    const messageId = p.messageId(rng, home);
    const base: Entry = new Array(COLUMNS);
    base[col['message-id']] = messageId;
    base[col['network-message-id']] = rng.guid();
    base[col['message-subject']] = csv(m.subject);
    base[col['sender-address']] = sender.smtp;
    base[col['return-path']] = sender.smtp;
    base[col.directionality] = 'Originating';
    base[col['original-client-ip']] = sender.workstation;
    base[col['transport-traffic-type']] = 'Email';
    const addressed = m.addressees.map(addressOf).join(';');
    const types = m.addressees.map((a) => a.type).join(';');
    const count = m.addressees.length;
    const mdb =
      `MDB:${sender.database.guid}, Mailbox:${sender.guid}, Event:${this.mapiEvent(home)}, MessageClass:IPM.Note, ` +
      `CreationTime:${iso(created)}, ClientType:${m.client[p.clientType]}`;
    const item = `S:ItemEntryId=${rng.bytesDashed(46)}`;
    const scoped = `${home.ipv6}%${home.scope}`;
    let hub: Server;
    let trail: string;
    /** the hub's id of the message (2007/2010: the one its RECEIVE/STOREDRIVER logged) */
    let transportId: string | undefined;

    if (p.submission === 'mailbox-transport') {
      hub = rng.pick(org.servers);
      const slot = this.submissionSlots[home.index]!;
      const context = `${mdb}, SubmissionAssistant:MailboxTransportSubmissionEmailAssistant`;
      const assistant = csv(context);
      const notify: Entry = new Array(COLUMNS);
      notify[col['client-ip']] = scoped;
      notify[col['client-hostname']] = home.name;
      notify[col['source-context']] = assistant;
      notify[col.source] = 'STOREDRIVER';
      notify[col['event-id']] = 'NOTIFYMAPI';
      notify[col['sender-address']] = sender.smtp;
      notify[col['message-info']] = `${iso(created)};LSRV=${home.fqdn}:TOTAL-SUB=${secs(t - created)}|SA=${secs(t - created)}|MTSS-PEN=0.000`;
      notify[col['custom-data']] = item;
      this.emit(t, slot, notify);
      t += rng.int(40, 180);
      this.emit(
        t,
        slot,
        edit(
          base,
          col['client-ip'],
          home.ipv6,
          col['client-hostname'],
          home.fqdn,
          col['server-ip'],
          scoped,
          col['server-hostname'],
          home.name,
          col['source-context'],
          csv(`${context}, ServerMdbConnectionId:${this.session()}`),
          col.source,
          'STOREDRIVER',
          col['event-id'],
          'RECEIVE',
          col['internal-message-id'],
          ++this.mailboxIds[home.index]!,
          col['recipient-address'],
          addressed,
          col['recipient-status'],
          types,
          col['total-bytes'],
          m.size,
          col['recipient-count'],
          count,
          col['message-info'],
          '04I: ',
          col['original-server-ip'],
          scoped,
          col['custom-data'],
          `S:MailboxDatabaseGuid=${sender.database.guid};${item};${forest}`,
        ),
      );
      truth.submit(sender.address, m.size, t);
      const sa = rng.int(60, 140);
      t += rng.int(5, 40);
      trail = `${iso(created)};LSRV=${home.fqdn}:TOTAL-SUB=${secs(t - created)}|SA=${secs(sa)}|MTSS-EXT=0.000|MTSS-PEN=${secs(t - created - sa)}|MTSS-RSS=0.001`;
      this.emit(
        t,
        slot,
        edit(
          base,
          col['client-ip'],
          home.ipv4,
          col['client-hostname'],
          home.fqdn,
          col['server-ip'],
          hub.ipv4,
          col['server-hostname'],
          hub.fqdn,
          col['source-context'],
          assistant,
          col.source,
          'STOREDRIVER',
          col['event-id'],
          'SUBMIT',
          col['return-path'],
          undefined,
          col['message-info'],
          trail,
          col['custom-data'],
          item,
        ),
      );
    } else {
      hub = home;
      transportId = this.transportId(hub);
      this.emit(
        t,
        this.transportSlots[home.index]!,
        edit(
          base,
          col['client-ip'],
          home.ipv4,
          col['client-hostname'],
          home.name,
          col['server-hostname'],
          home.name,
          col['source-context'],
          csv(mdb),
          col.source,
          'STOREDRIVER',
          col['event-id'],
          'SUBMIT',
          col['return-path'],
          undefined,
        ),
      );
      t += rng.int(150, 900);
      this.emit(
        t,
        this.transportSlots[hub.index]!,
        edit(
          base,
          col['client-ip'],
          home.ipv4,
          col['client-hostname'],
          home.fqdn,
          col['server-ip'],
          hub.ipv4,
          col['server-hostname'],
          hub.name,
          col['source-context'],
          csv(mdb),
          col.source,
          'STOREDRIVER',
          col['event-id'],
          'RECEIVE',
          col['internal-message-id'],
          transportId,
          col['recipient-address'],
          addressed,
          col['recipient-status'],
          types,
          col['total-bytes'],
          m.size,
          col['recipient-count'],
          count,
        ),
      );
      truth.submit(sender.address, m.size, t);
      trail = iso(created);
    }

    const f: Flight = {
      t,
      created,
      hub,
      messageId,
      trail,
      hop: edit(
        base,
        col['recipient-address'],
        addressed,
        col['recipient-count'],
        count,
        col['internal-message-id'],
        transportId ?? this.transportId(hub),
        col['original-server-ip'],
        home.ipv4,
        col['custom-data'],
        forest,
      ),
      transportBytes: m.size + rng.int(300, 900),
    };
    if (p.submission === 'mailbox-transport') {
      this.receive(f, home.ipv4, home.fqdn, `${hub.name}\\Default ${hub.name}`, `S:ProxiedClientIPAddress=${home.ipv4};${forest}`);
    } else {
      this.shadow(f);
    }
    this.agentInfo(f, m, undefined);
    this.route(f, m);
    if (m.failures.length) this.nonDelivery(f, m, sender);
  }

  private inbound(m: PlannedMessage, from: ExternalContact): void {
    const { rng, org } = this.ctx;
    const p = this.p;
    const hub = p.submission === 'mailbox-transport' ? rng.pick(org.servers) : org.servers[0]!;
    const created = m.time - rng.int(300, 4000);
    const messageId = `<${stamp(created, true)}${iso(created).slice(14, 16)}.${rng.hex(12)}@${from.domain.mx}>`;
    const hop: Entry = new Array(COLUMNS);
    hop[col['message-id']] = messageId;
    hop[col['network-message-id']] = rng.guid();
    hop[col['message-subject']] = csv(m.subject);
    hop[col['sender-address']] = from.address;
    hop[col['return-path']] = from.domain.kind === 'newsletter' ? `bounce-${rng.hex(10)}@${from.domain.name}` : from.address;
    hop[col.directionality] = 'Incoming';
    hop[col['original-client-ip']] = from.domain.ip;
    hop[col['original-server-ip']] = hub.ipv4;
    hop[col['transport-traffic-type']] = 'Email';
    hop[col['recipient-address']] = m.addressees.map(addressOf).join(';');
    hop[col['recipient-count']] = m.addressees.length;
    hop[col['internal-message-id']] = this.transportId(hub);
    hop[col['custom-data']] = forest;
    const f: Flight = { t: m.time, created, hub, messageId, trail: iso(created), hop, transportBytes: m.size };
    this.receive(
      f,
      from.domain.ip,
      from.domain.mx,
      p.internetConnector(hub.name),
      `S:ProxiedClientIPAddress=${from.domain.ip};S:ProxiedClientHostname=${from.domain.mx};${forest}`,
    );
    this.agentInfo(f, m, from);
    this.route(f, m);
  }

  // ---------------------------------------------------------------------------------------------
  // transport

  /** HAREDIRECT on the hub and HARECEIVE on another server (2013+, with more than one server) */
  private shadow(f: Flight): void {
    const { rng, org } = this.ctx;
    if (!this.p.shadow || org.servers.length < 2) return;
    const hub = f.hub;
    const shadow = org.servers[(hub.index + rng.int(1, org.servers.length - 1)) % org.servers.length]!;
    const shadowId = this.transportId(shadow);
    f.t += rng.int(60, 250);
    this.emit(
      f.t,
      this.transportSlots[hub.index]!,
      edit(
        f.hop,
        col['server-hostname'],
        hub.name,
        col.source,
        'SMTP',
        col['event-id'],
        'HAREDIRECT',
        col['total-bytes'],
        f.transportBytes,
        col['source-context'],
        csv(`${shadow.fqdn}=250 2.6.0 ${f.messageId} [InternalId=${shadowId}, Hostname=${shadow.fqdn}] Queued mail for redundancy`),
      ),
    );
    this.emit(
      f.t + rng.int(2, 15),
      this.transportSlots[shadow.index]!,
      edit(
        f.hop,
        col['internal-message-id'],
        shadowId,
        col['client-ip'],
        hub.ipv4,
        col['client-hostname'],
        hub.fqdn,
        col['server-ip'],
        shadow.ipv4,
        col['server-hostname'],
        shadow.name,
        col['source-context'],
        `${this.session()};${iso(f.t)};0`,
        col['connector-id'],
        `${shadow.name}\\Default ${shadow.name}`,
        col.source,
        'SMTP',
        col['event-id'],
        'HARECEIVE',
        col['total-bytes'],
        f.transportBytes,
      ),
    );
  }

  /** the shadow copy, then RECEIVE over SMTP on the hub from `clientIp` / `clientHost` */
  private receive(f: Flight, clientIp: string, clientHost: string, connector: string, customData: string): void {
    const { rng } = this.ctx;
    this.shadow(f);
    f.t += rng.int(1, 20);
    this.emit(
      f.t,
      this.transportSlots[f.hub.index]!,
      edit(
        f.hop,
        col['client-ip'],
        clientIp,
        col['client-hostname'],
        clientHost,
        col['server-ip'],
        f.hub.ipv4,
        col['server-hostname'],
        f.hub.name,
        col['source-context'],
        `${this.session()};${iso(f.t - rng.int(20, 400))};0`,
        col['connector-id'],
        connector,
        col.source,
        'SMTP',
        col['event-id'],
        'RECEIVE',
        col['total-bytes'],
        f.transportBytes,
        col['message-info'],
        `${f.trail};SRV=${f.hub.fqdn}:TOTAL-FE=${secs(rng.int(10, 60))}|SMR=${secs(rng.int(5, 30))}`,
        col['custom-data'],
        customData,
      ),
    );
  }

  private agentInfo(f: Flight, m: PlannedMessage, from: ExternalContact | undefined): void {
    const { rng } = this.ctx;
    const mode = this.p.agentInfo;
    if (mode === 'never' || (mode === 'rules' && !from && !m.externals.length)) return;
    let data: string;
    if (mode === 'rules') {
      data = from
        ? `S:CFA=SUM|SCL=${rng.int(0, 4)}|PCL=${rng.int(1, 3)}|CTRY=US|LANG=en;${forest}`
        : `S:TRA=ETR|ruleId=4c1f2b7e-5a2d-4f3e-9c7b-0d1e2f3a4b5c|st=${iso(f.created)}|action=ApplyHtmlDisclaimer|sev=1|mode=Enforce;${forest}`;
    } else {
      data =
        `S:AMA=SUM|action=p|error=|atch=${m.attachment ? 1 : 0};S:CompCost=|ETR=0` +
        (from
          ? `;S:SFA=SUM|SFV=NSPM|SCL=${rng.int(-1, 4)}|SCORE=-${rng.int(1, 9)}|LIST=0|DI=SN|RD=${from.domain.mx}|H=${from.domain.mx}|CIP=${from.domain.ip}`
          : '') +
        `;${forest}`;
    }
    f.t += rng.int(0, 12);
    this.emit(
      f.t,
      this.transportSlots[f.hub.index]!,
      edit(
        f.hop,
        col['client-hostname'],
        f.hub.name,
        col.source,
        'AGENT',
        col['event-id'],
        'AGENTINFO',
        col['total-bytes'],
        f.transportBytes,
        col['custom-data'],
        data,
      ),
    );
  }

  /** expansion, unknown recipients, delivery per mailbox server, the internet */
  private route(f: Flight, m: PlannedMessage): void {
    const { rng, org, truth } = this.ctx;
    const p = this.p;
    const hub = f.hub;
    const slot = this.transportSlots[hub.index]!;
    const routed = edit(f.hop, col['server-hostname'], hub.name, col['total-bytes'], f.transportBytes);
    for (const g of m.expansions) {
      f.t += rng.int(2, 20);
      const members = g.members.map((x) => x.address).join(';');
      this.emit(
        f.t,
        slot,
        edit(
          routed,
          col.source,
          'ROUTING',
          col['event-id'],
          'EXPAND',
          col['recipient-address'],
          members,
          col['recipient-count'],
          g.members.length,
          col['related-recipient-address'],
          g.address,
        ),
      );
      if (p.transfer) {
        this.emit(
          f.t,
          slot,
          edit(
            routed,
            col.source,
            'ROUTING',
            col['event-id'],
            'TRANSFER',
            col['recipient-address'],
            members,
            col['recipient-count'],
            g.members.length,
            col['internal-message-id'],
            this.transportId(hub),
            col.reference,
            f.hop[col['internal-message-id']],
          ),
        );
      }
    }
    for (const x of m.failures) {
      if (x.remote) continue;
      f.t += rng.int(2, 10);
      this.emit(
        f.t,
        slot,
        edit(
          routed,
          col.source,
          'ROUTING',
          col['event-id'],
          'FAIL',
          col['recipient-address'],
          x.address,
          col['recipient-count'],
          1,
          col['recipient-status'],
          p.unknownRecipient,
        ),
      );
    }

    let copy = 0;
    for (const [serverIndex, list] of groupBy(m.deliveries, (d) => d.mailbox.server.index)) {
      const target = org.servers[serverIndex]!;
      const id = copy++ === 0 ? f.hop[col['internal-message-id']] : this.transportId(hub);
      const delivered = this.deliver(
        f,
        edit(
          routed,
          col['recipient-address'],
          list.map((d) => d.mailbox.address).join(';'),
          col['recipient-count'],
          list.length,
          col['internal-message-id'],
          id,
        ),
        target,
      );
      for (const d of list) truth.deliver(d.mailbox.address, delivered.bytes, delivered.t);
      if (!p.duplicateDeliver) continue;
      const again = (t: number, x: Mailbox): void =>
        this.emit(
          t,
          this.deliverySlots[serverIndex]!,
          edit(delivered.entry, col['event-id'], 'DUPLICATEDELIVER', col['recipient-address'], x.address, col['recipient-count'], 1),
        );
      for (const dup of m.duplicates) if (dup.server === target) again(delivered.t + rng.int(1, 40), dup);
      if (m.redelivered?.server === target) again(delivered.t + rng.int(2_000, 20_000), m.redelivered);
    }

    for (const { domain: d, accepted, rejected } of internetCopies(m)) {
      const t = f.t + rng.int(300, 2500);
      const remote = edit(
        routed,
        col['client-ip'],
        hub.ipv4,
        col['client-hostname'],
        hub.name,
        col['server-ip'],
        d.ip,
        col['server-hostname'],
        d.mx,
        col['connector-id'],
        'Internet Mail',
        col.source,
        'SMTP',
        col['total-bytes'],
        f.transportBytes + rng.int(150, 600),
      );
      if (accepted.length) {
        this.emit(
          t,
          slot,
          edit(
            remote,
            col['event-id'],
            'SEND',
            col['recipient-address'],
            accepted.join(';'),
            col['recipient-count'],
            accepted.length,
            col['recipient-status'],
            accepted.map(() => '250 2.1.5 Ok').join(';'),
            col['source-context'],
            `${this.session()};250 2.0.0 OK ${Math.floor(t / 1000)} ${rng.hex(12)} - queued;ClientSubmitTime:${iso(f.created)}`,
            col['message-info'],
            f.trail,
            col['custom-data'],
            `S:E2ELatency=${secs(t - f.created)};S:ExternalSendLatency=${secs(rng.int(150, 1800))};S:ToEntity=Internet;S:FromEntity=Hosted;S:MsgRecipCount=${accepted.length};S:IncludeInSla=True;${forest}`,
          ),
        );
      }
      for (const address of rejected) {
        this.emit(
          t + 1,
          slot,
          edit(
            remote,
            col['event-id'],
            'FAIL',
            col['recipient-address'],
            address,
            col['recipient-count'],
            1,
            col['recipient-status'],
            `550 5.1.1 <${address}>: Recipient address rejected: User unknown in virtual mailbox table`,
          ),
        );
      }
      f.t = Math.max(f.t, t + 1);
    }
  }

  /** hands one copy to the mailbox server `target` and logs the delivery there */
  private deliver(f: Flight, copy: Entry, target: Server): { t: number; bytes: number; entry: Entry } {
    const { rng } = this.ctx;
    const hub = f.hub;
    const n = Number(copy[col['recipient-count']]);
    f.t += rng.int(20, 300);
    const send = edit(
      copy,
      col['client-ip'],
      hub.ipv4,
      col['client-hostname'],
      hub.name,
      col['server-ip'],
      target.ipv4,
      col['server-hostname'],
      target.fqdn,
      col.source,
      'SMTP',
      col['event-id'],
      'SEND',
      col['connector-id'],
      'Intra-Organization SMTP Send Connector',
      col['recipient-status'],
      n === 1 ? '250 2.1.5 Recipient OK' : Array(n).fill('250 2.1.5 Recipient OK').join(';'),
      col['source-context'],
      `${this.session()};250 2.1.5 Recipient OK;ClientSubmitTime:${iso(f.created)}`,
      col['message-info'],
      f.trail,
    );
    let bytes = f.transportBytes;
    let from = hub;
    const mailboxTransport = this.p.submission === 'mailbox-transport';
    if (mailboxTransport) {
      send[col['custom-data']] =
        `S:E2ELatency=${secs(f.t - f.created)};S:ToEntity=Hosted;S:FromEntity=Hosted;S:MsgRecipCount=${n};S:IncludeInSla=True;${forest}`;
      this.emit(f.t, this.transportSlots[hub.index]!, send);
    } else if (target !== hub) {
      this.emit(f.t, this.transportSlots[hub.index]!, send);
      f.t += rng.int(20, 250);
      bytes += rng.int(150, 400);
      this.emit(
        f.t,
        this.transportSlots[target.index]!,
        edit(
          copy,
          col['internal-message-id'],
          this.transportId(target),
          col['client-ip'],
          hub.ipv4,
          col['client-hostname'],
          hub.fqdn,
          col['server-ip'],
          target.ipv4,
          col['server-hostname'],
          target.name,
          col['source-context'],
          `${this.session()};${iso(f.t - rng.int(10, 90))};0`,
          col['connector-id'],
          `${target.name}\\Default ${target.name}`,
          col.source,
          'SMTP',
          col['event-id'],
          'RECEIVE',
          col['total-bytes'],
          bytes,
        ),
      );
      from = target;
    }
    const t = f.t + rng.int(30, 600);
    bytes += rng.int(1200, 3800);
    const entry = edit(
      copy,
      col['server-hostname'],
      target.name,
      col.source,
      'STOREDRIVER',
      col['event-id'],
      'DELIVER',
      col['total-bytes'],
      bytes,
      col['message-info'],
      f.trail,
    );
    if (mailboxTransport) {
      entry[col['internal-message-id']] = ++this.mailboxIds[target.index]!;
      entry[col['client-ip']] = from.ipv4;
      entry[col['client-hostname']] = from.fqdn;
      entry[col['server-ip']] = target.ipv4;
      entry[col['source-context']] = `${this.session()};${iso(t - rng.int(5, 40))};ClientSubmitTime:${iso(f.created)}`;
      entry[col['message-info']] = `${f.trail};SRV=${from.fqdn}:TOTAL-HUB=${secs(f.t - f.created)};SRV=${target.fqdn}:TOTAL-DEL=${secs(t - f.t)}`;
      entry[col['custom-data']] = `S:DeliveryLatency=${secs(t - f.created)};${forest}`;
    }
    this.emit(t, this.deliverySlots[target.index]!, entry);
    return { t, bytes, entry };
  }

  /** the DSN for the failed recipients, delivered to the sender's mailbox */
  private nonDelivery(f: Flight, m: PlannedMessage, sender: Mailbox): void {
    const { rng, truth } = this.ctx;
    const hub = f.hub;
    f.t += rng.int(20, 200);
    const messageId = `<${rng.hex(32)}@${hub.fqdn}>`;
    const size = 5_500 + rng.int(0, 4_000) + Math.min(m.size, 20_000);
    const ndr: Entry = new Array(COLUMNS);
    ndr[col['message-id']] = messageId;
    ndr[col['network-message-id']] = rng.guid();
    ndr[col['internal-message-id']] = this.transportId(hub);
    ndr[col['recipient-address']] = sender.address;
    ndr[col['recipient-count']] = 1;
    ndr[col['message-subject']] = csv(`Undeliverable: ${m.subject}`);
    ndr[col['sender-address']] = this.p.ndrSender;
    ndr[col['return-path']] = '<>';
    ndr[col.directionality] = 'Originating';
    ndr[col['transport-traffic-type']] = 'Email';
    ndr[col['custom-data']] = forest;
    this.emit(
      f.t,
      this.transportSlots[hub.index]!,
      edit(
        ndr,
        col['server-hostname'],
        hub.name,
        col.source,
        'DSN',
        col['event-id'],
        'DSN',
        col['total-bytes'],
        size,
        col.reference,
        f.messageId,
        col['related-recipient-address'],
        m.failures.map((x) => x.address).join(';'),
      ),
    );
    const flight: Flight = { t: f.t, created: f.t, hub, hop: ndr, transportBytes: size, messageId, trail: iso(f.t) };
    const delivered = this.deliver(flight, edit(ndr, col['server-hostname'], hub.name, col['total-bytes'], size), sender.server);
    truth.deliver(sender.address, delivered.bytes, delivered.t);
  }

  // ---------------------------------------------------------------------------------------------

  private emit(t: number, slot: Slot, e: Entry): void {
    e[col['date-time']] = iso(t);
    if (this.stamped) {
      e[col['log-id']] = this.ctx.rng.guid();
      e[col['schema-version']] = this.p.version;
    }
    // join makes one flat string (undefined columns are empty), cheaper to encode than a rope
    const text = this.columns ? this.columns.map((c) => e[c]).join(',') : e.join(',');
    this.ctx.sink.emit(t, slot, text);
  }

  /** the next internal-message-id of `s`'s transport service (14 digits: kept as text, numbers that
   *  large are slow to format) */
  private transportId(s: Server): string {
    return String((this.transportIds[s.index]! += this.ctx.rng.int(1, 4)));
  }

  private mapiEvent(s: Server): number {
    return (this.mapiEvents[s.index]! += this.ctx.rng.int(1, 60));
  }

  /** an SMTP session id: 16 upper-case hex digits */
  private session(): string {
    return this.p.sessionPrefix + this.ctx.rng.hex(12).toUpperCase();
  }
}
