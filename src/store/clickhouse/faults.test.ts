// Faults of a two-shard cluster (the harness's servers, a shard taken down with down() and brought
// back with its data by up()):
//   - a shard down during an ingest: the ingest stops with an error naming the shard; once it is back,
//     running the ingest again gives exactly the totals of a clean ingest (nothing lost, nothing twice);
//   - a shard down for a moment: the bounded retries ride it out, the totals are exact;
//   - a report with a shard down: an error naming the shard and how to get partial results; with
//     partial=1 in the URL the report answers from the shard that is up;
//   - verify (integrity.ts): intact after each of these (the rows and hashes of the failed attempts
//     never count), and with a shard down an error naming it, partial=1 or not.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTracking } from '../../generate/tracking/index.js';
import { ingest } from '../../ingest/ingest.js';
import { classesReport, classifyDefaults } from '../../capabilities/tracking/reports.js';
import { describeClickhouse, startCluster, type ClickhouseCluster, type ClickhouseServer } from '../../testing/clickhouse.js';
import type { Batch, Store } from '../types.js';
import { clusterUrl } from './urls.fixture.js';
import { openClickhouse } from './open.js';
import * as tracking from '../../capabilities/tracking/queries.js';

const logs = join(mkdtempSync(join(tmpdir(), 'mxray-ch-faults-')), 'logs');
const BATCH = 128 << 10;
let dbNo = 0;

async function totals(s: Store) {
  return {
    events: await tracking.eventCount(s, {}),
    users: await tracking.userTotals(s, {}, 'once'),
    days: await tracking.activeDays(s, {}),
    traffic: await tracking.traffic(s, {}, 'day'),
  };
}

/** the store, with `fn` run before its n-th appendBatch */
function before_nth(s: Store, n: number, fn: () => Promise<void>): Store {
  const wrapped = Object.create(s) as Store;
  let calls = 0;
  wrapped.appendBatch = async (b: Batch) => {
    if (++calls === n) await fn();
    return s.appendBatch(b);
  };
  return wrapped;
}

describeClickhouse('ClickHouse cluster faults', () => {
  let cluster: ClickhouseCluster;
  let shard: ClickhouseServer;
  let clean: Awaited<ReturnType<typeof totals>>;
  const url = (extra = '') => clusterUrl(cluster, `faults_${process.pid}_${++dbNo}`, extra);
  before(async () => {
    cluster = await startCluster(2, { private: true }); // it stops a shard: a cluster of its own
    shard = cluster.servers[1]!;
    await generateTracking({ users: 15, days: 2, servers: 2, version: '2013', out: logs, seed: 9 });
    const s = await openClickhouse(url());
    await ingest([logs], { store: s, batchBytes: BATCH });
    clean = await totals(s);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a shard down during an ingest: a clear error naming it; after it is back, a re-run gives exactly the clean totals', async () => {
    const u = url('&retries=1&backoff_ms=50');
    const s = await openClickhouse(u);
    const failing = before_nth(s, 3, () => shard.down());
    try {
      await assert.rejects(ingest([logs], { store: failing, batchBytes: BATCH }), (e: Error) => {
        assert.match(e.message, new RegExp(`shard 2 \\(127\\.0\\.0\\.1:${shard.tcpPort}\\) of cluster "${cluster.clusterName}" failed`));
        assert.match(e.message, /\(after 2 attempts\)/);
        assert.match(e.message, /Nothing of this batch counts; run the ingest again/);
        return true;
      });
    } finally {
      await shard.up();
    }
    const again = await openClickhouse(u);
    const partial = await tracking.eventCount(again, {});
    assert.ok(partial > 0 && partial < clean.events, `the batches before the fault are committed (${partial} events)`);
    const r = await ingest([logs], { store: again, batchBytes: BATCH });
    assert.ok(r.details.some((d) => d.action === 'resumed' || d.action === 'ingested'));
    assert.deepEqual(await totals(again), clean);
    const v = await again.verify({});
    assert.equal(v.intact, true, JSON.stringify(v.findings));
    assert.equal(v.rows, clean.events);
  });

  test('a shard down for a moment during an ingest: the bounded retries ride it out, totals exact', async () => {
    const s = await openClickhouse(url('&retries=6&backoff_ms=200'));
    let retried = 0;
    s.hooks.afterRows = (_table, attempt) => {
      if (attempt > 1) retried++;
    };
    let back: Promise<void> | undefined;
    const flaky = before_nth(s, 2, async () => {
      await shard.down();
      back = new Promise((r) => setTimeout(r, 300)).then(() => shard.up());
    });
    try {
      await ingest([logs], { store: flaky, batchBytes: BATCH });
    } finally {
      await back;
    }
    assert.equal(retried, 1, 'one insert needed more than one attempt');
    assert.deepEqual(await totals(s), clean);
    const v = await s.verify({});
    assert.equal(v.intact, true, JSON.stringify(v.findings));
  });

  test('a report with a shard down: an error naming the shard; partial=1 reports from the shard that is up', async () => {
    const u = url('&retries=1&backoff_ms=50');
    const s = await openClickhouse(u);
    await ingest([logs], { store: s, batchBytes: BATCH });
    await shard.down();
    try {
      const opts = { range: {}, ...classifyDefaults, mode: 'combined' as const, recipients: 'once' as const };
      const named = new RegExp(
        `shard 2 \\(127\\.0\\.0\\.1:${shard.tcpPort}\\) of cluster "${cluster.clusterName}" is unavailable[^]*add partial=1 to the store URL`,
      );
      await assert.rejects(classesReport(s, opts), named);
      await assert.rejects(tracking.traffic(s, {}, 'hour'), named);
      await assert.rejects(tracking.eventCount(s, {}), named);
      // opening needs only the server in the URL (the layout is recorded), so partial reports work
      const partial = await openClickhouse(u + '&partial=1');
      const n = await tracking.eventCount(partial, {});
      assert.ok(n > 0 && n < clean.events, `partial count ${n} of ${clean.events}`);
      const c = await classesReport(partial, opts);
      assert.ok(c.users > 0);
      // verify needs every shard, partial=1 or not: the rows of the shard that is down would look deleted
      const unavailable = new RegExp(
        `shard 2 \\(127\\.0\\.0\\.1:${shard.tcpPort}\\) of cluster "${cluster.clusterName}" is unavailable \\(verify needs every shard\\)`,
      );
      await assert.rejects(s.verify({}), unavailable);
      await assert.rejects(partial.verify({}), unavailable);
    } finally {
      await shard.up();
    }
    assert.deepEqual(await totals(s), clean, 'with the shard back, the report is whole again');
    assert.equal((await s.verify({})).intact, true, 'and the store verifies intact');
  });
});
