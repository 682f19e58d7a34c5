// The Exchange ActiveSync `Log=` elements as data: what each identifier is called in an admin's
// words, how its value is read, and what it means. decode.ts reads these tables to decode a Log
// string; describe.ts and the docs print them. Also here: the EAS status codes (MS-ASCMD 2.2.2),
// the HTTP statuses EAS uses (MS-ASHTTP) and the command codes of base64-encoded requests.
//
// Where a meaning comes from matters, because half of the 2010+ elements were never documented:
//   seed      the Exchange 2007 "Exchange ActiveSync Protocol Logging" page (shared/seeds/004_…)
//   spec      shared/specs/activesync.md (Export-ActiveSyncLog, MS-ASCMD, Exchange team blog)
//   observed  seen in real 2010+ logs (shared/corpus/iis_activesync); the meaning is our reading
//             and says so ("undocumented", "believed")

/** how an element's value is read */
export type ValueKind =
  /** digits; `codes: 'eas-status'` = look the number up in easStatuses */
  | { readonly kind: 'int'; readonly unit?: 'seconds' | 'bytes' | 'ms'; readonly codes?: 'eas-status' }
  | { readonly kind: 'enum'; readonly values: Readonly<Record<string, string>> }
  /** digits followed by a letter code, repeated: `1a0c0d0s0e0r` */
  | { readonly kind: 'counters'; readonly letters: Readonly<Record<string, CounterLetter>> }
  | { readonly kind: 'string' }
  /** URL-escaped by Exchange (`%40` for @, `+` for a space, `%5F` for _): decoded once */
  | { readonly kind: 'url-escaped string' };

export interface CounterLetter {
  /** key in DecodedElement.parts and in summaries */
  readonly part: string;
  /** the letter's meaning, as the seed words it */
  readonly name: string;
}

export type Source = 'seed' | 'spec' | 'observed';

export interface ElementDef {
  /** identifier as logged, without the `:` some forms add (`Ty:Em` and `Pk:4016830080` have it,
   *  `Fc1` and `Pk2260121383` do not: both forms are the same element). `Tm*` = any key that
   *  starts with Tm. */
  readonly key: string;
  /** in the admin's words; for the seed's elements exactly the seed's words */
  readonly name: string;
  readonly value: ValueKind;
  /** what the element tells */
  readonly meaning: string;
  readonly source: Source;
}

const int: ValueKind = { kind: 'int' };
const seconds: ValueKind = { kind: 'int', unit: 'seconds' };
const bytes: ValueKind = { kind: 'int', unit: 'bytes' };
const ms: ValueKind = { kind: 'int', unit: 'ms' };
const str: ValueKind = { kind: 'string' };
const esc: ValueKind = { kind: 'url-escaped string' };

/** protocol versions as logged in V (digits without the dot) → the version the seed's
 *  translation prints ("12" for 120, as the seed writes it; the others as MS-ASProtocolVersion) */
export const protocolVersions: Readonly<Record<string, string>> = {
  '10': '1.0',
  '20': '2.0',
  '21': '2.1',
  '25': '2.5',
  '120': '12',
  '121': '12.1',
  '140': '14.0',
  '141': '14.1',
  '160': '16.0',
  '161': '16.1',
};

/** collection (folder) types of Ty and of the 2003 T */
export const collectionTypes: Readonly<Record<string, string>> = {
  Em: 'Email',
  Co: 'Contacts',
  Ca: 'Calendar',
  Ta: 'Tasks',
  Nt: 'Notes',
};

export const syncTypes: Readonly<Record<string, string>> = {
  F: 'First sync',
  S: 'Subsequent sync',
  R: 'Recovery sync',
  I: 'Invalid sync',
};

/** Cli: letters (seed: a c d f e) */
export const clientCounters: Readonly<Record<string, CounterLetter>> = {
  a: { part: 'adds', name: 'Adds' },
  c: { part: 'changes', name: 'Changes' },
  d: { part: 'deletes', name: 'Deletes' },
  f: { part: 'fetches', name: 'Fetches' },
  e: { part: 'errors', name: 'Errors' },
};

/** Srv:/Svr: letters (seed: a c d s e, and r in its example and translation). `A` and `sd` are
 *  logged by 2010+ (`Srv:6a0c0d0s0e0r0A0sd`) and documented nowhere: they are split and kept under
 *  their own letters, not given a meaning we cannot source. */
export const serverCounters: Readonly<Record<string, CounterLetter>> = {
  a: { part: 'adds', name: 'Adds' },
  c: { part: 'changes', name: 'Changes' },
  d: { part: 'deletes', name: 'Deletes' },
  s: { part: 'softDeletes', name: 'Soft-Deletes' },
  e: { part: 'errors', name: 'Errors' },
  r: { part: 'readFlagChanges', name: 'Read Flag Changes' },
  f: { part: 'fetches', name: 'Fetches' },
};

/** device access state (As:) = state word + one reason letter. G is the organization's default
 *  access level (every As in our corpus is AllowedG); the other letters are believed to be the
 *  first letter of Exchange's DeviceAccessStateReason (Individual, DeviceRule, Policy, Upgrade). */
const accessStates = { Allowed: 'allowed', Blocked: 'blocked', Quarantined: 'quarantined', DeviceDiscovery: 'in device discovery' } as const;
const accessReasons = {
  G: 'by the organization-wide default access level',
  I: 'by a per-user device allow/block list (believed)',
  D: 'by a device access rule (believed)',
  P: 'by policy (believed)',
  U: 'during the upgrade grace period (believed)',
} as const;
const accessValues: Record<string, string> = {};
for (const [state, s] of Object.entries(accessStates)) {
  accessValues[state] = s;
  for (const [letter, r] of Object.entries(accessReasons)) accessValues[state + letter] = `${s} ${r}`;
}

/** every element of the 2007+ grammar we know, in the order the seed and the spec list them */
export const elements: readonly ElementDef[] = [
  // ---- the seed (Exchange 2007 protocol logging page) ----
  {
    key: 'V',
    name: 'Protocol Version',
    value: { kind: 'enum', values: protocolVersions },
    source: 'seed',
    meaning: 'protocol version the device uses with the server (120 = 12.0, 141 = 14.1 …)',
  },
  {
    key: 'Ty',
    name: 'Type',
    value: { kind: 'enum', values: collectionTypes },
    source: 'seed',
    meaning: 'type of the folder (collection) being synchronized; logged once per collection',
  },
  { key: 'Fid', name: 'Folder ID', value: int, source: 'seed', meaning: 'ID of the folder being synchronized' },
  { key: 'Fc', name: 'Folder Count', value: int, source: 'seed', meaning: 'number of folders being synchronized (GetItemEstimate)' },
  {
    key: 'Filt',
    name: 'Filter Type',
    source: 'seed',
    meaning: 'how far back the device asked for items',
    value: {
      kind: 'enum',
      values: {
        '0': 'No filter',
        '1': '1 day back',
        '2': '3 days back',
        '3': '1 week back',
        '4': '2 weeks back',
        '5': '1 month back',
        '6': '3 months back',
        '7': '6 months back',
        '8': 'Incomplete tasks',
      },
    },
  },
  {
    key: 'St',
    name: 'Sync Type',
    value: { kind: 'enum', values: syncTypes },
    source: 'seed',
    meaning:
      "first sync (sync key 0), subsequent sync, recovery sync (the device resent a request whose answer it lost) or invalid sync (the sync key does not match the server's)",
  },
  { key: 'Sk', name: 'Sync Key', value: int, source: 'seed', meaning: 'sync key exchanged between the device and the server' },
  {
    key: 'Cli',
    name: 'Client Stats',
    value: { kind: 'counters', letters: clientCounters },
    source: 'seed',
    meaning: 'changes the device sent: adds, changes, deletes, fetches, errors',
  },
  {
    key: 'Srv',
    name: 'Server Stats',
    value: { kind: 'counters', letters: serverCounters },
    source: 'seed',
    meaning: 'changes the server sent to the device: adds, changes, deletes, soft-deletes, errors, read-flag changes',
  },
  {
    key: 'Svr',
    name: 'Server Stats',
    value: { kind: 'counters', letters: serverCounters },
    source: 'seed',
    meaning: 'changes the server sent to the device (the spelling TechNet documents for Srv)',
  },
  { key: 'E', name: 'Number of Errors', value: int, source: 'seed', meaning: 'errors encountered in the request' },
  { key: 'Io', name: 'Items opened', value: int, source: 'seed', meaning: 'items opened by the server (announced as a future feature)' },
  { key: 'Hb', name: 'Heartbeat Interval', value: seconds, source: 'seed', meaning: 'heartbeat interval of a Ping (Direct Push), in seconds' },
  { key: 'Ssp', name: 'SharePoint Docs', value: int, source: 'seed', meaning: 'files accessed from SharePoint' },
  { key: 'Sspb', name: 'SharePoint Bytes', value: bytes, source: 'seed', meaning: 'bytes accessed from SharePoint' },
  { key: 'Unc', name: 'UNC Files', value: int, source: 'seed', meaning: 'files accessed from UNC shares' },
  { key: 'Uncb', name: 'UNC Bytes', value: bytes, source: 'seed', meaning: 'bytes accessed from UNC shares' },
  { key: 'Att', name: 'Attachments', value: int, source: 'seed', meaning: 'attachments retrieved (GetAttachment, ItemOperations)' },
  { key: 'Attb', name: 'Attachment Bytes', value: bytes, source: 'seed', meaning: 'bytes of attachments retrieved (GetAttachment, ItemOperations)' },
  { key: 'Pk', name: 'Policy Key', value: int, source: 'seed', meaning: 'policy key the device sent: correlates policy acknowledgements to a policy' },
  {
    key: 'Pa',
    name: 'Policy Acknowledge Status',
    source: 'seed',
    meaning: 'whether the device applied the policy settings (Provision)',
    value: {
      kind: 'enum',
      values: {
        '0': 'Unknown',
        '1': 'Success applying policy',
        '2': 'Partially applied policy',
        '3': 'Failed applying policy',
        '4': 'Provisioned by a third party (MS-ASPROV)',
      },
    },
  },
  {
    key: 'Oof',
    name: 'Oof Action',
    source: 'seed',
    meaning: 'what the device did with the Out of Office settings (Settings)',
    value: { kind: 'enum', values: { Get: 'Retrieves the Oof status and message', Set: 'Sets the Oof status and/or message' } },
  },
  {
    key: 'UserInfo',
    name: 'User Information Action',
    source: 'seed',
    meaning: 'user information requested by the device (Settings; only Get exists)',
    value: { kind: 'enum', values: { Get: 'Retrieves the user information' } },
  },
  { key: 'DevModel', name: 'Device Model', value: esc, source: 'seed', meaning: 'manufacturer, model name or number, as the device reports it (Settings)' },
  { key: 'DevIMEI', name: 'IMEI', value: esc, source: 'seed', meaning: 'International Mobile Equipment Identity, as the device reports it (Settings)' },
  { key: 'DevName', name: 'Device Friendly Name', value: esc, source: 'seed', meaning: "the user's description of the device (Settings)" },
  { key: 'DevOS', name: 'Device OS', value: esc, source: 'seed', meaning: 'operating system of the device (Settings)' },
  { key: 'DevLang', name: 'Device OS Language', value: esc, source: 'seed', meaning: 'language of the device OS (Settings)' },
  {
    key: 'Error',
    name: 'Error',
    value: esc,
    source: 'seed',
    meaning: 'error section of the request, e.g. PingCollisionDetected, SyncStateNotFound, PolicyRefresh',
  },
  {
    key: 'S',
    name: 'Status',
    value: { kind: 'int', codes: 'eas-status' },
    source: 'seed',
    meaning: 'global status the command returned (1 = success; 101–184 see the EAS status table; others vary by command)',
  },
  // ---- seen in 2010+ logs (spec list) ----
  {
    key: 'Ver1',
    name: 'Protocol Version (2016 form)',
    value: { kind: 'enum', values: protocolVersions },
    source: 'observed',
    meaning: 'protocol version again, logged by Exchange 2016+ beside V (undocumented)',
  },
  { key: 'SC', name: 'SC', value: int, source: 'observed', meaning: 'undocumented counter' },
  { key: 'HH', name: 'Host Header', value: esc, source: 'observed', meaning: 'host name (and port) the request was addressed to' },
  { key: 'SmtpAdrs', name: 'SMTP Address', value: esc, source: 'observed', meaning: 'SMTP address of the mailbox' },
  {
    key: 'PrxFrom',
    name: 'Proxied From',
    value: esc,
    source: 'observed',
    meaning: 'server that proxied the request to this one (the front end, for a back-end line)',
  },
  { key: 'PrxTo', name: 'Proxied To', value: esc, source: 'observed', meaning: 'server this one proxied the request to' },
  {
    key: 'As',
    name: 'Access State',
    value: { kind: 'enum', values: accessValues },
    source: 'observed',
    meaning: 'device access state and its reason (Allow/Block/Quarantine), e.g. AllowedG',
  },
  { key: 'Mbx', name: 'Mailbox Server', value: esc, source: 'observed', meaning: 'mailbox server that holds the active copy of the mailbox' },
  { key: 'Dc', name: 'Domain Controller', value: esc, source: 'observed', meaning: 'domain controller the server used' },
  { key: 'LdapC', name: 'LDAP Calls', value: int, source: 'observed', meaning: 'LDAP requests made for this request' },
  { key: 'LdapL', name: 'LDAP Latency', value: ms, source: 'observed', meaning: 'time spent in LDAP requests' },
  { key: 'RpcC', name: 'RPC Calls', value: int, source: 'observed', meaning: 'RPC requests to the mailbox server made for this request' },
  { key: 'RpcL', name: 'RPC Latency', value: ms, source: 'observed', meaning: 'time spent in RPC requests to the mailbox server' },
  {
    key: 'Throttle',
    name: 'Throttling Delay',
    value: int,
    source: 'observed',
    meaning: 'throttling applied to the request (0 = none; believed to be a delay in ms)',
  },
  {
    key: 'Budget',
    name: 'Throttling Budget',
    value: esc,
    source: 'observed',
    meaning: "state of the user's throttling budget: owner, connections, balance, policy",
  },
  { key: 'Rto', name: 'Rto', value: str, source: 'observed', meaning: 'undocumented' },
  { key: 'Cpo', name: 'Cpo', value: str, source: 'observed', meaning: 'undocumented' },
  { key: 'Fet', name: 'Fet', value: int, source: 'observed', meaning: 'undocumented number' },
  { key: 'Sst', name: 'Sync State', value: esc, source: 'observed', meaning: "state of the device's sync state" },
  {
    key: 'Ssnf',
    name: 'Sync State Not Found',
    value: { kind: 'enum', values: { T: 'yes', F: 'no' } },
    source: 'observed',
    meaning: 'the server found no sync state for the device and folder',
  },
  { key: 'Erq', name: 'Empty Request', value: int, source: 'observed', meaning: 'the Sync request had no body (the device reused its previous request)' },
  { key: 'Ers', name: 'Ers', value: int, source: 'observed', meaning: 'undocumented (believed: an empty response was sent)' },
  { key: 'BR', name: 'BR', value: str, source: 'observed', meaning: 'undocumented' },
  { key: 'BPR', name: 'BPR', value: str, source: 'observed', meaning: 'undocumented' },
  {
    key: 'SrchP',
    name: 'Search Provider',
    value: { kind: 'enum', values: { Doc: 'document library (SharePoint or UNC)' } },
    source: 'observed',
    meaning: 'store a Search looked in',
  },
  { key: 'ItOfd', name: 'ItOfd', value: int, source: 'observed', meaning: 'undocumented (seen with UNC document fetches of ItemOperations)' },
  {
    key: 'ActivityContextData',
    name: 'Activity Data',
    value: esc,
    source: 'observed',
    meaning: 'resources the request used: RPC, LDAP, mailbox and budget counters',
  },
  { key: 'Cafe', name: 'Front End Server', value: esc, source: 'observed', meaning: 'Client Access front end (CAFE) the request came through' },
  { key: 'Tm*', name: 'Timing', value: esc, source: 'observed', meaning: "timing of the request's stages (TmTr …)" },
  // ---- seen in the corpus, not in the spec's list ----
  { key: 'NMS', name: 'NMS', value: int, source: 'observed', meaning: 'undocumented' },
  { key: 'DBL', name: 'DBL', value: int, source: 'observed', meaning: 'undocumented' },
  { key: 'CmdHC', name: 'Command Hash Code', value: int, source: 'observed', meaning: 'hash of the command (undocumented; may be negative)' },
];

// ---- the Exchange 2003 format ----------------------------------------------------------------
// `V2TCoSSC:0A0C0D0FS:1A0C0D0SP:1C2I105992S109982R`: no separators, fixed order
// V<version>T<type>S<sync type>C:<client counters>S:<server counters>P:<performance counters>
// (Exchange team blog, 28 Mar 2005). The blog does not name the P letters.

export const protocolVersions2003: Readonly<Record<string, string>> = {
  '1': '1.0',
  '2': '2.0',
  '3': '2.1',
  // not in the 2005 blog: Exchange 2003 SP2 added protocol 2.5, and V4 is what its Direct Push
  // (Ping) lines carry
  '4': '2.5',
  NA: 'unknown or invalid',
};

/** P: letters. The blog only says "related to performance"; H is read as the Ping heartbeat
 *  because 1740 s is the usual Direct Push heartbeat and it appears in a Ping line. */
export const performanceCounters2003: Readonly<Record<string, CounterLetter>> = {
  C: { part: 'C', name: 'C' },
  I: { part: 'I', name: 'I' },
  S: { part: 'S', name: 'S' },
  R: { part: 'R', name: 'R' },
  L: { part: 'L', name: 'L' },
  H: { part: 'H', name: 'H (heartbeat?, s)' },
  P: { part: 'P', name: 'P' },
};

export const elements2003: readonly ElementDef[] = [
  {
    key: 'V',
    name: 'Protocol Version',
    value: { kind: 'enum', values: protocolVersions2003 },
    source: 'spec',
    meaning: 'protocol version: 1 = 1.0, 2 = 2.0, 3 = 2.1, NA = unknown',
  },
  {
    key: 'T',
    name: 'Type',
    value: { kind: 'enum', values: { ...collectionTypes, NA: 'None' } },
    source: 'spec',
    meaning: 'type of the data being synchronized',
  },
  {
    key: 'S',
    name: 'Sync Type',
    source: 'spec',
    meaning: 'type of sync; N for every command but Sync',
    value: { kind: 'enum', values: { N: 'Not a sync', S: 'Subsequent sync', R: 'Recovery sync', F: 'First sync' } },
  },
  {
    key: 'C:',
    name: 'Client Stats',
    source: 'spec',
    meaning: 'changes the device sent: adds, changes, deletes, fetches',
    value: { kind: 'counters', letters: { A: clientCounters.a!, C: clientCounters.c!, D: clientCounters.d!, F: clientCounters.f! } },
  },
  {
    key: 'S:',
    name: 'Server Stats',
    source: 'spec',
    meaning: 'changes the server sent: adds, changes, deletes, soft-deletes',
    value: { kind: 'counters', letters: { A: serverCounters.a!, C: serverCounters.c!, D: serverCounters.d!, S: serverCounters.s! } },
  },
  {
    key: 'P:',
    name: 'Performance',
    source: 'spec',
    meaning: 'performance counters; the blog does not name the letters (H is believed to be the Ping heartbeat, seconds)',
    value: { kind: 'counters', letters: performanceCounters2003 },
  },
];

// ---- status codes ----------------------------------------------------------------------------

export interface StatusDef {
  readonly code: number;
  readonly name: string;
  readonly meaning: string;
}

/** MS-ASCMD 2.2.2 common status codes: any command may return them in its Status element */
export const easStatuses: readonly StatusDef[] = [
  { code: 101, name: 'InvalidContent', meaning: 'the body of the request is invalid (e.g. wrong content type)' },
  { code: 102, name: 'InvalidWBXML', meaning: 'the request contains WBXML that cannot be decoded' },
  { code: 103, name: 'InvalidXML', meaning: 'the XML of the request does not match the protocol schema' },
  { code: 104, name: 'InvalidDateTime', meaning: 'the request contains an invalid date or time' },
  { code: 105, name: 'InvalidCombinationOfIDs', meaning: 'the request contains a combination of IDs that is not valid' },
  { code: 106, name: 'InvalidIDs', meaning: 'the request contains an invalid ID' },
  { code: 107, name: 'InvalidMIME', meaning: 'the MIME message of the request is invalid' },
  { code: 108, name: 'DeviceIdMissingOrInvalid', meaning: 'the device ID is missing or invalid' },
  { code: 109, name: 'DeviceTypeMissingOrInvalid', meaning: 'the device type is missing or invalid' },
  { code: 110, name: 'ServerError', meaning: 'server error; the device should not retry right away' },
  { code: 111, name: 'ServerErrorRetryLater', meaning: 'transient server error; the device should retry later' },
  { code: 112, name: 'ActiveDirectoryAccessDenied', meaning: 'the server has no access to an Active Directory object' },
  { code: 113, name: 'MailboxQuotaExceeded', meaning: 'the mailbox is over its quota' },
  { code: 114, name: 'MailboxServerOffline', meaning: 'the mailbox server is offline' },
  { code: 115, name: 'SendQuotaExceeded', meaning: 'the user is over the send quota' },
  { code: 116, name: 'MessageRecipientUnresolved', meaning: 'a recipient could not be resolved' },
  { code: 117, name: 'MessageReplyNotAllowed', meaning: 'the mailbox may not reply to this message' },
  { code: 118, name: 'MessagePreviouslySent', meaning: 'the message was already sent (same ClientId)' },
  { code: 119, name: 'MessageHasNoRecipient', meaning: 'the message has no recipient' },
  { code: 120, name: 'MailSubmissionFailed', meaning: 'the server could not submit the message' },
  { code: 121, name: 'MessageReplyFailed', meaning: 'the server could not create the reply' },
  { code: 122, name: 'AttachmentIsTooLarge', meaning: 'an attachment is too large' },
  { code: 123, name: 'UserHasNoMailbox', meaning: 'the user has no mailbox' },
  { code: 124, name: 'UserCannotBeAnonymous', meaning: 'the request cannot be made anonymously' },
  { code: 125, name: 'UserPrincipalCouldNotBeFound', meaning: 'the user was not found in the directory' },
  { code: 126, name: 'UserDisabledForSync', meaning: 'ActiveSync is disabled for the user' },
  { code: 127, name: 'UserOnNewMailboxCannotSync', meaning: 'the mailbox is on a server version this server cannot proxy to' },
  { code: 128, name: 'UserOnLegacyMailboxCannotSync', meaning: 'the mailbox is on a legacy server' },
  { code: 129, name: 'DeviceIsBlockedForThisUser', meaning: 'the device is blocked for this user' },
  { code: 130, name: 'AccessDenied', meaning: 'access denied' },
  { code: 131, name: 'AccountDisabled', meaning: 'the account is disabled' },
  { code: 132, name: 'SyncStateNotFound', meaning: 'the sync state was not found: the device must sync again from scratch' },
  { code: 133, name: 'SyncStateLocked', meaning: 'the sync state is locked by another request' },
  { code: 134, name: 'SyncStateCorrupt', meaning: 'the sync state is corrupt' },
  { code: 135, name: 'SyncStateAlreadyExists', meaning: 'the sync state already exists' },
  { code: 136, name: 'SyncStateVersionInvalid', meaning: 'the sync state version is invalid' },
  { code: 137, name: 'CommandNotSupported', meaning: 'the command is not supported' },
  { code: 138, name: 'VersionNotSupported', meaning: 'the protocol version is not supported' },
  { code: 139, name: 'DeviceNotFullyProvisionable', meaning: 'the device cannot fully apply the policy' },
  { code: 140, name: 'RemoteWipeRequested', meaning: 'a remote wipe was requested for the device' },
  { code: 141, name: 'LegacyDeviceOnStrictPolicy', meaning: 'the device does not support provisioning and the policy requires it' },
  { code: 142, name: 'DeviceNotProvisioned', meaning: 'the device is not provisioned: it must send Provision' },
  { code: 143, name: 'PolicyRefresh', meaning: 'the policy changed: the device must provision again' },
  { code: 144, name: 'InvalidPolicyKey', meaning: 'the policy key is invalid' },
  { code: 145, name: 'ExternallyManagedDevicesNotAllowed', meaning: 'externally managed devices are not allowed' },
  { code: 146, name: 'NoRecurrenceInCalendar', meaning: 'the calendar item has no recurrence' },
  { code: 147, name: 'UnexpectedItemClass', meaning: 'the item class is not the one the command expects' },
  { code: 148, name: 'RemoteServerHasNoSSL', meaning: 'the remote server has no TLS/SSL' },
  { code: 149, name: 'InvalidStoredRequest', meaning: 'the stored request (an empty Sync or Ping) is invalid: the device must send the full request' },
  { code: 150, name: 'ItemNotFound', meaning: 'the item was not found' },
  { code: 151, name: 'TooManyFolders', meaning: 'the mailbox has too many folders' },
  { code: 152, name: 'NoFoldersFound', meaning: 'no folders were found' },
  { code: 153, name: 'ItemsLostAfterMove', meaning: 'items were lost after a move' },
  { code: 154, name: 'FailureInMoveOperation', meaning: 'the move failed' },
  { code: 155, name: 'MoveCommandDisallowedForNonPersistentMoveAction', meaning: 'a move of this kind is not allowed' },
  { code: 156, name: 'MoveCommandInvalidDestinationFolder', meaning: 'the destination folder of the move is invalid' },
  { code: 160, name: 'AvailabilityTooManyRecipients', meaning: 'free/busy was asked for too many recipients' },
  { code: 161, name: 'AvailabilityDLLimitReached', meaning: 'the distribution list is too large to expand for free/busy' },
  { code: 162, name: 'AvailabilityTransientFailure', meaning: 'free/busy failed temporarily' },
  { code: 163, name: 'AvailabilityFailure', meaning: 'free/busy failed' },
  { code: 164, name: 'BodyPartPreferenceTypeNotSupported', meaning: 'the requested body part type is not supported' },
  { code: 165, name: 'DeviceInformationRequired', meaning: 'the device must send its DeviceInformation (Settings) first' },
  { code: 166, name: 'InvalidAccountId', meaning: 'the account ID is invalid' },
  { code: 167, name: 'AccountSendDisabled', meaning: 'sending from this account is disabled' },
  { code: 168, name: 'IRM_FeatureDisabled', meaning: 'Information Rights Management is disabled' },
  { code: 169, name: 'IRM_TransientError', meaning: 'Information Rights Management failed temporarily' },
  { code: 170, name: 'IRM_PermanentError', meaning: 'Information Rights Management failed' },
  { code: 171, name: 'IRM_InvalidTemplateID', meaning: 'the rights management template ID is invalid' },
  { code: 172, name: 'IRM_OperationNotPermitted', meaning: 'the rights management template does not permit the operation' },
  { code: 173, name: 'NoPicture', meaning: 'the contact has no picture' },
  { code: 174, name: 'PictureTooLarge', meaning: 'the picture is too large' },
  { code: 175, name: 'PictureLimitReached', meaning: 'too many pictures were asked for' },
  { code: 176, name: 'BodyPart_ConversationTooLarge', meaning: 'the conversation is too large for a body part' },
  { code: 177, name: 'MaximumDevicesReached', meaning: 'the user has reached the maximum number of devices' },
  { code: 178, name: 'InvalidMimeBodyCombination', meaning: 'the Mime and Body elements of the request conflict' },
  { code: 179, name: 'InvalidSmartForwardParameters', meaning: 'the SmartForward parameters are invalid' },
  { code: 183, name: 'InvalidRecipients', meaning: 'the recipients are invalid' },
  { code: 184, name: 'OneOrMoreExceptionsFailed', meaning: 'one or more exceptions of a recurring item failed' },
];

export interface HttpStatusDef {
  readonly code: number;
  readonly name: string;
  /** what it means for an ActiveSync device */
  readonly meaning: string;
}

/** HTTP statuses as ActiveSync uses them (MS-ASHTTP, spec "Status codes") */
export const httpStatuses: readonly HttpStatusDef[] = [
  { code: 200, name: 'OK', meaning: 'the request succeeded (the EAS status in the body may still be an error)' },
  { code: 400, name: 'Bad Request', meaning: 'the request is malformed' },
  { code: 401, name: 'Unauthorized', meaning: 'authentication required or failed (the first 401 of a challenge is normal)' },
  { code: 403, name: 'Forbidden', meaning: 'the user may not use ActiveSync, or TLS is required' },
  { code: 404, name: 'Not Found', meaning: 'the server does not know the URL or the user' },
  { code: 449, name: 'Retry After Provisioning', meaning: 'the device must send Provision first (older protocol versions)' },
  { code: 451, name: 'Redirect', meaning: 'the device should use another server (X-MS-Location)' },
  { code: 500, name: 'Internal Server Error', meaning: 'the server failed; also sent for unreachable mailboxes' },
  { code: 501, name: 'Not Implemented', meaning: 'the command is not supported by the server' },
  { code: 503, name: 'Service Unavailable', meaning: 'the server is throttling the device or is overloaded' },
  { code: 507, name: 'Insufficient Storage', meaning: 'the mailbox is full' },
];

/** command codes of base64-encoded requests (MS-ASHTTP 2.2.1.1.1.1.2) */
export const commandCodes: readonly string[] = [
  'Sync',
  'SendMail',
  'SmartForward',
  'SmartReply',
  'GetAttachment',
  'GetHierarchy',
  'CreateCollection',
  'DeleteCollection',
  'MoveCollection',
  'FolderSync',
  'FolderCreate',
  'FolderDelete',
  'FolderUpdate',
  'MoveItems',
  'GetItemEstimate',
  'MeetingResponse',
  'Search',
  'Settings',
  'Ping',
  'ItemOperations',
  'Provision',
  'ResolveRecipients',
  'ValidateCert',
  'Find',
];

// ---- lookups ---------------------------------------------------------------------------------

const byKey = new Map(elements.filter((e) => !e.key.endsWith('*')).map((e) => [e.key, e]));
const byPrefix = elements.filter((e) => e.key.endsWith('*')).map((e) => ({ prefix: e.key.slice(0, -1), def: e }));
const byKey2003 = new Map(elements2003.map((e) => [e.key, e]));
const statusByCode = new Map(easStatuses.map((s) => [s.code, s]));
const httpByCode = new Map(httpStatuses.map((s) => [s.code, s]));

/** the 2007+ element for an identifier without its `:` (`Ty`, `Ver1`, `TmTr`) */
export function elementFor(key: string): ElementDef | undefined {
  return byKey.get(key) ?? byPrefix.find((p) => key.startsWith(p.prefix) && key.length > p.prefix.length)?.def;
}

/** the 2003 element for a key as logged (`V`, `T`, `S`, `C:`, `S:`, `P:`) */
export function element2003For(key: string): ElementDef | undefined {
  return byKey2003.get(key);
}

export function easStatus(code: number): StatusDef | undefined {
  return statusByCode.get(code);
}

export function httpStatus(code: number): HttpStatusDef | undefined {
  return httpByCode.get(code);
}
