// The tracking commands through the CLI: counting policies on a hand-made two-server log whose
// right answers are worked out below, option errors, and golden files of every report on generated
// data (the generator is deterministic, so the reports are too). The commands run in this process
// (testing/run-cli.ts): cli/eas.test.ts runs the real binary for what only a process shows.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxrayInProcess as mxray } from '../testing/run-cli.js';
import { repoPath } from '../testing/paths.js';
import { assertGolden } from '../testing/formats.js';
import { generateTracking } from '../generate/tracking/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-cli-tracking-'));
const db = join(dir, 'two.duckdb');
const json = async (args: string[]) => {
  const r = await mxray([...args, '--db', db, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

before(async () => {
  const r = await mxray(['ingest', repoPath('fixtures', 'reports', 'two-servers'), '--db', db, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).rejects, 0);
});

// Message A: alice -> bob, carol, dave. Submitted once (RECEIVE/STOREDRIVER on EX01); the shadow
// (HAREDIRECT, HARECEIVE) and the second RECEIVE (SMTP, on EX02) do not count. Delivered to dave on
// EX01 (5100 bytes) and to bob and carol on EX02 (5200). Message B: bob -> alice, submitted on EX02
// at 23:59:58, delivered on 7 May (2100). Message C: the internet -> alice and dave (9100), plus a
// DUPLICATEDELIVER that does not count.
test('per-user counts: each message once across servers, shadows and duplicates excluded', async () => {
  const users = await json(['tracking', 'users']);
  assert.deepEqual(
    users.map((u: { user: string; sent: number; received: number; sentBytes: number; receivedBytes: number }) => [
      u.user,
      u.sent,
      u.received,
      u.sentBytes,
      u.receivedBytes,
    ]),
    [
      ['alice@contoso.com', 1, 2, 5000, 11200],
      ['bob@contoso.com', 1, 1, 2000, 5200],
      ['carol@contoso.com', 0, 1, 0, 5200],
      ['dave@contoso.com', 0, 2, 0, 14200],
    ],
  );
  // 2 days with events: per day rates and n
  const alice = users[0];
  assert.equal(alice.sentPerDay, 0.5);
  assert.equal(alice.receivedPerDay, 1);
  assert.equal(alice.n, Math.round(Math.sqrt((0.25 + 1) / 2) * 1e4) / 1e4);
  assert.equal(alice.class, 'light');
});

test('--recipients each counts a message once per recipient', async () => {
  const users = await json(['tracking', 'users', '--recipients', 'each']);
  assert.deepEqual(
    users.map((u: { user: string; sent: number }) => [u.user, u.sent]),
    [
      ['alice@contoso.com', 3],
      ['bob@contoso.com', 1],
      ['carol@contoso.com', 0],
      ['dave@contoso.com', 0],
    ],
  );
});

test('--from/--to select whole UTC days; traffic per day and hour', async () => {
  const day2 = await json(['tracking', 'users', '--from', '2024-05-07', '--to', '2024-05-07']);
  assert.deepEqual(
    day2.map((u: { user: string; sent: number; received: number }) => [u.user, u.sent, u.received]),
    [
      ['alice@contoso.com', 0, 2],
      ['dave@contoso.com', 0, 1],
    ],
  );
  const traffic = await json(['tracking', 'traffic']);
  assert.deepEqual(traffic, [
    { period: '2024-05-06', messages: 2, bytes: 7000, deliveries: 3 },
    { period: '2024-05-07', messages: 0, bytes: 0, deliveries: 3 },
  ]);
  const hours = await json(['tracking', 'traffic', '--by', 'hour', '--from', '2024-05-06T09:00Z', '--to', '2024-05-06T10:00Z']);
  assert.deepEqual(hours, [{ period: '2024-05-06T09', messages: 1, bytes: 5000, deliveries: 3 }]);
});

test('classes: boundaries and the sent-only mode', async () => {
  const c = await json(['tracking', 'classes', '--light-max', '0.6', '--heavy-min', '1']);
  // n: alice sqrt((0.25+1)/2)=0.79, bob sqrt((0.25+0.25)/2)=0.5, carol sqrt(0.25/2)=0.35, dave sqrt(1/2)=0.71
  assert.deepEqual(c, {
    days: 2,
    mode: 'combined',
    lightMax: 0.6,
    heavyMin: 1,
    users: 4,
    classes: { light: { users: 2, percent: 50 }, medium: { users: 2, percent: 50 }, heavy: { users: 0, percent: 0 } },
  });
  const s = await json(['tracking', 'classes', '--mode', 'sent', '--light-max', '0.5', '--heavy-min', '0.5']);
  assert.deepEqual(s.classes, { light: { users: 2, percent: 50 }, medium: { users: 0, percent: 0 }, heavy: { users: 2, percent: 50 } });
  const top = await json(['tracking', 'top', '--by', 'receivedBytes', '--limit', '2']);
  assert.deepEqual(
    top.map((u: { user: string }) => u.user),
    ['dave@contoso.com', 'alice@contoso.com'],
  );
});

test('bad options are clear errors with exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['tracking', 'users', '--from', '2024-13-01'], /--from: "2024-13-01" is not a valid date/],
    [['tracking', 'users', '--from', 'yesterday'], /--from: expected an ISO date/],
    [['tracking', 'users', '--from', '2024-05-08', '--to', '2024-05-01'], /--from \(2024-05-08\) must be before --to/],
    [['tracking', 'classes', '--light-max', '80', '--heavy-min', '10'], /--light-max \(80\) must not be above --heavy-min \(10\)/],
    [['tracking', 'classes', '--light-max', 'many'], /--light-max: expected a number/],
    [['tracking', 'top', '--limit', '0'], /--limit: expected a whole number ≥ 1/],
    [['tracking', 'users', '--format', 'xml'], /argument 'xml' is invalid/],
  ];
  for (const [args, re] of cases) {
    const r = await mxray([...args, '--db', db]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const missing = await mxray(['tracking', 'users', '--db', join(dir, 'nope.duckdb')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no database at .*nope.duckdb: run `mxray ingest PATH…` first/);
});

test('golden reports on generated data: table, CSV and JSON renderings', async () => {
  const logs = join(dir, 'gen');
  await generateTracking({ users: 20, days: 3, servers: 2, version: '2013', out: logs, seed: 42 });
  const gdb = join(dir, 'gen.duckdb');
  assert.equal((await mxray(['ingest', logs, '--db', gdb])).code, 0);
  const golden = (name: string) => repoPath('fixtures', 'reports', 'golden', name);
  const out = async (args: string[]) => (await mxray([...args, '--db', gdb])).stdout;
  assertGolden(golden('users.csv.json'), (await out(['tracking', 'users', '--format', 'csv'])).split('\r\n'));
  assertGolden(golden('classes.table.json'), (await out(['tracking', 'classes', '--format', 'table'])).split('\n'));
  assertGolden(golden('classes.json'), JSON.parse(await out(['tracking', 'classes', '--json'])));
  assertGolden(golden('traffic-hour.json'), JSON.parse(await out(['tracking', 'traffic', '--by', 'hour', '--json'])));
  assertGolden(golden('top-sent.table.json'), (await out(['tracking', 'top', '--limit', '5'])).split('\n'));
});
