// The people and machines of the generated site: servers, users, their 1–3 devices each, and the
// few with a story (a runaway device, a mailbox moved away, a full mailbox, a stale password).
import { Prng } from './prng.js';
import { site, type DeviceIdStyle, type DeviceModel, type DeviceProfile, type Protocol, type VersionInfo } from './tables.js';
import { DAY, HOUR, MINUTE } from './time.js';

export interface Server {
  readonly name: string;
  readonly ip: string;
  /** the IPv6 link-local address a server uses when it proxies to itself, and its URL-escaped form */
  readonly linkLocal: string;
  readonly linkLocalEscaped: string;
}

export interface User {
  readonly index: number;
  /** sAMAccountName, lower case */
  readonly sam: string;
  /** index of the server holding the mailbox (2013+ back end) */
  readonly mailbox: number;
  readonly activity: number;
  /** the mailbox moves away at this time (ms since the start of the run): requests then get HTTP 451 */
  readonly movedAt?: number;
  /** the mailbox is over its send quota: mail sent from devices gets HTTP 507 */
  readonly mailboxFull: boolean;
  readonly devices: Device[];
}

export type RunawayKind = 'syncLoop' | 'pingLoop' | 'quotaLoop';

export interface Device {
  readonly index: number;
  readonly user: User;
  readonly profile: DeviceProfile;
  readonly model: DeviceModel;
  readonly protocol: Protocol;
  readonly deviceId: string;
  /** the account as the device sends it: `CONTOSO\jdoe` (case as the user typed it) */
  readonly logon: string;
  /** `User=CONTOSO%5Cjdoe&DeviceId=…&DeviceType=…` */
  readonly idParams: string;
  readonly activity: number;
  readonly heartbeat: number;
  /** minute of the UTC day of the daily policy refresh */
  readonly policyMinute: number;
  /** Pa of the policy acknowledgement: 1 applied, 2 partially, 3 failed */
  readonly policyAck: 1 | 2 | 3;
  /** set for the few devices that loop (chosen after the population is drawn) */
  runaway?: { readonly kind: RunawayKind; readonly firstDay: number };
  /** a window (ms since the start of the run) when the device still has the old password */
  stalePassword?: { readonly from: number; readonly to: number };
  /** Settings elements (DevModel:… DevOS: …), escaped for Log= */
  readonly settingsLog: string;
  readonly homeIp: string;
  readonly officeIp: string;
  readonly folders: { readonly em: number; readonly ca: number; readonly co: number; readonly emFilter: number; readonly caFilter: number };

  // --- state of the timeline (activity.ts) ---
  /** time (ms since the start of the run) when the device starts its next Ping or poll */
  clock: number;
  /** events that fell past the end of the day being generated: [t, cmd, outcome, arg]… */
  carry: number[];
  /** stopped for good (mailbox moved away and the device gave up) */
  gone: boolean;

  // --- state of the rendering (lines.ts) ---
  syncKeys: Int32Array;
  folderKey: number;
  policyKey: number;
}

export interface Population {
  readonly servers: readonly Server[];
  readonly users: readonly User[];
  readonly devices: readonly Device[];
}

const firstNames = [
  'james',
  'mary',
  'john',
  'patricia',
  'robert',
  'jennifer',
  'michael',
  'linda',
  'william',
  'elizabeth',
  'david',
  'barbara',
  'richard',
  'susan',
  'joseph',
  'jessica',
  'thomas',
  'sarah',
  'charles',
  'karen',
  'daniel',
  'nancy',
  'matthew',
  'lisa',
  'anthony',
  'betty',
  'mark',
  'margaret',
  'paul',
  'sandra',
  'steven',
  'ashley',
  'andrew',
  'kimberly',
  'kenneth',
  'emily',
  'joshua',
  'donna',
  'kevin',
  'michelle',
  'brian',
  'carol',
  'george',
  'amanda',
  'timothy',
  'melissa',
  'ronald',
  'deborah',
  'edward',
  'stephanie',
  'jason',
  'rebecca',
  'jeffrey',
  'sharon',
  'ryan',
  'laura',
  'jacob',
  'cynthia',
  'gary',
  'kathleen',
  'nicholas',
  'amy',
  'eric',
  'angela',
  'jonathan',
  'shirley',
  'stephen',
  'anna',
  'larry',
  'brenda',
];
const lastNames = [
  'smith',
  'johnson',
  'williams',
  'brown',
  'jones',
  'garcia',
  'miller',
  'davis',
  'rodriguez',
  'martinez',
  'hernandez',
  'lopez',
  'gonzalez',
  'wilson',
  'anderson',
  'thomas',
  'taylor',
  'moore',
  'jackson',
  'martin',
  'lee',
  'perez',
  'thompson',
  'white',
  'harris',
  'sanchez',
  'clark',
  'ramirez',
  'lewis',
  'robinson',
  'walker',
  'young',
  'allen',
  'king',
  'wright',
  'scott',
  'torres',
  'nguyen',
  'hill',
  'flores',
  'green',
  'adams',
  'nelson',
  'baker',
  'hall',
  'rivera',
  'campbell',
  'mitchell',
  'carter',
  'roberts',
  'gomez',
  'phillips',
  'evans',
  'turner',
  'diaz',
  'parker',
  'cruz',
  'edwards',
  'collins',
  'reyes',
  'stewart',
  'morris',
  'morales',
  'murphy',
  'cook',
  'rogers',
  'gutierrez',
  'ortiz',
  'morgan',
  'cooper',
];

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789ABCDEF';
const DIGITS = '0123456789';

function deviceId(r: Prng, style: DeviceIdStyle): string {
  switch (style) {
    case 'ios':
      return r.chars(UPPER_ALNUM, 26);
    case 'iosSerial':
      return 'Appl' + r.chars(UPPER_ALNUM, 11);
    case 'samsung':
      return 'SEC' + r.chars(HEX, 13);
    case 'androidMs':
      return 'android' + String(1500000000000 + r.int(200000000000));
    case 'androidc':
      return 'androidc' + r.chars(DIGITS, 10);
    case 'hex32':
      return r.chars(HEX, 32);
  }
}

/** a Log= string value: URL-escaped, spaces as +, `_` escaped too (it separates elements) */
function logEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/_/g, '%5F')
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function imei(r: Prng): string {
  return '35' + r.chars(DIGITS, 13);
}

export function buildPopulation(o: { seed: number; users: number; days: number; servers: number; version: VersionInfo }): Population {
  const r = new Prng(o.seed, 0);
  const servers: Server[] = [];
  for (let i = 0; i < o.servers; i++) {
    const h = () => r.int(65536).toString(16);
    const ll = `fe80::${h()}:${h()}:${h()}:${h()}%12`;
    servers.push({
      name: `${o.version.serverPrefix}${String(i + 1).padStart(2, '0')}`,
      ip: `10.0.1.${21 + i}`,
      linkLocal: ll,
      linkLocalEscaped: encodeURIComponent(ll).replace(/%3A/g, '%3a'),
    });
  }

  // the users with a story: chosen up front so the rest of the draw does not depend on them
  const movedUser = o.version.redirects && o.users >= 10 ? 1 + r.int(o.users - 1) : -1;
  let fullUser = o.users >= 10 ? 1 + r.int(o.users - 1) : -1;
  if (fullUser === movedUser) fullUser = (fullUser % (o.users - 1)) + 1;

  const taken = new Set<string>();
  const ids = new Set<string>();
  const users: User[] = [];
  const devices: Device[] = [];
  for (let u = 0; u < o.users; u++) {
    const first = r.pick(firstNames);
    const last = r.pick(lastNames);
    let sam = first[0] + last;
    for (let k = 2; taken.has(sam); k++) sam = `${first[0]}${last}${k}`;
    taken.add(sam);
    const activity = Math.min(3, Math.max(0.25, r.logNormal(1, 0.5)));
    const user: User = {
      index: u,
      sam,
      mailbox: r.int(o.servers),
      activity,
      mailboxFull: u === fullUser,
      devices: [],
      // moved in the afternoon of the second day (or the first, for one-day runs), local time
      ...(u === movedUser ? { movedAt: Math.min(1, o.days - 1) * DAY + (15 - site.utcOffsetHours) * HOUR + r.int(HOUR) } : {}),
    };
    users.push(user);
    const n = r.weighted([
      { n: 1, w: 60 },
      { n: 2, w: 30 },
      { n: 3, w: 10 },
    ]).n;
    for (let k = 0; k < n; k++) {
      const profile = r.weighted(o.version.profiles.map((p) => ({ p, w: k === 0 ? p.primary : p.secondary }))).p;
      const model = r.pick(profile.models);
      const protocol = r.weighted(profile.protocols).p;
      let id = deviceId(r, r.weighted(profile.ids).style);
      while (ids.has(id)) id = deviceId(r, r.weighted(profile.ids).style);
      ids.add(id);
      const domain = r.weighted([
        { d: site.netbios, w: 80 },
        { d: site.netbios.toLowerCase(), w: 20 },
      ]).d;
      const account = r.chance(0.05) ? sam[0]!.toUpperCase() + sam.slice(1) : sam;
      const logon = `${domain}\\${account}`;
      const settings = [`DevModel:${logEscape(model.devModel)}`];
      if (profile.imei) settings.push(`DevIMEI:${imei(r)}`);
      settings.push(`DevName:${logEscape(`${first[0]!.toUpperCase()}${first.slice(1)}'s ${model.deviceType}`)}`);
      settings.push(
        `DevOS:${logEscape(model.devOs)}`,
        `DevLang:${
          r.weighted([
            { l: 'en', w: 8 },
            { l: 'es', w: 1 },
            { l: 'fr', w: 1 },
          ]).l
        }`,
      );
      devices.push({
        index: devices.length,
        user,
        profile,
        model,
        protocol,
        deviceId: id,
        logon,
        idParams: `User=${encodeURIComponent(logon)}&DeviceId=${id}&DeviceType=${model.deviceType}`,
        activity: activity * (k === 0 ? 1 : 0.35),
        heartbeat: profile.heartbeats.length ? r.pick(profile.heartbeats) : 0,
        policyMinute: r.int(24 * 60),
        policyAck: r.weighted([
          { a: 1 as const, w: profile.imei ? 85 : 97 },
          { a: 2 as const, w: profile.imei ? 13 : 2 },
          { a: 3 as const, w: 1 },
        ]).a,
        settingsLog: settings.join('_'),
        homeIp: `${r.pick(['192.0.2', '198.51.100', '203.0.113'])}.${1 + r.int(254)}`,
        officeIp: `10.20.${r.int(8)}.${10 + r.int(240)}`,
        folders: { em: 3 + r.int(12), ca: 16 + r.int(10), co: 26 + r.int(10), emFilter: r.pick([2, 3, 3, 4, 5]), caFilter: r.pick([4, 5, 6, 7]) },
        clock: r.int(10 * MINUTE),
        carry: [],
        gone: false,
        syncKeys: new Int32Array([1 + r.int(3000), 1 + r.int(300), 1 + r.int(100)]),
        folderKey: 1 + r.int(20),
        policyKey: r.u32() || 1,
      });
      user.devices.push(devices[devices.length - 1]!);
    }
  }

  // a few runaway devices (about one in sixty), never the phones of the users with a story
  const candidates = devices.filter((d) => d.user.movedAt === undefined && !d.user.mailboxFull && d.profile.push);
  const runaways = o.users >= 5 ? Math.max(1, Math.round(devices.length / 60)) : 0;
  for (let k = 0; k < runaways && candidates.length; k++) {
    const d = candidates.splice(r.int(candidates.length), 1)[0]!;
    d.runaway = { kind: r.pick(['syncLoop', 'syncLoop', 'pingLoop', 'quotaLoop'] as const), firstDay: r.int(o.days) };
  }
  // one device still trying an old password for an hour or two
  if (o.users >= 20 && candidates.length) {
    const d = candidates.splice(r.int(candidates.length), 1)[0]!;
    const from = r.int(o.days) * DAY + (8 - site.utcOffsetHours) * HOUR + r.int(8 * HOUR);
    d.stalePassword = { from, to: from + HOUR + r.int(HOUR) };
  }
  return { servers, users, devices };
}
