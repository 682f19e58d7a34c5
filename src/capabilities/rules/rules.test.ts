// Rules over generated tracking logs: every count is worked out here from the log files themselves
// (a CSV reader of the test's own, not the ingest), so a rule that selects wrongly, a stop that does
// not stop, an exclude that does not exclude or a group count that is off fails. The same rules on
// ClickHouse give exactly the same matches (every matching record, by file and line).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';
import { sharedTrackingSet } from '../../testing/shared-sets.js';
import { rawEvents, type RawEvent } from '../../testing/tracking-raw.js';
import { generatedLogs } from '../../generate/tracking/index.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import type { RuleResult } from './engine.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-rules-'));
const db = join(dir, 'r.duckdb');
let logs = '';

const rulesYaml = `rules:
  - name: large-deliveries
    source: tracking
    include:
      - { field: event-id, op: "==", value: deliver }
      - { field: Total-Bytes, op: ">", value: 1000000 }
    exclude:
      - { field: sender-address, op: matches, value: "^[a-f]" }
  - name: failures
    source: tracking
    include: [ { field: Event-ID, op: in, value: [FAIL, DSN] } ]
    stop: true
  - name: d-events
    source: tracking
    include: [ { field: event-id, op: like, value: "D*" } ]
  - name: forwarded
    source: tracking
    include:
      - { field: event-id, op: "==", value: DELIVER }
      - { field: sender-address, op: "!=", field2: recipient-address }
      - { field: recipient-count, op: ">=", value: 3 }
  - name: busy-senders
    source: tracking
    include: [ { field: event-id, op: "==", value: RECEIVE }, { field: source, op: "==", value: STOREDRIVER } ]
    aggregate: { by: [sender-address], per: day, count: { op: ">", value: 30 } }
`;

let events: RawEvent[] = [];
/** the matches each rule must have, as file:line (aggregate: sender|day=count) */
const want: Record<string, string[]> = {};
const at = (e: RawEvent) => `${e.file}:${e.line}`;

before(async () => {
  const set = await sharedTrackingSet({ users: 40, days: 3, servers: 2, version: '2013' }, join(dir, 'set'));
  logs = generatedLogs(set);
  events = rawEvents(logs);
  const ev = (e: RawEvent) => e.f['event-id']!.toUpperCase();
  const sender = (e: RawEvent) => e.f['sender-address']!.toLowerCase();
  want['large-deliveries'] = events.filter((e) => ev(e) === 'DELIVER' && Number(e.f['total-bytes']) > 1_000_000 && !/^[a-f]/.test(sender(e))).map(at);
  const stopped = (e: RawEvent) => ev(e) === 'FAIL' || ev(e) === 'DSN';
  want.failures = events.filter(stopped).map(at);
  want['d-events'] = events.filter((e) => ev(e).startsWith('D') && !stopped(e)).map(at);
  want.forwarded = events
    .filter((e) => ev(e) === 'DELIVER' && sender(e) !== e.f['recipient-address']!.toLowerCase() && Number(e.f['recipient-count']) >= 3)
    .map(at);
  const groups = new Map<string, number>();
  for (const e of events)
    if (ev(e) === 'RECEIVE' && e.f.source === 'STOREDRIVER') {
      const k = `${sender(e)}|${e.f['date-time']!.slice(0, 10)}`;
      groups.set(k, (groups.get(k) ?? 0) + 1);
    }
  want['busy-senders'] = [...groups].filter(([, n]) => n > 30).map(([k, n]) => `${k}=${n}`);
  writeFileSync(join(dir, 'rules.yaml'), rulesYaml);
  for (const [k, v] of Object.entries(want)) assert.ok(v.length > 0, `the generated set has cases for ${k}`);
  assert.ok(want['d-events']!.some((x) => !want['large-deliveries']!.includes(x)));
});

/** every match of every rule, as the wanted lists spell them */
function got(results: RuleResult[]): Record<string, string[]> {
  return Object.fromEntries(
    results.map((r) => [
      r.rule,
      r.examples.map((e) =>
        e.origin ? `${e.origin.file}:${e.origin.line}` : `${String(e.record['sender-address'])}|${String(e.record.day)}=${String(e.record.count)}`,
      ),
    ]),
  );
}

const sorted = (o: Record<string, string[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [...v].sort()]));

async function testOn(store: string[]): Promise<RuleResult[]> {
  const r = await mxray(['rules', 'test', join(dir, 'rules.yaml'), ...store, '--json', '--examples', '100000']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as RuleResult[];
}

describe('rules test over generated tracking logs', () => {
  test('DuckDB: each rule matches exactly the events counted from the log files', async () => {
    const ing = await mxray(['ingest', logs, '--db', db, '--json']);
    assert.equal(ing.code, 0, ing.stderr);
    const results = await testOn(['--db', db]);
    assert.deepEqual(
      results.map((r) => [r.rule, r.matches]),
      Object.entries(want).map(([k, v]) => [k, v.length]),
    );
    assert.deepEqual(sorted(got(results)), sorted(want));
    // the records are shown by the log's field names, as stored
    const first = results[0]!.examples[0]!;
    assert.equal(first.record['event-id'], 'DELIVER');
    assert.ok((first.record['total-bytes'] as number) > 1_000_000);
  });

  test('examples default to the first five', async () => {
    const r = await mxray(['rules', 'test', join(dir, 'rules.yaml'), '--db', db, '--json']);
    const results = JSON.parse(r.stdout) as RuleResult[];
    assert.deepEqual(
      results.map((x) => x.examples.length),
      Object.values(want).map((v) => Math.min(5, v.length)),
    );
  });
});

describeClickhouse('rules test on ClickHouse', () => {
  let server: ClickhouseServer | undefined;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  test('the same rules give the same matches as on DuckDB and as the files', async () => {
    const store = ['--store', `clickhouse://127.0.0.1:${server!.httpPort}/${server!.database}`];
    const ing = await mxray(['ingest', logs, ...store, '--json']);
    assert.equal(ing.code, 0, ing.stderr);
    const results = await testOn(store);
    assert.deepEqual(sorted(got(results)), sorted(want));
  });
});
