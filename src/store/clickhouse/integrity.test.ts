// Tamper evidence on a real single ClickHouse server: the cases of integrity.fixture.ts (shared with
// the cluster's integrity-cluster.test.ts).
import { describeClickhouse, startClickhouse } from '../../testing/clickhouse.js';
import { ClickhouseHttp } from './http.js';
import { integrityCases } from './integrity.fixture.js';

describeClickhouse('sealing and verifying a ClickHouse store', () => {
  integrityCases(async () => {
    const server = await startClickhouse();
    const client = (db: string) => new ClickhouseHttp({ url: server.url, database: db, timeoutMs: 60_000 });
    return {
      url: (db) => `clickhouse://127.0.0.1:${server.httpPort}/${db}`,
      client,
      hosts: (db) => [client(db)],
      stop: () => server.stop(),
    };
  });
});
