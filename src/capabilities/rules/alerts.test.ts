// `mxray rules alerts` on DuckDB and ClickHouse: the alerts a real `rules run` stored over generated
// message tracking logs. The truth is counted here from the log files themselves (each file's
// #Fields: header, its lines parsed as CSV): the DELIVER lines over 300,000 bytes and the FAIL lines,
// each with its file, line and day. Every alert names its record's file:line; the per-day counts, the
// --rule and --from/--to filters and --limit follow; a second run stores nothing new.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatedLogs } from '../../generate/layout.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';
import { rawEvents } from '../../testing/tracking-raw.js';
import { validate } from '../report.js';
import type { StoredAlerts } from './alerts.js';
import { rulesAlerts } from './report-specs.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-rules-alerts-'));
const logs = generatedLogs(join(dir, 'gen'));
const rulesFile = join(dir, 'alerts.yaml');
const LARGE = 300_000;

interface Truth {
  rule: string;
  where: string;
  day: string;
  bytes: number;
}

/** the alerts the two rules must fire, from the log files (the test's own reader) */
function truthOf(): Truth[] {
  const out: Truth[] = [];
  for (const { file, line, f } of rawEvents(logs)) {
    const get = (k: string) => f[k] ?? '';
    const day = get('date-time').slice(0, 10);
    const bytes = Number(get('total-bytes'));
    if (get('event-id') === 'DELIVER' && bytes > LARGE) out.push({ rule: 'large-delivery', where: `${file}:${line}`, day, bytes });
    if (get('event-id') === 'FAIL') out.push({ rule: 'failed-delivery', where: `${file}:${line}`, day, bytes });
  }
  return out;
}

let truth: Truth[];

before(async () => {
  const g = await mxray(['generate', 'tracking', '--users', '16', '--days', '3', '--servers', '2', '--version', '2013', '--out', join(dir, 'gen')]);
  assert.equal(g.code, 0, g.stderr);
  writeFileSync(
    rulesFile,
    `rules:
  - name: large-delivery
    source: tracking
    include:
      - { field: event-id, op: "==", value: DELIVER }
      - { field: total-bytes, op: ">", value: ${LARGE} }
  - name: failed-delivery
    source: tracking
    include: [ { field: event-id, op: "==", value: FAIL } ]
`,
  );
  truth = truthOf();
});
after(() => rmSync(dir, { recursive: true, force: true }));

function perDay(list: Truth[]): { day: string; rule: string; alerts: number }[] {
  const m = new Map<string, number>();
  for (const t of list) m.set(`${t.day}|${t.rule}`, (m.get(`${t.day}|${t.rule}`) ?? 0) + 1);
  return [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, alerts]) => ({ day: k.split('|')[0]!, rule: k.split('|')[1]!, alerts }));
}

function suite(where: () => string[]) {
  const alerts = async (...args: string[]): Promise<StoredAlerts> => {
    const r = await mxray(['rules', 'alerts', ...args, '--json', ...where()]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as StoredAlerts;
  };

  test('rules run stores every alert the logs call for; rules alerts lists them with their records, per day, filtered', async () => {
    const ingested = await mxray(['ingest', logs, ...where()]);
    assert.equal(ingested.code, 0, ingested.stderr);
    const none = await alerts();
    assert.equal(none.total, 0);
    const ran = await mxray(['rules', 'run', rulesFile, ...where()]);
    assert.equal(ran.code, 0, ran.stderr);
    const large = truth.filter((t) => t.rule === 'large-delivery');
    assert.ok(large.length >= 10 && truth.length > large.length, `a sample with both rules: ${large.length} of ${truth.length}`);
    const days = [...new Set(truth.map((t) => t.day))].sort();
    assert.equal(days.length, 3);

    const all = await alerts('--limit', '100000');
    assert.equal(all.total, truth.length);
    assert.equal(all.more, 0);
    assert.deepEqual(all.perDay, perDay(truth));
    assert.deepEqual(all.alerts.map((a) => `${a.rule} ${a.file}:${a.line}`).sort(), truth.map((t) => `${t.rule} ${t.where}`).sort());
    // the record shown is the line's: its size, its time
    const bytesAt = new Map(truth.map((t) => [t.where, t.bytes]));
    for (const a of all.alerts) {
      assert.equal(a.record['total-bytes'], bytesAt.get(`${a.file}:${a.line}`));
      assert.equal(a.time, String(a.record['date-time']).slice(0, 19));
      assert.equal(a.source, 'tracking');
      assert.equal(a.matches, 1);
      assert.equal(a.ruleSet, rulesFile);
    }
    // newest first
    for (let i = 1; i < all.alerts.length; i++) assert.ok(all.alerts[i - 1]!.time >= all.alerts[i]!.time);

    // one rule, one day, a limit: the rest counted
    const day = days[1]!;
    const one = await alerts('--rule', 'large-delivery', '--from', day, '--to', day, '--limit', '3');
    const want = large.filter((t) => t.day === day);
    assert.equal(one.total, want.length);
    assert.equal(one.alerts.length, 3);
    assert.equal(one.more, want.length - 3);
    assert.deepEqual(one.perDay, [{ day, rule: 'large-delivery', alerts: want.length }]);
    for (const a of one.alerts) assert.ok(a.rule === 'large-delivery' && a.time.startsWith(day));

    // a second run finds nothing new: nothing stored twice
    const again = await mxray(['rules', 'run', rulesFile, ...where()]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /: 0 alert\(s\) fired/);
    assert.equal((await alerts()).total, truth.length);

    // the table names each record's file:line; CSV one row per alert
    const table = await mxray(['rules', 'alerts', '--rule', 'failed-delivery', '--limit', '1', ...where()]);
    assert.equal(table.code, 0, table.stderr);
    const newestFail = truth.filter((t) => t.rule === 'failed-delivery').length;
    assert.match(table.stdout, /failed-delivery\s+tracking\s+\S+\.LOG:\d+\s+date-time=/);
    assert.match(table.stdout, new RegExp(`${newestFail - 1} more alert\\(s\\)`));
    const csv = await mxray(['rules', 'alerts', '--format', 'csv', '--limit', '100000', ...where()]);
    assert.equal(csv.stdout.trimEnd().split(/\r?\n/).length, truth.length + 1);
  });
}

test('bad parameters are named; the other rules commands are still there', async () => {
  assert.throws(() => validate(rulesAlerts, { limit: '0' }), /--limit: expected a whole number ≥ 1, got "0"/);
  assert.throws(() => validate(rulesAlerts, { rule: ' ' }), /--rule: expected a rule name, got an empty value/);
  assert.throws(() => validate(rulesAlerts, { from: '2024-03-06', to: '2024-03-05' }), /--from \(2024-03-06\) must be before --to/);
  const bad = await mxray(['rules', 'alerts', '--from', 'yesterday', '--db', join(dir, 'none.duckdb')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--from: expected an ISO date/);
  const help = await mxray(['rules', '--help']);
  assert.match(help.stdout, /check \[options\] \[file\][\s\S]*test \[options\][\s\S]*run \[options\][\s\S]*alerts \[options\]/);
});

describe('rules alerts on DuckDB', () => {
  suite(() => ['--db', join(dir, 'alerts.duckdb')]);
});

describeClickhouse('rules alerts on ClickHouse', () => {
  let server: ClickhouseServer | undefined;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  suite(() => ['--store', `clickhouse://127.0.0.1:${server!.httpPort}/${server!.database}`]);
});
