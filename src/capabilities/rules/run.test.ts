// `rules run` on a real DuckDB store: probe results appended the way the monitor appends them
// (LiveLog), a controlled clock, in-test ports. A threshold fires once and re-arms after a quiet
// period, a run evaluates only what is new (never a record twice), stop ends a record's processing,
// windows follow their time zone, port operators run after the store's conditions and excludes
// before includes, param reads parameters (not a name inside another value), and every fired alert
// is stored with its record.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withContext } from '../../config/refs.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../store/open.js';
import { LiveLog } from '../../store/live.js';
import type { Store } from '../../store/types.js';
import { sql } from '../../sql/sql.js';
import { rulesSchema, type Rule } from './config.js';
import { inWindow, testRules, type Ports } from './engine.js';
import { newLines, runRules, thresholdStep, type ThresholdState } from './run.js';
import type { FiredAlert, RuleAction } from './ports.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-rules-run-'));
let store: Store;
let monitor: LiveLog;
let out: LiveLog;
const fired: { alert: FiredAlert; actions: readonly RuleAction[] }[] = [];
const hashed: string[] = [];
const ports: Ports = {
  // in-test ports: a real hash of a real file under the root; a fixed group
  hasher: async (value, o) => {
    hashed.push(value);
    try {
      return {
        ok: true,
        sha256: createHash('sha256')
          .update(readFileSync(join(o.root, value)))
          .digest('hex'),
        path: join(o.root, value),
      };
    } catch {
      return { ok: false, why: 'missing', detail: value };
    }
  },
  members: { isMember: async (user, group) => group === 'cn=ops,dc=x' && ['eve', 'mallory'].includes(user), close: async () => {} },
  runActions: async (alert, actions) => {
    fired.push({ alert, actions });
    return actions.map(() => ({ action: 'log' as const, ok: true, detail: 'written' }));
  },
};

const rules = (list: unknown[]): Rule[] =>
  withContext({ baseDir: dir, env: {}, readFile: (p) => readFileSync(p, 'utf8'), path }, () => rulesSchema.parse(list));
const T0 = Date.parse('2024-03-04T09:00:00Z');
const min = 60_000;
/** a probe row: ts, host, service, instance, url, status, failure, durations, cert days, kind, detail, transcript */
const probe = (t: number, instance: string, status: string, certDays: number | null = null, detail = '') => [
  new Date(t),
  'mx1',
  'SMTP',
  instance,
  `smtp://${instance}`,
  status,
  status === 'ok' ? '' : 'refused',
  12.5,
  1,
  null,
  2,
  certDays,
  'probe',
  detail,
  '',
];

before(async () => {
  store = await openStore({ db: join(dir, 'run.duckdb') });
  monitor = await LiveLog.open(store, 'monitor');
  out = await LiveLog.open(store, 'rules');
});
after(async () => {
  await store.close();
});

const down = rules([
  { name: 'cert-expiring', source: 'probe', include: [{ field: 'certDaysLeft', op: '<', value: 14 }], stop: true, actions: [{ log: '/tmp/a.log' }] },
  {
    name: 'instance-down',
    source: 'probe',
    include: [{ field: 'status', op: '==', value: 'CRITICAL' }],
    threshold: { count: 2, within: '10m' },
    actions: [{ log: '/tmp/a.log' }],
  },
]);

test('a threshold fires once, re-arms after a quiet period; each run reads only what is new', async () => {
  let now = T0 + 5 * min;
  const clock = () => new Date(now);
  await monitor.append({ probe: [probe(T0, 'a', 'critical'), probe(T0 + min, 'a', 'critical'), probe(T0 + 2 * min, 'a', 'ok', 6)] });
  let r = await runRules(store, down, { ports, ruleSet: 'probe-rules', out, now: clock });
  assert.deepEqual(
    r.alerts.map((a) => [a.rule, a.recordTime, a.matches]),
    [
      ['instance-down', '2024-03-04 09:01:00', 2],
      ['cert-expiring', '2024-03-04 09:02:00', 1],
    ].sort((x, y) => String(x[1]).localeCompare(String(y[1]))),
  );
  assert.equal(r.alerts[0]!.origin?.file, 'live:monitor');
  assert.equal(r.alerts[0]!.origin?.line, 2);
  assert.equal(fired.length, 2);
  // nothing new: nothing evaluated again
  r = await runRules(store, down, { ports, ruleSet: 'probe-rules', out, now: clock });
  assert.equal(r.alerts.length, 0);
  assert.deepEqual(r.matches, { 'cert-expiring': 0, 'instance-down': 0 });
  // still failing within the period: no second alert
  now = T0 + 8 * min;
  await monitor.append({ probe: [probe(T0 + 6 * min, 'a', 'critical'), probe(T0 + 7 * min, 'a', 'critical')] });
  r = await runRules(store, down, { ports, ruleSet: 'probe-rules', out, now: clock });
  assert.deepEqual(r.matches['instance-down'], 2);
  assert.equal(r.alerts.length, 0);
  // quiet for more than the period, then failing again: fires again
  now = T0 + 40 * min;
  await monitor.append({ probe: [probe(T0 + 30 * min, 'a', 'critical'), probe(T0 + 31 * min, 'a', 'critical'), probe(T0 + 32 * min, 'a', 'critical')] });
  r = await runRules(store, down, { ports, ruleSet: 'probe-rules', out, now: clock });
  assert.deepEqual(
    r.alerts.map((a) => [a.rule, a.recordTime]),
    [['instance-down', '2024-03-04 09:31:00']],
  );
  // every alert stored, with its record
  const stored = await store.query<{ rule: string; record: string; record_line: number }>(
    'alerts',
    sql`SELECT rule, record, record_line FROM rule_alerts WHERE rule_set = 'probe-rules' ORDER BY file_id, line`,
  );
  assert.deepEqual(
    stored.map((s) => [s.rule, s.record_line]),
    [
      ['instance-down', 2],
      ['cert-expiring', 3],
      ['instance-down', 7],
    ],
  );
  assert.equal(JSON.parse(stored[1]!.record).certDaysLeft, 6);
  // another rule set has a cursor of its own: it sees every record
  r = await runRules(store, down, { ports, ruleSet: 'other', out, now: clock });
  assert.equal(r.matches['instance-down'], 7);
});

test('stop: a record matched by a stop rule is not looked at by later rules', async () => {
  const both = rules([
    { name: 'cert', source: 'probe', include: [{ field: 'cert_days', op: '<', value: 14 }], stop: true },
    { name: 'any', source: 'probe', include: [{ field: 'service', op: '==', value: 'smtp' }] },
  ]);
  const res = await testRules(store, both, { ports });
  assert.deepEqual(
    res.map((x) => [x.rule, x.matches]),
    [
      ['cert', 1],
      ['any', 7],
    ],
  );
});

test('port operators run on candidates only, excludes before includes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mxray-rules-root-'));
  writeFileSync(join(root, 'solitaire.exe'), 'cards');
  writeFileSync(join(root, 'notepad.exe'), 'text');
  const sum = createHash('sha256').update('cards').digest('hex');
  const t = T0 + 100 * min;
  await monitor.append({
    probe: [
      probe(t, 'b', 'warning', null, 'solitaire.exe'),
      probe(t, 'eve', 'warning', null, 'solitaire.exe'),
      probe(t, 'c', 'warning', null, 'notepad.exe'),
      probe(t, 'd', 'ok', null, 'solitaire.exe'),
    ],
  });
  hashed.length = 0;
  const list = rules([
    {
      name: 'renamed-tool',
      source: 'probe',
      include: [
        { field: 'status', op: '==', value: 'warning' },
        { field: 'detail', op: 'sha256', value: sum, root },
      ],
      exclude: [{ field: 'instance', op: 'memberOf', value: 'cn=ops,dc=x' }],
    },
  ]);
  const res = await testRules(store, list, { ports });
  assert.equal(res[0]!.matches, 1);
  assert.equal(res[0]!.examples[0]!.record.instance, 'b');
  // the ok row is not a candidate; eve is excluded before her file is hashed; notepad is hashed once
  assert.deepEqual(hashed.sort(), ['notepad.exe', 'solitaire.exe']);
});

test('param in rules run: the parameter fires, its name inside another value does not, an exclude by param applies; a second run fires nothing', async () => {
  const t = T0 + 200 * min;
  await monitor.append({
    probe: [
      probe(t, 'p1', 'warning', null, '-Identity "bob" -ForwardingSmtpAddress "smtp:x@outside.example"'),
      probe(t, 'p2', 'warning', null, '-Identity "bob" -CustomAttribute1 "please set -ForwardingSmtpAddress later"'),
      probe(t, 'p3', 'warning', null, '-Identity "svc" -ForwardingSmtpAddress "smtp:y@outside.example" -Confirm:$false'),
      probe(t, 'p4', 'warning', null, '-Identity "bob" -DisplayName "open -ForwardingSmtpAddress z@outside.example'),
    ],
  });
  const list = rules([
    {
      name: 'forward-set',
      source: 'probe',
      include: [{ field: 'detail', op: 'param', value: 'forwardingsmtpaddress' }],
      exclude: [{ field: 'detail', op: 'param', value: 'Confirm', equals: 'False' }],
      actions: [{ log: '/tmp/a.log' }],
    },
  ]);
  const clock = () => new Date(T0 + 300 * min);
  let r = await runRules(store, list, { ports, ruleSet: 'param-rules', out, now: clock });
  assert.deepEqual(
    r.alerts.map((a) => a.record.instance),
    ['p1'],
  );
  r = await runRules(store, list, { ports, ruleSet: 'param-rules', out, now: clock });
  assert.equal(r.alerts.length, 0);
});

test('windows: days and hours in the rule time zone', () => {
  const w = { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, hours: '07:00-19:00', tz: 'Europe/Berlin' };
  // Monday 4 March 2024, Berlin is UTC+1
  assert.equal(inWindow({ ...w, days: [...w.days] }, '2024-03-04 06:00:00', 'UTC'), true); // 07:00 Berlin
  assert.equal(inWindow({ ...w, days: [...w.days] }, '2024-03-04 05:59:00', 'UTC'), false);
  assert.equal(inWindow({ ...w, days: [...w.days] }, '2024-03-04 18:00:00', 'UTC'), false); // 19:00 Berlin, end excluded
  // summer time: UTC+2
  assert.equal(inWindow({ ...w, days: [...w.days] }, '2024-07-01 05:30:00', 'UTC'), true);
  // Saturday
  assert.equal(inWindow({ ...w, days: [...w.days] }, '2024-03-09 10:00:00', 'UTC'), false);
  // over midnight, default time zone
  assert.equal(inWindow({ hours: '22:00-06:00' }, '2024-03-09 23:30:00', 'UTC'), true);
  assert.equal(inWindow({ hours: '22:00-06:00' }, '2024-03-09 12:00:00', 'UTC'), false);
});

test('thresholdStep: N matches within the period fire once', () => {
  const s: ThresholdState = { times: [], armed: true, last: null };
  const h = 3_600_000;
  assert.deepEqual(
    [0, 10, 20, 30].map((m) => thresholdStep(s, m * min, 3, h)),
    [false, false, true, false],
  );
  // matches keep coming within the hour: no re-arm
  assert.equal(thresholdStep(s, 80 * min, 3, h), false);
  // quiet for more than an hour: re-armed, three more fire again
  assert.deepEqual(
    [200, 201, 202].map((m) => thresholdStep(s, m * min, 3, h)),
    [false, false, true],
  );
});

test('the cursor stops at provisional rows and takes them once they are settled', async () => {
  const fake = (files: { id: number; next_line: number; provisional_from: number | null }[]) => ({ query: async () => files }) as unknown as Store;
  let r = await newLines(
    fake([
      { id: 1, next_line: 101, provisional_from: 95 },
      { id: 2, next_line: 11, provisional_from: null },
    ]),
    { files: {}, thresholds: {}, aggregates: {} },
    9,
  );
  assert.deepEqual(r.next, { 1: 95, 2: 11 });
  // file 2 (another lane) committed more, file 1's provisional rows were replaced and settled
  r = await newLines(
    fake([
      { id: 1, next_line: 130, provisional_from: null },
      { id: 2, next_line: 11, provisional_from: null },
    ]),
    { files: r.next, thresholds: {}, aggregates: {} },
    9,
  );
  assert.deepEqual(r.next, { 1: 130, 2: 11 });
  assert.match(r.where!.text, /file_id = 1 AND line >= 95 AND line < 130/);
  assert.doesNotMatch(r.where!.text, /file_id = 2/);
});
