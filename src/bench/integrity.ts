// npm run bench -- integrity: what sealing costs an ingest (the same logs ingested with sealing off
// and on, alternately, twice each, in processes of their own), and verify's time and peak memory over
// a sealed store widened to >= 10 million events (MXRAY_BENCH_VERIFY_ROWS): on DuckDB, then on
// ClickHouse — a single server and a 2-shard cluster, started here on 127.0.0.1 like the tests' (the
// same files, the same run). MXRAY_BENCH_INTEGRITY_STORES=duckdb or =clickhouse runs one of them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTracking, generatedLogs, generatedTruth } from '../generate/tracking/index.js';
import { startClickhouse, startCluster, type ClickhouseServer } from '../testing/clickhouse.js';
import { cpuSeconds } from './clickhouse.js';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));

function child(args: string[]): Record<string, number | boolean> {
  const r = spawnSync(process.execPath, [join(root, 'dist', 'bench', 'integrity-child.js'), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`integrity-child ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | boolean>;
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** ingest the logs `pairs` times with sealing off and on, alternately, each into a fresh store
 *  `db(n)` by `job`; then widen the last sealed one to `target` events and verify it. Wall time is
 *  noisy on a shared machine, so the CPU seconds of the ingest and of the `servers` are counted too.
 *  Printable lines. */
function measure(
  name: string,
  logs: string,
  db: (n: number) => string,
  fresh: (n: number) => void,
  jobs: { ingest: string; widen: string; verify: string },
  target: number,
  servers: readonly ClickhouseServer[] = [],
): string {
  const pairs = Number(process.env.MXRAY_BENCH_INTEGRITY_PAIRS ?? 3);
  const runs: { seal: string; seconds: number; cpu: number; rows: number }[] = [];
  let n = 0;
  for (let k = 0; k < pairs; k++) {
    for (const seal of ['off', 'on']) {
      fresh(++n);
      const before = cpuSeconds(servers);
      const r = child([jobs.ingest, db(n), seal, logs]);
      runs.push({ seal, seconds: r.seconds as number, cpu: (r.cpuSeconds as number) + cpuSeconds(servers) - before, rows: r.rows as number });
    }
  }
  const best = (s: string, of: 'seconds' | 'cpu') => Math.min(...runs.filter((r) => r.seal === s).map((r) => r[of]));
  const share = (of: 'seconds' | 'cpu') => `${(((best('on', of) - best('off', of)) / best('off', of)) * 100).toFixed(1)}%`;
  const cpuWho = servers.length ? 'mxray + server CPU' : 'CPU';
  let text = `${name}: ingest of ${runs[0]!.rows.toLocaleString('en-US')} events (seconds, ${cpuWho} seconds; in order): ${runs.map((r) => `sealing ${r.seal} ${r.seconds.toFixed(2)} (${r.cpu.toFixed(2)})`).join(', ')}\n`;
  text += `${name}: sealing costs ${share('seconds')} of ingest time and ${share('cpu')} of its ${cpuWho} (best of ${pairs} each: ${best('off', 'seconds').toFixed(2)} s / ${best('off', 'cpu').toFixed(2)} CPU-s without, ${best('on', 'seconds').toFixed(2)} s / ${best('on', 'cpu').toFixed(2)} CPU-s with; load ${load()})\n`;
  const widened = child([jobs.widen, db(n), String(target)]);
  const v = child([jobs.verify, db(n)]);
  text += `${name}: verify over ${Number(widened.rows).toLocaleString('en-US')} sealed events (${v.batches} batches): ${(v.seconds as number).toFixed(2)} s, peak RSS ${(v.maxRssMB as number).toFixed(0)} MB, ${v.intact ? 'intact' : 'NOT intact'} (load ${load()})\n`;
  return text;
}

export async function benchIntegrity(cache: string): Promise<string> {
  const mb = Number(process.env.MXRAY_BENCH_INTEGRITY_MB ?? 200);
  const stores = (process.env.MXRAY_BENCH_INTEGRITY_STORES ?? 'duckdb,clickhouse').split(',');
  const generated = join(cache, `tracking-2013-integrity-${mb}mb`);
  if (!existsSync(generatedTruth(generated))) {
    rmSync(generated, { recursive: true, force: true });
    mkdirSync(generated, { recursive: true });
    process.stderr.write(`generating ~${mb} MB of Exchange 2013+ tracking logs in ${generated} (cached)…\n`);
    await generateTracking({ users: 2000, days: 3650, servers: 4, version: '2013', out: generated, seed: 11, targetBytes: mb * 1e6 });
  }
  const logs = generatedLogs(generated);
  const target = Number(process.env.MXRAY_BENCH_VERIFY_ROWS ?? 10_000_000);
  let text = `input: ~${mb} MB of Exchange 2013+ tracking logs\n`;

  if (stores.includes('duckdb')) {
    const db = (n: number) => join(cache, `integrity-${n}.duckdb`);
    const drop = (n: number) => {
      rmSync(db(n), { force: true });
      rmSync(db(n) + '.wal', { force: true });
    };
    text += measure('DuckDB', logs, db, drop, { ingest: 'ingest', widen: 'widen', verify: 'verify' }, target);
    for (let k = 1; k <= 2 * Number(process.env.MXRAY_BENCH_INTEGRITY_PAIRS ?? 3); k++) drop(k);
  }

  if (stores.includes('clickhouse')) {
    const [server, cluster] = await Promise.all([startClickhouse(), startCluster(2)]);
    try {
      const shards = cluster.servers.map((s) => `127.0.0.1:${s.httpPort}`).join(',');
      const jobs = { ingest: 'ch-ingest', widen: 'ch-widen', verify: 'ch-verify' };
      // a fresh database per run (the store creates it)
      const single = (n: number) => `clickhouse://127.0.0.1:${server.httpPort}/integrity_${n}`;
      const sharded = (n: number) => `clickhouse://127.0.0.1:${cluster.servers[0]!.httpPort}/integrity_${n}?cluster=${cluster.clusterName}&shards=${shards}`;
      text += measure('ClickHouse single server', logs, single, () => {}, jobs, target, [server]);
      text += measure('ClickHouse 2-shard cluster', logs, sharded, () => {}, jobs, target, cluster.servers);
    } finally {
      await Promise.all([server.stop(), cluster.stop()]);
    }
  }
  return text;
}
