// npm run bench: ingest + classes report over ~1 GB of generated Exchange 2013+ tracking logs,
// beside baselines measured in the same run on the same files: `wc -l` (reading the bytes),
// DuckDB's own read_csv + the same sent/received GROUP BY (the embedded engine's best case), and
// DuckDB's own read_csv + INSERT of the stored columns into a table (its floor for storing them).
// Each measured job runs in its own process so its peak RSS is its own. MXRAY_BENCH_MB sets the size.
// Then the same tracking logs into ClickHouse (single server and a two-shard cluster, beside curl),
// and ~1 GB of IIS logs with ActiveSync traffic beside GoAccess. `npm run bench -- tracking` (or
// clickhouse, activesync, calendar, presence, presence-poll, check, dashboard, evtx, evtx-xml) runs one part.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTracking, generatedLogs, generatedTruth } from '../generate/tracking/index.js';
import { humanBytes } from '../render/render.js';
import { benchActiveSync } from './activesync.js';
import { benchClickhouse } from './clickhouse.js';
import { benchCalendar } from './calendar.js';
import { benchPresence } from './presence.js';
import { benchCheck } from './check.js';
import { benchDashboard } from './dashboard.js';
import { makeRunCa } from '../testing/test-ca.js';
import { benchIntegrity } from './integrity.js';
import { benchEvtx } from './evtx.js';
import { benchEvtxXml } from './evtx-xml.js';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const cache = join(root, '.bench-cache');
const targetMB = Number(process.env.MXRAY_BENCH_MB ?? 1000);

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (/\.log$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

interface ChildResult {
  seconds: number;
  maxRssMB: number;
  rows?: number;
  extra?: Record<string, number>;
}

function child(script: string, args: string[]): ChildResult {
  const r = spawnSync(process.execPath, [join(root, 'dist', 'bench', script), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as ChildResult;
}

async function main(parts: string[]): Promise<void> {
  const want = (p: string) => parts.length === 0 || parts.includes(p);
  if (want('presence')) {
    process.stdout.write('\n== Presence ==\n');
    process.stdout.write(await benchPresence(cache));
    if (parts.length === 1) return;
  }
  if (want('presence-poll')) {
    process.stdout.write('\n== Presence poller: one cycle of slapd + Prosody ==\n');
    process.stdout.write(benchPresencePollChild());
    if (parts.length === 1) return;
  }
  if (want('dashboard')) {
    process.stdout.write('\n== Dashboard ==\n');
    process.stdout.write(await benchDashboard(cache));
    if (parts.length === 1) return;
  }
  if (want('check')) {
    process.stdout.write('\n== Service monitoring: mxray check beside Monitoring Plugins ==\n');
    process.stdout.write(await benchCheck());
    // the check part alone needs no tracking logs
    if (parts.length === 1) return;
  }
  if (want('integrity')) {
    process.stdout.write('\n== Integrity: sealing and verify ==\n');
    process.stdout.write(await benchIntegrity(cache));
    if (parts.length === 1) return;
  }
  if (want('evtx')) {
    process.stdout.write('\n== Windows event logs (EVTX) ==\n');
    process.stdout.write(await benchEvtx(cache));
    if (parts.length === 1) return;
  }
  if (want('evtx-xml')) {
    process.stdout.write('\n== Windows events as XML (wevtutil qe /f:xml) ==\n');
    process.stdout.write(await benchEvtxXml(cache));
    if (parts.length === 1) return;
  }
  if (want('rules')) {
    process.stdout.write('\n== Rules ==\n');
    const r = spawnSync(process.execPath, [join(root, 'dist', 'bench', 'rules.js')], { encoding: 'utf8', cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error('rules bench failed');
    process.stdout.write(r.stdout);
    if (parts.length === 1) return;
  }
  if (want('calendar')) {
    process.stdout.write('\n== Calendar forensics ==\n');
    process.stdout.write(await benchCalendar(cache));
    // the calendar part alone needs no tracking logs
    if (parts.length === 1) return;
  }
  const generated = join(cache, `tracking-2013-${targetMB}mb`);
  // a cache written before the logs moved to generated/logs/ has no such folder: generated again
  if (!existsSync(generatedTruth(generated)) || !existsSync(generatedLogs(generated))) {
    rmSync(generated, { recursive: true, force: true });
    mkdirSync(generated, { recursive: true });
    process.stderr.write(`generating ~${targetMB} MB of Exchange 2013+ tracking logs in ${generated} (cached for later runs)…\n`);
    const t = performance.now();
    await generateTracking({ users: 5000, days: 3650, servers: 4, version: '2013', out: generated, seed: 7, targetBytes: targetMB * 1e6 });
    process.stderr.write(`generated in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  const dataDir = generatedLogs(generated);
  const files = filesUnder(dataDir);
  const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
  if (want('tracking')) await benchTracking(dataDir, files, bytes);
  if (want('clickhouse')) {
    // ClickHouse runs three full ingests and widens to 10 M events: on a subset (default 200 MB,
    // MXRAY_BENCH_CH_MB), since at 1 GB this part ran for over 18 minutes on the 2-core machine
    const limit = Number(process.env.MXRAY_BENCH_CH_MB ?? 200) * 1e6;
    const subset: string[] = [];
    let subsetBytes = 0;
    for (const f of files) {
      if (subsetBytes >= limit) break;
      subset.push(f);
      subsetBytes += statSync(f).size;
    }
    process.stdout.write('\n== ClickHouse ==\n');
    process.stdout.write(await benchClickhouse(subset, subsetBytes));
  }
  if (want('activesync')) {
    process.stdout.write('\n== ActiveSync (IIS logs) ==\n');
    process.stdout.write(await benchActiveSync(cache, targetMB));
  }
}

/** presence-poll-run.ts in a process of its own, trusting a test CA made here (NODE_EXTRA_CA_CERTS
 *  is read only at start): it starts slapd and Prosody with that CA's certificates */
function benchPresencePollChild(): string {
  const ca = makeRunCa();
  try {
    const r = spawnSync(process.execPath, ['--expose-gc', join(root, 'dist', 'bench', 'presence-poll-run.js')], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      env: { ...process.env, ...ca.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (r.status !== 0) throw new Error(`presence-poll-run.js failed (exit ${r.status})`);
    return r.stdout;
  } finally {
    ca.remove();
  }
}

async function benchTracking(dataDir: string, files: string[], bytes: number): Promise<void> {
  process.stdout.write(`== message tracking ==\ninput: ${files.length} files, ${humanBytes(bytes)} of Exchange 2013+ message tracking logs\n\n`);

  const wcT = performance.now();
  const wc = spawnSync('wc', ['-l', ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wcSeconds = (performance.now() - wcT) / 1000;
  const lines = Number(/(\d+) total/.exec(wc.stdout)?.[1] ?? wc.stdout.trim().split(/\s+/)[0]);

  const duck = child('duckdb-baseline.js', files);
  const duckStore = child('duckdb-baseline.js', ['--store', join(cache, 'baseline-store.duckdb'), ...files]);
  const db = join(cache, 'bench.duckdb');
  rmSync(db, { force: true });
  rmSync(db + '.wal', { force: true });
  const mx = child('mxray-child.js', [db, dataDir]);

  const rows: [string, number, number, number | undefined][] = [
    ['wc -l (read the bytes)', wcSeconds, 0, undefined],
    ['DuckDB read_csv + GROUP BY', duck.seconds, duck.maxRssMB, duck.rows],
    ['DuckDB read_csv + INSERT', duckStore.seconds, duckStore.maxRssMB, duckStore.rows],
    ['mxray ingest', mx.extra!.ingestSeconds!, mx.maxRssMB, mx.rows],
    ['mxray tracking classes', mx.extra!.classesSeconds!, mx.maxRssMB, undefined],
    ['mxray ingest + classes', mx.extra!.ingestSeconds! + mx.extra!.classesSeconds!, mx.maxRssMB, mx.rows],
  ];
  const pad = (s: string, n: number) => s.padEnd(n);
  process.stdout.write(
    `${pad('job', 30)} ${'seconds'.padStart(8)} ${'MB/s'.padStart(8)} ${'rows/s'.padStart(11)} ${'peak RSS'.padStart(9)} ${'vs DuckDB'.padStart(9)}\n`,
  );
  for (const [name, s, rss, n] of rows) {
    const mbs = bytes / 1e6 / s;
    process.stdout.write(
      `${pad(name, 30)} ${s.toFixed(2).padStart(8)} ${mbs.toFixed(0).padStart(8)} ${(n ? Math.round(n / s).toLocaleString('en-US') : '').padStart(11)} ${(rss ? rss.toFixed(0) + ' MB' : '').padStart(9)} ${(s / duck.seconds).toFixed(2).padStart(8)}×\n`,
    );
  }
  process.stdout.write(
    `\nlines: ${lines.toLocaleString('en-US')}, events stored: ${mx.rows?.toLocaleString('en-US')}; files read whole by DuckDB: ${mx.extra!.wholeFiles} of ${mx.extra!.files}\n`,
  );
  process.stdout.write(`classes report over ${mx.extra!.bigEvents!.toLocaleString('en-US')} events: ${mx.extra!.bigClassesSeconds!.toFixed(3)} s\n`);
  process.stdout.write(
    `DuckDB read_csv + INSERT: the same columns stored into a table of a database file by DuckDB itself (2 threads, no checks, no line numbers), the floor of any ingest that stores the events in DuckDB: ${(duckStore.seconds / duck.seconds).toFixed(2)}× the GROUP BY baseline\n`,
  );
  process.stdout.write(
    `goals: ingest ≥ 100 MB/s (${(bytes / 1e6 / mx.extra!.ingestSeconds!).toFixed(0)}), peak RSS < 500 MB (${mx.maxRssMB.toFixed(0)}), ingest + classes within 2× DuckDB (${((mx.extra!.ingestSeconds! + mx.extra!.classesSeconds!) / duck.seconds).toFixed(2)}×), classes over 10M events < 1 s (${mx.extra!.bigClassesSeconds!.toFixed(3)})\n`,
  );
}

await main(process.argv.slice(2));
