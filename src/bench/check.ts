// npm run bench -- check: 1,000 SMTP instances on loopback (smtp-farm.ts, one process) probed by one
// `mxray check` — the full conversation: banner, EHLO, STARTTLS, TLS with the certificate verified
// against --ca, EHLO, QUIT — and, in the same run, by Monitoring Plugins' check_smtp -S (STARTTLS) one
// process per instance as Nagios runs them: a sequential loop, and 8 at a time (xargs -P 8). The same
// again for a banner-only check (mxray tcp:// --expect, check_tcp -e). Wall time and peak RSS of each
// job come from GNU time (the largest single process for the plugin loops). A plain Node client with
// the same conversation and checks (smtp-floor.ts) is the floor mxray's own cost is measured from.
// Then `mxray serve` with a
// monitor of the same instances every 60 s: the CPU of its start and first round, and of an idle
// window between rounds (from /proc/PID/stat; the goal is under 1% of a CPU).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const plugins = '/usr/lib/nagios/plugins';
const COUNT = Number(process.env.MXRAY_BENCH_INSTANCES ?? 1000);

interface Measured {
  job: string;
  seconds: number;
  maxRssMB: number;
  cpuSeconds: number;
  ok: number;
}

/** run argv under GNU time; its last stderr line is "%e %M %U %S" */
function timed(job: string, argv: string[], countOk: (stdout: string) => number): Measured {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...argv], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [e, m, u, sys] = last.split(' ').map(Number);
  if (!Number.isFinite(e) || !Number.isFinite(m)) throw new Error(`${job}: no timing from GNU time: ${r.stderr.slice(-500)}`);
  return { job, seconds: e!, maxRssMB: m! / 1024, cpuSeconds: u! + sys!, ok: countOk(r.stdout) };
}

/** Linux's USER_HZ: the unit of utime and stime in /proc/PID/stat */
const CLOCK_TICKS = 100;
/** the monitor's interval in the serve part: the idle window must end before the second round */
const SERVE_INTERVAL_MS = 60_000;

/** CPU seconds (user + system) a process has used, from /proc/PID/stat */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the fields after the command name (in parentheses, which may hold spaces): state is field 3,
  // utime 14, stime 15
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
}

function rssMBOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

interface MonitorApi {
  instances: { lastResult: { status: string } | null }[];
  stored: number;
}

async function monitorApi(url: string): Promise<MonitorApi> {
  const res = await fetch(`${url}/api/monitor`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url}/api/monitor: ${res.status}`);
  return (await res.json()) as MonitorApi;
}

/** `mxray serve` with a monitor of `ports` every 60 s: the CPU of its start and first round, then of
 *  an idle window that ends before the second round can start (60 s less the 10% jitter, from the
 *  first probe, which starts within 5 s of the start) */
async function benchServeIdle(ports: readonly number[], cert: string, dir: string): Promise<string> {
  if (!existsSync('/proc/self/stat')) return 'mxray serve idle CPU: skipped (no /proc on this system)\n';
  const config = join(dir, 'serve.yaml');
  writeFileSync(
    config,
    `monitor:\n  defaults:\n    intervalMs: ${SERVE_INTERVAL_MS}\n    timeoutMs: 10000\n    tls: { ca: ${JSON.stringify(cert)} }\n` +
      `  every:\n    - hosts: [127.0.0.1]\n      protocols:\n        smtp: [${ports.join(', ')}]\n`,
  );
  const t0 = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(root, 'bin', 'mxray.js'), 'serve', '--config', config, '--db', join(dir, 'serve.duckdb'), '--port', '0'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const pid = child.pid!;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('mxray serve did not listen within 60 s')), 60_000);
      createInterface({ input: child.stderr! }).on('line', (line) => {
        const m = /listening on (http:\/\/\S+?);/.exec(line);
        if (m) {
          clearTimeout(timer);
          res(m[1]!);
        }
      });
      child.once('exit', (code) => rej(new Error(`mxray serve exited with ${code}`)));
    });
    // the first round: every instance has a result
    let api = await monitorApi(url);
    for (let i = 0; i < 60 && !api.instances.every((x) => x.lastResult); i++) {
      await sleep(1000);
      api = await monitorApi(url);
    }
    const ok = api.instances.filter((x) => x.lastResult?.status === 'ok').length;
    const roundSeconds = (performance.now() - t0) / 1000;
    const roundCpu = cpuOf(pid);
    const roundRss = rssMBOf(pid);
    // its results stored (batches of a second) and its state file written, then the idle window
    await sleep(3000);
    const before = await monitorApi(url);
    const windowEnd = t0 + SERVE_INTERVAL_MS * 0.9 - 3000;
    const idleFrom = performance.now();
    const cpuFrom = cpuOf(pid);
    await sleep(Math.max(0, windowEnd - idleFrom));
    const idleCpu = cpuOf(pid) - cpuFrom;
    const idleSeconds = (performance.now() - idleFrom) / 1000;
    const after = await monitorApi(url);
    const quiet = after.stored === before.stored ? '' : ` (${after.stored - before.stored} probes ran in the window: not idle)`;
    return (
      `mxray serve, a monitor of the ${ports.length} instances every ${SERVE_INTERVAL_MS / 1000} s: start and first round ${roundCpu.toFixed(2)} CPU-s ` +
      `(every instance probed ${roundSeconds.toFixed(1)} s after the start, ${ok} OK), RSS ${roundRss.toFixed(0)} MB; ` +
      `idle between rounds: ${idleCpu.toFixed(2)} CPU-s in ${idleSeconds.toFixed(1)} s = ${((idleCpu / idleSeconds) * 100).toFixed(2)}% of one CPU${quiet}\n`
    );
  } finally {
    child.kill('SIGINT');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

export async function benchCheck(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-bench-check-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '30',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  const farm = spawn(process.execPath, [join(root, 'dist', 'bench', 'smtp-farm.js'), String(COUNT), cert, key], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const first = await new Promise<string>((res, rej) => {
      const rl = createInterface({ input: farm.stdout! });
      rl.once('line', res);
      farm.once('exit', (code) => rej(new Error(`smtp-farm exited with ${code}`)));
    });
    const ports = (JSON.parse(first) as { ports: number[] }).ports;
    const mxray = [process.execPath, join(root, 'bin', 'mxray.js'), 'check'];
    const okLine = (s: string) => Number(/^MXRAY OK - (\d+) of \d+ instances OK/.exec(s)?.[1] ?? 0);
    const rows: Measured[] = [];
    rows.push(timed('mxray check smtp:// (STARTTLS, verified)', [...mxray, '--ca', cert, ...ports.map((p) => `smtp://127.0.0.1:${p}`)], okLine));
    const hasPlugins = existsSync(join(plugins, 'check_smtp')) && existsSync(join(plugins, 'check_tcp'));
    const portList = join(dir, 'ports');
    writeFileSync(portList, `${ports.join('\n')}\n`);
    // the floor: the same conversation and checks by a plain Node client (smtp-floor.ts)
    rows.push(
      timed('node smtp client, same checks, nothing else', [process.execPath, join(root, 'dist', 'bench', 'smtp-floor.js'), cert, portList], (s) =>
        Number(/^floor OK (\d+)/.exec(s)?.[1] ?? 0),
      ),
    );
    const countOk = (s: string, re: RegExp) => s.split('\n').filter((l) => re.test(l)).length;
    if (hasPlugins) {
      const loop = (cmd: string) => `while read p; do ${cmd}; done < '${portList}'`;
      rows.push(
        timed('check_smtp -S, one process each, in a loop', ['bash', '-c', loop(`${plugins}/check_smtp -H 127.0.0.1 -p "$p" -S`)], (s) =>
          countOk(s, /^SMTP OK/),
        ),
      );
      rows.push(
        timed(
          'check_smtp -S, one process each, 8 at a time',
          ['bash', '-c', `xargs -P 8 -I{} ${plugins}/check_smtp -H 127.0.0.1 -p {} -S < '${portList}'`],
          (s) => countOk(s, /^SMTP OK/),
        ),
      );
    }
    rows.push(timed("mxray check tcp:// --expect '^220 ' (banner)", [...mxray, '--expect', '^220 ', ...ports.map((p) => `tcp://127.0.0.1:${p}`)], okLine));
    if (hasPlugins) {
      rows.push(
        timed(
          'check_tcp -e 220, one process each, in a loop',
          ['bash', '-c', `while read p; do ${plugins}/check_tcp -H 127.0.0.1 -p "$p" -e 220; done < '${portList}'`],
          (s) => countOk(s, /^TCP OK/),
        ),
      );
    }
    const base = new Map<string, number>();
    const load = loadavg()[0]!.toFixed(1);
    let out = `${COUNT} SMTP instances on 127.0.0.1 (one node process, ECDSA P-256 certificate); ${hasPlugins ? '' : 'Monitoring Plugins not installed: their rows skipped; '}wall time, CPU (user+sys) and peak RSS by GNU time; load average ${load} on ${cpus().length} CPUs\n`;
    out += `${'job'.padEnd(50)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(7)} ${'peak RSS MB'.padStart(12)} ${'OK'.padStart(6)} ${'vs mxray'.padStart(9)}\n`;
    for (const r of rows) {
      const kind = r.job.includes('smtp') ? 'smtp' : 'tcp';
      if (r.job.startsWith('mxray')) base.set(kind, r.seconds);
      const ratio = r.job.startsWith('mxray') ? '' : `${(r.seconds / (base.get(kind) ?? r.seconds)).toFixed(1)}×`;
      out += `${r.job.padEnd(50)} ${r.seconds.toFixed(2).padStart(8)} ${r.cpuSeconds.toFixed(2).padStart(7)} ${r.maxRssMB.toFixed(0).padStart(12)} ${String(r.ok).padStart(6)} ${ratio.padStart(9)}\n`;
    }
    out += await benchServeIdle(ports, cert, dir);
    return out;
  } finally {
    farm.stdin?.end();
    farm.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) process.stdout.write(await benchCheck());
