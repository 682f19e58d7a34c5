// The conversation engine against scripted servers, for what a real server will not do: accept and
// say nothing, greet with garbage, trickle a byte at a time, reset the connection in the middle of
// the TLS handshake, talk without end. Each must end by the probe's deadline with the right failure
// code, and memory must stay bounded. (Healthy conversations are tested against real servers.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { issueCert, testCa } from '../../testing/test-ca.js';
import { probe, MAX_LINE_BYTES, MAX_REPLY_BYTES } from './engine.js';
import { GOODBYE_GRACE_MS } from './presets.js';
import { parseTarget } from './target.js';

const servers: Server[] = [];
const sockets = new Set<Socket>();
const dir = mkdtempSync(join(tmpdir(), 'mxray-engine-test-'));
after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** a scripted server on 127.0.0.1; its port */
async function fake(onConnection: (s: Socket) => void): Promise<number> {
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onConnection(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

async function timed(url: string, timeoutMs: number) {
  const target = parseTarget(url, { timeoutMs });
  const t0 = performance.now();
  const r = await probe(target);
  return { r, ms: performance.now() - t0 };
}

test('accept, then silence: ends at the deadline with timeout, not later', async () => {
  const port = await fake(() => undefined);
  const { r, ms } = await timed(`smtp://127.0.0.1:${port}`, 600);
  assert.equal(r.failure, 'timeout');
  assert.equal(r.status, 'critical');
  // the upper bound leaves room for a loaded machine's late timers; a hang would be far past it
  assert.ok(ms >= 590 && ms < 1100, `ended after ${ms} ms`);
  assert.notEqual(r.phases.connect, null);
  assert.equal(r.phases.banner, null);
  assert.match(r.detail, /no banner matching/);
  assert.ok(r.transcript?.some((l) => l.startsWith('--: connect 127.0.0.1')));
});

test('a garbage banner fails as banner, with what was said in the transcript', async () => {
  const port = await fake((s) => s.write('HTTP/1.0 400 Bad Request\r\n'));
  const { r, ms } = await timed(`smtp://127.0.0.1:${port}`, 3000);
  assert.equal(r.failure, 'banner');
  assert.ok(ms < 1000, `a wrong banner is known at once, took ${ms} ms`);
  assert.deepEqual(r.transcript?.slice(-1), ['S: HTTP/1.0 400 Bad Request']);
  assert.match(r.detail, /expected \/\^220 \/, got "HTTP\/1.0 400 Bad Request"/);
});

test('a byte every 200 ms never completes a line: the deadline ends it', async () => {
  const port = await fake((s) => {
    const t = setInterval(() => s.write('2'), 200);
    s.on('close', () => clearInterval(t));
  });
  const { r, ms } = await timed(`imap://127.0.0.1:${port}`, 1000);
  assert.equal(r.failure, 'timeout');
  assert.ok(ms >= 990 && ms < 1500, `ended after ${ms} ms`);
});

test('a reset in the middle of the TLS handshake after STARTTLS: reset, phase tls not reached', async () => {
  const port = await fake((s) => {
    s.write('220 fake ESMTP\r\n');
    let tls = false;
    s.on('data', (d) => {
      const text = d.toString('latin1');
      if (tls) return s.resetAndDestroy();
      if (/^EHLO/.test(text)) s.write('250-fake\r\n250 STARTTLS\r\n');
      else if (/^STARTTLS/.test(text)) {
        s.write('220 go ahead\r\n');
        tls = true;
      }
    });
  });
  const { r } = await timed(`smtp://127.0.0.1:${port}`, 3000);
  assert.ok(r.failure === 'reset' || r.failure === 'tls', `got ${r.failure}: ${r.detail}`);
  assert.equal(r.phases.tls, null);
  assert.notEqual(r.phases.banner, null);
  assert.ok(r.transcript?.includes('C: STARTTLS'));
  assert.ok(r.transcript?.includes('--: TLS handshake'));
});

test('implicit TLS to a server that resets on the ClientHello: reset', async () => {
  const port = await fake((s) => s.once('data', () => s.resetAndDestroy()));
  const { r } = await timed(`imaps://127.0.0.1:${port}`, 3000);
  assert.equal(r.failure, 'reset');
  assert.match(r.detail, /TLS handshake/);
});

test('implicit TLS to a plain-text server: tls', async () => {
  const port = await fake((s) => s.write('* OK plain IMAP, no TLS here\r\n'));
  const { r } = await timed(`imaps://127.0.0.1:${port}`, 3000);
  assert.equal(r.failure, 'tls');
});

test('an over-long reply line is capped: failure, not unbounded buffering', async () => {
  const port = await fake((s) => {
    // 4 MB without a line end, written as fast as the socket takes it
    const chunk = Buffer.alloc(64 * 1024, 'A');
    let sent = 0;
    const pump = () => {
      while (sent < 64 && s.writable) {
        sent++;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
    };
    pump();
  });
  const before = process.memoryUsage().rss;
  const { r, ms } = await timed(`pop3://127.0.0.1:${port}`, 5000);
  assert.equal(r.failure, 'banner');
  assert.match(r.detail, new RegExp(`longer than ${MAX_LINE_BYTES} bytes`));
  assert.ok(ms < 2000, `known as soon as the cap is passed, took ${ms} ms`);
  assert.ok(process.memoryUsage().rss - before < 32 * 1024 * 1024);
});

test('a multi-line reply without end is capped at the reply limit', async () => {
  const port = await fake((s) => {
    s.write('220 fake ESMTP\r\n');
    s.once('data', () => {
      const lines = Buffer.from('250-x'.padEnd(998, 'y') + '\r\n'.repeat(1));
      let n = 0;
      const pump = () => {
        while (n < 2000 && s.writable) {
          n++;
          if (!s.write(lines)) return void s.once('drain', pump);
        }
      };
      pump();
    });
  });
  const { r } = await timed(`smtp://127.0.0.1:${port}`, 5000);
  assert.equal(r.failure, 'expect');
  assert.match(r.detail, new RegExp(`reply longer than ${MAX_REPLY_BYTES} bytes`));
  assert.ok((r.transcript?.length ?? 0) <= 61, 'the transcript is bounded too');
});

test('a closed port is refused; a name that does not resolve is dns', async () => {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((res) => server.close(() => res()));
  const { r } = await timed(`nntp://127.0.0.1:${port}`, 2000);
  assert.equal(r.failure, 'refused');
  assert.equal(r.phases.connect, null);
  const dns = await probe(parseTarget('smtp://no-such-host.invalid', { timeoutMs: 3000 }));
  assert.equal(dns.failure, 'dns');
});

test('an IPv6 literal is probed over IPv6', async (t) => {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.end('+OK v6\r\n');
  });
  try {
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(0, '::1', res);
    });
  } catch {
    t.skip('no IPv6 loopback on this machine');
    return;
  }
  const port = (server.address() as { port: number }).port;
  const r = await probe(parseTarget(`tcp://[::1]:${port}`, { timeoutMs: 2000, expect: '^\\+OK' }));
  server.close();
  assert.equal(r.status, 'ok', r.detail);
  assert.equal(r.url, `tcp://[::1]:${port}`);
  assert.equal(r.detail, '+OK v6');
});

test('an abort signal ends a probe at once', async () => {
  const port = await fake(() => undefined);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const t0 = performance.now();
  const r = await probe(parseTarget(`smtp://127.0.0.1:${port}`, { timeoutMs: 10_000 }), ac.signal);
  assert.equal(r.failure, 'timeout');
  assert.ok(performance.now() - t0 < 1000);
});

/** an SMTP server that holds a healthy conversation (banner, EHLO, STARTTLS with a certificate of the
 *  test CA, EHLO) up to QUIT, then does `atQuit` — and never closes a connection itself. `closed`
 *  resolves when the client's end of a connection is gone (the server sees it close) */
async function smtpUntilQuit(atQuit: (s: tls.TLSSocket) => void): Promise<{ port: number; closed: Promise<void> }> {
  const leaf = issueCert(testCa(), dir, { names: ['localhost', '127.0.0.1'], stem: 'goodbye' });
  const context = tls.createSecureContext({ cert: readFileSync(leaf.certFile), key: readFileSync(leaf.keyFile) });
  let closed!: () => void;
  const gone = new Promise<void>((r) => {
    closed = r;
  });
  const port = await fake((s) => {
    s.on('close', closed);
    s.write('220 fake ESMTP\r\n');
    const onPlain = (d: Buffer) => {
      const line = d.toString('latin1');
      if (/^EHLO/.test(line)) s.write('250-fake\r\n250 STARTTLS\r\n');
      else if (/^STARTTLS/.test(line)) {
        s.off('data', onPlain);
        s.write('220 go ahead\r\n');
        const t = new tls.TLSSocket(s, { isServer: true, secureContext: context });
        t.on('error', () => undefined);
        t.on('data', (d2: Buffer) => {
          const l = d2.toString('latin1');
          if (/^EHLO/.test(l)) t.write('250-fake\r\n250 8BITMIME\r\n');
          else if (/^QUIT/.test(l)) atQuit(t);
        });
      }
    };
    s.on('data', onPlain);
  });
  return { port, closed: gone };
}

/** the timers and sockets this process holds (its test servers' listening sockets included) */
const held = () =>
  process
    .getActiveResourcesInfo()
    .filter((r) => r === 'Timeout' || r === 'TCPSocketWrap' || r === 'TLSWrap')
    .sort();

/** `p` or, after `ms`, undefined (a bounded wait whose timer is gone either way) */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => {
    timer = setTimeout(() => r(undefined), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

for (const [what, atQuit, grace] of [
  ['answers QUIT with 221 but never closes', (t: tls.TLSSocket) => t.write('221 2.0.0 Bye\r\n'), false],
  ['never answers QUIT and never closes', () => undefined, true],
] as const) {
  test(`a server that ${what}: the probe ends OK at once${grace ? ' after the goodbye grace' : ''}, nothing of it left behind`, async () => {
    const { port, closed } = await smtpUntilQuit(atQuit);
    const before = held();
    const target = parseTarget(`smtp://127.0.0.1:${port}`, { timeoutMs: 20_000, tls: { ca: testCa().caFile } });
    const t0 = performance.now();
    const r = await probe(target);
    const ms = performance.now() - t0;
    assert.equal(r.status, 'ok', `${r.failure}: ${r.detail}`);
    assert.match(r.detail, /^220 fake ESMTP/);
    // far from the 20 s deadline (a probe held by the open connection would end there, as a timeout)
    if (grace) assert.ok(ms >= GOODBYE_GRACE_MS - 10 && ms < GOODBYE_GRACE_MS + 4000, `ended after ${ms} ms`);
    else assert.ok(ms < 4000, `ended after ${ms} ms`);
    // the probe dropped its connection: the server sees it close, though it never closes it itself
    assert.notEqual(
      await within(
        closed.then(() => 'closed'),
        5000,
      ),
      undefined,
      "the server's connection is still open",
    );
    // a closed socket's handle goes on a later turn of the event loop; a timer left behind would stay
    for (let turn = 0; turn < 1000 && held().join() !== before.join(); turn++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(held(), before, 'no timer or socket of the probe outlives it');
  });
}
