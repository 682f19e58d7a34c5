// The ground truth of a generated run, counted from the model while the lines are written (never
// by reading the files back). Definitions (what the ActiveSync reports must reproduce):
// - one EAS request = one front-end line (cs-uri-stem /Microsoft-Server-ActiveSync…, not /Proxy/);
//   the 2013+ back-end copy is counted in totals.backendDuplicates only. When logs are left out
//   (LeftOut: a collection that misses them), a request whose front-end log is not written counts
//   by its back-end line (its time, its bytes) when that one is written, else in totals.lostRequests
//   only: the truth is what the written logs show;
// - user = cs-username URL-decoded and lower-cased, or the User= value when cs-username is '-';
// - hits per user + DeviceId; commands per Cmd=; httpStatus per sc-status;
// - emailsSent = SendMail + SmartReply + SmartForward answered with HTTP 200;
// - bytesSent = cs-bytes (from the device), bytesReceived = sc-bytes (to the device); 0 when the
//   layout has no byte fields (2010 and 2003 runs);
// - hourly = EAS requests per UTC hour of the front-end line's time;
// - runaway = the device was made to loop; it then has more than RUNAWAY_HITS_PER_HOUR hits in
//   at least one UTC hour, which no other device reaches.
// What only a Log= value carries is in `logValues` (rule 2 of the store: counted on the lines that
// have a Log=; 2013+ the back-end twin, before 2013 the front-end line; an anonymous 401 has
// none). Each figure is the number the generator chose when it wrote the element (LogFacts,
// filled by easlog.ts), never read back from the text:
// - itemsSent = Cli: adds + changes (from the device), itemsReceived = Srv: adds + changes (to
//   the device), over every Log (a FolderSync's Srv: has no collection type);
// - itemsByType = the same per collection type (Ty: on 2007+, T on 2003), types with items only;
// - errors = Error: values; policyAck = the last Pa written (null when none); oofSet/oofGet =
//   Settings with Oof:Set/Oof:Get; attachments/attachmentBytes = Att/Attb; sharePointDocs/uncFiles
//   = Ssp/Unc (the generator writes none: 0);
// - deviceDays = per device and UTC day of the request: hits and the items of its Log= values
//   (the 2013+ back-end twin is written on the same UTC day as its front-end line).
import type { Device } from './population.js';
import { commands, type IisVersion } from './tables.js';

/** collection types as Log= names them (Ty:Em, 2003 TEm …), in Export-ActiveSyncLog's column order */
export const collectionTypes = ['Em', 'Ca', 'Co', 'Ta', 'Nt'] as const;
export type CollectionType = (typeof collectionTypes)[number];
const NT = collectionTypes.length;

/** logs the generator makes but does not write, as a collection that misses them (the truth then
 *  counts the requests visible in the logs written: by their front-end line when it is written,
 *  else by their back-end line) */
export interface LeftOut {
  /** every front end's logs */
  readonly frontEnds?: boolean;
  /** the front-end logs of these servers (0-based, in the population's order) */
  readonly frontEndServers?: readonly number[];
  /** the front-end logs of every server on these days (0-based from the first day) */
  readonly frontEndDays?: readonly number[];
  /** every back end's logs */
  readonly backEnds?: boolean;
}

/** what the generator put into one Log= value, recorded by easlog.ts as it writes each element */
export class LogFacts {
  /** Cli: adds + changes, Srv: adds + changes, per collection type; the last slot is "no type" */
  readonly sent = new Float64Array(NT + 1);
  readonly received = new Float64Array(NT + 1);
  error = '';
  policyAck = 0;
  oof: '' | 'Get' | 'Set' = '';
  attachments = 0;
  attachmentBytes = 0;

  reset(): void {
    this.sent.fill(0);
    this.received.fill(0);
    this.error = '';
    this.policyAck = 0;
    this.oof = '';
    this.attachments = 0;
    this.attachmentBytes = 0;
  }

  /** items from the device (Cli:) of a collection type (undefined: none, as a FolderSync) */
  client(type: CollectionType | undefined, items: number): void {
    this.sent[type === undefined ? NT : collectionTypes.indexOf(type)]! += items;
  }

  /** items to the device (Srv:) */
  server(type: CollectionType | undefined, items: number): void {
    this.received[type === undefined ? NT : collectionTypes.indexOf(type)]! += items;
  }
}

export interface IisDeviceLogTruth {
  user: string;
  deviceId: string;
  /** requests of the device with a Log= value */
  logLines: number;
  itemsSent: number;
  itemsReceived: number;
  itemsByType: Partial<Record<CollectionType, { sent: number; received: number }>>;
  errors: Record<string, number>;
  /** Pa of the latest policy acknowledgement: 1 applied, 2 partially, 3 failed; null when none */
  policyAck: number | null;
  oofSet: number;
  oofGet: number;
  attachments: number;
  attachmentBytes: number;
  sharePointDocs: number;
  uncFiles: number;
}

export interface IisDeviceDayTruth {
  date: string;
  user: string;
  deviceId: string;
  hits: number;
  itemsSent: number;
  itemsReceived: number;
}

export interface IisDeviceTruth {
  user: string;
  deviceId: string;
  deviceType: string;
  hits: number;
  commands: Record<string, number>;
  emailsSent: number;
  httpStatus: Record<string, number>;
  bytesSent: number;
  bytesReceived: number;
  runaway: boolean;
}

export interface IisTruth {
  version: IisVersion;
  seed: number;
  from: string;
  to: string;
  days: number;
  devices: IisDeviceTruth[];
  /** easRequests: the requests in the written logs (each once); backendDuplicates: back-end lines
   *  written; lostRequests (when logs were left out): requests in no written log */
  totals: { easRequests: number; nonEasRequests: number; backendDuplicates: number; lostRequests?: number };
  /** the logs made but not written (generate's leftOut option) */
  leftOut?: LeftOut;
  hourly: Record<string, number>;
  /** Log= figures: `lines` with a Log= value in all, and per device (the order of `devices`) */
  logValues: { lines: number; devices: IisDeviceLogTruth[] };
  /** per device and UTC day with requests, by date then device */
  deviceDays: IisDeviceDayTruth[];
}

const NC = commands.length;

export class TruthBuilder {
  private readonly hits: Float64Array;
  private readonly perCommand: Float64Array;
  private readonly emails: Float64Array;
  private readonly sent: Float64Array;
  private readonly received: Float64Array;
  private readonly status: Map<number, number>[];
  private readonly hourly: Record<string, number> = {};
  private day = new Float64Array(24);
  // Log= figures per device (items per collection type: NT + 1 slots, the last for "no type")
  private readonly logLines: Float64Array;
  private readonly itemsSent: Float64Array;
  private readonly itemsReceived: Float64Array;
  private readonly errors: Map<string, number>[];
  private readonly policyAck: Uint8Array;
  private readonly oofSet: Float64Array;
  private readonly oofGet: Float64Array;
  private readonly attachments: Float64Array;
  private readonly attachmentBytes: Float64Array;
  // the day being written, per device: hits and Log= items
  private readonly dayHits: Float64Array;
  private readonly daySent: Float64Array;
  private readonly dayReceived: Float64Array;
  private readonly deviceDays: { date: string; dev: number; hits: number; itemsSent: number; itemsReceived: number }[] = [];
  easRequests = 0;
  nonEasRequests = 0;
  backendDuplicates = 0;
  /** EAS requests in no written log (logs left out): not in the truth */
  lostRequests = 0;

  constructor(private readonly devices: readonly Device[]) {
    const n = devices.length;
    this.hits = new Float64Array(n);
    this.perCommand = new Float64Array(n * NC);
    this.emails = new Float64Array(n);
    this.sent = new Float64Array(n);
    this.received = new Float64Array(n);
    this.status = devices.map(() => new Map());
    this.logLines = new Float64Array(n);
    this.itemsSent = new Float64Array(n * (NT + 1));
    this.itemsReceived = new Float64Array(n * (NT + 1));
    this.errors = devices.map(() => new Map());
    this.policyAck = new Uint8Array(n);
    this.oofSet = new Float64Array(n);
    this.oofGet = new Float64Array(n);
    this.attachments = new Float64Array(n);
    this.attachmentBytes = new Float64Array(n);
    this.dayHits = new Float64Array(n);
    this.daySent = new Float64Array(n);
    this.dayReceived = new Float64Array(n);
  }

  /** one front-end EAS line */
  eas(dev: number, cmd: number, http: number, hour: number, csBytes: number, scBytes: number): void {
    this.easRequests++;
    this.hits[dev]!++;
    this.dayHits[dev]!++;
    this.perCommand[dev * NC + cmd]!++;
    if (http === 200 && commands[cmd]!.sendsMail) this.emails[dev]!++;
    const m = this.status[dev]!;
    m.set(http, (m.get(http) ?? 0) + 1);
    this.sent[dev]! += csBytes;
    this.received[dev]! += scBytes;
    this.day[hour]!++;
  }

  /** the Log= value of that request, as easlog.ts wrote it */
  log(dev: number, f: LogFacts): void {
    this.logLines[dev]!++;
    for (let t = 0; t <= NT; t++) {
      this.itemsSent[dev * (NT + 1) + t]! += f.sent[t]!;
      this.itemsReceived[dev * (NT + 1) + t]! += f.received[t]!;
      this.daySent[dev]! += f.sent[t]!;
      this.dayReceived[dev]! += f.received[t]!;
    }
    if (f.error) {
      const m = this.errors[dev]!;
      m.set(f.error, (m.get(f.error) ?? 0) + 1);
    }
    if (f.policyAck) this.policyAck[dev] = f.policyAck;
    if (f.oof === 'Set') this.oofSet[dev]!++;
    if (f.oof === 'Get') this.oofGet[dev]!++;
    this.attachments[dev]! += f.attachments;
    this.attachmentBytes[dev]! += f.attachmentBytes;
  }

  /** the end of a day: its hours with requests go to `hourly` ("2024-03-04T09"), its devices to deviceDays */
  endDay(date: string): void {
    for (let h = 0; h < 24; h++) if (this.day[h]) this.hourly[`${date}T${String(h).padStart(2, '0')}`] = this.day[h]!;
    this.day = new Float64Array(24);
    for (let i = 0; i < this.devices.length; i++) {
      if (!this.dayHits[i] && !this.daySent[i] && !this.dayReceived[i]) continue;
      this.deviceDays.push({ date, dev: i, hits: this.dayHits[i]!, itemsSent: this.daySent[i]!, itemsReceived: this.dayReceived[i]! });
    }
    this.dayHits.fill(0);
    this.daySent.fill(0);
    this.dayReceived.fill(0);
  }

  build(meta: { version: IisVersion; seed: number; from: string; to: string; days: number; leftOut?: LeftOut }): IisTruth {
    const order: number[] = [];
    this.devices.forEach((_, i) => {
      if (this.hits[i]) order.push(i);
    });
    const user = (i: number) => this.devices[i]!.logon.toLowerCase();
    const byDevice = (a: number, b: number) => ordinal(user(a), user(b)) || ordinal(this.devices[a]!.deviceId, this.devices[b]!.deviceId);
    order.sort(byDevice);
    const devices: IisDeviceTruth[] = order.map((i) => {
      const d = this.devices[i]!;
      const cmds: Record<string, number> = {};
      commands.forEach((c, k) => {
        const v = this.perCommand[i * NC + k]!;
        if (v) cmds[c.name] = v;
      });
      const status: Record<string, number> = {};
      for (const [k, v] of [...this.status[i]!].sort((a, b) => a[0] - b[0])) status[String(k)] = v;
      return {
        user: user(i),
        deviceId: d.deviceId,
        deviceType: d.model.deviceType,
        hits: this.hits[i]!,
        commands: cmds,
        emailsSent: this.emails[i]!,
        httpStatus: status,
        bytesSent: this.sent[i]!,
        bytesReceived: this.received[i]!,
        runaway: d.runaway !== undefined,
      };
    });
    let lines = 0;
    const logs = order.map((i): IisDeviceLogTruth => {
      lines += this.logLines[i]!;
      const at = i * (NT + 1);
      const byType: IisDeviceLogTruth['itemsByType'] = {};
      let sent = 0,
        received = 0;
      for (let t = 0; t <= NT; t++) {
        const s = this.itemsSent[at + t]!,
          r = this.itemsReceived[at + t]!;
        sent += s;
        received += r;
        if (t < NT && (s || r)) byType[collectionTypes[t]!] = { sent: s, received: r };
      }
      return {
        user: user(i),
        deviceId: this.devices[i]!.deviceId,
        logLines: this.logLines[i]!,
        itemsSent: sent,
        itemsReceived: received,
        itemsByType: byType,
        errors: Object.fromEntries([...this.errors[i]!].sort((a, b) => ordinal(a[0], b[0]))),
        policyAck: this.policyAck[i] || null,
        oofSet: this.oofSet[i]!,
        oofGet: this.oofGet[i]!,
        attachments: this.attachments[i]!,
        attachmentBytes: this.attachmentBytes[i]!,
        sharePointDocs: 0,
        uncFiles: 0,
      };
    });
    const deviceDays = [...this.deviceDays]
      .sort((a, b) => ordinal(a.date, b.date) || byDevice(a.dev, b.dev))
      .map(({ dev, ...x }) => ({
        date: x.date,
        user: user(dev),
        deviceId: this.devices[dev]!.deviceId,
        hits: x.hits,
        itemsSent: x.itemsSent,
        itemsReceived: x.itemsReceived,
      }));
    return {
      ...meta,
      devices,
      totals: {
        easRequests: this.easRequests,
        nonEasRequests: this.nonEasRequests,
        backendDuplicates: this.backendDuplicates,
        ...(meta.leftOut ? { lostRequests: this.lostRequests } : {}),
      },
      hourly: this.hourly,
      logValues: { lines, devices: logs },
      deviceDays,
    };
  }
}

/** ordinal comparison (not locale): the same order on every machine */
function ordinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
