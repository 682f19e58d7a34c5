// The ground truth of a generated run, counted from the model while the lines are written (never
// by reading the files back). Definitions (what the ActiveSync reports must reproduce):
// - one EAS request = one front-end line (cs-uri-stem /Microsoft-Server-ActiveSync…, not /Proxy/);
//   the 2013+ back-end copy is counted in totals.backendDuplicates only;
// - user = cs-username URL-decoded and lower-cased, or the User= value when cs-username is '-';
// - hits per user + DeviceId; commands per Cmd=; httpStatus per sc-status;
// - emailsSent = SendMail + SmartReply + SmartForward answered with HTTP 200;
// - bytesSent = cs-bytes (from the device), bytesReceived = sc-bytes (to the device); 0 when the
//   layout has no byte fields (2010 and 2003 runs);
// - hourly = EAS requests per UTC hour of the front-end line's time;
// - runaway = the device was made to loop; it then has more than RUNAWAY_HITS_PER_HOUR hits in
//   at least one UTC hour, which no other device reaches.
import type { Device } from './population.js';
import { commands, type IisVersion } from './tables.js';

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
  totals: { easRequests: number; nonEasRequests: number; backendDuplicates: number };
  hourly: Record<string, number>;
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
  easRequests = 0;
  nonEasRequests = 0;
  backendDuplicates = 0;

  constructor(private readonly devices: readonly Device[]) {
    const n = devices.length;
    this.hits = new Float64Array(n);
    this.perCommand = new Float64Array(n * NC);
    this.emails = new Float64Array(n);
    this.sent = new Float64Array(n);
    this.received = new Float64Array(n);
    this.status = devices.map(() => new Map());
  }

  /** one front-end EAS line */
  eas(dev: number, cmd: number, http: number, hour: number, csBytes: number, scBytes: number): void {
    this.easRequests++;
    this.hits[dev]!++;
    this.perCommand[dev * NC + cmd]!++;
    if (http === 200 && commands[cmd]!.sendsMail) this.emails[dev]!++;
    const m = this.status[dev]!;
    m.set(http, (m.get(http) ?? 0) + 1);
    this.sent[dev]! += csBytes;
    this.received[dev]! += scBytes;
    this.day[hour]!++;
  }

  /** the end of a day: its hours with requests go to `hourly` ("2024-03-04T09") */
  endDay(date: string): void {
    for (let h = 0; h < 24; h++) if (this.day[h]) this.hourly[`${date}T${String(h).padStart(2, '0')}`] = this.day[h]!;
    this.day = new Float64Array(24);
  }

  build(meta: { version: IisVersion; seed: number; from: string; to: string; days: number }): IisTruth {
    const devices: IisDeviceTruth[] = [];
    this.devices.forEach((d, i) => {
      if (!this.hits[i]) return;
      const cmds: Record<string, number> = {};
      commands.forEach((c, k) => { const v = this.perCommand[i * NC + k]!; if (v) cmds[c.name] = v; });
      const status: Record<string, number> = {};
      for (const [k, v] of [...this.status[i]!].sort((a, b) => a[0] - b[0])) status[String(k)] = v;
      devices.push({
        user: d.logon.toLowerCase(), deviceId: d.deviceId, deviceType: d.model.deviceType,
        hits: this.hits[i]!, commands: cmds, emailsSent: this.emails[i]!, httpStatus: status,
        bytesSent: this.sent[i]!, bytesReceived: this.received[i]!, runaway: d.runaway !== undefined,
      });
    });
    devices.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
    return {
      ...meta, devices,
      totals: { easRequests: this.easRequests, nonEasRequests: this.nonEasRequests, backendDuplicates: this.backendDuplicates },
      hourly: this.hourly,
    };
  }
}
