// `mxray generate events`: an Exchange server's cmdlet log ("MSExchange Management" channel,
// provider "MSExchange CmdletLogs", EventID 1: %1 the cmdlet, %2 its parameters as Exchange writes
// them) and a domain controller's Security log (4720 accounts created, 4672 privileged logons, 4624
// logons), as wevtutil XML: the cmdlet log as `wevtutil qe … /f:xml` prints it (a stream of <Event>
// elements, CRLF), the Security log as Event Viewer's "Save as XML" written by PowerShell (UTF-16LE
// with BOM, an <Events> root). Every rule of rules/exchange-admin.yaml has cases that must fire it
// and look-alikes that must not; each case says which rules it fires, and truth.json holds the
// counts this generator's own bookkeeping makes of them (and of events, EventIDs and insertion
// strings per file), never counted by mxray.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedLogs, generatedTruth } from '../layout.js';
import { Random } from '../tracking/random.js';

export interface EventsGenOptions {
  /** first day (UTC), YYYY-MM-DD */
  start: string;
  seed: number;
  out: string;
}

/** a cmdlet run: what the rules should make of it */
interface CmdletCase {
  cmdlet: string;
  params: string;
  /** the rules of exchange-admin.yaml it fires */
  fires: readonly string[];
}

/** the cmdlet cases: for each rule, runs that must fire it and look-alikes that must not. %2 is
 *  mostly as the cmdlet log writes it (each bound parameter under its declared name, the value in
 *  double quotes, booleans and switches as "True"/"False"); a few cases are in the typed forms the
 *  rules also read ('x', $true, -Name:$true, lower case) and Exchange 2010's {Name=value, …}. The near
 *  misses include parameter names written inside another parameter's quoted value, which a search of
 *  the text (the starter rules' regular expressions before `op: param`) fired on. */
export const cmdletCases: readonly CmdletCase[] = [
  { cmdlet: 'Set-Mailbox', params: '-Identity "bob" -ForwardingSmtpAddress "smtp:x@outside.example"', fires: ['exchange-mailbox-forwarding'] },
  {
    cmdlet: 'Set-Mailbox',
    params: '-Identity "carol" -ForwardingAddress "ext-carol" -DeliverToMailboxAndForward "True"',
    fires: ['exchange-mailbox-forwarding', 'exchange-mailbox-deliver-and-forward'],
  },
  { cmdlet: 'Set-MailUser', params: "-Identity 'dave' -ForwardingSmtpAddress 'smtp:dave@outside.example'", fires: ['exchange-mailbox-forwarding'] },
  { cmdlet: 'Set-Mailbox', params: '-Identity "frank" -DeliverToMailboxAndForward:$true', fires: ['exchange-mailbox-deliver-and-forward'] },
  // PowerShell binds names without regard to case; a value holding "" (a quote) before the real forward;
  // Exchange 2010's {Name=value, …}
  { cmdlet: 'Set-Mailbox', params: '-identity "gina" -forwardingsmtpaddress "smtp:gina@outside.example"', fires: ['exchange-mailbox-forwarding'] },
  {
    cmdlet: 'Set-Mailbox',
    params: '-Identity "hal" -DisplayName "the ""away"" desk" -ForwardingSmtpAddress "smtp:hal@outside.example"',
    fires: ['exchange-mailbox-forwarding'],
  },
  { cmdlet: 'Set-Mailbox', params: '{Identity=ivan, ForwardingSmtpAddress=smtp:ivan@outside.example}', fires: ['exchange-mailbox-forwarding'] },
  { cmdlet: 'Set-Mailbox', params: '{Identity=ivan, ForwardingSmtpAddress=}', fires: [] },
  // look-alikes of forwarding: names and values that contain "forward", forwards cleared
  { cmdlet: 'Set-Mailbox', params: '-Identity "forwarders@corp.example" -ProhibitSendQuota "5 GB (5,368,709,120 bytes)"', fires: [] },
  { cmdlet: 'Set-Mailbox', params: '-Identity "desk" -DisplayName "Forwarding desk" -CustomAttribute1 "forward-to-ext"', fires: [] },
  { cmdlet: 'Set-Mailbox', params: '-Identity "bob" -ForwardingSmtpAddress $null', fires: [] },
  { cmdlet: 'Set-Mailbox', params: '-Identity "bob" -ForwardingSmtpAddress "" -DeliverToMailboxAndForward "False"', fires: [] },
  { cmdlet: 'Set-MailUser', params: "-Identity 'dave' -ForwardingAddress $null -DeliverToMailboxAndForward $false", fires: [] },
  // near misses: a parameter's name (and a value) written inside another parameter's quoted value
  { cmdlet: 'Set-Mailbox', params: '-Identity "bob" -CustomAttribute1 "please set -ForwardingSmtpAddress later"', fires: [] },
  {
    cmdlet: 'Set-Mailbox',
    params: '-Identity "desk" -DisplayName "desk -ForwardingAddress ext-desk" -CustomAttribute2 "see -DeliverToMailboxAndForward True"',
    fires: [],
  },
  { cmdlet: 'Set-Mailbox', params: '-Identity "bob" -CustomAttribute3 "was -AuditEnabled False" -AuditEnabled "True"', fires: [] },
  { cmdlet: 'Set-Mailbox', params: '-Identity "erin" -ProhibitSendQuota "5GB" -IssueWarningQuota "4.5GB"', fires: [] },
  { cmdlet: 'Get-Mailbox', params: '-Identity "bob" -ResultSize "Unlimited"', fires: [] },
  { cmdlet: 'Set-Mailbox', params: '-Identity "bob" -AuditEnabled "False"', fires: ['exchange-mailbox-audit-disabled'] },
  { cmdlet: 'Set-Mailbox', params: "-Identity 'bob' -AuditEnabled $false", fires: ['exchange-mailbox-audit-disabled'] },
  { cmdlet: 'Set-Mailbox', params: '-Identity "bob" -AuditEnabled "True"', fires: [] },
  { cmdlet: 'Set-Mailbox', params: '-Identity "false.positive" -AuditEnabled "True" -AuditLogAgeLimit "90.00:00:00"', fires: [] },
  { cmdlet: 'Set-MailboxAuditBypassAssociation', params: '-Identity "svc-backup" -AuditBypassEnabled "True"', fires: ['exchange-mailbox-audit-bypass'] },
  { cmdlet: 'Set-MailboxAuditBypassAssociation', params: "-Identity 'eve' -AuditBypassEnabled $true", fires: ['exchange-mailbox-audit-bypass'] },
  { cmdlet: 'Set-MailboxAuditBypassAssociation', params: '-Identity "svc-backup" -AuditBypassEnabled "False"', fires: [] },
  { cmdlet: 'Get-MailboxAuditBypassAssociation', params: '-Identity "svc-backup"', fires: [] },
  { cmdlet: 'Get-InboxRule', params: '-Mailbox "bob"', fires: [] },
  { cmdlet: 'New-InboxRule', params: '-Mailbox "bob" -Name "fw" -ForwardTo "x@outside.example"', fires: ['exchange-inbox-rule-forwarding'] },
  {
    cmdlet: 'Set-InboxRule',
    params: "-Identity 'bob\\fw' -ForwardAsAttachmentTo 'x@outside.example'",
    fires: ['exchange-inbox-rule-forwarding'],
  },
  { cmdlet: 'New-InboxRule', params: '-Mailbox "carol" -Name "away" -RedirectTo "y@outside.example"', fires: ['exchange-inbox-rule-redirect'] },
  // look-alikes of inbox-rule forwarding: "forward" in a rule's name or a folder, a forward cleared
  { cmdlet: 'New-InboxRule', params: '-Mailbox "carol" -Name "news" -From "news@example.com" -MoveToFolder "carol:\\News"', fires: [] },
  { cmdlet: 'New-InboxRule', params: '-Mailbox "bob" -Name "ForwardTo archive" -MoveToFolder "bob:\\Forwarded"', fires: [] },
  { cmdlet: 'Set-InboxRule', params: '-Identity "bob\\redirect-old" -RedirectTo $null -ForwardTo ""', fires: [] },
  { cmdlet: 'New-InboxRule', params: '-Mailbox "bob" -Name "-RedirectTo desk" -MoveToFolder "bob:\\Desk"', fires: [] },
  { cmdlet: 'Set-InboxRule', params: '-Identity "bob\\desk" -Description "old: -RedirectTo y@outside.example"', fires: [] },
  { cmdlet: 'New-InboxRule', params: '-Mailbox "carol" -Name "copy -ForwardTo x@outside.example" -MarkAsRead "True"', fires: [] },
  { cmdlet: 'Remove-InboxRule', params: '-Identity "bob\\fw" -Confirm "False"', fires: [] },
  {
    cmdlet: 'Add-MailboxPermission',
    params: '-Identity "ceo" -User "eve" -AccessRights "FullAccess" -InheritanceType "All"',
    fires: ['exchange-fullaccess-granted'],
  },
  { cmdlet: 'Add-MailboxPermission', params: '-Identity "FullAccess-team" -User "eve" -AccessRights "ReadPermission"', fires: [] },
  { cmdlet: 'Add-MailboxPermission', params: '-Identity "ceo" -User "eve" -AccessRights "ReadPermission, FullAccess"', fires: ['exchange-fullaccess-granted'] },
  { cmdlet: 'Remove-MailboxPermission', params: '-Identity "ceo" -User "eve" -AccessRights "FullAccess"', fires: [] },
  { cmdlet: 'Add-ADPermission', params: '-Identity "ceo" -User "eve" -ExtendedRights "Receive-As, Send-As"', fires: ['exchange-sendas-granted'] },
  { cmdlet: 'Add-ADPermission', params: '-Identity "Send-As robot" -User "eve" -ExtendedRights "Receive-As"', fires: [] },
  { cmdlet: 'Add-MailboxPermission', params: '-Identity "room -AccessRights FullAccess" -User "eve" -AccessRights "ReadPermission"', fires: [] },
  { cmdlet: 'Add-ADPermission', params: '-Identity "ceo" -User "robot -ExtendedRights Send-As" -ExtendedRights "Receive-As"', fires: [] },
  {
    cmdlet: 'Set-MailboxAuditBypassAssociation',
    params: '-Identity "svc -AuditBypassEnabled True" -AuditBypassEnabled "False"',
    fires: [],
  },
  {
    cmdlet: 'New-TransportRule',
    params: '-Name "copy all" -SentToScope "NotInOrganization" -BlindCopyTo "x@outside.example"',
    fires: ['exchange-transport-rule-changed'],
  },
  { cmdlet: 'Set-TransportRule', params: '-Identity "copy all" -Priority "0"', fires: ['exchange-transport-rule-changed'] },
  { cmdlet: 'Enable-TransportRule', params: '-Identity "copy all"', fires: ['exchange-transport-rule-changed'] },
  { cmdlet: 'Disable-TransportRule', params: '-Identity "copy all" -Confirm "False"', fires: [] },
  { cmdlet: 'Get-TransportRule', params: '', fires: [] },
  { cmdlet: 'Set-AdminAuditLogConfig', params: '-AdminAuditLogEnabled "False"', fires: ['exchange-admin-audit-changed'] },
  { cmdlet: 'Get-AdminAuditLogConfig', params: '', fires: [] },
];

/** a Security event: EventID, its named insertion strings, the rules it fires */
interface SecurityCase {
  id: number;
  data: readonly (readonly [string, string])[];
  fires: readonly string[];
}

const subject = (user: string, domain: string, sid: string) =>
  [
    ['SubjectUserSid', sid],
    ['SubjectUserName', user],
    ['SubjectDomainName', domain],
    ['SubjectLogonId', '0x3e7'],
  ] as const;
const privileges = ['PrivilegeList', 'SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege'] as const;

export const securityCases: readonly SecurityCase[] = [
  {
    id: 4720,
    data: [
      ['TargetUserName', 'mallory'],
      ['TargetDomainName', 'CORP'],
      ['TargetSid', 'S-1-5-21-1004336348-1177238915-682003330-1602'],
      ...subject('admin', 'CORP', 'S-1-5-21-1004336348-1177238915-682003330-500'),
      ['SamAccountName', 'mallory'],
    ],
    fires: ['account-created'],
  },
  { id: 4672, data: [...subject('SYSTEM', 'NT AUTHORITY', 'S-1-5-18'), privileges], fires: [] },
  { id: 4672, data: [...subject('LOCAL SERVICE', 'NT AUTHORITY', 'S-1-5-19'), privileges], fires: [] },
  { id: 4672, data: [...subject('NETWORK SERVICE', 'NT AUTHORITY', 'S-1-5-20'), privileges], fires: [] },
  { id: 4672, data: [...subject('EX01$', 'CORP', 'S-1-5-21-1004336348-1177238915-682003330-1105'), privileges], fires: [] },
  { id: 4672, data: [...subject('Administrator', 'CORP', 'S-1-5-21-1004336348-1177238915-682003330-500'), privileges], fires: ['privileged-logon'] },
  { id: 4672, data: [...subject('alice.admin', 'CORP', 'S-1-5-21-1004336348-1177238915-682003330-1203'), privileges], fires: ['privileged-logon'] },
  {
    id: 4624,
    data: [...subject('-', '-', 'S-1-0-0'), ['TargetUserName', 'bob'], ['TargetDomainName', 'CORP'], ['LogonType', '3']],
    fires: [],
  },
];

export interface FileTruth {
  events: number;
  /** events per EventID */
  eventIds: Record<string, number>;
  /** EventData Data elements (insertion strings) in the file */
  insertionStrings: number;
  /** how the file is written */
  encoding: 'utf-8' | 'utf-16le';
}

export interface EventsTruth {
  seed: number;
  files: Record<string, FileTruth>;
  /** expected matches per rule of rules/exchange-admin.yaml */
  matches: Record<string, number>;
}

export const ruleNames = [
  'account-created',
  'privileged-logon',
  'exchange-mailbox-forwarding',
  'exchange-mailbox-deliver-and-forward',
  'exchange-inbox-rule-forwarding',
  'exchange-inbox-rule-redirect',
  'exchange-fullaccess-granted',
  'exchange-sendas-granted',
  'exchange-transport-rule-changed',
  'exchange-admin-audit-changed',
  'exchange-mailbox-audit-disabled',
  'exchange-mailbox-audit-bypass',
] as const;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');

/** ms since 1970 -> wevtutil's SystemTime (seven fraction digits and two zeros, as Windows writes) */
const systemTime = (ms: number, ticks: number) => `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 10000 + ticks).padStart(7, '0')}00Z`;

export async function generateEvents(o: EventsGenOptions): Promise<EventsTruth> {
  const rnd = new Random(o.seed, 'events');
  const logs = generatedLogs(o.out);
  mkdirSync(logs, { recursive: true });
  const matches: Record<string, number> = Object.fromEntries(ruleNames.map((r) => [r, 0]));
  const files: Record<string, FileTruth> = {};
  let t = Date.parse(`${o.start}T08:00:00Z`);
  const next = () => {
    t += rnd.int(1, 600) * 1000 + rnd.int(0, 999);
    return systemTime(t, rnd.int(0, 9999));
  };

  // the cmdlet log: each case 1–3 times, in a seeded order
  const runs = cmdletCases.flatMap((c) => Array.from({ length: rnd.int(1, 3) }, () => c));
  shuffle(rnd, runs);
  const cmdlets: string[] = [];
  const exTruth: FileTruth = { events: 0, eventIds: {}, insertionStrings: 0, encoding: 'utf-8' };
  let record = rnd.int(1000, 90000);
  for (const c of runs) {
    const data = [
      c.cmdlet,
      c.params,
      `corp.example/Users/${rnd.pick(['admin', 'alice.admin', 'svc-exchange'])}`,
      '',
      'True',
      '',
      String(rnd.int(15, 2500)),
      String(rnd.int(2000, 9000)),
      'w3wp#MSExchangePowerShellAppPool',
    ];
    cmdlets.push(
      `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='MSExchange CmdletLogs'/><EventID Qualifiers='16388'>1</EventID><Version>0</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='${next()}'/><EventRecordID>${record++}</EventRecordID><Correlation/><Execution ProcessID='${rnd.int(2000, 9000)}' ThreadID='0'/><Channel>MSExchange Management</Channel><Computer>EX01.corp.example</Computer><Security/></System><EventData>${data.map((d) => (d ? `<Data>${esc(d)}</Data>` : '<Data></Data>')).join('')}</EventData></Event>`,
    );
    exTruth.events++;
    exTruth.eventIds['1'] = (exTruth.eventIds['1'] ?? 0) + 1;
    exTruth.insertionStrings += data.length;
    for (const r of c.fires) matches[r]!++;
  }
  const exName = 'EX01-MSExchange-Management.xml';
  writeFileSync(join(logs, exName), `${cmdlets.join('\r\n')}\r\n`);
  files[exName] = exTruth;

  // the Security log
  const sec = securityCases.flatMap((c) => Array.from({ length: rnd.int(1, 3) }, () => c));
  shuffle(rnd, sec);
  const secTruth: FileTruth = { events: 0, eventIds: {}, insertionStrings: 0, encoding: 'utf-16le' };
  record = rnd.int(100000, 900000);
  const events: string[] = [];
  for (const c of sec) {
    events.push(
      `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/><EventID>${c.id}</EventID><Version>0</Version><Level>0</Level><Task>${c.id === 4720 ? 13824 : 12548}</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='${next()}'/><EventRecordID>${record++}</EventRecordID><Correlation/><Execution ProcessID='612' ThreadID='${rnd.int(600, 5000)}'/><Channel>Security</Channel><Computer>DC01.corp.example</Computer><Security/></System><EventData>${c.data.map(([n, v]) => `<Data Name='${n}'>${esc(v)}</Data>`).join('')}</EventData></Event>`,
    );
    secTruth.events++;
    secTruth.eventIds[String(c.id)] = (secTruth.eventIds[String(c.id)] ?? 0) + 1;
    secTruth.insertionStrings += c.data.length;
    for (const r of c.fires) matches[r]!++;
  }
  const secName = 'DC01-Security.xml';
  const text = `<?xml version="1.0" encoding="UTF-16"?>\r\n<Events>\r\n${events.join('\r\n')}\r\n</Events>\r\n`;
  writeFileSync(join(logs, secName), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  files[secName] = secTruth;

  const truth: EventsTruth = { seed: o.seed, files, matches };
  writeFileSync(generatedTruth(o.out), `${JSON.stringify(truth, null, 2)}\n`);
  return truth;
}

function shuffle<T>(rnd: Random, xs: T[]): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rnd.int(0, i);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}
