// The servers one test run shares. scripts/run.mjs starts each one that the selected test files use,
// once, before the tests; passes where it listens to the test processes by environment; and stops it
// at the end, also when a test fails or on Ctrl-C. Tests get them from clickhouse.ts (startClickhouse(),
// startCluster()) and from src/testing/servers/ (sharedSlapd(), sharedProsody(), …); a test that stops
// a server (down(), up(), stop()) asks for a private one (startSlapd(), …).
// First the run's test CA is made (test-ca.ts): every server's certificate is issued by it, and the
// test processes trust it by default (NODE_EXTRA_CA_CERTS, read by Node only at process start).
// No node:test here: scripts/run.mjs imports this file outside any test.
import { readFileSync } from 'node:fs';
import { clickhouseSkipReason, startPrivateCluster, startPrivateServer } from './clickhouse-process.js';
import type { SharedServer } from './servers/daemon.js';
import { prosodyShared } from './servers/prosody.js';
import { slapdShared } from './servers/slapd.js';
import { loadTestCa, makeRunCa } from './test-ca.js';

/** the shared servers besides ClickHouse: one entry per server (src/testing/servers/NAME.ts) */
export const sharedServers: readonly SharedServer[] = [slapdShared, prosodyShared];

/** the environment variables a test process finds the shared servers in */
export const runEnv = {
  /** http://127.0.0.1:PORT of the shared single server */
  clickhouseUrl: 'MXRAY_TEST_CLICKHOUSE_URL',
  /** its native-protocol port */
  clickhouseTcpPort: 'MXRAY_TEST_CLICKHOUSE_TCP_PORT',
  /** the shared cluster: its name in remote_servers */
  clusterName: 'MXRAY_TEST_CLICKHOUSE_CLUSTER',
  /** its shards' http://127.0.0.1:PORT, comma-separated, in shard order */
  clusterUrls: 'MXRAY_TEST_CLICKHOUSE_CLUSTER_URLS',
  /** its shards' native-protocol ports, in the same order */
  clusterTcpPorts: 'MXRAY_TEST_CLICKHOUSE_CLUSTER_TCP_PORTS',
} as const;

export interface Endpoint {
  readonly url: string;
  readonly httpPort: number;
  readonly tcpPort: number;
}

function endpoint(url: string, tcpPort: string | undefined, what: string): Endpoint {
  const u = new URL(url);
  const httpPort = Number(u.port),
    tcp = Number(tcpPort);
  if (!(httpPort > 0) || !(tcp > 0)) throw new Error(`${what}: expected http://HOST:PORT and a TCP port, got ${url} and ${tcpPort}`);
  return { url: url.replace(/\/+$/, ''), httpPort, tcpPort: tcp };
}

/** the run's shared single server, if scripts/run.mjs (or the developer) named one */
export function sharedClickhouse(env: NodeJS.ProcessEnv = process.env): Endpoint | undefined {
  const url = env[runEnv.clickhouseUrl];
  return url ? endpoint(url, env[runEnv.clickhouseTcpPort], runEnv.clickhouseUrl) : undefined;
}

/** the run's shared cluster, if one was named */
export function sharedCluster(env: NodeJS.ProcessEnv = process.env): { clusterName: string; servers: Endpoint[] } | undefined {
  const name = env[runEnv.clusterName];
  if (!name) return undefined;
  const urls = (env[runEnv.clusterUrls] ?? '').split(',').filter(Boolean);
  const ports = (env[runEnv.clusterTcpPorts] ?? '').split(',');
  if (urls.length < 2 || ports.length !== urls.length)
    throw new Error(`${runEnv.clusterUrls} and ${runEnv.clusterTcpPorts} must name the same shards (2 or more)`);
  return { clusterName: name, servers: urls.map((u, i) => endpoint(u, ports[i], runEnv.clusterUrls)) };
}

export interface RunServers {
  /** what to add to the test processes' environment */
  readonly env: Record<string, string>;
  /** what was started, for the log line */
  readonly started: readonly string[];
  /** stop everything started (idempotent, bounded) */
  stop(): Promise<void>;
}

/** which shared servers a test file uses, read from its text: a call that does not ask for a private
 *  server (`private: true`; `users:` implies it) */
const uses = {
  clickhouse: /\bstartClickhouse\((?![^)]*\b(private|users):)/,
  cluster: /\bstartCluster\((?![^)]*\bprivate:)/,
};

/** start the shared servers that `testFiles` use, unless skipped (MXRAY_SKIP_CLICKHOUSE=1, a missing
 *  package outside CI) or already named in the environment (a developer's own server) */
export async function startRunServers(testFiles: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<RunServers> {
  const texts = testFiles.map((f) => readFileSync(f, 'utf8'));
  const skip = clickhouseSkipReason();
  const wantSingle = !skip && !sharedClickhouse(env) && texts.some((t) => uses.clickhouse.test(t));
  const wantCluster = !skip && !sharedCluster(env) && texts.some((t) => uses.cluster.test(t));
  const out: Record<string, string> = {};
  const started: string[] = [];
  // the run's CA: made even when no server here needs it (tests issue certificates of their own)
  let ca: ReturnType<typeof makeRunCa> | undefined;
  let caError: unknown;
  if (!env.MXRAY_TEST_CA_DIR) {
    try {
      ca = makeRunCa(env);
      Object.assign(out, ca.env);
    } catch (err) {
      caError = err;
    }
  }
  const wanted = sharedServers.filter((s) => !env[s.envName] && !s.skipReason() && texts.some((t) => s.uses.test(t)));
  const t0 = performance.now();
  const runCa = ca?.ca ?? (env.MXRAY_TEST_CA_DIR ? loadTestCa(env.MXRAY_TEST_CA_DIR) : undefined);
  const others = wanted.map((s) => {
    if (!runCa) return Promise.reject(new Error(`${s.name}: no test CA: ${caError instanceof Error ? caError.message : String(caError)}`));
    const tStart = performance.now();
    return s.start(runCa).then((r) => ({ ...r, ms: Math.round(performance.now() - tStart) }));
  });
  const [single, cluster, ...rest] = await Promise.allSettled([
    wantSingle ? startPrivateServer() : Promise.resolve(undefined),
    wantCluster ? startPrivateCluster(2) : Promise.resolve(undefined),
    ...others,
  ]);
  const all = [single, cluster, ...rest];
  const stoppers = all.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await Promise.all(stoppers.map((s) => s.stop()));
      ca?.remove();
    })();
    return stopping;
  };
  const failed = all.find((r) => r.status === 'rejected');
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  const s = single.status === 'fulfilled' ? single.value : undefined;
  if (s) {
    out[runEnv.clickhouseUrl] = s.url;
    out[runEnv.clickhouseTcpPort] = String(s.tcpPort);
    started.push(`ClickHouse on 127.0.0.1:${s.httpPort} (ready in ${s.readyMs} ms)`);
  }
  const c = cluster.status === 'fulfilled' ? cluster.value : undefined;
  if (c) {
    out[runEnv.clusterName] = c.clusterName;
    out[runEnv.clusterUrls] = c.servers.map((x) => x.url).join(',');
    out[runEnv.clusterTcpPorts] = c.servers.map((x) => x.tcpPort).join(',');
    started.push(`a ${c.servers.length}-shard ClickHouse cluster on 127.0.0.1:${c.servers.map((x) => x.httpPort).join(',')}`);
  }
  for (const r of rest) {
    if (r.status !== 'fulfilled') continue;
    Object.assign(out, r.value.env);
    started.push(`${r.value.label} (${r.value.ms} ms)`);
  }
  if (rest.length > 1) started.push(`(${rest.length} test servers in parallel: ${Math.round(performance.now() - t0)} ms)`);
  return { env: out, started, stop };
}
