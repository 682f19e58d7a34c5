// The ClickHouse backend against the Store contract (testing/store-contract.ts), unchanged, on a single server
// and on a two-shard cluster, both started by the harness on 127.0.0.1. Each test of the contract
// gets a fresh database (the contract wants an empty store per test). Then parity: the same
// generated logs through DuckDB and through ClickHouse give identical answers to every query,
// including what the contract does not look at (recipients 'each', traffic by hour, time ranges).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../../testing/store-contract.js';
import { DuckdbStore } from '../duckdb/store.js';
import type { Store, TimeRange } from '../types.js';
import { generateTracking } from '../../generate/tracking/index.js';
import { ingest } from '../../ingest/ingest.js';
import { describeClickhouse, startClickhouse, startCluster, type ClickhouseCluster, type ClickhouseServer } from '../../testing/clickhouse.js';
import { openClickhouse } from './open.js';
import type { ClickhouseStore } from './store.js';
import { recordTables } from '../../schema/tables.js';
import { TsvWriter } from '../../schema/tsv.js';
import { clusterUrl } from './urls.fixture.js';
import * as tracking from '../../capabilities/tracking/queries.js';
import { userTotalsTuning } from '../../capabilities/tracking/tuned/clickhouse.js';

let dbNo = 0;
const freshDb = (prefix: string) => `${prefix}_${process.pid}_${++dbNo}`;

async function everyAnswer(s: Store) {
  const ranges: TimeRange[] = [{}, { from: '2024-03-05 00:00:00' }, { to: '2024-03-05 12:00:00' }, { from: '2024-03-04 06:30:00', to: '2024-03-06 00:00:00' }];
  const out: Record<string, unknown> = {};
  for (const [i, r] of ranges.entries()) {
    out[`once ${i}`] = await tracking.userTotals(s, r, 'once');
    out[`each ${i}`] = await tracking.userTotals(s, r, 'each');
    out[`days ${i}`] = await tracking.activeDays(s, r);
    out[`day ${i}`] = await tracking.traffic(s, r, 'day');
    out[`hour ${i}`] = await tracking.traffic(s, r, 'hour');
    out[`events ${i}`] = await tracking.eventCount(s, r);
    // the traffic statements written once (what DuckDB runs) answer the same on ClickHouse, which
    // runs its tuned one: proof that they are portable
    out[`portable day ${i}`] = await tracking.trafficByStatements(s, r, 'day');
    out[`portable hour ${i}`] = await tracking.trafficByStatements(s, r, 'hour');
  }
  return out;
}

const parityDir = mkdtempSync(join(tmpdir(), 'mxray-ch-parity-'));
let duckAnswers: Record<string, unknown> | undefined;
async function duckdbAnswers(): Promise<Record<string, unknown>> {
  if (!duckAnswers) {
    const logs = join(parityDir, 'logs');
    await generateTracking({ users: 40, days: 3, servers: 3, version: '2010', out: logs, seed: 11 });
    const duck = await DuckdbStore.open(join(parityDir, 'parity.duckdb'));
    try {
      await ingest([logs], { store: duck });
      duckAnswers = await everyAnswer(duck);
    } finally {
      await duck.close();
    }
  }
  return duckAnswers;
}

/** Events with repeats (a message submitted twice with other recipients and bytes, delivered twice
 *  to one mailbox, "a;a" recipient lists, NULL bytes, empty lists), the same in any store. */
async function appendRepeats(s: Store): Promise<void> {
  const f = await s.addFile({
    path: '/x/repeats.log',
    size: 1,
    fpLen: 1,
    fpHash: 'repeats',
    format: 'msgtrk',
    offset: 0,
    nextLine: 1,
    seekable: true,
    state: undefined,
    provisionalFrom: null,
    complete: false,
    lines: 0,
    rejects: 0,
  });
  const w = new TsvWriter(recordTables.tracking, f.id, s.capabilities.tsvBackslashEscapes);
  let line = 0;
  const ev = (hour: number, role: number, msg: string, sender: string, rcpts: string, bytes: number | null) => {
    w.begin(++line);
    w.text(`2024-03-0${4 + (hour >= 24 ? 1 : 0)} ${String(hour % 24).padStart(2, '0')}:0${line % 10}:00.${String(line % 1000).padStart(3, '0')}`);
    w.text('EX01');
    w.text('X');
    w.text('STOREDRIVER');
    w.int(role);
    w.text(msg);
    w.text('i');
    w.text(sender);
    w.text(rcpts);
    w.int(1);
    if (bytes === null) w.nul();
    else w.int(bytes);
    w.text('');
    w.text('');
    w.nul();
    w.end();
  };
  for (let u = 0; u < 30; u++) {
    const me = `u${u}@x.org`,
      next = `u${(u + 1) % 30}@x.org`,
      other = `u${(u + 7) % 30}@x.org`;
    ev(u % 30, 1, `<a${u}>`, me, `${next};${other}`, 100 + u);
    if (u % 3 === 0) ev((u % 30) + 1, 1, `<a${u}>`, me, `${next};${next};u${(u + 2) % 30}@x.org`, 90 + u); // submitted again, other recipients and bytes
    ev(u % 30, 2, `<a${u}>`, me, `${next};${other}`, 100 + u);
    if (u % 4 === 0) ev((u % 30) + 2, 2, `<a${u}>`, me, next, 150 + u); // delivered to `next` again, other bytes
    ev(5, 3, `<b${u}>`, me, u % 5 === 0 ? '' : `${other};${other}`, u % 2 ? null : 7);
  }
  await s.appendBatch({
    files: [{ ...f, nextLine: line + 1, complete: true }],
    rows: { tracking: w.take() },
    rowCounts: { tracking: line },
    rejects: [],
    replace: [],
  });
}

let repeatsAnswers: Record<string, unknown> | undefined;
async function duckdbRepeats(): Promise<Record<string, unknown>> {
  if (!repeatsAnswers) {
    const duck = await DuckdbStore.open(join(parityDir, 'repeats.duckdb'));
    try {
      await appendRepeats(duck);
      repeatsAnswers = await everyAnswer(duck);
    } finally {
      await duck.close();
    }
  }
  return repeatsAnswers;
}

/** messages logged twice answer as on DuckDB, both with users named in the query and (namedUsersMax
 *  = 0) selected by a subquery */
async function assertRepeatsAsDuckdb(s: ClickhouseStore): Promise<void> {
  const want = await duckdbRepeats();
  await appendRepeats(s);
  assert.deepEqual(await everyAnswer(s), want);
  const saved = userTotalsTuning.namedUsersMax;
  userTotalsTuning.namedUsersMax = 0;
  try {
    assert.deepEqual(await everyAnswer(s), want);
  } finally {
    userTotalsTuning.namedUsersMax = saved;
  }
}

describeClickhouse('ClickHouse store contract: single server', () => {
  let server: ClickhouseServer;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });

  storeContract('clickhouse', { open: () => openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/${freshDb('contract')}`) });

  test('clickhouse: messages logged twice (per-pair counting) answer exactly as DuckDB, users named or selected by a subquery', async () => {
    await assertRepeatsAsDuckdb(await openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/${freshDb('repeats')}`));
  });

  test('clickhouse: every query answers exactly as DuckDB on the same logs', async () => {
    const want = await duckdbAnswers();
    const s = await openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/${freshDb('parity')}`);
    await ingest([join(parityDir, 'logs')], { store: s, batchBytes: 256 << 10 });
    assert.deepEqual(await everyAnswer(s), want);
  });
});

describeClickhouse('ClickHouse store contract: two-shard cluster', () => {
  let cluster: ClickhouseCluster;
  before(async () => {
    cluster = await startCluster(2);
  });
  after(async () => {
    await cluster?.stop();
  });

  storeContract('clickhouse cluster', { open: () => openClickhouse(clusterUrl(cluster, freshDb('contract'))) });

  test('clickhouse cluster: messages logged twice answer exactly as DuckDB (named users and subquery)', async () => {
    await assertRepeatsAsDuckdb(await openClickhouse(clusterUrl(cluster, freshDb('repeats'))));
  });

  test('clickhouse cluster: every query answers exactly as DuckDB on the same logs, and both shards hold rows', async () => {
    const want = await duckdbAnswers();
    const db = freshDb('parity');
    const s = await openClickhouse(clusterUrl(cluster, db));
    await ingest([join(parityDir, 'logs')], { store: s, batchBytes: 256 << 10 });
    assert.deepEqual(await everyAnswer(s), want);
    for (const server of cluster.servers) {
      const res = await fetch(`${server.url}/?database=${db}`, { method: 'POST', body: 'SELECT count() FROM tracking_events_local' });
      assert.ok(Number(await res.text()) > 0, `shard ${server.httpPort} holds no rows`);
    }
  });
});
