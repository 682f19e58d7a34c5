// Which servers a cluster store spans. The cluster's hosts come from system.clusters of the server in
// the URL (its remote_servers config: shard, replica, host, native TCP port). Local tables are created
// on each host over HTTP, since ON CLUSTER DDL needs ZooKeeper. system.clusters has no HTTP ports: a
// host's HTTP endpoint is host_name:<the URL's port> (real deployments use one port everywhere), or
// one of the URL's shards=h:p,… list (test clusters on one machine). Each endpoint is checked by
// asking it which entry of the cluster it is (system.clusters.is_local), so a wrong list is an error,
// never tables created on the wrong server.
import { ClickhouseHttp } from './http.js';
import { ident, sql } from '../../sql/sql.js';
import type { StoreUrl } from './url.js';

export interface ClusterHost {
  readonly shard: number;
  readonly replica: number;
  readonly hostName: string;
  /** host:port of its native protocol, as Distributed tables (and their errors) name it */
  readonly tcp: string;
}

export interface Topology {
  /** undefined: a single server */
  readonly cluster?: string;
  readonly hosts: readonly ClusterHost[];
}

export async function readTopology(ch: ClickhouseHttp, cluster: string | undefined): Promise<Topology> {
  if (cluster === undefined) return { hosts: [] };
  const rows = await ch.query<{ shard_num: number; replica_num: number; host_name: string; host_address: string; port: number }>(
    sql`SELECT shard_num, replica_num, host_name, host_address, port FROM system.clusters WHERE cluster = ${cluster} ORDER BY shard_num, replica_num`,
  );
  if (rows.length === 0) {
    const known = (await ch.query<{ cluster: string }>(sql`SELECT DISTINCT cluster FROM system.clusters ORDER BY cluster`)).map((r) => r.cluster);
    throw new Error(
      `cluster "${cluster}" is not defined on ClickHouse at ${ch.endpoint} (remote_servers in its config); ` +
        (known.length ? `it knows: ${known.join(', ')}` : 'it defines no clusters'),
    );
  }
  return {
    cluster,
    hosts: rows.map((r) => ({ shard: r.shard_num, replica: r.replica_num, hostName: r.host_name, tcp: `${bracket(r.host_address || r.host_name)}:${r.port}` })),
  };
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** a message naming the shard(s) whose host:port appear in a server's error text, e.g.
 *  'shard 2 (127.0.0.1:9001)', or undefined when none does */
export function shardsNamedIn(topology: Topology, text: string): string | undefined {
  const named = topology.hosts.filter((h) => text.includes(h.tcp) || text.includes(`(${h.tcp.replace(/^\[|\](?=:)/g, '')})`));
  if (named.length === 0) return undefined;
  return named.map((h) => `shard ${h.shard}${h.replica > 1 ? ` replica ${h.replica}` : ''} (${h.tcp})`).join(', ');
}

/** one HTTP client per host of the cluster, each checked to be the host it stands for */
export async function hostClients(topology: Topology, cfg: StoreUrl, main: ClickhouseHttp): Promise<ClickhouseHttp[]> {
  if (topology.cluster === undefined) return [main];
  const scheme = cfg.secure ? 'https' : 'http';
  const candidates = cfg.shards ?? [...new Set(topology.hosts.map((h) => `${bracket(h.hostName)}:${cfg.port}`))];
  const found = new Map<string, ClickhouseHttp>();
  const problems: string[] = [];
  const connect = (endpoint: string, database?: string) =>
    new ClickhouseHttp({
      url: `${scheme}://${endpoint}`,
      timeoutMs: cfg.timeoutMs,
      ...(database !== undefined && { database }),
      ...(cfg.user !== undefined && { user: cfg.user }),
      ...(cfg.password !== undefined && { password: cfg.password }),
    });
  for (const endpoint of candidates) {
    const client = connect(endpoint);
    let local: { shard_num: number; replica_num: number }[];
    try {
      local = await client.query(sql`SELECT shard_num, replica_num FROM system.clusters WHERE cluster = ${topology.cluster} AND is_local = 1`);
    } catch (e) {
      problems.push(`${endpoint}: ${(e as Error).message}`);
      continue;
    }
    for (const l of local) {
      const h = topology.hosts.find((x) => x.shard === l.shard_num && x.replica === l.replica_num);
      if (h && !found.has(h.tcp)) found.set(h.tcp, client);
    }
  }
  const unmapped = topology.hosts.filter((h) => !found.has(h.tcp));
  if (unmapped.length) {
    throw new Error(
      `cannot reach ${unmapped.map((h) => `shard ${h.shard} (${h.tcp})`).join(', ')} of cluster "${topology.cluster}" over HTTP to create its tables: ` +
        `tried ${candidates.join(', ')}${problems.length ? ` (${problems.join('; ')})` : ''}. ` +
        "If the hosts do not all serve HTTP on the URL's port, list their HTTP endpoints: ?cluster=NAME&shards=host:port,host:port",
    );
  }
  // one client per server, in shard order, for the store's database (created where missing)
  const servers = [...new Set(topology.hosts.map((h) => found.get(h.tcp)!))];
  const out: ClickhouseHttp[] = [];
  for (const server of servers) {
    await server.exec(sql`CREATE DATABASE IF NOT EXISTS ${ident(cfg.database)}`);
    out.push(connect(server.endpoint, cfg.database));
  }
  return out;
}
