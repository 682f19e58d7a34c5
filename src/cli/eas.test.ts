// The eas commands through the CLI: the seed's four worked examples decoded as the seed translates
// them, --user/--device/--from/--to filters, option errors (exit 2), and golden files of every
// report (table, CSV, JSON) and of the six export files on a small fixed-seed 2013 site (the
// generator is deterministic, so the reports are too). The commands run in this process
// (testing/run-cli.ts); one test runs the real bin/mxray.js for what only a process shows: its
// exit codes and what goes to stdout and what to stderr.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxray } from '../testing/cli.js';
import { mxrayInProcess } from '../testing/run-cli.js';
import { repoPath } from '../testing/paths.js';
import { assertGolden } from '../testing/formats.js';
import { generateIis, generatedLogs, type IisTruth } from '../generate/iis/index.js';
import type { EasUserRow } from '../capabilities/activesync/reports.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-cli-eas-'));
const db = join(dir, 'eas.duckdb');
const set = join(dir, 'set');
const logs = generatedLogs(set);
let truth: IisTruth;
const golden = (name: string) => repoPath('fixtures', 'reports', 'eas', name);

const run = async (args: string[]) => {
  const r = await mxrayInProcess([...args, '--db', db]);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const json = async <T = unknown>(args: string[]) => JSON.parse(await run([...args, '--json'])) as T;

before(async () => {
  // 6 users, 9 devices, one of them in a quota loop (HTTP 507), one day: about 24,000 lines
  truth = await generateIis({ users: 6, days: 1, version: '2013', out: set, seed: 4 });
  const r = await mxrayInProcess(['ingest', logs, '--db', db, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).rejects, 0);
});

// ---- eas decode: the seed's worked examples ----------------------------------------------------

test("eas decode: the seed's four worked examples print the seed's translation", async () => {
  const decode = async (log: string) => (await mxrayInProcess(['eas', 'decode', log])).stdout.split('\n');
  // Sync: protocol 12, email, folder 37, 1 folder, 3 days back, subsequent sync, sync key 1805,
  // server stats (1 add), policy key 2260121383, status 1
  assert.deepEqual(await decode('V120_Ty:Em_Fid:37_Fc1_Filt2_St:S_Sk:1805_Srv:1a0c0d0s0e0r_Pk2260121383_S1_'), [
    'element  raw value     name              meaning',
    '-------  ------------  ----------------  ---------------------------------------------------------------------------',
    'V        120           Protocol Version  12',
    'Ty:      Em            Type              Email',
    'Fid:     37            Folder ID         37',
    'Fc       1             Folder Count      1',
    'Filt     2             Filter Type       3 days back',
    'St:      S             Sync Type         Subsequent sync',
    'Sk:      1805          Sync Key          1805',
    'Srv:     1a0c0d0s0e0r  Server Stats      Adds 1, Changes 0, Deletes 0, Soft-Deletes 0, Errors 0, Read Flag Changes 0',
    'Pk       2260121383    Policy Key        2260121383',
    'S        1             Status            1',
    '',
  ]);
  // FolderSync: protocol 12, subsequent sync, policy key 3518147315
  assert.deepEqual(await decode('V120_St:S_Pk3518147315'), [
    'element  raw value   name              meaning',
    '-------  ----------  ----------------  ---------------',
    'V        120         Protocol Version  12',
    'St:      S           Sync Type         Subsequent sync',
    'Pk       3518147315  Policy Key        3518147315',
    '',
  ]);
  // GetItemEstimate: protocol 12, 8 folders, policy key 2538642603, status 1
  assert.deepEqual(await decode('V120_Fc8_Pk2538642603_S1'), [
    'element  raw value   name              meaning',
    '-------  ----------  ----------------  ----------',
    'V        120         Protocol Version  12',
    'Fc       8           Folder Count      8',
    'Pk       2538642603  Policy Key        2538642603',
    'S        1           Status            1',
    '',
  ]);
  // Ping: protocol 12, heartbeat 780 sec (13min), status 1
  assert.deepEqual(await decode('V120_Hb780_S1'), [
    'element  raw value  name                meaning',
    '-------  ---------  ------------------  ---------------',
    'V        120        Protocol Version    12',
    'Hb       780        Heartbeat Interval  780 sec (13min)',
    'S        1          Status              1',
    '',
  ]);
});

test('eas decode --json, a whole query string, unknown elements kept', async () => {
  const r = await mxrayInProcess(['eas', 'decode', '--json', 'V120_Hb780_S1']);
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.stdout), [
    { key: 'V', separator: '', value: '120', name: 'Protocol Version', meaning: '12' },
    { key: 'Hb', separator: '', value: '780', name: 'Heartbeat Interval', meaning: '780 sec (13min)' },
    { key: 'S', separator: '', value: '1', name: 'Status', meaning: '1' },
  ]);
  const q = await mxrayInProcess(['eas', 'decode', '--json', 'Cmd=Ping&User=jdoe&DeviceId=ABC&Log=V141_Hb900_Zz:what%20ever_S1&X=1']);
  const els = JSON.parse(q.stdout) as { key: string; separator: string; value: string; name: string; meaning: string }[];
  assert.deepEqual(
    els.map((e) => e.key),
    ['V', 'Hb', 'Zz', 'S'],
  );
  assert.deepEqual(els[2], { key: 'Zz', separator: ':', value: 'what%20ever', name: 'unknown', meaning: 'what ever' });
});

// ---- filters -----------------------------------------------------------------------------------

test('--user (any case, with or without the domain) and --device select a part of the unfiltered report', async () => {
  const all = await json<EasUserRow[]>(['eas', 'users']);
  const mhall = all.filter((u) => u.user === 'contoso\\mhall');
  assert.equal(mhall.length, 2);
  assert.deepEqual(await json(['eas', 'users', '--user', 'MHALL']), mhall);
  assert.deepEqual(await json(['eas', 'users', '--user', 'Contoso\\MHall']), mhall);
  assert.deepEqual(await json(['eas', 'users', '--user', 'nobody']), []);
  const one = mhall[1]!;
  assert.deepEqual(await json(['eas', 'users', '--device', one.deviceId.toLowerCase()]), [one]);
  assert.deepEqual(await json(['eas', 'users', '--user', 'mhall', '--device', one.deviceId]), [one]);
  // the filters reach every report
  const cmds = await json<{ user: string }[]>(['eas', 'commands', '--user', 'mhall']);
  assert.deepEqual(
    cmds.map((c) => c.user),
    ['contoso\\mhall', 'contoso\\mhall'],
  );
  const hours = await json<{ hits: number }[]>(['eas', 'hourly', '--device', one.deviceId]);
  assert.equal(
    hours.reduce((a, h) => a + h.hits, 0),
    one.hits,
  );
  const out = join(dir, 'export-mhall');
  await run(['eas', 'export', '--out', out, '--user', 'mhall']);
  const users = readFileSync(join(out, 'Users.csv'), 'utf8').trimEnd().split('\r\n');
  assert.equal(users.length, 1 + 2 + 1, 'header, two devices, total');
});

test('--from/--to: whole UTC hours and days', async () => {
  const hours = await json<{ period: string; hits: number }[]>(['eas', 'hourly']);
  const nine = hours.find((h) => h.period === '2024-03-04T09')!;
  const only = await json<{ period: string; hits: number }[]>(['eas', 'hourly', '--from', '2024-03-04T09:00Z', '--to', '2024-03-04T10:00Z']);
  assert.deepEqual(
    only.map((h) => [h.period, h.hits]),
    [[nine.period, nine.hits]],
  );
  assert.deepEqual(await json(['eas', 'users', '--from', '2024-03-05']), []);
  const day = await json<EasUserRow[]>(['eas', 'users', '--from', '2024-03-04', '--to', '2024-03-04']);
  assert.deepEqual(day, await json(['eas', 'users']));
});

test('eas runaway --per day: the device over the threshold in a UTC day, with the commands and errors of that day', async () => {
  const days = await json<
    { user: string; periods: number; peakPeriod: string; peakHits: number; commands: Record<string, number>; errors: Record<string, number> }[]
  >(['eas', 'runaway', '--min-hits', '5000', '--per', 'day']);
  assert.deepEqual(
    days.map((d) => [d.user, d.periods, d.peakPeriod, d.peakHits]),
    [['contoso\\jthomas', 1, '2024-03-04', 10423]],
  );
  assert.equal(Object.keys(days[0]!.commands)[0], 'Sync');
  assert.equal(Object.keys(days[0]!.errors)[0], 'MailboxQuotaExceeded');
  assert.deepEqual(await json(['eas', 'runaway', '--min-hits', '20000', '--per', 'day']), []);
  assert.match(await run(['eas', 'runaway', '--min-hits', '20000', '--per', 'day']), /no device reached 20,000 requests in one day/);
});

test('bad options are clear errors with exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['eas', 'runaway', '--min-hits', '0'], /--min-hits: expected a whole number ≥ 1, got "0"/],
    [['eas', 'runaway', '--min-hits', 'many'], /--min-hits: expected a whole number/],
    [['eas', 'runaway', '--per', 'week'], /argument 'week' is invalid.*hour, day/],
    [['eas', 'users', '--sort', 'size'], /argument 'size' is invalid/],
    [['eas', 'users', '--limit', '-1'], /--limit: expected a whole number ≥ 1/],
    [['eas', 'users', '--user', ''], /--user: expected a user name/],
    [['eas', 'devices', '--device', ' '], /--device: expected a DeviceId/],
    [['eas', 'commands', '--from', '2024-02-30'], /--from: "2024-02-30" is not a valid date/],
    [['eas', 'hourly', '--from', '2024-03-05', '--to', '2024-03-04'], /--from \(2024-03-05\) must be before --to/],
    [['eas', 'users', '--format', 'xml'], /argument 'xml' is invalid/],
    [['eas', 'export'], /required option '--out <dir>' not specified/],
    [['eas', 'export', '--out', join(dir, 'x'), '--format', 'csv'], /eas export always writes CSV files/],
    [['eas', 'decode'], /missing required argument 'log'/],
    [['eas', 'nonsense'], /unknown command 'nonsense'/],
  ];
  for (const [args, re] of cases) {
    const r = await mxrayInProcess(args[1] === 'decode' ? args : [...args, '--db', db]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
  const notDir = join(dir, 'a-file');
  writeFileSync(notDir, 'x');
  const w = await mxrayInProcess(['eas', 'export', '--out', notDir, '--db', db]);
  assert.equal(w.code, 2);
  assert.match(w.stderr, /--out: cannot write to .*a-file/);
  const missing = await mxrayInProcess(['eas', 'users', '--db', join(dir, 'nope.duckdb')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no database at .*nope.duckdb: run `mxray ingest PATH…` first/);
});

test('the real binary: a report goes to stdout with exit 0, an option error to stderr only with exit 2', async () => {
  const ok = await mxray(['eas', 'users', '--db', db, '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  // with --json the header (what was seen and how it was counted) goes to stderr, the rows alone to stdout
  assert.match(ok.stderr, /^logs seen: [\d,]+ front-end EAS lines.*\ncounted: .*\ncoverage: front end of .*\n$/);
  assert.deepEqual(JSON.parse(ok.stdout), await json(['eas', 'users']));
  const bad = await mxray(['eas', 'runaway', '--min-hits', '0', '--db', db]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /--min-hits: expected a whole number ≥ 1, got "0"/);
});

// ---- golden reports ----------------------------------------------------------------------------

const lines = (s: string, sep = '\n') => s.split(sep);

for (const report of ['users', 'devices', 'commands', 'runaway', 'hourly'] as const) {
  test(`golden: eas ${report} as table, CSV and JSON`, async () => {
    const args = report === 'runaway' ? ['eas', report, '--min-hits', '1000'] : ['eas', report];
    assertGolden(golden(`${report}.table.json`), lines(await run(args)));
    assertGolden(golden(`${report}.csv.json`), lines(await run([...args, '--format', 'csv']), '\r\n'));
    assertGolden(golden(`${report}.json`), JSON.parse(await run([...args, '--format', 'json'])));
  });
}

test("golden: eas export writes the six files with the cmdlet's names, headers, BOM and CRLF", async () => {
  const out = join(dir, 'export');
  const summary = await json<{ files: { name: string; rows: number }[]; logs: { counted: string } }>(['eas', 'export', '--out', out]);
  assert.deepEqual(
    summary.files.map((f) => f.name),
    ['Users.csv', 'Servers.csv', 'Hourly.csv', 'StatusCodes.csv', 'PolicyCompliance.csv', 'UserAgents.csv'],
  );
  assert.equal(summary.logs.counted, 'front-end');
  assert.deepEqual(readdirSync(out).sort(), [...summary.files.map((f) => f.name)].sort());
  const headers: Record<string, string> = {
    'Users.csv':
      'User Name,Device ID,Device Type,Items Sent,Items Received,Hits,Total Bytes Sent,Total Bytes Received,Total Emails Sent,' +
      'Total Emails Received,Total Calendar Sent,Total Calendar Received,Total Contacts Sent,Total Contacts Received,Total Tasks Sent,' +
      'Total Tasks Received,Total Notes Sent,Total Notes Received,Total OOF Messages Set by Client,Total OOF Messages Retrieved from Server,' +
      'Total Searches requested,Total SharePoint Access,Total UNC Access,Total Attachment Downloads,Total Attachment Size,Currently Compliant with Policy',
    'Servers.csv': 'Server,Host,IP Address,Average Unique Devices,Hits,Total Bytes Sent,Total Bytes Received',
    'Hourly.csv': 'Day,Hour,Unique Devices,Sync Related Requests',
    'StatusCodes.csv': 'Status,SubStatus,Hits,Ratio',
    'PolicyCompliance.csv': 'Compliance Type,Total,Ratio',
    'UserAgents.csv': 'User Agent,Hits,Unique Devices',
  };
  for (const f of summary.files) {
    const text = readFileSync(join(out, f.name), 'utf8');
    assert.ok(text.startsWith('\ufeff'), `${f.name} starts with a BOM`);
    assert.ok(text.endsWith('\r\n') && !/[^\r]\n/.test(text), `${f.name} has CRLF line ends`);
    const rows = lines(text.slice(1), '\r\n');
    assert.equal(rows[0], headers[f.name]);
    assert.equal(rows.length, f.rows + 2, 'header + rows + the empty string after the last CRLF');
    assertGolden(golden(`export.${f.name}.json`), rows);
  }
  const summaryText = await run(['eas', 'export', '--out', out]);
  assert.match(summaryText, /^logs seen: [\d,]+ front-end EAS lines/);
  assert.match(summaryText, /in these files "Sent" is the server's side \(to the device\)/);
});

test("Users.csv: items per collection type equal the generator's truth (a Sync of Em and Ca is split)", async () => {
  // the truth: the Srv:/Cli: counters the generator wrote, per collection type (truth.json `logValues`)
  const want = new Map(truth.logValues.devices.map((l) => [`${l.user},${l.deviceId}`, l.itemsByType]));
  let multi = 0;
  for (const server of readdirSync(logs)) {
    for (const file of readdirSync(join(logs, server, 'W3SVC2'))) {
      for (const line of readFileSync(join(logs, server, 'W3SVC2', file), 'utf8').split('\n')) {
        // a Log= with more than one collection (Ty:Em_…_Ty:Ca_…), found by a plain match
        if (!line.startsWith('#') && (line.match(/_Ty:/g) ?? []).length > 1) multi++;
      }
    }
  }
  assert.ok(multi > 10, 'the sample has Syncs of several collections');
  const out = join(dir, 'export-types');
  await run(['eas', 'export', '--out', out]);
  const [header, ...rows] = readFileSync(join(out, 'Users.csv'), 'utf8')
    .slice(1)
    .trimEnd()
    .split('\r\n')
    .map((l) => l.split(','));
  const at = (h: string) => header!.indexOf(h);
  for (const r of rows.slice(0, -1)) {
    const t = want.get(`${r[0]},${r[1]}`) ?? {};
    const got = { em: Number(r[at('Total Emails Sent')]), caSent: Number(r[at('Total Calendar Sent')]), caReceived: Number(r[at('Total Calendar Received')]) };
    // the cmdlet's "Sent" is to the device (Srv:), "Received" from it (Cli:)
    assert.deepEqual(got, { em: t.Em?.received ?? 0, caSent: t.Ca?.received ?? 0, caReceived: t.Ca?.sent ?? 0 }, `${r[0]} ${r[1]}`);
  }
  assert.ok(
    rows.some((r) => Number(r[at('Total Calendar Sent')]) > 0),
    'the sample has calendar items',
  );
});
