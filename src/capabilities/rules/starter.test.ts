// The shipped starter rules (rules/starter.yaml) fire on their cases and on nothing else in the
// generated sets: the delegate's deletions the calendar generator made (its truth names the actor's
// role), the device the IIS generator made loop (its truth marks it), the probes of a down instance
// and of an expiring certificate (sent-count-jump, the baseline rule, is tested in baseline.test.ts).
// Also: every invalid rules fixture gives exactly its messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';
import { repoPath } from '../../testing/paths.js';
import { generateCalendar, generatedLogs } from '../../generate/calendar/index.js';
import { generateIis } from '../../generate/iis/index.js';
import { openStore } from '../../store/open.js';
import { LiveLog } from '../../store/live.js';
import type { RuleResult } from './engine.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-rules-starter-'));
const starter = repoPath('rules', 'starter.yaml');
const byRule = (r: RuleResult[]) => Object.fromEntries(r.map((x) => [x.rule, x]));

async function rulesTest(db: string): Promise<Record<string, RuleResult>> {
  const r = await mxray(['rules', 'test', starter, '--db', db, '--json', '--examples', '1000']);
  assert.equal(r.code, 0, r.stderr);
  return byRule(JSON.parse(r.stdout) as RuleResult[]);
}

test('starter: meeting-deleted-by-delegate fires on the delegate deletions of the calendar set, and nothing else', async () => {
  const out = join(dir, 'cal');
  const truth = await generateCalendar({ out, seed: 7 });
  const db = join(dir, 'cal.duckdb');
  assert.equal((await mxray(['ingest', generatedLogs(out), '--db', db])).code, 0);
  const want = Object.values(truth.timelines).flatMap((t) => t.events.filter((e) => e.role === 'delegate' && /delete/i.test(e.action)));
  assert.ok(want.length > 0);
  const r = await rulesTest(db);
  assert.equal(r['meeting-deleted-by-delegate']!.matches, want.length);
  assert.deepEqual(r['meeting-deleted-by-delegate']!.examples.map((e) => `${String(e.record.Mailbox)}@corp.example`).sort(), want.map((e) => e.mailbox).sort());
  for (const other of ['device-sync-loop', 'sent-count-jump', 'certificate-expiring', 'instance-down']) assert.equal(r[other]!.matches, 0, other);
});

test('starter: device-sync-loop names the device the IIS generator made loop, and no other', async () => {
  const out = join(dir, 'iis');
  const truth = await generateIis({ users: 30, days: 2, version: '2013', out });
  const db = join(dir, 'iis.duckdb');
  assert.equal((await mxray(['ingest', join(out, 'logs'), '--db', db])).code, 0);
  const r = await rulesTest(db);
  const loops = truth.devices.filter((d) => d.runaway).map((d) => d.deviceId);
  assert.ok(loops.length > 0);
  const found = r['device-sync-loop']!.examples;
  assert.deepEqual([...new Set(found.map((e) => e.record.DeviceId))].sort(), [...loops].sort());
  assert.ok(found.every((e) => (e.record.count as number) > 1000));
});

test('starter: probes of a down instance and an expiring certificate fire; healthy ones do not', async () => {
  const db = join(dir, 'probe.duckdb');
  const store = await openStore({ db });
  try {
    const log = await LiveLog.open(store, 'monitor');
    const row = (t: string, instance: string, status: string, cert: number | null) => [
      t,
      'mx1',
      'IMAP',
      instance,
      `imaps://${instance}`,
      status,
      '',
      5,
      1,
      2,
      3,
      cert,
      'probe',
      '',
      '',
    ];
    await log.append({
      probe: [
        row('2024-03-04 10:00:00', 'a', 'ok', 200),
        row('2024-03-04 10:00:00', 'b', 'critical', null),
        row('2024-03-04 10:01:00', 'b', 'critical', null),
        row('2024-03-04 10:00:00', 'c', 'ok', 9),
        row('2024-03-04 10:05:00', 'a', 'warning', 30),
      ],
    });
  } finally {
    await store.close();
  }
  const r = await rulesTest(db);
  assert.deepEqual(
    r['instance-down']!.examples.map((e) => e.record.instance),
    ['b', 'b'],
  );
  assert.deepEqual(
    r['certificate-expiring']!.examples.map((e) => e.record.instance),
    ['c'],
  );
});

test('every invalid rules fixture gives exactly its messages (file:line: key: problem), exit 2', async () => {
  const fixtures = readdirSync(repoPath('fixtures', 'rules')).filter((f) => /^invalid-.*\.yaml$/.test(f));
  assert.ok(fixtures.length >= 2);
  for (const f of fixtures) {
    const r = await mxray(['rules', 'check', `fixtures/rules/${f}`], {});
    assert.equal(r.code, 2, f);
    assert.equal(r.stderr, readFileSync(repoPath('fixtures', 'rules', f.replace(/\.yaml$/, '.expected')), 'utf8'), f);
  }
  // names are unique, without regard to case
  const dup = join(dir, 'dup.yaml');
  writeFileSync(
    dup,
    'rules:\n  - { name: a, source: probe, include: [ { field: status, op: "==", value: ok } ] }\n  - { name: A, source: probe, include: [ { field: status, op: "==", value: ok } ] }\n',
  );
  const r = await mxray(['rules', 'check', dup]);
  assert.equal(r.stderr, `mxray: ${dup}:3: rules[1].name: the rule name A is used by rules[0] already\n`);
});

let cwd = '';
before(() => {
  cwd = process.cwd();
  process.chdir(repoPath());
});
after(() => {
  process.chdir(cwd);
});
