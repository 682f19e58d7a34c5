// npm run bench -- integrity: what sealing costs an ingest (the same logs ingested with sealing off
// and on, alternately, twice each, in processes of their own), and verify's time and peak memory over
// a sealed store widened to >= 10 million events (MXRAY_BENCH_VERIFY_ROWS).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTracking, generatedLogs, generatedTruth } from '../generate/tracking/index.js';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));

function child(args: string[]): Record<string, number | boolean> {
  const r = spawnSync(process.execPath, [join(root, 'dist', 'bench', 'integrity-child.js'), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`integrity-child ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | boolean>;
}

export async function benchIntegrity(cache: string): Promise<string> {
  const mb = Number(process.env.MXRAY_BENCH_INTEGRITY_MB ?? 200);
  const generated = join(cache, `tracking-2013-integrity-${mb}mb`);
  if (!existsSync(generatedTruth(generated))) {
    rmSync(generated, { recursive: true, force: true });
    mkdirSync(generated, { recursive: true });
    process.stderr.write(`generating ~${mb} MB of Exchange 2013+ tracking logs in ${generated} (cached)…\n`);
    await generateTracking({ users: 2000, days: 3650, servers: 4, version: '2013', out: generated, seed: 11, targetBytes: mb * 1e6 });
  }
  const logs = generatedLogs(generated);
  const runs: { seal: string; seconds: number; rows: number }[] = [];
  const db = (n: number) => join(cache, `integrity-${n}.duckdb`);
  let n = 0;
  for (const seal of ['off', 'on', 'off', 'on']) {
    const p = db(++n);
    rmSync(p, { force: true });
    rmSync(p + '.wal', { force: true });
    const r = child(['ingest', p, seal, logs]);
    runs.push({ seal, seconds: r.seconds as number, rows: r.rows as number });
  }
  const best = (s: string) => Math.min(...runs.filter((r) => r.seal === s).map((r) => r.seconds));
  const off = best('off');
  const on = best('on');
  let text = `input: ~${mb} MB of Exchange 2013+ tracking logs, ${runs[0]!.rows.toLocaleString('en-US')} events\n`;
  text += `ingest runs (seconds, in order): ${runs.map((r) => `sealing ${r.seal} ${r.seconds.toFixed(2)}`).join(', ')}\n`;
  text += `sealing costs ${(((on - off) / off) * 100).toFixed(1)}% of ingest time (best of two each: ${off.toFixed(2)} s without, ${on.toFixed(2)} s with)\n`;
  const big = db(4);
  const target = Number(process.env.MXRAY_BENCH_VERIFY_ROWS ?? 10_000_000);
  const widened = child(['widen', big, String(target)]);
  const v = child(['verify', big]);
  text += `verify over ${Number(widened.rows).toLocaleString('en-US')} sealed events (${v.batches} batches): ${(v.seconds as number).toFixed(2)} s, peak RSS ${(v.maxRssMB as number).toFixed(0)} MB, ${v.intact ? 'intact' : 'NOT intact'}\n`;
  for (let k = 1; k <= 4; k++) {
    rmSync(db(k), { force: true });
    rmSync(db(k) + '.wal', { force: true });
  }
  return text;
}
