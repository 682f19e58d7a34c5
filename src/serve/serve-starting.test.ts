// `mxray serve` while it starts: the listener is up before the store is open, and until the routes
// are there the API (and /api/health) answers 503 "store opening" (with Retry-After), not 404. The store is a real
// ClickHouse behind a TCP gate on 127.0.0.1 that holds every connection until the test opens it, so
// the opening lasts as long as the test wants.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from './serve.js';
import { describeClickhouse, freePorts, startClickhouse, type ClickhouseServer } from '../testing/clickhouse.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-serve-starting-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** a TCP gate to 127.0.0.1:port: connections wait (their bytes kept) until open() */
async function gate(port: number): Promise<{ port: number; open(): void; close(): Promise<void> }> {
  let opened = false;
  const waiting: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const s: Server = createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    c.pause();
    const pipe = () => {
      const up = connect(port, '127.0.0.1');
      sockets.add(up);
      up.on('error', () => c.destroy());
      up.on('close', () => sockets.delete(up));
      c.pipe(up).pipe(c);
      c.resume();
    };
    if (opened) pipe();
    else waiting.push(pipe);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    port: (s.address() as AddressInfo).port,
    open() {
      opened = true;
      for (const w of waiting.splice(0)) w();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const c of sockets) c.destroy();
        s.close(() => r());
      }),
  };
}

async function get(url: string): Promise<{ status: number; retryAfter: string | null; body: { error?: string } }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as { error?: string } };
}

describeClickhouse('serve while the store opens', () => {
  let server: ClickhouseServer | undefined;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });

  test('the API answers 503 "store opening" until the store is open, then the reports; an unknown path is 404 again', { timeout: 60_000 }, async () => {
    const g = await gate(server!.httpPort);
    try {
      const [port] = await freePorts(1);
      const config = join(dir, 'mxray.yaml');
      writeFileSync(
        config,
        `store:\n  url: clickhouse://127.0.0.1:${g.port}/serve_starting_${process.pid}\nserve:\n  listen: { host: 127.0.0.1, port: ${port} }\n`,
      );
      const base = `http://127.0.0.1:${port}`;
      const starting = startServe({ config, watch: false, log: () => undefined, env: {} });
      starting.catch(() => undefined);
      // the listener is up while the store waits at the gate
      let first: Awaited<ReturnType<typeof get>> | undefined;
      for (const end = Date.now() + 10_000; !first && Date.now() < end; ) {
        first = await get(`${base}/api/reports/presence.heatmap`).catch(() => undefined);
        if (!first) await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(first, { status: 503, retryAfter: '1', body: { error: 'store opening' } });
      assert.equal((await get(`${base}/api/reports`)).status, 503);
      // the health check too says not yet (a load balancer sends nothing here until it is ready)
      assert.equal((await get(`${base}/api/health`)).status, 503);

      g.open();
      const serving = await starting;
      try {
        const r = await get(`${base}/api/reports/presence.heatmap`);
        assert.equal(r.status, 200);
        assert.equal((r.body as unknown as unknown[]).length, 168);
        assert.equal((await get(`${base}/api/nothing-here`)).status, 404);
      } finally {
        await serving.stop();
      }
    } finally {
      await g.close();
    }
  });
});
