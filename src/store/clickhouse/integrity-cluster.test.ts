// Tamper evidence on a real 2-shard ClickHouse cluster: the cases of integrity.fixture.ts (shared with
// the single server's integrity.test.ts), each change made on the shard that holds the row.
import { describeClickhouse, startCluster } from '../../testing/clickhouse.js';
import { ClickhouseHttp } from './http.js';
import { integrityCases } from './integrity.fixture.js';
import { clusterUrl } from './urls.fixture.js';

describeClickhouse('sealing and verifying a ClickHouse cluster store', () => {
  integrityCases(async () => {
    const cluster = await startCluster(2);
    const client = (url: string, db: string) => new ClickhouseHttp({ url, database: db, timeoutMs: 60_000 });
    return {
      cluster: cluster.clusterName,
      url: (db) => clusterUrl(cluster, db),
      client: (db) => client(cluster.servers[0]!.url, db),
      hosts: (db) => cluster.servers.map((s) => client(s.url, db)),
      stop: () => cluster.stop(),
    };
  });
});
