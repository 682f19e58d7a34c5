// The starter rule sent-count-jump (rules/starter.yaml: a sender's RECEIVE/STOREDRIVER count on a day
// above 5× its own average of the 7 days before, and at least 200) over ten generated days of tracking
// logs, then a day on which one mailbox sends 1,000 messages (a compromised account) and another 150
// (a jump, but under the rule's minimum of 200). The firing groups are worked out here from the log files
// with the test's own reader (src/testing/tracking-raw.ts), by the rule's definition: only the first
// mailbox's burst fires, the generated days themselves never do; DuckDB and ClickHouse agree.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';
import { sharedTrackingSet } from '../../testing/shared-sets.js';
import { rawEvents, type RawEvent } from '../../testing/tracking-raw.js';
import { generatedLogs } from '../../generate/tracking/index.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import { repoPath } from '../../testing/paths.js';
import type { RuleResult } from './engine.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-rules-baseline-'));
const starter = repoPath('rules', 'starter.yaml');
const DAY = 86_400_000;
let logs = '';
let burstDir = '';
let want: string[] = [];
let quietWant: string[] = [];

const submitted = (e: RawEvent) => e.f['event-id']!.toUpperCase() === 'RECEIVE' && e.f.source === 'STOREDRIVER';
const sender = (e: RawEvent) => e.f['sender-address']!.toLowerCase();

/** sender|day=count of every group the rule fires on, by its definition (7 buckets, factor 5, min 200) */
function firing(events: RawEvent[]): string[] {
  const perSender = new Map<string, Map<number, number>>();
  for (const e of events.filter(submitted)) {
    const day = Math.floor(Date.parse(e.f['date-time']!) / DAY);
    const days = perSender.get(sender(e)) ?? new Map<number, number>();
    days.set(day, (days.get(day) ?? 0) + 1);
    perSender.set(sender(e), days);
  }
  const out: string[] = [];
  for (const [s, days] of perSender) {
    const first = Math.min(...days.keys());
    for (const [day, n] of days) {
      let before = 0;
      for (let d = day - 7; d < day; d++) before += days.get(d) ?? 0;
      if (day - first >= 7 && n > (5 * before) / 7 && n >= 200) out.push(`${s}|${new Date(day * DAY).toISOString().slice(0, 10)}=${n}`);
    }
  }
  return out.sort();
}

/** a 2013 tracking log line from a template event's fields, CSV-quoted where needed */
function line(cols: string[], f: Record<string, string>): string {
  return cols.map((c) => (/[",\r\n]/.test(f[c] ?? '') ? `"${(f[c] ?? '').replace(/"/g, '""')}"` : (f[c] ?? ''))).join(',');
}

before(async () => {
  const set = await sharedTrackingSet({ users: 40, days: 10, servers: 2, version: '2013' }, join(dir, 'set'));
  logs = generatedLogs(set);
  const events = rawEvents(logs);
  quietWant = firing(events);
  // two senders with the most generated submissions get a burst on the day after the set
  const counts = new Map<string, RawEvent>();
  const n = new Map<string, number>();
  for (const e of events.filter(submitted)) {
    counts.set(sender(e), e);
    n.set(sender(e), (n.get(sender(e)) ?? 0) + 1);
  }
  const [a, b] = [...n].sort((x, y) => y[1] - x[1]).map(([s]) => counts.get(s)!);
  const last = Math.max(...events.map((e) => Math.floor(Date.parse(e.f['date-time']!) / DAY)));
  const day = new Date((last + 1) * DAY).toISOString().slice(0, 10);
  const cols = Object.keys(a!.f);
  const lines: string[] = [];
  const burst = (t: RawEvent, count: number, tag: string) => {
    for (let i = 0; i < count; i++) {
      const s = String(i % 60).padStart(2, '0');
      const m = String(Math.floor(i / 60) % 60).padStart(2, '0');
      const at = `${day}T09:${m}:${s}.${String(i % 1000).padStart(3, '0')}Z`;
      lines.push(line(cols, { ...t.f, 'date-time': at, 'internal-message-id': String(900000 + i), 'message-id': `<burst-${tag}-${i}@corp.example>` }));
    }
  };
  burst(a!, 1000, 'a');
  burst(b!, 150, 'b');
  burstDir = join(dir, 'burst', 'EX99');
  mkdirSync(burstDir, { recursive: true });
  const header = [
    '#Software: Microsoft Exchange Server',
    '#Version: 15.02.1118.007',
    '#Log-type: Message Tracking Log',
    `#Date: ${day}T09:00:00.000Z`,
    `#Fields: ${cols.join(',')}`,
  ];
  writeFileSync(join(burstDir, `MSGTRK${day.replace(/-/g, '')}09-1.LOG`), `\uFEFF${[...header, ...lines].join('\r\n')}\r\n`);
  want = firing([...events, ...rawEvents(join(dir, 'burst'))]);
  assert.equal(want.length, 1, `exactly the 1,000-message burst fires by the rule's definition: ${want.join(' ')}`);
  assert.match(want[0]!, new RegExp(`^${sender(a!).replace(/[.]/g, '\\.')}\\|${day}=1000$`));
});

async function jumps(store: string[]): Promise<string[]> {
  const r = await mxray(['rules', 'test', starter, ...store, '--json', '--examples', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const rule = (JSON.parse(r.stdout) as RuleResult[]).find((x) => x.rule === 'sent-count-jump')!;
  assert.equal(rule.examples.length, rule.matches);
  return rule.examples.map((e) => `${String(e.record['sender-address']).toLowerCase()}|${String(e.record.day)}=${String(e.record.count)}`).sort();
}

describe('sent-count-jump: a mailbox sending far above its own baseline', () => {
  test('DuckDB: quiet over the generated days; the burst of 1,000 fires, the jump of 150 does not', async () => {
    const db = join(dir, 'b.duckdb');
    assert.equal((await mxray(['ingest', logs, '--db', db])).code, 0);
    assert.deepEqual(await jumps(['--db', db]), quietWant);
    assert.deepEqual(quietWant, [], 'ordinary days never jump 5× with at least 200');
    assert.equal((await mxray(['ingest', join(dir, 'burst'), '--db', db])).code, 0);
    assert.deepEqual(await jumps(['--db', db]), want);
  });
});

describeClickhouse('sent-count-jump on ClickHouse', () => {
  let server: ClickhouseServer | undefined;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  test('the same firing as the files say', async () => {
    const store = ['--store', `clickhouse://127.0.0.1:${server!.httpPort}/${server!.database}`];
    assert.equal((await mxray(['ingest', logs, ...store])).code, 0);
    assert.equal((await mxray(['ingest', join(dir, 'burst'), ...store])).code, 0);
    assert.deepEqual(await jumps(store), want);
  });
});
