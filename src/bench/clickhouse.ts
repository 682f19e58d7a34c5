// The ClickHouse part of `npm run bench`: ingest of the given tracking log files into a single server
// and into a two-shard cluster (both started by the test harness on 127.0.0.1), beside `curl` posting
// the same rows as TabSeparated (the server's own speed, no mxray in the way): into a plain MergeTree
// table, into the load table + materialized view mxray uses, and into the cluster's Distributed load
// table. Then the tables are widened to at least 10 million events (copies of the rows under other
// message ids, still in live batches) and the classes report (and traffic by day) is timed on both.
// Returns printable lines; the servers are stopped before it returns.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { clickhouse } from '../sql/dialect.js';
import { ingest } from '../ingest/ingest.js';
import { classesReport, classifyDefaults } from '../capabilities/tracking/reports.js';
import { trackingEvents } from '../schema/tables.js';
import { ClickhouseHttp } from '../store/clickhouse/http.js';
import { openClickhouse } from '../store/clickhouse/open.js';
import { ident, join as joinSql, sql } from '../sql/sql.js';
import type { ClickhouseStore } from '../store/clickhouse/store.js';
import { BATCH_COLUMN, layoutNames, selectAsWritten, stagingColumns, storedColumns } from '../store/clickhouse/tables.js';
import type { IngestedFile, Store } from '../store/types.js';
import { startClickhouse, startCluster, type ClickhouseServer } from '../testing/clickhouse.js';
import * as tracking from '../capabilities/tracking/queries.js';

const TEN_MILLION = 10_000_000;
const opts = { range: {}, ...classifyDefaults, mode: 'combined' as const, recipients: 'once' as const };

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** POST a file with curl (what an operator's script would do); seconds */
function curlPost(url: string, query: string, file: string, settings: Record<string, string> = {}): number {
  const t = performance.now();
  const r = spawnSync(
    'curl',
    ['-sS', '--fail-with-body', '--data-binary', `@${file}`, `${url}/?${new URLSearchParams({ query, wait_end_of_query: '1', ...settings })}`],
    { encoding: 'utf8' },
  );
  if (r.error || r.status !== 0) throw new Error(`curl failed: ${r.error?.message ?? r.stdout + r.stderr}`);
  return (performance.now() - t) / 1000;
}

/** CPU seconds (user + system) the servers' processes have used so far */
export function cpuSeconds(servers: readonly ClickhouseServer[]): number {
  let ticks = 0;
  for (const s of servers) {
    const fields = readFileSync(`/proc/${s.pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  }
  return ticks / 100;
}

/** the best of `n` runs of fn: wall seconds, and the servers' CPU seconds of that run */
async function best(n: number, fn: () => Promise<unknown>, servers: readonly ClickhouseServer[] = []): Promise<{ wall: number; cpu: number }> {
  let min = { wall: Infinity, cpu: 0 };
  for (let i = 0; i < n; i++) {
    const c = servers.length ? cpuSeconds(servers) : 0;
    const t = performance.now();
    await fn();
    const wall = (performance.now() - t) / 1000;
    if (wall < min.wall) min = { wall, cpu: servers.length ? cpuSeconds(servers) - c : 0 };
  }
  return min;
}

/** a store that keeps nothing: ingest into it is the parser's time alone */
function nullStore(): Store {
  let id = 0;
  return {
    kind: 'clickhouse',
    location: 'nowhere',
    capabilities: { tsvBackslashEscapes: true, transactions: false },
    dialect: clickhouse,
    query: async () => [],
    close: async () => {},
    filesByFingerprint: async () => [],
    shortFingerprints: async () => [],
    addFile: async (f) => ({ ...f, id: ++id }),
    updateFile: async () => {},
    appendBatch: async () => {},
  };
}

/** appendBatch() of ready TSV rows in 32 MB batches (the store's part of an ingest, without the
 *  parser); seconds. Also the integrity bench's way to widen a sealed store (integrity-child.ts). */
export async function storeOnly(s: Store, tsv: Buffer): Promise<number> {
  const t = performance.now();
  for (let start = 0; start < tsv.length; ) {
    const end = Math.min(tsv.length, tsv.indexOf(10, Math.min(tsv.length - 1, start + (32 << 20))) + 1 || tsv.length);
    const rows = tsv.subarray(start, end);
    const ids = new Set<number>();
    let count = 0;
    for (let i = 0; i < rows.length; i = rows.indexOf(10, i) + 1 || rows.length) {
      ids.add(Number(rows.subarray(i, rows.indexOf(9, i)).toString('latin1')));
      count++;
    }
    const files: IngestedFile[] = [...ids].map((id) => ({
      id,
      path: `/bench/${id}`,
      size: 0,
      fpLen: 0,
      fpHash: `bench-${id}`,
      format: 'msgtrk',
      offset: 0,
      nextLine: 1,
      seekable: true,
      state: undefined,
      provisionalFrom: null,
      complete: false,
      lines: 0,
      rejects: 0,
    }));
    await s.appendBatch({ files, rows: { tracking: rows }, rowCounts: { tracking: count }, rejects: [], replace: [] });
    start = end;
  }
  return (performance.now() - t) / 1000;
}

/** copy live rows under new message ids until the table holds >= 10M events (the last round copies
 *  only the messages needed, chosen by a hash of the id, so every event of a message is copied or
 *  none); the count */
async function widen(s: ClickhouseStore): Promise<number> {
  const table = ident(layoutNames(trackingEvents, s.topology.cluster).read);
  const cols = storedColumns(trackingEvents).map((c) => c.name);
  let events = await tracking.eventCount(s, {});
  const originals = events;
  for (let round = 1; events < TEN_MILLION && round < 200; round++) {
    const copy = cols.map((c) => (c === 'message_id' ? sql`concat(message_id, ${`#${round}`})` : ident(c)));
    const share = Math.min(10_000, Math.ceil(((TEN_MILLION - events) / originals) * 10_000 * 1.01));
    await s.ch.exec(
      sql`INSERT INTO ${table} (${joinSql(cols.map((c) => ident(c)))}) SELECT ${joinSql(copy)} FROM ${table}
      WHERE ${ident(BATCH_COLUMN)} GLOBAL IN (SELECT batch FROM live_batches) AND position(message_id, '#') = 0
        AND cityHash64(message_id, ${round}) % 10000 < ${share}`,
      { settings: s.topology.cluster ? { insert_distributed_sync: 1 } : {}, timeoutMs: 1_800_000 },
    );
    events = await tracking.eventCount(s, {});
  }
  return events;
}

export async function benchClickhouse(files: string[], bytes: number): Promise<string> {
  const out: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'mxray-bench-ch-'));
  const [server, cluster] = await Promise.all([startClickhouse(), startCluster(2)]);
  try {
    const version = await new ClickhouseHttp({ url: server.url }).serverVersion();
    const single = await openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/bench`);
    const shards = cluster.servers.map((s) => `127.0.0.1:${s.httpPort}`).join(',');
    const sharded = await openClickhouse(`clickhouse://127.0.0.1:${cluster.servers[0]!.httpPort}/bench?cluster=${cluster.clusterName}&shards=${shards}`);

    // the parser alone, then mxray ingest
    let t = performance.now();
    await ingest(files, { store: nullStore() });
    const parseSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const s1 = await ingest(files, { store: single });
    const singleSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const s2 = await ingest(files, { store: sharded });
    const clusterSeconds = (performance.now() - t) / 1000;
    const rows = s1.events;
    if (s2.events !== rows) throw new Error(`the cluster stored ${s2.events} events, the server ${rows}`);

    // the same rows as TSV, read back from the server, posted with curl
    const tsv = join(work, 'rows.tsv');
    const exportUrl = `${server.url}/?${new URLSearchParams({ database: 'bench', query: `SELECT ${selectAsWritten(trackingEvents).text} FROM tracking_events WHERE batch GLOBAL IN (SELECT batch FROM live_batches) FORMAT TabSeparated` })}`;
    const res = await fetch(exportUrl, { method: 'POST' });
    if (!res.ok || !res.body) throw new Error(`exporting the rows failed: ${await res.text()}`);
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(tsv));
    const tsvBytes = statSync(tsv).size;
    const ch = new ClickhouseHttp({ url: server.url, database: 'bench' });
    const types = trackingEvents.columns.map(
      (c) =>
        `${ident(c.name).text} ${c.name === 'file_id' || c.name === 'line' ? 'Int32' : c.type === 'timestamp' ? 'String' : `Nullable(${({ int: 'Int32', bigint: 'Int64', tinyint: 'Int8', double: 'Float64', text: 'String' } as const)[c.type]})`}`,
    );
    await ch.exec(`CREATE TABLE curl_plain (${types.join(', ')}) ENGINE = MergeTree() ORDER BY (file_id, line)`);
    const cols = trackingEvents.columns.map((c) => ident(c.name).text).join(', ');
    const staged = stagingColumns(trackingEvents)
      .map((c) => ident(c).text)
      .join(', ');
    const curlPlain = curlPost(server.url, `INSERT INTO bench.curl_plain (${cols}) FORMAT TabSeparated`, tsv);
    const curlLoad = curlPost(server.url, `INSERT INTO bench.tracking_events_load (${staged}) FORMAT TabSeparated`, tsv);
    const rowsTsv = readFileSync(tsv);
    const storeSingle = await storeOnly(await openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/bench_store`), rowsTsv);
    const storeCluster = await storeOnly(
      await openClickhouse(`clickhouse://127.0.0.1:${cluster.servers[0]!.httpPort}/bench_store?cluster=${cluster.clusterName}&shards=${shards}`),
      rowsTsv,
    );
    const curlCluster = curlPost(cluster.servers[0]!.url, `INSERT INTO bench.tracking_events_load (${staged}) FORMAT TabSeparated`, tsv, {
      insert_distributed_sync: '1',
    });

    const line = (name: string, seconds: number, n = rows, b = bytes) =>
      `${name.padEnd(44)} ${seconds.toFixed(2).padStart(8)} ${fmt(b / 1e6 / seconds).padStart(7)} ${fmt(Math.round(n / seconds)).padStart(11)}`;
    out.push(
      `ClickHouse ${version} (harness servers on 127.0.0.1): ${files.length} files, ${fmt(bytes / 1e6)} MB of logs, ${fmt(rows)} events (TSV ${fmt(tsvBytes / 1e6)} MB)`,
    );
    out.push(`${'job'.padEnd(44)} ${'seconds'.padStart(8)} ${'MB/s'.padStart(7)} ${'rows/s'.padStart(11)}`);
    out.push(line('mxray parser alone (a store that keeps nothing)', parseSeconds));
    out.push(line('mxray ingest -> single server', singleSeconds));
    out.push(line('mxray ingest -> 2-shard cluster', clusterSeconds));
    out.push(line('mxray store alone, TSV batches -> single', storeSingle, rows, tsvBytes));
    out.push(line('mxray store alone, TSV batches -> cluster', storeCluster, rows, tsvBytes));
    out.push(line('curl TSV -> plain MergeTree table (single)', curlPlain, rows, tsvBytes));
    out.push(line('curl TSV -> load table + view (single)', curlLoad, rows, tsvBytes));
    out.push(line('curl TSV -> Distributed load table (cluster)', curlCluster, rows, tsvBytes));
    out.push(
      `mxray store / curl into the same load path: single ${(storeSingle / curlLoad).toFixed(2)}×, cluster ${(storeCluster / curlCluster).toFixed(2)}× (goal: within 2×); ` +
        `whole ingest (parsing ${fmt(bytes / 1e6)} MB of CSV) / curl (posting ${fmt(tsvBytes / 1e6)} MB of TSV): single ${(singleSeconds / curlLoad).toFixed(2)}×, cluster ${(clusterSeconds / curlCluster).toFixed(2)}×`,
    );

    // reports on >= 10 million events
    const t1 = await best(1, () => classesReport(single, opts));
    const t2 = await best(1, () => classesReport(sharded, opts));
    out.push(`classes report over ${fmt(rows)} events: single ${t1.wall.toFixed(3)} s, cluster ${t2.wall.toFixed(3)} s`);
    t = performance.now();
    const bigSingle = await widen(single);
    const widenSingle = (performance.now() - t) / 1000;
    t = performance.now();
    const bigCluster = await widen(sharded);
    const widenCluster = (performance.now() - t) / 1000;
    const classesSingle = await best(3, () => classesReport(single, opts), [server]);
    const classesCluster = await best(3, () => classesReport(sharded, opts), cluster.servers);
    const trafficSingle = await best(3, () => tracking.traffic(single, {}, 'day'), [server]);
    const trafficCluster = await best(3, () => tracking.traffic(sharded, {}, 'day'), cluster.servers);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const both = (x: { wall: number; cpu: number }) => `${x.wall.toFixed(3)} s (server CPU ${x.cpu.toFixed(2)} s)`;
    out.push(
      `widened by copies under other message ids: single ${fmt(bigSingle)} events (${widenSingle.toFixed(0)} s), cluster ${fmt(bigCluster)} events (${widenCluster.toFixed(0)} s)`,
    );
    out.push(`classes report over ${fmt(bigSingle)} events (best of 3): single ${both(classesSingle)}, cluster ${both(classesCluster)} (goal: < 1 s)`);
    out.push(`traffic by day over the same (best of 3): single ${both(trafficSingle)}, cluster ${both(trafficCluster)}`);
    out.push(`machine: ${(await import('node:os')).availableParallelism()} CPUs, load average ${load} at the end (wall times include waiting for the CPU)`);
    return out.join('\n') + '\n';
  } finally {
    await Promise.all([server.stop(), cluster.stop()]);
    rmSync(work, { recursive: true, force: true });
  }
}
