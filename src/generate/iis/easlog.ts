// The Log= value of an ActiveSync request, in the three styles real servers write:
//   cafe   Exchange 2013+ back end: PrxFrom:<front end>_V161_HH:…_SmtpAdrs:…_<command elements>_S1_…_Budget:…_
//   e2010  Exchange 2007/2010:      V140_<command elements>_Sst…_LdapC…_RpcC…_Pk…_S1_…_Cpo…_Fet…_
//   e2003  Exchange 2003:           V4TEmSSC:0A0C0D0FS:1A0C0D0SP:1C2I105992S109982R (no separators)
// Rendering a request also moves the device's protocol state on (sync keys, policy key), and
// records in x.facts the numbers it wrote (items, Error:, Pa, Oof, Att): the truth's Log= figures.
import type { Prng } from './prng.js';
import type { Device, Server } from './population.js';
import { C, O, outcomes, site, type LogStyle } from './tables.js';
import { SETTINGS_DEVICE, SETTINGS_OOF, SYNC_CALENDAR, SYNC_CLIENT_CHANGE, SYNC_FIRST } from './activity.js';
import type { LogFacts } from './truth.js';

const EM = 0;
const CA = 1;

export interface LogInput {
  readonly d: Device;
  readonly cmd: number;
  readonly out: number;
  readonly arg: number;
  /** time-taken in ms */
  readonly ms: number;
  readonly r: Prng;
  readonly mailboxServer: Server;
  /** value of PrxFrom: (2013+ back end) */
  readonly proxyFrom: string;
  /** emptied by the caller; receives what this Log= says */
  readonly facts: LogFacts;
}

/** the EAS status a command returns when all is well */
function status(cmd: number, out: number): number | undefined {
  const s = outcomes[out]!.eas;
  if (s !== undefined) return s;
  if (out === O.redirect || cmd === C.Options) return undefined;
  return 1;
}

/** elements of one command, shared by the 2007–2010 and 2013+ styles; moves the device state on */
function commandElements(x: LogInput, e: string[]): void {
  const { d, cmd, out, arg, r, facts } = x;
  const ok = out === O.ok;
  switch (cmd) {
    case C.Sync: {
      const first = (arg & SYNC_FIRST) !== 0;
      const lost = out === O.syncStateNotFound || out === O.invalidSyncKey;
      const cols = arg & SYNC_CALENDAR ? [EM, CA] : [EM];
      for (const c of cols) {
        const sk = first ? 0 : d.syncKeys[c]!;
        const adds = c === EM ? arg & 255 : r.chance(0.5) ? 1 : 0;
        e.push(
          `Ty:${c === EM ? 'Em' : 'Ca'}`,
          `Fid:${c === EM ? d.folders.em : d.folders.ca}`,
          `Filt${c === EM ? d.folders.emFilter : d.folders.caFilter}`,
          `St:${first ? 'F' : out === O.invalidSyncKey ? 'I' : 'S'}`,
          `Sk:${sk}`,
        );
        if (ok) {
          const reads = c === EM && adds === 0 && r.chance(0.2) ? 1 : 0;
          e.push(`Srv:${adds}a0c0d0s0e${reads}r0A0sd`);
          facts.server(c === EM ? 'Em' : 'Ca', adds);
          if (arg & SYNC_CLIENT_CHANGE && c === EM) {
            const changes = r.int(2);
            e.push(`Cli:0a${changes}c${r.int(2) + 1}d0f0e`);
            facts.client('Em', changes);
          }
          d.syncKeys[c] = first ? 1 : sk + 1;
        }
      }
      if (lost) d.folderKey = 0;
      e.push(`Pk${d.policyKey}`);
      break;
    }
    case C.Ping:
      e.push(`Hb${d.heartbeat}`, `Rto${out === O.pingChanges ? 1 : 2}`);
      break;
    case C.FolderSync: {
      const first = d.folderKey === 0;
      e.push(`St:${first ? 'F' : 'S'}`, `Sk:${d.folderKey}`);
      if (ok) {
        const folders = first ? 20 + r.int(60) : 0;
        e.push(`Srv:${folders}a0c0d0s0e0r0A0sd`);
        facts.server(undefined, folders);
        if (first) d.folderKey = 1;
        else if (r.chance(0.05)) d.folderKey++;
      }
      e.push(`Pk${d.policyKey}`);
      break;
    }
    case C.Settings:
      e.push(arg === SETTINGS_DEVICE ? d.settingsLog : arg === SETTINGS_OOF ? 'Oof:Get' : 'UserInfo:Get');
      if (arg === SETTINGS_OOF) facts.oof = 'Get';
      break;
    case C.Provision:
      if (arg === 0) e.push('Pk0');
      else {
        d.policyKey = x.r.u32() || 1;
        e.push(`Pk${d.policyKey}`, `Pa${arg}`);
        facts.policyAck = arg;
      }
      break;
    case C.GetItemEstimate:
      e.push(`Fc${arg}`, `Pk${d.policyKey}`);
      break;
    case C.ItemOperations:
    case C.GetAttachment:
      if (arg > 0) {
        const size = arg * 1024 + r.int(1024);
        e.push('Att1', `Attb${size}`);
        facts.attachments += 1;
        facts.attachmentBytes += size;
      }
      break;
    case C.Search:
      e.push(`SrchP:${arg === 0 ? 'GAL' : 'Mbx'}`);
      break;
    default:
      break;
  }
}

/** `_S<status>_Error:<name>` as far as the outcome has them */
function statusElements(x: LogInput): string {
  const s = status(x.cmd, x.out);
  const err = outcomes[x.out]!.error;
  if (err) x.facts.error = err;
  return (s !== undefined ? `_S${s}` : '') + (err ? `_Error:${err}` : '');
}

/** `_<elements of the command>` */
function commandPart(x: LogInput): string {
  const e: string[] = [];
  commandElements(x, e);
  return e.length ? '_' + e.join('_') : '';
}

/** the parts of a 2013+ back-end Log= that only depend on the device */
interface CafeParts {
  readonly head: string;
  readonly headNoVersion: string;
  readonly tail: string;
  readonly owner: string;
}
const cafeParts = new WeakMap<Device, CafeParts>();
const BUDGET = '%2cMaxConn%3a10%2cMaxBurst%3a240000%2cBalance%3a';
const BUDGET_POLICY =
  '%2cCutoff%3a600000%2cRechargeRate%3a360000%2cPolicy%3aGlobalThrottlingPolicy%5F3c8a1e0d-5e2a-4b6f-9f4c-2d1e7a9b0c55' +
  '%2cIsServiceAccount%3aFalse%2cLiveTime%3a00%3a';
const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

function cafe(x: LogInput): string {
  const { d, r } = x;
  let p = cafeParts.get(d);
  if (!p) {
    const hh = `_HH:${site.host}_SmtpAdrs:${d.user.sam}%40${site.smtpDomain}`;
    p = {
      head: `_V${d.protocol.log}${hh}`,
      headNoVersion: hh,
      tail: `_As:AllowedG_Mbx:${x.mailboxServer.name}.${site.adDomain}_Dc:DC0${1 + (d.user.index % 2)}.${site.adDomain}_Throttle0_DBL1_CmdHC`,
      owner: `_Budget:(D)Owner%3aSid%7e${site.netbios}%5c${d.user.sam}%7eEas%7efalse%2cConn%3a`,
    };
    cafeParts.set(d, p);
  }
  const live = x.ms + r.int(20);
  const ms = live % 1000;
  return (
    `PrxFrom:${x.proxyFrom}${x.cmd === C.Options ? p.headNoVersion : p.head}${commandPart(x)}${statusElements(x)}_Cpo${x.ms}_Fet${x.ms}` +
    `${p.tail}${r.u32() | 0}${p.owner}${1 + r.int(2)}${BUDGET}${240000 - r.int(2000)}${BUDGET_POLICY}` +
    `${pad2(Math.floor(live / 60000) % 60)}%3a${pad2(Math.floor(live / 1000) % 60)}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}0000_`
  );
}

const e2010Tail = new WeakMap<Device, string>();

function e2010(x: LogInput): string {
  const { d, r } = x;
  let tail = e2010Tail.get(d);
  if (tail === undefined) {
    const n = 1 + (d.user.index % 2);
    tail = `_As:AllowedG_Mbx:MBX0${n}.${site.adDomain}_Dc:DC0${n}.${site.adDomain}_Throttle0_Cpo`;
    e2010Tail.set(d, tail);
  }
  // OPTIONS carries no protocol version; its Log starts with the counters
  const head = x.cmd === C.Options ? '' : `V${d.protocol.log}${commandPart(x)}_`;
  return head + `Sst${1 + r.int(30)}_LdapC${r.int(3)}_LdapL${r.int(4)}_RpcC${2 + r.int(40)}_RpcL${r.int(30)}${statusElements(x)}${tail}${x.ms}_Fet${x.ms}_`;
}

/** Exchange 2003: V<ver>T<type>S<sync type>C:<a>A<c>C<d>D<f>FS:<a>A<c>C<d>D<s>SP:<counters> */
function e2003(x: LogInput): string {
  const { d, cmd, out, arg, r } = x;
  let type = 'NA';
  let syncType = 'N';
  let client = '0A0C0D0F';
  let server = '0A0C0D0S';
  if (cmd === C.Sync) {
    const first = (arg & SYNC_FIRST) !== 0;
    const c = arg & SYNC_CALENDAR ? CA : EM;
    const t = c === EM ? 'Em' : r.chance(0.5) ? 'Ca' : 'Co';
    type = t;
    syncType = first ? 'F' : out === O.invalidSyncKey || out === O.syncStateNotFound ? 'R' : 'S';
    const adds = c === EM ? arg & 255 : r.int(2);
    if (arg & SYNC_CLIENT_CHANGE) {
      const changes = r.int(2);
      client = `0A${changes}C${r.int(2) + 1}D0F`;
      x.facts.client(t, changes);
    }
    if (out === O.ok) {
      server = `${adds}A0C0D0S`;
      x.facts.server(t, adds);
    }
    if (out === O.ok) d.syncKeys[c] = first ? 1 : d.syncKeys[c]! + 1;
  } else if (cmd === C.Ping) {
    type = 'NA';
  }
  const calls = 1 + r.int(4);
  const perf =
    d.protocol.eas >= 2.5
      ? `${calls}C${r.int(30)}I${x.ms + r.int(50)}S${x.ms * 20 + r.int(5000)}R0S0L${cmd === C.Ping ? d.heartbeat : 0}H0P`
      : `${calls}C${r.int(30)}I${x.ms + r.int(50)}S${x.ms * 20 + r.int(5000)}R`;
  return `V${d.protocol.log}T${type}S${syncType}C:${client}S:${server}P:${perf}`;
}

export const logStyles: Record<LogStyle, (x: LogInput) => string> = { cafe, e2010, e2003 };
