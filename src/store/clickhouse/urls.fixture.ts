// Store URLs of the harness's servers, for the ClickHouse tests.
import type { ClickhouseCluster } from '../../testing/clickhouse.js';

/** the store URL of a harness cluster, entered through its first server; shards= gives every
 *  server's HTTP port, since the harness's servers share one host */
export function clusterUrl(c: ClickhouseCluster, database: string, extra = ''): string {
  const [entry] = c.servers;
  const shards = c.servers.map((s) => `127.0.0.1:${s.httpPort}`).join(',');
  return `clickhouse://127.0.0.1:${entry!.httpPort}/${database}?cluster=${c.clusterName}&shards=${shards}${extra}`;
}
