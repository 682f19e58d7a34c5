// The recorder on DuckDB and ClickHouse: the seed's log lines it writes, the samples and durations
// it stores, the poller's heartbeat, a restart, and aggregate-only mode (no sample rows, no log lines).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckdbStore } from '../../store/duckdb/store.js';
import { openClickhouse } from '../../store/clickhouse/open.js';
import type { Store } from '../../store/types.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import { live, table } from '../../sql/dialect.js';
import { sql } from '../../sql/sql.js';
import { openPresenceRecorder } from './recorder.js';
import { LiveLog } from '../../store/live.js';
import type { EnrolledUser, Observation, PresenceState } from './types.js';

const users: EnrolledUser[] = [
  { imAddress: 'Alice@Example.org', username: 'alice', dn: 'uid=alice,ou=a,dc=example,dc=org' },
  { imAddress: 'bob@example.org', username: 'bob', dn: 'uid=bob,ou=b,dc=example,dc=org' },
];
const at = (hhmm: string) => new Date(`2026-03-28T${hhmm}:00Z`);
const obs = (u: EnrolledUser, when: Date, state: PresenceState, pushed = false): Observation => ({
  imAddress: u.imAddress,
  username: u.username,
  at: when,
  state,
  raw: state,
  source: 'xmpp',
  pushed,
});

async function spans(s: Store) {
  const rows = await s.query<{ user: string; state: string; seconds: number }>(
    'spans',
    sql`SELECT user, state, sum(seconds) AS seconds FROM ${table('presenceSpans')} WHERE ${live('presenceSpans')} GROUP BY user, state ORDER BY user, state`,
  );
  return rows.map((r) => `${r.user} ${r.state} ${Number(r.seconds)}`);
}

function suite(open: (name: string) => Promise<Store>) {
  test('cycles and a pushed change: log lines, samples, durations, heartbeat; a restart caps the gap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxray-rec-'));
    const s = await open('a');
    try {
      const [alice, bob] = users as [EnrolledUser, EnrolledUser];
      // one user per batch: a cycle is two batches, with one heartbeat
      let rec = await openPresenceRecorder(s, await LiveLog.open(s, 'presence-poll'), {
        intervalS: 900,
        logDir: join(dir, 'logs'),
        tz: 'Europe/Berlin',
        batchUsers: 1,
      });
      // 10:00 both online (bob not observed: unknown); 10:05 alice pushes busy; 10:15 cycle; 11:00 cycle after a missed one
      await rec.recordCycle(at('10:00'), users, [obs(alice, at('10:00'), 'online')]);
      await rec.recordPush(obs(alice, new Date('2026-03-28T10:05:30Z'), 'busy', true));
      await rec.recordCycle(at('10:15'), users, [obs(alice, at('10:15'), 'busy'), obs(bob, at('10:15'), 'away')]);
      await rec.recordCycle(at('11:00'), users, [obs(alice, at('11:00'), 'online'), obs(bob, at('11:00'), 'online')]);
      await rec.close(at('11:01'));
      // restart 3 hours later: the last samples before it last one interval only
      rec = await openPresenceRecorder(s, await LiveLog.open(s, 'presence-poll'), { intervalS: 900, logDir: join(dir, 'logs'), tz: 'Europe/Berlin' });
      await rec.recordCycle(at('14:00'), users, [obs(alice, at('14:00'), 'offline'), obs(bob, at('14:00'), 'offline')]);
      await rec.close(at('14:01'));

      const lines = readFileSync(join(dir, 'logs', '20260328.log'), 'latin1');
      assert.ok(lines.endsWith('\r\n'));
      assert.deepEqual(lines.trimEnd().split('\r\n'), [
        '20260328,11:00,Alice@Example.org,alice,2',
        '20260328,11:00,bob@example.org,bob,0',
        '20260328,11:05,Alice@Example.org,alice,10',
        '20260328,11:15,Alice@Example.org,alice,10',
        '20260328,11:15,bob@example.org,bob,34',
        '20260328,12:00,Alice@Example.org,alice,2',
        '20260328,12:00,bob@example.org,bob,2',
        '20260328,15:00,Alice@Example.org,alice,1',
        '20260328,15:00,bob@example.org,bob,1',
      ]);
      // alice: online 10:00–10:05, busy 10:05–10:15 and 10:15–10:45 (2 intervals, then unknown),
      // online 11:00–11:15 (the poller stopped after it); bob: unknown 10:00–10:15, away 10:15–10:45, online 11:00–11:15
      assert.deepEqual(await spans(s), [
        'alice@example.org busy 2400',
        'alice@example.org online 1200',
        'bob@example.org away 1800',
        'bob@example.org online 900',
        'bob@example.org unknown 900',
      ]);
      const n = await s.query<{ n: number; pushed: number }>(
        'samples',
        sql`SELECT count(*) AS n, sum(pushed) AS pushed FROM ${table('presence')} WHERE ${live('presence')}`,
      );
      assert.deepEqual([Number(n[0]!.n), Number(n[0]!.pushed)], [9, 1]);
      const hb = await s.query<{ event: string }>(
        'hb',
        sql`SELECT event FROM ${table('presenceHeartbeats')} WHERE ${live('presenceHeartbeats')} ORDER BY file_id, line`,
      );
      assert.deepEqual(
        hb.map((r) => r.event),
        ['start', 'cycle', 'cycle', 'cycle', 'stop', 'start', 'cycle', 'stop'],
      );
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('aggregate-only: daily totals, no sample rows, no log lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxray-rec-'));
    const s = await open('b');
    try {
      const [alice] = users as [EnrolledUser];
      const rec = await openPresenceRecorder(s, await LiveLog.open(s, 'presence-poll'), { intervalS: 900, logDir: join(dir, 'logs'), aggregateOnly: true });
      await rec.recordCycle(new Date('2026-03-28T23:45:00Z'), [alice], [obs(alice, new Date('2026-03-28T23:45:00Z'), 'online')]);
      await rec.recordCycle(new Date('2026-03-29T00:00:00Z'), [alice], [obs(alice, new Date('2026-03-29T00:00:00Z'), 'away')]);
      await rec.recordCycle(new Date('2026-03-29T01:00:00Z'), [alice], [obs(alice, new Date('2026-03-29T01:00:00Z'), 'online')]);
      await rec.close(new Date('2026-03-29T01:01:00Z'));
      assert.equal(existsSync(join(dir, 'logs')), false);
      const rows = await s.query<{ day: string; state: string; seconds: number }>(
        'daily',
        sql`SELECT day, state, sum(seconds) AS seconds FROM ${table('presenceDaily')} WHERE ${live('presenceDaily')} GROUP BY day, state ORDER BY day, state`,
      );
      assert.deepEqual(
        rows.map((r) => `${r.day} ${r.state} ${Number(r.seconds)}`),
        ['2026-03-28 online 900', '2026-03-29 away 1800', '2026-03-29 online 900'],
      );
      for (const t of ['presence', 'presenceSpans'] as const) {
        const [c] = await s.query<{ n: number }>('none', sql`SELECT count(*) AS n FROM ${table(t)}`);
        assert.equal(Number(c!.n), 0, t);
      }
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const dir = mkdtempSync(join(tmpdir(), 'mxray-recorder-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('presence recorder on DuckDB', () => {
  suite((name) => DuckdbStore.open(join(dir, `${name}.duckdb`)));
});

describeClickhouse('presence recorder on ClickHouse', () => {
  let server: ClickhouseServer;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  suite((name) => openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/presrec_${process.pid}_${name}`));
});
