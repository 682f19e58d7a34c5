// The dashboard part of `npm run bench` (`npm run bench -- dashboard`): `mxray serve` in this
// process on a store of generated Exchange 2013 tracking logs (MXRAY_BENCH_DASH_MB, default 300 MB
// of logs, ingested once and cached in .bench-cache/), with a monitor of 1,000 hosts (each one
// instance: a local listener); then, in Debian's headless Chromium: the health page loaded until its
// 1,000 squares are drawn, and the tracking page until its charts are drawn, first with every answer
// uncached and then cached; and each API endpoint the pages use: its first (uncached) time, then the
// p95 of 40 cached requests. Goals (issue 22): page loads under 1 s, cached API p95 under 200 ms.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { pageRequests, requestKey } from '../dashboard/requests.js';
import { generateTracking, generatedLogs } from '../generate/tracking/index.js';
import { ingest } from '../ingest/ingest.js';
import { startServe } from '../serve/serve.js';
import { sql } from '../sql/sql.js';
import { openStore } from '../store/open.js';

const ms = (t: number) => `${Math.round(performance.now() - t)} ms`;

export async function benchDashboard(cache: string): Promise<string> {
  const mb = Number(process.env.MXRAY_BENCH_DASH_MB ?? 300);
  const hosts = Number(process.env.MXRAY_BENCH_DASH_HOSTS ?? 1000);
  const dir = join(cache, `dashboard-${mb}mb`);
  const db = join(dir, 'mxray.duckdb');
  const out: string[] = [];
  if (!existsSync(`${db}.done`)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`generating ~${mb} MB of tracking logs and ingesting them into ${db} (cached)…\n`);
    await generateTracking({ users: 5000, days: 3650, servers: 4, version: '2013', out: join(dir, 'tracking'), seed: 11, targetBytes: mb * 1e6 });
    const store = await openStore({ db });
    try {
      await ingest([generatedLogs(join(dir, 'tracking'))], { store });
    } finally {
      await store.close();
    }
    rmSync(join(dir, 'tracking'), { recursive: true, force: true });
    writeFileSync(`${db}.done`, '');
  }

  const store = await openStore({ db });
  const [{ events } = { events: 0 }] = await store.query<{ events: number }>('events', sql`SELECT count(*) AS events FROM tracking_events`);
  await store.close();

  // a listener that answers every monitored instance
  const sockets = new Set<Socket>();
  const listener = createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    c.end('220 bench ESMTP\r\n');
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const port = (listener.address() as AddressInfo).port;
  const config = join(dir, 'mxray.yaml');
  const hostLines = Array.from(
    { length: hosts },
    (_, i) => `    - { name: host${String(i).padStart(4, '0')}, services: [ { name: SMTP, instances: [ "tcp://127.0.0.1:${port}" ] } ] }`,
  );
  writeFileSync(
    config,
    `store:\n  db: ${db}\nserve:\n  listen: { host: 127.0.0.1, port: 8080 }\nmonitor:\n  defaults: { intervalMs: 60000, timeoutMs: 5000 }\n  hosts:\n${hostLines.join('\n')}\n`,
  );
  const serving = await startServe({ config, port: 0, watch: false, log: () => undefined, env: {} });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
  });
  try {
    // every host probed once
    const deadline = Date.now() + 120_000;
    for (;;) {
      const m = (await (await fetch(`${serving.url}/api/monitor/matrix`)).json()) as { counts: Record<string, number> };
      if (m.counts.unknown === 0 && m.counts.ok === hosts) break;
      if (Date.now() > deadline) throw new Error(`the monitor did not probe all ${hosts} hosts in 2 minutes: ${JSON.stringify(m.counts)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const load = async (hash: string, ready: string) => {
      // a full page load each time (a new hash alone would only re-render)
      await page.goto('about:blank');
      const t = performance.now();
      await page.goto(`${serving.url}/${hash}`);
      await page.waitForSelector(ready, { timeout: 600_000 });
      if (hash.includes('tracking')) await page.waitForFunction("[...document.querySelectorAll('.chart')].every((c) => c.dataset.drawn === 'true')");
      return ms(t);
    };
    out.push(
      `store: ${mb} MB of Exchange 2013 tracking logs, ${Number(events).toLocaleString('en-US')} tracking events (${await traffic(serving.url)}) in DuckDB; monitor: ${hosts} hosts; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
    );
    out.push(
      `health page, load to ${hosts} squares drawn: ${await load('#/health', `#matrix[data-hosts="${hosts}"]`)} (again: ${await load('#/health?x=1', `#matrix[data-hosts="${hosts}"]`)})`,
    );
    const first = await load('#/tracking', 'main[data-ready="true"]');
    const cached = await load('#/tracking?x=1', 'main[data-ready="true"]');
    out.push(`tracking page, load to charts drawn: ${first} uncached (6 reports), ${cached} cached`);
    // the API, endpoint by endpoint (range: a week, so the first time is uncached)
    const requests = Object.values(pageRequests.tracking({ from: '2024-03-04', to: '2024-03-10' }));
    out.push('API (tracking endpoints, 2024-03-04 to 03-10): first (uncached) / p95 of 40 cached');
    for (const r of requests) {
      const url = `${serving.url}/api/reports/${requestKey(r)}`;
      let t = performance.now();
      await (await fetch(url)).text();
      const firstMs = performance.now() - t;
      const times: number[] = [];
      for (let i = 0; i < 40; i++) {
        t = performance.now();
        await (await fetch(url)).text();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      out.push(`  ${requestKey(r).padEnd(60)} ${firstMs.toFixed(0).padStart(6)} ms / ${times[Math.ceil(times.length * 0.95) - 1]!.toFixed(1)} ms`);
    }
    const mt: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t = performance.now();
      await (await fetch(`${serving.url}/api/monitor/matrix`)).text();
      mt.push(performance.now() - t);
    }
    mt.sort((a, b) => a - b);
    out.push(`  /api/monitor/matrix (${hosts} hosts, live, never cached): p95 ${mt[Math.ceil(mt.length * 0.95) - 1]!.toFixed(1)} ms`);
  } finally {
    await browser.close();
    await serving.stop();
    for (const c of sockets) c.destroy();
    listener.close();
  }
  return `${out.join('\n')}\n`;
}

/** the store's size in the admin's words: messages and deliveries (the traffic report, whole range) */
async function traffic(url: string): Promise<string> {
  const rows = (await (await fetch(`${url}/api/reports/tracking.traffic?by=day`)).json()) as { messages: number; deliveries: number }[];
  const m = rows.reduce((a, r) => a + r.messages, 0);
  const d = rows.reduce((a, r) => a + r.deliveries, 0);
  return `${m.toLocaleString('en-US')} messages, ${d.toLocaleString('en-US')} deliveries, ${rows.length} days`;
}
