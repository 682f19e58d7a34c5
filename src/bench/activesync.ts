// The ActiveSync part of `npm run bench`: ~targetMB of generated Exchange 2013 IIS logs (front end
// and back end, cached between runs), timed through mxray ingest + `eas export` (the six CSV files)
// in a child process of its own (its peak RSS is its own), and GoAccess on the same files in the
// same run as the baseline.
//
// GoAccess cannot read an IIS #Fields header: its W3C preset is a fixed 15-field layout (date time
// s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer)
// sc-status sc-substatus sc-win32-status time-taken). Exchange 2013 logs sc-bytes and cs-bytes
// before time-taken (17 fields), so the baseline is given the matching custom --log-format; it
// skips the `#` lines itself. GoAccess counts the back-end lines whose c-ip is an IPv6 address with
// a zone id (fe80::…%12, the front end on the same server) as failed: they are read and parsed all
// the same, so the work compared is the same bytes.
//
// Child mode (used by benchActiveSync itself): node dist/bench/activesync.js --child DB LOGS OUT
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIis, generatedLogs, generatedTruth } from '../generate/iis/index.js';
import { humanBytes } from '../render/render.js';

function logFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...logFiles(p));
    else if (/\.log$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** newline count of the files (the lines GoAccess and mxray both read, headers included) */
function countLines(files: readonly string[]): number {
  let n = 0;
  for (const f of files) {
    const b = readFileSync(f);
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
  }
  return n;
}

interface Measured {
  seconds: number;
  peakRssMB: number | undefined;
  /** user + system CPU seconds of the process (all its threads), read from /proc */
  cpuSeconds?: number | undefined;
  detail?: Record<string, number>;
}

/** run a command; wall time, and its peak RSS read from /proc (VmHWM only grows: the last reading
 *  before it exits is its peak, within one polling interval) */
function measure(cmd: string, args: string[]): Promise<Measured & { stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak: number | undefined;
    let cpu: number | undefined;
    const poll = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak ?? 0, Number(m[1]) / 1024);
        // utime and stime, in clock ticks (100 per second on Linux), after the command name
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        cpu = (Number(f[11]) + Number(f[12])) / 100;
      } catch {
        /* gone, or no /proc */
      }
    };
    const timer = setInterval(poll, 50);
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (e) => {
      clearInterval(timer);
      fail(e);
    });
    child.on('exit', () => poll());
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) fail(new Error(`${cmd} exited with ${code}: ${stderr.slice(0, 2000)}`));
      else done({ seconds, peakRssMB: peak, cpuSeconds: cpu, stdout, stderr });
    });
  });
}

/** generate (once; cached in cacheDir) about targetMB of Exchange 2013 IIS logs; returns their folder */
async function dataset(cacheDir: string, targetMB: number): Promise<string> {
  const dir = join(cacheDir, `iis-2013-${targetMB}mb`);
  // a cache written before the logs moved to dir/logs/ has no such folder: generated again
  if (!existsSync(generatedTruth(dir)) || !existsSync(generatedLogs(dir))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`generating ~${targetMB} MB of Exchange 2013 IIS logs in ${dir} (cached for later runs)…\n`);
    const t = performance.now();
    // about 1.2 MB per user and day (front + back end): a few days of a site sized to the target
    await generateIis({ users: Math.max(20, Math.round(targetMB / 4)), days: 1, version: '2013', out: dir, seed: 7, targetBytes: targetMB * 1e6 });
    process.stderr.write(`generated in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  return generatedLogs(dir);
}

/** the GoAccess log format for the generator's 2013 #Fields (see the top) */
const goaccessFormat = ['--log-format=%d %t %^ %m %U %q %^ %e %h %u %R %s %^ %^ %b %^ %L', '--date-format=%Y-%m-%d', '--time-format=%H:%M:%S'];

export async function benchActiveSync(cacheDir: string, targetMB: number): Promise<string> {
  const dir = await dataset(cacheDir, targetMB);
  const files = logFiles(dir);
  const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
  const lines = countLines(files);
  const work = join(cacheDir, 'activesync-run');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  // mxray: ingest + eas export in a child of its own
  const self = fileURLToPath(import.meta.url);
  const mx = await measure(process.execPath, [self, '--child', join(work, 'bench.duckdb'), dir, join(work, 'export')]);
  const r = JSON.parse(mx.stdout.trim().split('\n').pop()!) as {
    ingestSeconds: number;
    exportSeconds: number;
    maxRssMB: number;
    events: number;
    rejects: number;
    lines: number;
  };

  // GoAccess on the same files
  let ga: (Measured & { failed?: number; valid?: number }) | undefined;
  let gaNote = '';
  try {
    const g = await measure('goaccess', [...files, ...goaccessFormat, '-o', join(work, 'goaccess.json'), '--no-progress']);
    const general = (JSON.parse(readFileSync(join(work, 'goaccess.json'), 'utf8')) as { general: { valid_requests: number; failed_requests: number } }).general;
    ga = { ...g, valid: general.valid_requests, failed: general.failed_requests };
  } catch (e) {
    gaNote =
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'GoAccess is not installed (Debian: apt-get install goaccess): no baseline in this run'
        : `GoAccess failed: ${(e as Error).message.split('\n')[0]}`;
  }

  // DuckDB's own read_csv of the same files into a table of their 17 fields as text (its floor for
  // storing them; no value checked or decoded), with both cores
  const db = await measure(process.execPath, [self, '--duckdb', join(work, 'baseline.duckdb'), ...files]);

  const out: string[] = [];
  out.push(`ActiveSync: ${files.length} files, ${humanBytes(bytes)}, ${lines.toLocaleString('en-US')} lines of Exchange 2013 IIS logs (front end + back end)`);
  const row = (name: string, s: number, rss: number | undefined, vs: string, cpu?: number) =>
    `${name.padEnd(34)} ${s.toFixed(2).padStart(8)} ${(cpu !== undefined ? cpu.toFixed(1) : '').padStart(7)} ${(bytes / 1e6 / s).toFixed(1).padStart(8)} ${Math.round(
      lines / s,
    )
      .toLocaleString('en-US')
      .padStart(11)} ${(rss !== undefined ? `${rss.toFixed(0)} MB` : '?').padStart(9)} ${vs.padStart(12)}`;
  out.push(
    `${'job'.padEnd(34)} ${'seconds'.padStart(8)} ${'CPU-s'.padStart(7)} ${'MB/s'.padStart(8)} ${'lines/s'.padStart(11)} ${'peak RSS'.padStart(9)} ${'vs GoAccess'.padStart(12)}`,
  );
  const total = r.ingestSeconds + r.exportSeconds;
  const vs = (s: number) => (ga ? `${(ga.seconds / s).toFixed(2)}× speed` : '');
  out.push(row('mxray ingest (every EAS element)', r.ingestSeconds, r.maxRssMB, vs(r.ingestSeconds)));
  out.push(row('mxray eas export (six CSV files)', r.exportSeconds, r.maxRssMB, ''));
  out.push(row('mxray ingest + eas export', total, r.maxRssMB, vs(total)));
  out.push(row('mxray child process, wall', mx.seconds, mx.peakRssMB, vs(mx.seconds), mx.cpuSeconds));
  if (ga) out.push(row('GoAccess (W3C, 17-field format)', ga.seconds, ga.peakRssMB, '1.00×', ga.cpuSeconds));
  out.push(row('DuckDB read_csv into a table', db.seconds, db.peakRssMB, vs(db.seconds), db.cpuSeconds));
  out.push(
    `mxray: ${r.events.toLocaleString('en-US')} requests stored, ${r.rejects} rejected; GoAccess is single-threaded, parses the request fields but decodes no ActiveSync element`,
  );
  if (ga)
    out.push(`GoAccess: ${ga.valid!.toLocaleString('en-US')} valid, ${ga.failed!.toLocaleString('en-US')} failed requests (c-ip fe80::…%zone it cannot read)`);
  if (gaNote) out.push(gaNote);
  out.push(
    `ratio (mxray ingest + export time / GoAccess time): ${ga ? (total / ga.seconds).toFixed(2) : 'n/a'} (goal ≤ 0.5 with every EAS element decoded, peak RSS < 500 MB); / DuckDB read_csv time: ${(total / db.seconds).toFixed(2)}`,
  );
  return out.join('\n') + '\n';
}

/** child mode: ingest LOGS into a fresh DB, write the six export files to OUT, print one JSON line */
async function child(db: string, logs: string, outDir: string): Promise<void> {
  const { DuckdbStore } = await import('../store/duckdb/store.js');
  const { ingest } = await import('../ingest/ingest.js');
  const { easExport } = await import('../capabilities/activesync/reports.js');
  const { exportCsv } = await import('../capabilities/activesync/report-specs.js');
  rmSync(db, { force: true });
  rmSync(db + '.wal', { force: true });
  const store = await DuckdbStore.open(db);
  let t = performance.now();
  const s = await ingest([logs], { store });
  const ingestSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const r = await easExport(store, {});
  mkdirSync(outDir, { recursive: true });
  for (const f of r.files) writeFileSync(join(outDir, f.name), exportCsv(f));
  const exportSeconds = (performance.now() - t) / 1000;
  await store.close();
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ ingestSeconds, exportSeconds, maxRssMB, events: s.events, rejects: s.rejects, lines: s.lines }) + '\n');
}

/** the DuckDB baseline: every file read by read_csv into one table of text columns */
async function duckdbBaseline(db: string, files: string[]): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  rmSync(db, { force: true });
  rmSync(db + '.wal', { force: true });
  const inst = await DuckDBInstance.create(db);
  const c = await inst.connect();
  const list = files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ');
  const columns = Array.from({ length: 17 }, (_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  await c.run(
    `CREATE TABLE iis AS SELECT * FROM read_csv([${list}], header = false, delim = ' ', quote = '', escape = '', comment = '#', auto_detect = false, columns = {${columns}})`,
  );
  c.closeSync();
  inst.closeSync();
}

if (process.argv[2] === '--duckdb' && resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  await duckdbBaseline(process.argv[3]!, process.argv.slice(4));
} else if (process.argv[2] === '--child' && resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const [db, logs, outDir] = process.argv.slice(3) as [string, string, string];
  await child(db, logs, outDir);
} else if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  // run alone: node dist/bench/activesync.js [targetMB]
  const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));
  process.stdout.write(await benchActiveSync(join(root, '.bench-cache'), Number(process.argv[2] ?? process.env.MXRAY_BENCH_MB ?? 1000)));
}
