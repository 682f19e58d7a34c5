// The mxray command against ClickHouse: `MXRAY_STORE=clickhouse://…` (and --store) routes ingest and
// reports to a single server and to a two-shard cluster, with the same answers as the generator's
// truth. The commands run in this process (testing/run-cli.ts, the CLI of this same build), with
// MXRAY_STORE set for each; cli/eas.test.ts runs the real binary for what only a process shows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTracking } from '../../generate/tracking/index.js';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';
import { describeClickhouse, startClickhouse, startCluster, type ClickhouseCluster, type ClickhouseServer } from '../../testing/clickhouse.js';
import { clusterUrl } from './urls.fixture.js';

const logs = join(mkdtempSync(join(tmpdir(), 'mxray-ch-cli-')), 'logs');

describeClickhouse('mxray CLI with --store clickhouse://', () => {
  let server: ClickhouseServer;
  let cluster: ClickhouseCluster;
  let truth: { classes: Record<string, number>; days: number };
  before(async () => {
    [server, cluster] = await Promise.all([startClickhouse(), startCluster(2)]);
    await generateTracking({ users: 20, days: 2, servers: 2, version: '2013', out: logs, seed: 4 });
    truth = JSON.parse(readFileSync(join(logs, 'truth.json'), 'utf8'));
  });
  after(async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
  });

  for (const mode of ['single server', 'two-shard cluster'] as const) {
    test(`${mode}: ingest, re-ingest and tracking classes through the CLI`, async () => {
      const store = mode === 'single server' ? `clickhouse://127.0.0.1:${server.httpPort}/cli_${process.pid}` : clusterUrl(cluster, `cli_${process.pid}`);
      const env = { MXRAY_STORE: store };
      const first = await mxray(['ingest', '--json', logs], { env });
      assert.equal(first.code, 0, first.stderr);
      const summary = JSON.parse(first.stdout) as { events: number; errors: unknown[] };
      assert.ok(summary.events > 0);
      assert.deepEqual(summary.errors, []);
      const again = await mxray(['ingest', '--json', logs], { env });
      assert.equal(JSON.parse(again.stdout).events, 0, 're-ingest adds nothing');
      const classes = await mxray(['tracking', 'classes', '--json'], { env });
      assert.equal(classes.code, 0, classes.stderr);
      const r = JSON.parse(classes.stdout) as { days: number; classes: Record<string, { users: number }> };
      assert.equal(r.days, truth.days);
      assert.deepEqual(Object.fromEntries(Object.entries(r.classes).map(([k, v]) => [k, v.users])), truth.classes);
      // --store wins over MXRAY_STORE, and a wrong URL is a clear error
      const bad = await mxray(['tracking', 'classes', '--json', '--store', `${store.includes('?') ? store + '&' : store + '?'}bogus=1`], { env });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /unknown option "bogus"/);
    });
  }
});
