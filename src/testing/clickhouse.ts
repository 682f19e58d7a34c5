// Real ClickHouse servers for tests. Under `npm test`, scripts/run.mjs starts one server and one
// 2-shard cluster for the whole run (run-servers.ts) and startClickhouse() / startCluster() hand those
// out, each caller with a fresh database of its own (`server.database`); stop() then leaves the shared
// server running for the other test files. A test that needs a server of its own, to stop it, down()
// or up() it, or to hold extra accounts, gets a private one (`{ private: true }`; `users` implies it),
// and so does every caller when no shared server is named (a test file run alone with node --test,
// the benchmarks).
//
//   const ch = await startClickhouse();      // { url, httpPort, tcpPort, database, stop(), … }
//   try { … new ClickhouseHttp({ url: ch.url, database: ch.database }) … } finally { await ch.stop(); }
//
// Works with Debian's clickhouse-server 18.16 and with current releases (clickhouse-process.ts).
import { describe, it } from 'node:test';
import {
  clickhouseSkipReason,
  startPrivateCluster,
  startPrivateServer,
  type ClickhouseCluster,
  type ClickhouseServer,
  type StartOptions,
} from './clickhouse-process.js';
import { sharedClickhouse, sharedCluster, type Endpoint } from './run-servers.js';

export {
  clickhouseSkipReason,
  ensureClickhouseInstalled,
  freePorts,
  type Binary,
  type ClickhouseCluster,
  type ClickhouseServer,
  type StartOptions,
} from './clickhouse-process.js';

/** describe() for suites that need a real ClickHouse: skipped with a reason when MXRAY_SKIP_CLICKHOUSE=1 */
export function describeClickhouse(name: string, fn: () => void | Promise<void>): void {
  const skip = clickhouseSkipReason();
  if (!skip) {
    describe(name, fn);
    return;
  }
  // a skipped describe() counts as a suite and not as a test, so the summary said "skipped 0": one
  // skipped test per skipped suite shows the skip there
  describe(name, () => {
    it('needs a ClickHouse server', { skip }, () => {});
  });
}

/** the options under which the shared server will do: nothing that changes its config or needs it alone */
function sharable(opts: StartOptions): boolean {
  return !opts.private && !opts.users?.length && !opts.keep && opts.readyTimeoutMs === undefined && opts.clusterTcpPorts === undefined;
}

let databases = 0;

/** a database name no other caller of this run uses (test files run in processes of their own) */
function freshDatabase(): string {
  return `mxray_t${process.pid}_${++databases}`;
}

async function run(url: string, statement: string): Promise<void> {
  const res = await fetch(`${url}/`, { method: 'POST', body: statement, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`shared ClickHouse at ${url}: ${statement}: HTTP ${res.status}: ${text.trim().slice(0, 500)}`);
}

function sharedHandle(ep: Endpoint, database: string): ClickhouseServer {
  const refuse = (what: string) => async (): Promise<void> => {
    throw new Error(`${what}(): this is the test run's shared ClickHouse; ask for a server of your own with { private: true }`);
  };
  let dropped: Promise<void> | undefined;
  return {
    url: ep.url,
    httpPort: ep.httpPort,
    tcpPort: ep.tcpPort,
    pid: 0,
    dir: '',
    readyMs: 0,
    user: '',
    stopped: false,
    shared: true,
    database,
    // the server stays up for the other test files; only the caller's own database goes
    stop: () => {
      dropped ??= run(ep.url, `DROP DATABASE IF EXISTS ${database}`).catch(() => {});
      return dropped;
    },
    down: refuse('down'),
    up: refuse('up'),
  };
}

/** a ClickHouse server: the run's shared one with a fresh database, or one of the caller's own */
export async function startClickhouse(opts: StartOptions = {}): Promise<ClickhouseServer> {
  const shared = sharable(opts) ? sharedClickhouse() : undefined;
  if (!shared) return startPrivateServer(opts);
  const database = freshDatabase();
  await run(shared.url, `CREATE DATABASE ${database}`);
  return sharedHandle(shared, database);
}

/** a cluster of `shards` servers: the run's shared one (a fresh database, the same name, on every
 *  shard) or one of the caller's own */
export async function startCluster(shards = 2, opts: Omit<StartOptions, 'clusterTcpPorts'> = {}): Promise<ClickhouseCluster> {
  const shared = sharable(opts) ? sharedCluster() : undefined;
  if (!shared || shared.servers.length !== shards || (opts.clusterName !== undefined && opts.clusterName !== shared.clusterName)) {
    return startPrivateCluster(shards, opts);
  }
  const database = freshDatabase();
  await Promise.all(shared.servers.map((s) => run(s.url, `CREATE DATABASE ${database}`)));
  const servers = shared.servers.map((s) => sharedHandle(s, database));
  return {
    servers,
    clusterName: shared.clusterName,
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}
