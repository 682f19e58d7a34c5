// Client names from ClientInfoString, as a data table (spec calendar.md, "Client names"): the
// first row whose pattern matches names the client and says what kind of actor it is. The spec's
// mapping, plus the decisions it leaves open, each with its reason:
//   - REST AppIds: named after Microsoft's own CSS-Exchange calendar scripts (ShortClientNameFunctions),
//     the only public list; an AppId not listed shows as "REST application <guid>".
//   - Client=Rest;LocationAssistantProcessor: a server-side processor (it resolves meeting
//     locations), so a server assistant, "Location Assistant".
//   - Client=Rest;GriffinRestClient: Microsoft's own REST client of the service (CSS-Exchange keeps
//     the name as is); shown as "Griffin REST client (Microsoft service)", acting for the user.
//   - Client=ActiveSync with an empty UserAgent or `UnknownClient`: "ActiveSync (unknown device)".
//   - An EBA/TBA action that is not an assistant (Client=EBA;Action=Delete;Data=789): "EBA: Delete",
//     a server-side event-based action.
//   - Several assistants named (FreeBusyPublishingAssistant;ResourceBookingAssistant): the booking
//     one, which is what changes calendars (as CSS-Exchange decides).
// A string no row matches shows as itself; an empty one as "(no client info)".

/** who a client acts as: a person's client, a server assistant, transport, or an admin's cmdlet */
export type ClientKind = 'user' | 'assistant' | 'transport' | 'admin';

export interface Client {
  /** what the timeline shows: "Outlook desktop (MAPI)" */
  readonly name: string;
  readonly kind: ClientKind;
}

interface ClientRule {
  readonly match: RegExp;
  readonly name: string | ((m: RegExpExecArray) => string);
  readonly kind: ClientKind;
}

/** REST application ids (see the reasons above) */
export const restAppIds: Readonly<Record<string, { name: string; kind: ClientKind }>> = {
  '6326e366-9d6d-4c70-b22a-34c7ea72d73d': { name: 'Calendar Replication (REST)', kind: 'assistant' },
  '1e3faf23-d2d2-456a-9e3e-55db63b869b0': { name: 'Cisco Webex (REST)', kind: 'user' },
  '1c3a76cc-470a-46d7-8ba9-713cfbb2c01f': { name: 'Time Service (REST)', kind: 'assistant' },
  '48af08dc-f6d2-435f-b2a7-069abd99c086': { name: 'REST Connector (REST)', kind: 'user' },
  '7b7fdad6-df9d-4cd5-a4f2-b5f749350419': { name: 'Bookings B2 Service (REST)', kind: 'assistant' },
  'bcad1a65-78eb-4725-9bce-ce1a8ed30b95': { name: 'ELC-B2 retention (REST)', kind: 'assistant' },
  '00000004-0000-0ff1-ce00-000000000000': { name: 'Skype (REST)', kind: 'user' },
};

/** server assistants by their Action= name */
export const assistants: Readonly<Record<string, string>> = {
  ResourceBookingAssistant: 'Resource Booking Assistant',
  CalendarRepairAssistant: 'Calendar Repair Assistant',
  CalendarSyncAssistant: 'Calendar Sync Assistant',
  ELCAssistant: 'ELC (retention) Assistant',
  CalendarAssistant: 'Calendar Assistant',
  FreeBusyPublishingAssistant: 'Free/Busy Publishing Assistant',
  SharingFolderAssistant: 'Sharing Folder Assistant',
};

/** the user agent's product, without its version: Apple-iPhone9C1/1402.100 -> Apple-iPhone9C1 */
const product = (ua: string) => ua.split('/')[0]!.trim();

export const clientRules: readonly ClientRule[] = [
  { match: /Client=Hub Transport/i, name: 'Transport', kind: 'transport' },
  { match: /Remove-CalendarEvents/i, name: 'Remove-CalendarEvents (admin cmdlet)', kind: 'admin' },
  {
    match: /Client=(?:TBA|EBA)\b.*\b(ResourceBookingAssistant)\b/i,
    name: () => assistants.ResourceBookingAssistant!,
    kind: 'assistant',
  },
  {
    match: /Client=(?:TBA|EBA)\b.*Action=(\w+Assistant)\b/i,
    name: (m) => assistants[Object.keys(assistants).find((k) => k.toLowerCase() === m[1]!.toLowerCase()) ?? ''] ?? m[1]!,
    kind: 'assistant',
  },
  { match: /Client=(TBA|EBA);.*?Action=([^;]+)/i, name: (m) => `${m[1]!.toUpperCase()}: ${m[2]}`, kind: 'assistant' },
  { match: /Client=MSExchangeRPC/i, name: 'Outlook desktop (MAPI)', kind: 'user' },
  { match: /Client=OWA/i, name: 'OWA (Outlook on the web)', kind: 'user' },
  { match: /Client=POP3\/IMAP4/i, name: 'POP/IMAP', kind: 'user' },
  { match: /Client=ActiveSync;.*UserAgent=Outlook-iOS-Android/i, name: 'Outlook Mobile (ActiveSync)', kind: 'user' },
  { match: /Client=ActiveSync;.*UserAgent=(Apple-[^;/]+)/i, name: (m) => `iOS Mail (ActiveSync, ${product(m[1]!)})`, kind: 'user' },
  { match: /Client=ActiveSync;.*UserAgent=(Android-[^;]*)/i, name: (m) => `Android (ActiveSync, ${product(m[1]!)})`, kind: 'user' },
  { match: /Client=ActiveSync;.*UserAgent=([^;]+)/i, name: (m) => `ActiveSync (${product(m[1]!)})`, kind: 'user' },
  { match: /Client=ActiveSync/i, name: 'ActiveSync (unknown device)', kind: 'user' },
  { match: /MicrosoftNinja|SkypeSpaces/i, name: (m) => (/Client=Rest/i.test(m.input) ? 'Teams (REST)' : 'Teams (EWS)'), kind: 'user' },
  { match: /OneOutlook/i, name: 'new Outlook', kind: 'user' },
  { match: /Client=Rest;.*LocationAssistantProcessor/i, name: 'Location Assistant (REST)', kind: 'assistant' },
  { match: /Client=Rest;.*GriffinRestClient/i, name: 'Griffin REST client (Microsoft service)', kind: 'user' },
  { match: /Client=Rest;.*Outlook-Android/i, name: 'Outlook Mobile (Android, REST)', kind: 'user' },
  { match: /Client=Rest;.*Outlook-iOS/i, name: 'Outlook Mobile (iOS, REST)', kind: 'user' },
  { match: /Client=Rest;.*MacOutlook/i, name: 'Outlook for Mac (REST)', kind: 'user' },
  { match: /Client=Rest;.*Microsoft Outlook/i, name: 'Outlook desktop (REST)', kind: 'user' },
  {
    match: /Client=Rest;.*AppId=([0-9a-f-]{36})/i,
    name: (m) => restAppIds[m[1]!.toLowerCase()]?.name ?? `REST application ${m[1]!.toLowerCase()}`,
    kind: 'user',
  },
  { match: /Client=WebServices;.*MacOutlook|Client=WebServices;.*Outlook for Mac/i, name: 'Outlook for Mac (EWS)', kind: 'user' },
  { match: /Client=WebServices;.*Microsoft Outlook/i, name: 'Outlook desktop (EWS)', kind: 'user' },
  { match: /Client=WebServices;([^;]+)/i, name: (m) => `EWS application (${product(m[1]!)})`, kind: 'user' },
  { match: /Client=WebServices/i, name: 'EWS application', kind: 'user' },
];

/** the client of a ClientInfoString: the first matching rule, else the string itself (a user's) */
export function clientOf(info: string | null | undefined): Client {
  const s = (info ?? '').trim();
  if (s === '') return { name: '(no client info)', kind: 'user' };
  for (const r of clientRules) {
    const m = r.match.exec(s);
    if (!m) continue;
    if (typeof r.name === 'string') return { name: r.name, kind: r.kind };
    const name = r.name(m);
    // a listed REST AppId says its own kind (a replication service is no person)
    const app = /AppId=([0-9a-f-]{36})/i.exec(s);
    const kind = app && r.match.source.includes('AppId') ? (restAppIds[app[1]!.toLowerCase()]?.kind ?? r.kind) : r.kind;
    return { name, kind };
  }
  return { name: s, kind: 'user' };
}

/** the client-info string says a delegate made the change (Exchange 2010's client-server-service) */
export function saysDelegate(info: string | null | undefined): boolean {
  return /(^|;)\s*COW=Delegate\b/i.test(info ?? '');
}
