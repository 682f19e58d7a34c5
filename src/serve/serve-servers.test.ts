// `mxray serve` end to end against a real server, and its listener's protection: the monitor part
// probes the test Postfix pair (STARTTLS verified against the test CA, implicit TLS on the second
// instance), /metrics says probe_success 1 for each with the certificate's expiry, and the results
// land in the store's history. The listener: a token or a user/password login is required when
// configured (401 without, /api/health stays open), an address beyond this machine without auth is
// refused — from the config and from --listen — and serve.tls makes it HTTPS with the given
// certificate (issued by the test CA).
import { after, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from './serve.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import { historyReport } from '../capabilities/monitor/history.js';
import { describeWithServers } from '../testing/servers/describe.js';
import { postfixSkipReason, sharedPostfix } from '../testing/servers/postfix.js';
import { issueCert, testCa } from '../testing/test-ca.js';
import { ConfigError } from '../config/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-serve-servers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const quiet = () => undefined;

describeWithServers('serve monitors the test Postfix', [postfixSkipReason()], () => {
  const pair = sharedPostfix();
  after(async () => (await pair).stop());

  it('probes both instances, /metrics shows probe_success 1, the history has them', { timeout: 60_000 }, async () => {
    const { primary, second } = await pair;
    const db = join(dir, 'postfix.duckdb');
    const config = join(dir, 'postfix.yaml');
    writeFileSync(
      config,
      `monitor:
  defaults: { intervalMs: 1000, timeoutMs: 5000, tls: { ca: ${primary.caFile} } }
  hosts:
    - name: mail.example.org
      services:
        - name: SMTP
          instances:
            - { url: smtp://127.0.0.1:${primary.smtpPort}, name: primary }
            - { url: smtps://127.0.0.1:${second.smtpsPort}, name: second }
`,
    );
    const serving = await startServe({ config, db, port: 0, log: quiet, env: {}, watch: false });
    let metrics: string;
    try {
      metrics = await until('both instances probed at least twice', async () => {
        const m = (await (await fetch(`${serving.url}/api/monitor`, { signal: AbortSignal.timeout(5000) })).json()) as { stored: number };
        if (m.stored < 4) return undefined;
        return (await fetch(`${serving.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      });
    } finally {
      await serving.stop();
    }
    for (const name of ['primary', 'second']) {
      assert.match(metrics, new RegExp(`^probe_success\\{host="mail\\.example\\.org",service="SMTP",instance="${name}"\\} 1$`, 'm'), name);
      // the test CA's certificates are valid 825 days: the expiry is a Unix time that far ahead
      const expiry = Number(new RegExp(`^probe_ssl_earliest_cert_expiry\\{[^}]*instance="${name}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
      const days = (expiry - Date.now() / 1000) / 86_400;
      assert.ok(days > 800 && days < 826, `${name}: certificate expiry ${days} days ahead`);
    }
    const store = await DuckdbStore.open(db);
    try {
      const h = await historyReport(store, { range: {} });
      assert.deepEqual(h.instances.map((i) => i.instance).sort(), ['primary', 'second']);
      for (const i of h.instances) {
        assert.ok(i.probes >= 2, `${i.instance}: ${i.probes} probes`);
        assert.equal(i.failed, 0, `${i.instance} failed`);
        assert.equal(i.lastStatus, 'ok');
        assert.ok(i.minCertDays! > 800, `${i.instance}: ${i.minCertDays} certificate days`);
      }
      assert.equal(h.failures.length, 0);
    } finally {
      await store.close();
    }
  });
});

/** a config with a monitor of one refused port (so the monitor part runs) and the given serve section */
function configWith(name: string, serve: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `store:\n  db: ${join(dir, `${name}.duckdb`)}\n${serve}monitor:\n  defaults: { intervalMs: 60000, timeoutMs: 1000 }\n  hosts:\n    - name: a\n      services:\n        - name: S\n          instances: [tcp://127.0.0.1:1]\n`,
  );
  return file;
}

const status = async (url: string, headers: Record<string, string> = {}) => (await fetch(url, { headers, signal: AbortSignal.timeout(5000) })).status;

test('serve.auth: a token is required (401 without or with a wrong one), /api/health stays open', { timeout: 30_000 }, async () => {
  writeFileSync(join(dir, 'api.token'), 's3cret-token\n');
  const config = configWith('token', `serve:\n  auth:\n    tokenFile: ${join(dir, 'api.token')}\n`);
  const serving = await startServe({ config, port: 0, log: quiet, env: {}, watch: false });
  try {
    assert.equal(await status(`${serving.url}/metrics`), 401);
    assert.equal(await status(`${serving.url}/metrics`, { authorization: 'Bearer wrong' }), 401);
    assert.equal(await status(`${serving.url}/api/monitor`), 401);
    assert.equal(await status(`${serving.url}/metrics`, { authorization: 'Bearer s3cret-token' }), 200);
    assert.equal(await status(`${serving.url}/api/health`), 200);
  } finally {
    await serving.stop();
  }
});

test('serve.auth: basic login with user and password', { timeout: 30_000 }, async () => {
  writeFileSync(join(dir, 'api.password'), 'pa55word\n');
  const config = configWith('basic', `serve:\n  auth:\n    user: admin\n    passwordFile: ${join(dir, 'api.password')}\n`);
  const serving = await startServe({ config, port: 0, log: quiet, env: {}, watch: false });
  const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  try {
    const r = await fetch(`${serving.url}/metrics`, { signal: AbortSignal.timeout(5000) });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="mxray"');
    assert.equal(await status(`${serving.url}/metrics`, basic('admin', 'wrong')), 401);
    assert.equal(await status(`${serving.url}/metrics`, basic('root', 'pa55word')), 401);
    assert.equal(await status(`${serving.url}/metrics`, basic('admin', 'pa55word')), 200);
  } finally {
    await serving.stop();
  }
});

test('an address beyond this machine needs auth: refused from the config and from --listen, before listening', async () => {
  // nothing listens in this test: the refusal comes first
  const fromConfig = configWith('wide', 'serve:\n  listen: { host: 0.0.0.0, port: 8080 }\n');
  await assert.rejects(startServe({ config: fromConfig, log: quiet, env: {}, watch: false }), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /wide\.yaml:\d+: serve\.listen\.host: listening on 0\.0\.0\.0 \(beyond this machine\) needs auth/);
    return true;
  });
  const loopback = configWith('narrow', '');
  await assert.rejects(startServe({ config: loopback, listen: '0.0.0.0', port: 0, log: quiet, env: {}, watch: false }), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /--listen 0\.0\.0\.0 \(beyond this machine\) needs auth/);
    return true;
  });
});

test('serve.tls: HTTPS with the given certificate, verified against the test CA', { timeout: 30_000 }, async () => {
  const ca = testCa();
  const cert = issueCert(ca, join(dir, 'serve-tls'), { names: ['localhost', '127.0.0.1'], days: 30, stem: 'serve' });
  const config = configWith('tls', `serve:\n  tls:\n    certFile: ${cert.certFile}\n    keyFile: ${cert.keyFile}\n`);
  const serving = await startServe({ config, port: 0, log: quiet, env: {}, watch: false });
  try {
    assert.match(serving.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const got = await new Promise<{ status: number; body: string; subject: string; authorized: boolean }>((resolve, reject) => {
      const req = request(`${serving.url}/api/health`, { ca: readFileSync(ca.caFile, 'utf8'), servername: 'localhost', timeout: 5000 }, (res) => {
        // the socket's certificate now: at 'end' the socket may already be handed back
        const socket = res.socket as TLSSocket;
        const subject = String(socket.getPeerCertificate().subject?.CN ?? '');
        const authorized = socket.authorized;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, subject, authorized }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('no answer')));
      req.on('error', reject);
      req.end();
    });
    assert.equal(got.status, 200);
    assert.equal(got.authorized, true, 'the certificate verified against the test CA');
    assert.equal(got.subject, 'localhost');
    assert.deepEqual(JSON.parse(got.body), { status: 'ok', parts: ['monitor'] });
    // plain HTTP on the HTTPS port is no answer
    await assert.rejects(fetch(serving.url.replace('https:', 'http:'), { signal: AbortSignal.timeout(5000) }));
  } finally {
    await serving.stop();
  }
});
