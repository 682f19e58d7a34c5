// The client names of the 22 real LogClientInfoString values (fixtures/corpus/calendar_diagnostic/,
// from CSS-Exchange's tests; see fixtures/PROVENANCE.md), each worked out by hand from the spec's
// table (specs/calendar.md "Client names") and, where the spec gives no mapping, from the decisions
// written at the top of clients.ts. Then the spec's other strings, an unknown one, and the codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { clientOf, saysDelegate } from './clients.js';
import { appointmentStateName, codeOf, meetingRequestTypeName, responseTypeName } from './codes.js';
import { exportTime, mailboxFromFileName, shortMailbox } from './values.js';
import { repoPath } from '../../testing/paths.js';

const corpus = repoPath(
  'fixtures',
  'corpus',
  'calendar_diagnostic',
  'microsoft-CSS-Exchange__Calendar_Tests_ShortClientNameFunctions.Tests.ps1__LogClientInfoString_values.txt',
);

/** line by line: the name and kind the spec (or clients.ts's written decision) gives */
const expected: [string, 'user' | 'assistant' | 'transport' | 'admin'][] = [
  ['Outlook desktop (EWS)', 'user'], // WebServices + "Microsoft Outlook 16.0.17328": Outlook over EWS
  ['Resource Booking Assistant', 'assistant'], // EBA, two assistants named: the booking one
  ['Calendar Repair Assistant', 'assistant'], // TBA Action=CalendarRepairAssistant
  ['EBA: Delete', 'assistant'], // EBA with an action that is not an assistant (a test value)
  ['iOS Mail (ActiveSync, Apple-iPhone9C1)', 'user'], // the device's user agent
  ['Android (ActiveSync, Android-14)', 'user'],
  ['ActiveSync (unknown device)', 'user'], // empty UserAgent
  ['Outlook Mobile (ActiveSync)', 'user'], // Outlook-iOS-Android
  ['ActiveSync (unknown device)', 'user'], // UnknownClient
  ['Location Assistant (REST)', 'assistant'], // LocationAssistantProcessor: decided (no spec mapping)
  ['Calendar Replication (REST)', 'assistant'], // REST AppIds: decided, CSS-Exchange's names
  ['Cisco Webex (REST)', 'user'],
  ['Time Service (REST)', 'assistant'],
  ['REST Connector (REST)', 'user'],
  ['Teams (EWS)', 'user'], // MicrosoftNinja / SkypeSpaces over WebServices
  ['Outlook Mobile (Android, REST)', 'user'],
  ['Griffin REST client (Microsoft service)', 'user'], // decided (no spec mapping)
  ['Outlook for Mac (REST)', 'user'],
  ['Outlook desktop (REST)', 'user'],
  ['Teams (REST)', 'user'], // SkypeSpaces over REST
  ['Bookings B2 Service (REST)', 'assistant'],
  ['ELC-B2 retention (REST)', 'assistant'],
];

test('calendar clients: the 22 real ClientInfoString values map as the spec says', () => {
  const lines = readFileSync(corpus, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  assert.equal(lines.length, 22);
  assert.deepEqual(
    lines.map((l) => {
      const c = clientOf(l);
      return [c.name, c.kind];
    }),
    expected,
  );
});

test("calendar clients: the spec's other names, an unknown string as itself, never blank", () => {
  const cases: [string, string, string][] = [
    ['Client=MSExchangeRPC', 'Outlook desktop (MAPI)', 'user'],
    ['Client=Hub Transport', 'Transport', 'transport'],
    ['Client=OWA;Action=ViaProxy', 'OWA (Outlook on the web)', 'user'],
    ['Client=POP3/IMAP4;Protocol=IMAP4', 'POP/IMAP', 'user'],
    ['Client=WebServices;MacOutlook/16.80', 'Outlook for Mac (EWS)', 'user'],
    ['Client=WebServices;Zoom/5.17', 'EWS application (Zoom)', 'user'],
    ['Client=Rest;AppId=00000000-1111-2222-3333-444444444444', 'REST application 00000000-1111-2222-3333-444444444444', 'user'],
    ['Client=TBA;Service=MSExchangeMailboxAssistants;Action=ELCAssistant', 'ELC (retention) Assistant', 'assistant'],
    ['Client=TBA;Action=CalendarSyncAssistant', 'Calendar Sync Assistant', 'assistant'],
    ['Client=Management;Action=Remove-CalendarEvents', 'Remove-CalendarEvents (admin cmdlet)', 'admin'],
    ['Client=WebServices;OneOutlook/1.0', 'new Outlook', 'user'],
    ['SomethingNew/2.0', 'SomethingNew/2.0', 'user'],
    ['', '(no client info)', 'user'],
  ];
  for (const [info, name, kind] of cases) assert.deepEqual(clientOf(info), { name, kind }, info);
  assert.equal(saysDelegate('Client=MSExchangeRPC;COW=Delegate'), true);
  assert.equal(saysDelegate('Client=MSExchangeRPC'), false);
});

test('calendar codes show as names; exports may write names; times and file names', () => {
  assert.equal(appointmentStateName(5), 'meeting, cancelled');
  assert.equal(appointmentStateName(3), 'meeting, received');
  assert.equal(appointmentStateName(0), 'appointment');
  assert.equal(responseTypeName(3), 'accepted');
  assert.equal(responseTypeName(5), 'not responded');
  assert.equal(meetingRequestTypeName(1048576), 'delegate-forwarded copy');
  assert.equal(meetingRequestTypeName(65536), 'full update');
  assert.equal(codeOf('Accept'), 3);
  assert.equal(codeOf('Meeting, Received'), 3);
  assert.equal(codeOf('1.0'), 1);
  assert.equal(codeOf('nonsense'), undefined);
  assert.equal(exportTime('3/8/2011 1:48:01 AM'), '2011-03-08 01:48:01.000');
  assert.equal(exportTime('3/8/2011 12:05:00 PM'), '2011-03-08 12:05:00.000');
  assert.equal(exportTime('2011-03-08T01:48:01+01:00'), '2011-03-08 00:48:01.000');
  assert.equal(exportTime('2011-02-30 10:00:00'), undefined);
  assert.equal(exportTime(''), null);
  assert.equal(mailboxFromFileName('Alice.Smith_A1B2C3D4.csv'), 'alice.smith');
  assert.equal(mailboxFromFileName('export.csv'), undefined);
  assert.equal(shortMailbox('/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice'), 'alice');
  assert.equal(shortMailbox('averyveryverylongmailboxname@corp.example'), 'averyveryverylongmai');
});
