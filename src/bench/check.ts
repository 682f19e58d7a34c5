// npm run bench -- check: 1,000 SMTP instances on loopback (smtp-farm.ts, one process) probed by one
// `mxray check` — the full conversation: banner, EHLO, STARTTLS, TLS with the certificate verified
// against --ca, EHLO, QUIT — and, in the same run, by Monitoring Plugins' check_smtp -S (STARTTLS) one
// process per instance as Nagios runs them: a sequential loop, and 8 at a time (xargs -P 8). The same
// again for a banner-only check (mxray tcp:// --expect, check_tcp -e). Wall time and peak RSS of each
// job come from GNU time (the largest single process for the plugin loops).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
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
    return out;
  } finally {
    farm.stdin?.end();
    farm.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) process.stdout.write(await benchCheck());
