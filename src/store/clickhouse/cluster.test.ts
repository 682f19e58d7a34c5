// A 2-shard cluster of real servers: local tables on each (ON CLUSTER needs ZooKeeper), a Distributed
// table over them, inserts through it, and what a SELECT does when a shard is down.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ClickhouseError, ClickhouseHttp } from './http.js';
import { ident, sql } from '../../sql/sql.js';
import { recordTableDdl, stagingColumns, tableNames } from './tables.js';
import { trackingRows } from './rows.fixture.js';
import { trackingEvents } from '../../schema/tables.js';
import { describeClickhouse, startCluster, type ClickhouseCluster } from '../../testing/clickhouse.js';

const ROWS = 3000;

describeClickhouse('2-shard cluster', () => {
  let cluster: ClickhouseCluster;
  let shards: ClickhouseHttp[];
  const { tsv } = trackingRows(ROWS);
  before(async () => {
    cluster = await startCluster(2, { private: true }); // it stops a shard: a cluster of its own
    shards = cluster.servers.map((s) => new ClickhouseHttp({ url: s.url, timeoutMs: 30_000 }));
  });
  after(async () => {
    await cluster?.stop();
  });

  it('declares the cluster with every shard on every server', async () => {
    for (const ch of shards) {
      const rows = await ch.query<{ port: number }>(sql`SELECT port FROM system.clusters WHERE cluster = ${cluster.clusterName} ORDER BY shard_num`);
      assert.deepEqual(
        rows.map((r) => r.port),
        cluster.servers.map((s) => s.tcpPort),
      );
    }
  });

  it('inserts through a Distributed table (insert_distributed_sync=1) and counts every row', async () => {
    const local = ident('logs_local'),
      dist = ident('logs_dist');
    for (const ch of shards) {
      await ch.exec(sql`CREATE TABLE ${local} (ts DateTime, sender String, message_id String, bytes UInt32)
        ENGINE = MergeTree() PARTITION BY toYYYYMMDD(ts) ORDER BY (sender, ts)`);
      await ch.exec(sql`CREATE TABLE ${dist} AS ${local} ENGINE = Distributed(${ident(cluster.clusterName)}, default, ${local}, cityHash64(message_id))`);
    }
    const lines = Array.from({ length: ROWS }, (_, i) => `2024-03-0${1 + (i % 9)} 12:00:00\tuser${i % 37}@example.org\t<${i}@x>\t${i}\n`);
    await shards[0]!.insertTsv('logs_dist', ['ts', 'sender', 'message_id', 'bytes'], Buffer.from(lines.join('')), { settings: { insert_distributed_sync: 1 } });
    const counts = await Promise.all(shards.map(async (ch) => (await ch.query<{ n: number }>(sql`SELECT count() AS n FROM ${local}`))[0]!.n));
    assert.ok(
      counts.every((n) => n > 0),
      `rows on each shard: ${counts.join(', ')}`,
    );
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      ROWS,
    );
    for (const ch of shards) {
      assert.deepEqual(await ch.query(sql`SELECT count() AS n, sum(bytes) AS b FROM ${dist}`), [{ n: ROWS, b: (ROWS * (ROWS - 1)) / 2 }]);
    }
  });

  it('loads record tables through a Distributed staging table (tables.ts on each shard)', async () => {
    const names = tableNames(trackingEvents);
    const loadDist = ident(`${names.staging}_dist`),
      tableDist = ident(`${names.table}_dist`);
    for (const ch of shards) {
      for (const stmt of recordTableDdl(trackingEvents)) await ch.exec(stmt);
      await ch.exec(
        sql`CREATE TABLE ${loadDist} AS ${ident(names.staging)} ENGINE = Distributed(${ident(cluster.clusterName)}, default, ${ident(names.staging)}, cityHash64(ifNull(message_id, '')))`,
      );
      await ch.exec(
        sql`CREATE TABLE ${tableDist} AS ${ident(names.table)} ENGINE = Distributed(${ident(cluster.clusterName)}, default, ${ident(names.table)}, rand())`,
      );
    }
    await shards[1]!.insertTsv(`${names.staging}_dist`, stagingColumns(trackingEvents), tsv, { settings: { insert_distributed_sync: 1 } });
    const local = await Promise.all(shards.map(async (ch) => (await ch.query<{ n: number }>(sql`SELECT count() AS n FROM ${ident(names.table)}`))[0]!.n));
    assert.ok(local.every((n) => n > 0) && local[0]! + local[1]! === ROWS, `rows per shard: ${local.join(', ')}`);
    const [all] = await shards[0]!.query<{ n: number; ms: number; upper: number }>(
      sql`SELECT count() AS n, countIf(ts_ms > 0) AS ms, countIf(sender != lowerUTF8(sender)) AS upper FROM ${tableDist}`,
    );
    assert.equal(all!.n, ROWS);
    assert.ok(all!.ms > 0);
    assert.equal(all!.upper, 0);
  });

  it('fails a SELECT clearly with a shard down, and answers with skip_unavailable_shards=1', async () => {
    const down = cluster.servers[1]!;
    await down.stop();
    assert.equal(down.stopped, true);
    assert.equal(existsSync(down.dir), false, 'stop() removes the server folder');
    const ch = shards[0]!;
    let err: unknown;
    try {
      await ch.query('SELECT count() AS n FROM logs_dist', { timeoutMs: 20_000 });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ClickhouseError, `expected a ClickhouseError, got ${String(err)}`);
    assert.equal(err.kind, 'server');
    assert.ok(err.code !== undefined && err.status >= 500, `code ${err.code}, status ${err.status}`);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${down.tcpPort}`), 'the message names the shard that is down');
    assert.match(err.message, /Connection refused|connect/i);
    const [local] = await ch.query<{ n: number }>('SELECT count() AS n FROM logs_local');
    const [partial] = await ch.query<{ n: number }>('SELECT count() AS n FROM logs_dist', { settings: { skip_unavailable_shards: 1 } });
    assert.equal(partial!.n, local!.n);
    assert.ok(partial!.n < ROWS);
  });
});
