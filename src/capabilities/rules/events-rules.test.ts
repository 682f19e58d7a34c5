// The `events` source of rules and the shipped rules/exchange-admin.yaml, over the real .evtx samples
// ingested for real. The truth is libevtx's `evtxexport` (Debian package libevtx-utils): its XML of
// the same files, counted here per rule (4720 new accounts; 4672 privileged logons without the
// system's own accounts and computer accounts; Exchange cmdlet-log events, none in these samples).
// The 4672 exclusions are also checked on hand-made rows (the samples have no 4672), and the
// dynamic fields (%1, Data.<Name>, any case) on the samples' named insertion strings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';
import { repoPath } from '../../testing/paths.js';
import { openStore } from '../../store/open.js';
import { LiveLog } from '../../store/live.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import type { LiveValue } from '../../store/types.js';
import type { RuleResult } from './engine.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-rules-events-'));
const corpus = repoPath('fixtures', 'corpus', 'windows_evtx');
const rulesFile = repoPath('rules', 'exchange-admin.yaml');
const db = join(dir, 'evtx.duckdb');
const cmdletRules = [
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
];

interface XmlEvent {
  provider: string;
  id: number;
  channel: string;
  data: { name: string; value: string }[];
}

const xmlText = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** evtxexport's records of every sample, parsed from its XML */
function libevtxEvents(): XmlEvent[] {
  const out: XmlEvent[] = [];
  for (const f of readdirSync(corpus).filter((x) => x.endsWith('.evtx'))) {
    const r = spawnSync('evtxexport', ['-f', 'xml', '-m', 'items', join(corpus, f)], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
    assert.equal(r.error, undefined, `evtxexport (Debian package libevtx-utils) must be installed: ${r.error?.message}`);
    for (const e of r.stdout.split('<Event xmlns').slice(1))
      out.push({
        provider: xmlText(/<Provider Name="([^"]*)"/.exec(e)?.[1] ?? ''),
        id: Number(/<EventID[^>]*>(\d+)<\/EventID>/.exec(e)?.[1]),
        channel: xmlText(/<Channel>([^<]*)<\/Channel>/.exec(e)?.[1] ?? ''),
        data: [...e.matchAll(/<Data(?: Name="([^"]*)")?(?:>([^<]*)<\/Data>|\/>)/g)].map((m) => ({ name: m[1] ?? '', value: xmlText(m[2] ?? '') })),
      });
  }
  return out;
}

const byRule = (r: RuleResult[]) => Object.fromEntries(r.map((x) => [x.rule, x]));

async function rulesTest(file: string, database: string | readonly string[]): Promise<Record<string, RuleResult>> {
  const where = typeof database === 'string' ? ['--db', database] : database;
  const r = await mxray(['rules', 'test', file, ...where, '--json', '--examples', '1000']);
  assert.equal(r.code, 0, r.stderr);
  return byRule(JSON.parse(r.stdout) as RuleResult[]);
}

/** rules on the dynamic fields (sam: the new account's SamAccountName) */
function fieldsFile(sam: string): string {
  const file = join(dir, 'fields.yaml');
  writeFileSync(
    file,
    `rules:
  - { name: by-name, source: events, include: [ { field: Data.TargetUserName, op: "==", value: IEUser } ] }
  - { name: by-name-any-case, source: events, include: [ { field: data.targetusername, op: "==", value: ieuser } ] }
  - { name: by-position, source: events, include: [ { field: EventID, op: "==", value: 4720 }, { field: "%1", op: "==", value: IEUser } ] }
  - { name: sam, source: events, include: [ { field: EventID, op: "==", value: 4720 }, { field: Data.SamAccountName, op: like, value: "${sam}" } ] }
  - { name: absent-name, source: events, include: [ { field: Data.NoSuchName, op: "==", value: IEUser } ] }
  - { name: beyond-the-last, source: events, include: [ { field: "%999", op: like, value: "*" } ] }
`,
  );
  return file;
}

const named = (e: XmlEvent, name: string) => e.data.find((d) => d.name === name)?.value;
const systemAccounts = ['system', 'local service', 'network service'];

test('exchange-admin.yaml on the samples: 4720 and 4672 matches are evtxexport’s counts; the cmdlet rules match nothing', async () => {
  const truth = libevtxEvents();
  assert.ok(truth.length > 600);
  const created = truth.filter((e) => e.channel === 'Security' && e.id === 4720);
  const privileged = truth.filter((e) => {
    const who = (named(e, 'SubjectUserName') ?? '').toLowerCase();
    return e.channel === 'Security' && e.id === 4672 && !systemAccounts.includes(who) && !who.endsWith('$');
  });
  assert.equal(created.length, 1);
  assert.equal(truth.filter((e) => e.provider === 'MSExchange CmdletLogs').length, 0);

  const r = await rulesTest(rulesFile, db);
  assert.deepEqual(Object.keys(r).sort(), ['account-created', 'privileged-logon', ...cmdletRules].sort());
  assert.equal(r['account-created']!.matches, created.length);
  // the new account, by position and by name, as evtxexport reads it
  assert.deepEqual(
    r['account-created']!.examples.map((e) => e.record['%1']),
    created.map((e) => e.data[0]!.value),
  );
  assert.deepEqual(
    r['account-created']!.examples.map((e) => e.record.Computer),
    created.map(() => 'IE8Win7'),
  );
  assert.equal(r['privileged-logon']!.matches, privileged.length);
  for (const name of cmdletRules) assert.equal(r[name]!.matches, 0, name);
});

test('%n and Data.<Name> resolve (any case) to the insertion strings evtxexport reads', async () => {
  const truth = libevtxEvents();
  const want = truth.filter((e) => named(e, 'TargetUserName') === 'IEUser');
  const wantP1 = truth.filter((e) => e.id === 4720 && e.data[0]?.value === 'IEUser');
  // a named value that is not first: SAM account name of the new account
  const sam = truth.filter((e) => e.id === 4720).map((e) => named(e, 'SamAccountName'));
  assert.ok(want.length >= 1 && wantP1.length === 1 && sam[0]);
  const file = fieldsFile(sam[0]!);
  const r = await rulesTest(file, db);
  assert.equal(r['by-name']!.matches, want.length);
  assert.equal(r['by-name-any-case']!.matches, want.length);
  assert.equal(r['by-position']!.matches, wantP1.length);
  assert.equal(r['by-position']!.examples[0]!.record.EventID, 4720);
  assert.equal(r.sam!.matches, 1);
  assert.equal(r.sam!.examples[0]!.record['Data.SamAccountName'], sam[0]);
  assert.equal(r['absent-name']!.matches, 0);
  assert.equal(r['beyond-the-last']!.matches, 0);

  // a field that is neither: the error names it and the families
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'rules:\n  - { name: x, source: events, include: [ { field: TargetUser, op: "==", value: a } ] }\n');
  const b = await mxray(['rules', 'check', bad]);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /:2: rules\[0\]\.include\[0\]\.field: .*events has no field TargetUser; .*EventID.*%<n>, Data\.<Name>/);
});

/** a windows_events row made by hand: the i-th event (time, record id) with these insertion strings */
function eventRow(i: number, provider: string, channel: string, id: number, data: readonly (readonly [string, string])[]): LiveValue[] {
  return [
    `2024-03-04 10:${String(i).padStart(2, '0')}:00`,
    'DC01',
    channel,
    100 + i,
    provider,
    provider === 'MSExchange CmdletLogs' ? '' : '{54849625-5478-4994-A5BA-3E3B0328C30D}',
    '',
    id,
    null,
    0,
    0,
    12548,
    0,
    '0x8020000000000000',
    '',
    500,
    600,
    '',
    data.length,
    data.map(([, v]) => v).join('\u001f'),
    data.map(([n]) => n).join('\u001f'),
    null,
    null,
    0,
    null,
  ];
}

test('privileged-logon leaves out SYSTEM, LOCAL SERVICE, NETWORK SERVICE and computer accounts (hand-made 4672 rows)', async () => {
  const hand = join(dir, 'hand.duckdb');
  const store = await openStore({ db: hand });
  const who = ['SYSTEM', 'LOCAL SERVICE', 'NETWORK SERVICE', 'DC01$', 'alice', 'Administrator', 'network service'];
  try {
    const log = await LiveLog.open(store, 'test');
    await log.append({
      windowsEvents: who.map((name, i) =>
        eventRow(i, 'Microsoft-Windows-Security-Auditing', 'Security', 4672, [
          ['SubjectUserSid', 'S-1-5-21-1'],
          ['SubjectUserName', name],
          ['SubjectDomainName', 'CORP'],
          ['SubjectLogonId', '0x3e7'],
        ]),
      ),
    });
  } finally {
    await store.close();
  }
  const r = await rulesTest(rulesFile, hand);
  assert.deepEqual(
    r['privileged-logon']!.examples.map((e) => e.record['Data.SubjectUserName']),
    ['alice', 'Administrator'],
  );
  assert.equal(r['account-created']!.matches, 0);
});

test('a cmdlet rule on a malformed %2 does not stop the engine: the parameters read before the fault count', async () => {
  const hand = join(dir, 'malformed.duckdb');
  const store = await openStore({ db: hand });
  // %2 of each row, and whether exchange-mailbox-forwarding fires on it (by hand)
  const cases: [string, boolean][] = [
    ['-Identity "bob" -DisplayName "open -ForwardingSmtpAddress x@outside.example', false],
    ['-ForwardingSmtpAddress "x@outside.example" -DisplayName "open', true],
    // over the 1 MiB the parser reads (a Windows insertion string holds at most 31,839 characters):
    // what follows is not read
    [`-Identity "bob" -Notes "${'a'.repeat(2_000_000)}" -ForwardingSmtpAddress "x@outside.example"`, false],
    ['"'.repeat(10_000), false],
    // a name and no value reads as a switch, True: it fires (a false alarm rather than a missed forward)
    ['-ForwardingSmtpAddress', true],
    // Exchange 2010's form without its closing brace: no parameter is read
    ['{Identity=bob, ForwardingSmtpAddress=smtp:x@outside.example', false],
    ['-Identity "bob" -ForwardingSmtpAddress "smtp:y@outside.example"', true],
  ];
  try {
    const log = await LiveLog.open(store, 'test');
    await log.append({
      windowsEvents: cases.map(([params], i) =>
        eventRow(i, 'MSExchange CmdletLogs', 'MSExchange Management', 1, [
          ['', 'Set-Mailbox'],
          ['', params],
        ]),
      ),
    });
  } finally {
    await store.close();
  }
  const r = await rulesTest(rulesFile, hand);
  assert.equal(r['exchange-mailbox-forwarding']!.matches, cases.filter(([, fires]) => fires).length);
  assert.deepEqual(
    r['exchange-mailbox-forwarding']!.examples.map((e) => String(e.record['%2']).slice(0, 40)),
    cases.filter(([, fires]) => fires).map(([p]) => p.slice(0, 40)),
  );
});

describeClickhouse('events rules on ClickHouse', () => {
  let server: ClickhouseServer | undefined;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  test('the same matches and field values as on DuckDB', async () => {
    const store = ['--store', `clickhouse://127.0.0.1:${server!.httpPort}/${server!.database}`];
    const ing = await mxray(['ingest', corpus, ...store]);
    assert.equal(ing.code, 0, ing.stderr);
    const sam = libevtxEvents()
      .filter((e) => e.id === 4720)
      .map((e) => named(e, 'SamAccountName'))[0]!;
    for (const file of [rulesFile, fieldsFile(sam)]) {
      const duck = await rulesTest(file, db);
      const ch = await rulesTest(file, store);
      const brief = (r: Record<string, RuleResult>) =>
        Object.values(r).map((x) => ({
          rule: x.rule,
          matches: x.matches,
          values: x.examples.map((e) => Object.entries(e.record).filter(([k]) => k.startsWith('%') || k.startsWith('Data.'))),
        }));
      assert.deepEqual(brief(ch), brief(duck), file);
      assert.ok(Object.values(duck).some((x) => x.matches > 0));
    }
  });
});

let cwd = '';
before(async () => {
  cwd = process.cwd();
  process.chdir(repoPath());
  const r = await mxray(['ingest', corpus, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
});
after(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});
