// The IIS / ActiveSync generator's knowledge, as data: the site, the Exchange versions (IIS field
// layout, stems, ports), the EAS commands, the request outcomes (HTTP status + EAS status + Error:),
// the device profiles per version and the non-EAS requests. Behaviour (activity.ts) and rendering
// (easlog.ts, lines.ts) read these tables; nothing else lists versions, commands or outcomes.

/** the organisation every generated log belongs to */
export const site = {
  netbios: 'CONTOSO',
  smtpDomain: 'contoso.com',
  adDomain: 'contoso.local',
  host: 'mail.contoso.com',
  /** local time of the users relative to UTC (IIS logs are in UTC; people live in local time) */
  utcOffsetHours: -5,
} as const;

// ---------------------------------------------------------------------------------------------
// EAS protocol versions

export interface Protocol {
  /** as written after V in Log= (141, 160 …; 2003 style: 2, 3, 4) */
  readonly log: string;
  /** the protocol version as a number (14.1, 2.5 …), for command availability */
  readonly eas: number;
}
const p = (log: string, eas: number): Protocol => ({ log, eas });
export const protocols = {
  v161: p('161', 16.1),
  v160: p('160', 16.0),
  v141: p('141', 14.1),
  v140: p('140', 14.0),
  v121: p('121', 12.1),
  v25: p('4', 2.5),
  v21: p('3', 2.1),
} as const;

// ---------------------------------------------------------------------------------------------
// Commands: the index in this list is the command code stored in the event buffers.

export interface CommandInfo {
  readonly name: string;
  readonly method: 'POST' | 'OPTIONS';
  /** counts as an e-mail sent from the device (when HTTP 200) */
  readonly sendsMail: boolean;
  /** first and last protocol version that has the command */
  readonly minEas: number;
  readonly maxEas: number;
}
const cmd = (name: string, o: Partial<CommandInfo> = {}): CommandInfo => ({ name, method: 'POST', sendsMail: false, minEas: 1, maxEas: 99, ...o });
export const commands = [
  cmd('Sync'),
  cmd('Ping', { minEas: 2.5 }),
  cmd('FolderSync'),
  cmd('SendMail', { sendsMail: true }),
  cmd('SmartReply', { sendsMail: true }),
  cmd('SmartForward', { sendsMail: true }),
  cmd('Settings', { minEas: 12 }),
  cmd('Provision', { minEas: 2.5 }),
  cmd('GetItemEstimate'),
  cmd('ItemOperations', { minEas: 12 }),
  cmd('MeetingResponse'),
  cmd('Search'),
  cmd('Options', { method: 'OPTIONS' }),
  cmd('MoveItems'),
  cmd('GetAttachment', { maxEas: 14.1 }),
] as const satisfies readonly CommandInfo[];
export type CommandName = (typeof commands)[number]['name'];
/** command code by name */
export const C = Object.fromEntries(commands.map((c, i) => [c.name, i])) as { readonly [K in CommandName]: number };
/** the code of a request that is not ActiveSync (OWA, EWS, Autodiscover, MAPI, DAV) */
export const NON_EAS = 255;

// ---------------------------------------------------------------------------------------------
// Outcomes: the index is the outcome code stored in the event buffers.

export interface Outcome {
  readonly name: string;
  readonly http: number;
  readonly sub: number;
  readonly win32: number;
  /** EAS status logged as S<n>; undefined = the command's normal status */
  readonly eas?: number;
  /** logged as Error:<name> */
  readonly error?: string;
}
const o = (name: string, http: number, x: Partial<Outcome> = {}): Outcome => ({ name, http, sub: 0, win32: 0, ...x });
export const outcomes = [
  o('ok', 200),
  /** the anonymous first leg of an authentication handshake: cs-username is '-' */
  o('challenge', 401, { sub: 2, win32: 5 }),
  /** bad password (often after a password change): cs-username is '-' too */
  o('badPassword', 401, { sub: 1, win32: 2148074254 }),
  /** protocol 12.1 and older: HTTP 449 asks the device to provision again */
  o('needProvision', 449, { eas: 142, error: 'DeviceNotProvisioned' }),
  /** protocol 14.0 and later: HTTP 200 with status 143 */
  o('policyRefresh', 200, { eas: 143, error: 'PolicyRefresh' }),
  /** the mailbox is elsewhere (another site, or moved to Exchange Online) */
  o('redirect', 451),
  o('throttled', 503, { eas: 111, error: 'ServerErrorRetryLater' }),
  o('mailboxFull', 507, { eas: 113, error: 'MailboxQuotaExceeded' }),
  o('serverError', 500, { eas: 110, error: 'ServerError' }),
  /** Ping that returns because a folder changed */
  o('pingChanges', 200, { eas: 2 }),
  o('pingCollision', 200, { error: 'PingCollisionDetected' }),
  o('syncStateNotFound', 200, { eas: 132, error: 'SyncStateNotFound' }),
  o('invalidSyncKey', 200, { eas: 3, error: 'InvalidSyncKey' }),
  /** the device went away while its Ping was parked (IIS logs win32 64: network name gone) */
  o('clientGone', 200, { win32: 64 }),
] as const satisfies readonly Outcome[];
export type OutcomeName = (typeof outcomes)[number]['name'];
export const O = Object.fromEntries(outcomes.map((x, i) => [x.name, i])) as { readonly [K in OutcomeName]: number };

// ---------------------------------------------------------------------------------------------
// Devices

export interface DeviceModel {
  readonly deviceType: string;
  readonly userAgent: string;
  /** Settings DevModel: and DevOS: values (plain text, escaped when logged) */
  readonly devModel: string;
  readonly devOs: string;
}
export type DeviceIdStyle = 'ios' | 'iosSerial' | 'samsung' | 'androidMs' | 'androidc' | 'hex32';
export interface DeviceProfile {
  readonly name: string;
  /** weight as a user's first device, and as a second or third one */
  readonly primary: number;
  readonly secondary: number;
  readonly models: readonly DeviceModel[];
  readonly protocols: readonly { readonly p: Protocol; readonly w: number }[];
  readonly ids: readonly { readonly style: DeviceIdStyle; readonly w: number }[];
  /** query parameter order: iOS sends User first, most others Cmd first */
  readonly userFirst: boolean;
  /** Direct Push (Ping) or scheduled Sync every pollMinutes */
  readonly push: boolean;
  readonly heartbeats: readonly number[];
  readonly pollMinutes?: number;
  /** share of requests preceded by an anonymous 401 */
  readonly challengeRate: number;
  /** GetItemEstimate requests per day */
  readonly estimatesPerDay: number;
  /** where the requests come from: a phone/tablet, or Microsoft's cloud (Outlook mobile) */
  readonly network: 'mobile' | 'cloud' | 'desk';
  readonly imei: boolean;
}

const ios = (deviceType: string, hw: string, build: string, os: string): DeviceModel => ({
  deviceType,
  userAgent: `Apple-${hw}/${build}`,
  devModel: hw,
  devOs: `iOS ${os}`,
});
const samsung = (model: string, ua: string, os: string): DeviceModel => ({
  deviceType: `SAMSUNG${model.replace(/-/g, '')}`,
  userAgent: `SAMSUNG-${model}/${ua}`,
  devModel: model,
  devOs: `Android ${os}`,
});
const one = (p: Protocol) => [{ p, w: 1 }];
const base = { userFirst: false, push: true, challengeRate: 0.003, estimatesPerDay: 0, network: 'mobile', imei: false } as const;

const profiles2013: readonly DeviceProfile[] = [
  {
    ...base,
    name: 'iPhone',
    primary: 45,
    secondary: 8,
    userFirst: true,
    heartbeats: [900, 1200, 1500, 1740],
    protocols: [
      { p: protocols.v161, w: 9 },
      { p: protocols.v160, w: 1 },
    ],
    ids: [
      { style: 'ios', w: 85 },
      { style: 'iosSerial', w: 15 },
    ],
    models: [
      ios('iPhone', 'iPhone15C2', '2104.61', '17.3.1 21D61'),
      ios('iPhone', 'iPhone14C5', '2103.66', '17.2.1 21C66'),
      ios('iPhone', 'iPhone16C1', '2104.61', '17.3.1 21D61'),
      ios('iPhone', 'iPhone13C2', '2008.307', '16.7.5 20H307'),
      ios('iPhone', 'iPhone12C8', '2104.50', '17.3 21D50'),
      ios('iPhone', 'iPhone14C2', '2105.219', '17.4 21E219'),
    ],
  },
  {
    ...base,
    name: 'iPad',
    primary: 2,
    secondary: 24,
    userFirst: true,
    heartbeats: [900, 1740],
    protocols: one(protocols.v161),
    ids: [{ style: 'ios', w: 1 }],
    models: [
      ios('iPad', 'iPad13C16', '2104.61', '17.3.1 21D61'),
      ios('iPad', 'iPad14C1', '2103.66', '17.2.1 21C66'),
      ios('iPad', 'iPad7C5', '2104.61', '17.3.1 21D61'),
    ],
  },
  {
    ...base,
    name: 'Samsung Email',
    primary: 14,
    secondary: 3,
    heartbeats: [480, 900, 1680],
    estimatesPerDay: 6,
    imei: true,
    protocols: [
      { p: protocols.v161, w: 6 },
      { p: protocols.v141, w: 4 },
    ],
    ids: [{ style: 'samsung', w: 1 }],
    models: [samsung('SM-S911B', '101.140000', '14'), samsung('SM-A546B', '101.140000', '14'), samsung('SM-G991B', '101.130000', '13')],
  },
  {
    ...base,
    name: 'Gmail',
    primary: 8,
    secondary: 2,
    heartbeats: [480, 1500],
    imei: true,
    protocols: [
      { p: protocols.v160, w: 6 },
      { p: protocols.v141, w: 4 },
    ],
    ids: [{ style: 'androidMs', w: 1 }],
    models: [
      { deviceType: 'Android', userAgent: 'Android-Mail/2024.02.04.606126839.Release', devModel: 'Pixel 7', devOs: 'Android 14' },
      { deviceType: 'Android', userAgent: 'Android-Mail/2023.12.10.590207421.Release', devModel: 'moto g32', devOs: 'Android 13' },
    ],
  },
  {
    ...base,
    name: 'Outlook mobile',
    primary: 22,
    secondary: 25,
    heartbeats: [900],
    network: 'cloud',
    challengeRate: 0,
    protocols: one(protocols.v161),
    ids: [{ style: 'hex32', w: 1 }],
    models: [{ deviceType: 'Outlook', userAgent: 'Outlook-iOS-Android/1.0', devModel: 'Outlook for iOS and Android', devOs: 'OutlookBasicAuth' }],
  },
  {
    ...base,
    name: 'Windows Mail',
    primary: 3,
    secondary: 30,
    heartbeats: [470, 1800],
    network: 'desk',
    challengeRate: 0.05,
    protocols: [
      { p: protocols.v161, w: 7 },
      { p: protocols.v141, w: 3 },
    ],
    ids: [{ style: 'hex32', w: 1 }],
    models: [
      { deviceType: 'WindowsMail', userAgent: 'MSFT-WIN-3/10.0.19045', devModel: 'Latitude 5420', devOs: 'Windows 10.0.19045' },
      { deviceType: 'WindowsMail', userAgent: 'MSFT-WIN-3/10.0.22631', devModel: 'Surface Laptop 5', devOs: 'Windows 10.0.22631' },
    ],
  },
  {
    ...base,
    name: 'legacy Android',
    primary: 3,
    secondary: 4,
    heartbeats: [540],
    estimatesPerDay: 10,
    imei: true,
    protocols: one(protocols.v121),
    ids: [{ style: 'androidc', w: 1 }],
    models: [{ deviceType: 'Android', userAgent: 'Android/4.4.4-EAS-2.0', devModel: 'GT-I9195', devOs: 'Android 4.4.4' }],
  },
];

const profiles2010: readonly DeviceProfile[] = [
  {
    ...base,
    name: 'iPhone',
    primary: 50,
    secondary: 8,
    userFirst: true,
    heartbeats: [900, 1500, 1740],
    protocols: one(protocols.v140),
    ids: [{ style: 'iosSerial', w: 1 }],
    models: [
      ios('iPhone', 'iPhone5C2', '1104.201', '7.1.1 11D201'),
      ios('iPhone', 'iPhone6C2', '1104.201', '7.1.1 11D201'),
      ios('iPhone', 'iPhone4C1', '1002.329', '6.1.3 10B329'),
    ],
  },
  {
    ...base,
    name: 'iPad',
    primary: 3,
    secondary: 35,
    userFirst: true,
    heartbeats: [1740],
    protocols: one(protocols.v140),
    ids: [{ style: 'iosSerial', w: 1 }],
    models: [ios('iPad', 'iPad3C3', '1104.201', '7.1.1 11D201'), ios('iPad', 'iPad2C5', '1104.201', '7.1.1 11D201')],
  },
  {
    ...base,
    name: 'Samsung',
    primary: 20,
    secondary: 4,
    heartbeats: [480, 1680],
    estimatesPerDay: 8,
    imei: true,
    protocols: [
      { p: protocols.v140, w: 7 },
      { p: protocols.v121, w: 3 },
    ],
    ids: [{ style: 'samsung', w: 1 }],
    models: [samsung('GT-I9505', '101.403', '4.3'), samsung('SM-N9005', '101.403', '4.3')],
  },
  {
    ...base,
    name: 'Android',
    primary: 12,
    secondary: 3,
    heartbeats: [540, 1500],
    estimatesPerDay: 10,
    imei: true,
    protocols: one(protocols.v121),
    ids: [{ style: 'androidc', w: 1 }],
    models: [
      { deviceType: 'Android', userAgent: 'Android/4.1.2-EAS-1.3', devModel: 'Nexus 4', devOs: 'Android 4.1.2' },
      { deviceType: 'Android', userAgent: 'Android/4.2.2-EAS-1.3', devModel: 'HTC One', devOs: 'Android 4.2.2' },
    ],
  },
  {
    ...base,
    name: 'Windows Phone',
    primary: 12,
    secondary: 6,
    heartbeats: [1500],
    challengeRate: 0.01,
    protocols: one(protocols.v140),
    ids: [{ style: 'hex32', w: 1 }],
    models: [{ deviceType: 'WP8', userAgent: 'MSFT-WP/8.0.10521', devModel: 'Lumia 920', devOs: 'Windows Phone 8.0.10521' }],
  },
  {
    ...base,
    name: 'Nokia Mail for Exchange',
    primary: 3,
    secondary: 2,
    push: false,
    pollMinutes: 30,
    heartbeats: [],
    protocols: one(protocols.v121),
    ids: [{ style: 'hex32', w: 1 }],
    imei: true,
    models: [{ deviceType: 'NokiaE72', userAgent: 'NokiaE72-1/3.02(0)MailforExchange', devModel: 'E72-1', devOs: 'S60 3.2' }],
  },
];

const profiles2003: readonly DeviceProfile[] = [
  {
    ...base,
    name: 'iPhone',
    primary: 40,
    secondary: 10,
    userFirst: true,
    heartbeats: [1740],
    protocols: one(protocols.v25),
    ids: [{ style: 'iosSerial', w: 1 }],
    models: [
      { deviceType: 'iPhone', userAgent: 'Apple-iPhone/705.18', devModel: 'iPhone', devOs: 'iPhone OS 3.1.3' },
      { deviceType: 'iPhone', userAgent: 'Apple-iPhone/704.11', devModel: 'iPhone', devOs: 'iPhone OS 3.1.2' },
    ],
  },
  {
    ...base,
    name: 'Pocket PC',
    primary: 30,
    secondary: 10,
    userFirst: true,
    heartbeats: [900, 1680],
    estimatesPerDay: 12,
    protocols: one(protocols.v25),
    ids: [{ style: 'hex32', w: 1 }],
    models: [{ deviceType: 'PocketPC', userAgent: 'MSFT-PPC/5.2.5082', devModel: 'HTC Touch Pro', devOs: 'Windows Mobile 6.1' }],
  },
  {
    ...base,
    name: 'Smartphone',
    primary: 20,
    secondary: 5,
    userFirst: true,
    heartbeats: [900, 1680],
    estimatesPerDay: 12,
    protocols: one(protocols.v25),
    ids: [{ style: 'hex32', w: 1 }],
    models: [{ deviceType: 'SmartPhone', userAgent: 'MSFT-SPhone/5.2.1620', devModel: 'BlackJack II', devOs: 'Windows Mobile 6.1' }],
  },
  {
    ...base,
    name: 'old Pocket PC',
    primary: 10,
    secondary: 5,
    userFirst: true,
    push: false,
    pollMinutes: 15,
    heartbeats: [],
    estimatesPerDay: 20,
    protocols: one(protocols.v21),
    ids: [{ style: 'hex32', w: 1 }],
    models: [{ deviceType: 'PocketPC', userAgent: 'MSFT-PPC/5.1.2005', devModel: 'iPAQ hw6915', devOs: 'Windows Mobile 5.0' }],
  },
];

// ---------------------------------------------------------------------------------------------
// Requests that are not ActiveSync: each template is one user action that IIS logs as 1–3 lines.

export interface NonEasLine {
  readonly method: string;
  /** {smtp} becomes the user's address */
  readonly stem: string;
  /** the query ('-' for none); {guid} becomes a fresh GUID, {smtpDomain} and {adDomain} the site's domains */
  readonly query: string;
  readonly ua: string;
  readonly status: readonly [number, number, number];
  /** logged with the user's name (true) or anonymously (false) */
  readonly authenticated: boolean;
  /** time-taken range in ms */
  readonly ms: readonly [number, number];
  /** DAV requests the 2003 ActiveSync server makes to its own /exchange/ on port 80 */
  readonly local?: boolean;
}
export interface NonEasTemplate {
  readonly w: number;
  readonly lines: readonly NonEasLine[];
}

const edge = 'Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/122.0.0.0+Safari/537.36+Edg/122.0.2365.66';
const outlook16 = 'Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.17231;+Pro)';
const macOutlook = 'Microsoft+Office/16.0+(Macintosh;+Mac+OS+X+14.3;+Microsoft+Outlook+16.82.24021116;+Pro)';
const l = (
  method: string,
  stem: string,
  query: string,
  ua: string,
  status: readonly [number, number, number],
  authenticated: boolean,
  ms: readonly [number, number],
  local = false,
): NonEasLine => ({ method, stem, query, ua, status, authenticated, ms, ...(local ? { local } : {}) });
const ok = [200, 0, 0] as const;
const anon = [401, 1, 2148074254] as const;

const nonEas2013: readonly NonEasTemplate[] = [
  {
    w: 3,
    lines: [
      l('GET', '/owa/', '&CorrelationID=<empty>;&cafeReqId={guid};&encoding=;', edge, [302, 0, 0], false, [2, 20]),
      l('POST', '/owa/auth.owa', '&CorrelationID=<empty>;&cafeReqId={guid};&encoding=;', edge, [302, 0, 0], true, [20, 120]),
      l('POST', '/owa/service.svc', 'action=GetFolderChangeDigest&app=Mail&n=1&CorrelationID=<empty>;&cafeReqId={guid};', edge, ok, true, [15, 90]),
    ],
  },
  { w: 3, lines: [l('POST', '/EWS/Exchange.asmx', '&CorrelationID=<empty>;&cafeReqId={guid};', macOutlook, ok, true, [8, 300])] },
  {
    w: 2,
    lines: [
      l('POST', '/Autodiscover/Autodiscover.xml', '&CorrelationID=<empty>;&cafeReqId={guid};', outlook16, anon, false, [1, 6]),
      l('POST', '/Autodiscover/Autodiscover.xml', '&CorrelationID=<empty>;&cafeReqId={guid};', outlook16, ok, true, [20, 160]),
    ],
  },
  { w: 4, lines: [l('POST', '/mapi/emsmdb/', 'mailboxId={guid}@{smtpDomain}&CorrelationID=<empty>;&cafeReqId={guid};', outlook16, ok, true, [5, 900])] },
];
const nonEas2010: readonly NonEasTemplate[] = [
  {
    w: 3,
    lines: [
      l('GET', '/owa/', '-', edge, [302, 0, 0], false, [2, 20]),
      l('POST', '/owa/auth/owaauth.dll', '-', edge, [302, 0, 0], true, [20, 120]),
      l('GET', '/owa/', 'ae=Folder&t=IPF.Note', edge, ok, true, [30, 250]),
    ],
  },
  { w: 3, lines: [l('POST', '/EWS/Exchange.asmx', '-', macOutlook, ok, true, [8, 300])] },
  {
    w: 2,
    lines: [
      l('POST', '/Autodiscover/Autodiscover.xml', '-', outlook16, anon, false, [1, 6]),
      l('POST', '/Autodiscover/Autodiscover.xml', '-', outlook16, ok, true, [20, 160]),
    ],
  },
  { w: 3, lines: [l('RPC_IN_DATA', '/rpc/rpcproxy.dll', 'MBX01.{adDomain}:6001', 'MSRPC', ok, true, [60000, 900000])] },
];
const nonEas2003: readonly NonEasTemplate[] = [
  { w: 2, lines: [l('GET', '/exchange/', '-', 'Mozilla/4.0+(compatible;+MSIE+7.0;+Windows+NT+5.1;+.NET+CLR+2.0.50727)', ok, true, [15, 200])] },
  {
    w: 1,
    lines: [
      l('POST', '/exchweb/bin/auth/owaauth.dll', '-', 'Mozilla/4.0+(compatible;+MSIE+7.0;+Windows+NT+5.1;+.NET+CLR+2.0.50727)', [302, 0, 0], false, [20, 120]),
    ],
  },
  {
    w: 4,
    lines: [
      l('UNSUBSCRIBE', '/exchange/{smtp}/', '-', 'Microsoft-Server-ActiveSync/6.5.7638.1', [401, 2, 2148074254], false, [0, 3], true),
      l('UNSUBSCRIBE', '/exchange/{smtp}/', '-', 'Microsoft-Server-ActiveSync/6.5.7638.1', [401, 1, 0], false, [0, 3], true),
      l('UNSUBSCRIBE', '/exchange/{smtp}/', '-', 'Microsoft-Server-ActiveSync/6.5.7638.1', [207, 0, 0], true, [5, 40], true),
    ],
  },
  {
    w: 2,
    lines: [
      l(
        'PROPFIND',
        '/exchange/{smtp}/NON_IPM_SUBTREE/Microsoft-Server-ActiveSync/',
        '-',
        'Microsoft-Server-ActiveSync/6.5.7638.1',
        [401, 1, 0],
        false,
        [0, 3],
        true,
      ),
      l(
        'PROPFIND',
        '/exchange/{smtp}/NON_IPM_SUBTREE/Microsoft-Server-ActiveSync/',
        '-',
        'Microsoft-Server-ActiveSync/6.5.7638.1',
        [207, 0, 0],
        true,
        [5, 60],
        true,
      ),
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Exchange versions: the single list of what `--version` accepts.

export type LogStyle = 'cafe' | 'e2010' | 'e2003';
export interface VersionInfo {
  readonly title: string;
  /** #Software: */
  readonly software: string;
  /** #Fields: of every file (front end and back end alike) */
  readonly fields: readonly string[];
  /** front-end request path, and the 2013+ back-end (proxy) path on port 444, site W3SVC2 */
  readonly stem: string;
  readonly backEndStem?: string;
  /** how Log= is written: 2013+ only on the back end (CAFE front ends log cafeReqId instead) */
  readonly logStyle: LogStyle;
  readonly serverPrefix: string;
  readonly profiles: readonly DeviceProfile[];
  readonly nonEas: readonly NonEasTemplate[];
  /** HTTP 451 (another site / mailbox moved) exists */
  readonly redirects: boolean;
}

const w3cDefault = [
  'date',
  'time',
  's-ip',
  'cs-method',
  'cs-uri-stem',
  'cs-uri-query',
  's-port',
  'cs-username',
  'c-ip',
  'cs(User-Agent)',
  'cs(Referer)',
  'sc-status',
  'sc-substatus',
  'sc-win32-status',
  'time-taken',
];

export const iisVersions = {
  '2013': {
    title: 'Exchange 2013+ (CAFE front end + back end), IIS 8.5',
    software: 'Microsoft Internet Information Services 8.5',
    // the default set plus the byte counts, in IIS's own order (bytes sit before time-taken)
    fields: [...w3cDefault.slice(0, 14), 'sc-bytes', 'cs-bytes', 'time-taken'],
    stem: '/Microsoft-Server-ActiveSync/default.eas',
    backEndStem: '/Microsoft-Server-ActiveSync/Proxy/default.eas',
    logStyle: 'cafe',
    serverPrefix: 'EXCH',
    profiles: profiles2013,
    nonEas: nonEas2013,
    redirects: true,
  },
  '2010': {
    title: 'Exchange 2010 Client Access, IIS 7.5',
    software: 'Microsoft Internet Information Services 7.5',
    fields: w3cDefault,
    stem: '/Microsoft-Server-ActiveSync/default.eas',
    logStyle: 'e2010',
    serverPrefix: 'CAS',
    profiles: profiles2010,
    nonEas: nonEas2010,
    redirects: true,
  },
  '2003': {
    title: 'Exchange 2003 front end, IIS 6.0',
    software: 'Microsoft Internet Information Services 6.0',
    fields: [
      'date',
      'time',
      's-sitename',
      's-ip',
      'cs-method',
      'cs-uri-stem',
      'cs-uri-query',
      's-port',
      'cs-username',
      'c-ip',
      'cs(User-Agent)',
      'sc-status',
      'sc-substatus',
      'sc-win32-status',
    ],
    stem: '/Microsoft-Server-ActiveSync',
    logStyle: 'e2003',
    serverPrefix: 'EXFE',
    profiles: profiles2003,
    nonEas: nonEas2003,
    redirects: false,
  },
} as const satisfies Record<string, VersionInfo>;
export type IisVersion = keyof typeof iisVersions;
export const iisVersionNames = Object.keys(iisVersions) as IisVersion[];
