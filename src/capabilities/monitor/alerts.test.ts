// Alerts leave for real: e-mail received by an SMTP server in the test (smtp-server) and webhooks by
// a local HTTP server, both on 127.0.0.1; a webhook that answers 500 or never answers is a failed
// delivery with its reason, within its deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Monitor, type Delivery } from './daemon.js';
import { smtpSender, webhookSender } from './alerts.js';
import { result, target } from './targets.fixture.js';
import type { MonitoredTarget } from './config.js';
import type { Prober, ProbeStatus } from './types.js';

interface Mail {
  from: string;
  to: string[];
  data: string;
}

async function smtpListener() {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address() as AddressInfo).port;
  return { mails, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function httpListener(answer: (req: IncomingMessage) => number | null) {
  const bodies: { headers: IncomingMessage['headers']; body: unknown }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      const status = answer(req);
      if (status !== null) res.writeHead(status).end('{}');
      // null: never answer
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    bodies,
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

test('a problem and its recovery arrive by e-mail and by webhook', async () => {
  const smtp = await smtpListener();
  const hook = await httpListener(() => 204);
  try {
    const t = target('mx1.corp.example', 'relay', { failures: 1, routes: ['ops', 'chat'] });
    let status: ProbeStatus = 'critical';
    const prober: Prober = async (x) => result(x as MonitoredTarget, status);
    const sent: Delivery[] = [];
    const m = new Monitor({
      targets: [t],
      prober,
      routes: { ops: { email: ['ops@corp.example', 'oncall@corp.example'] }, chat: { webhook: true } },
      sender: {
        email: smtpSender(
          { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'mxray <mxray@corp.example>', tls: { verify: true }, timeoutMs: 5000 },
          () => '',
        ),
        webhook: webhookSender({ url: hook.url, headers: { 'X-Source': 'mxray', Authorization: { reveal: () => 'Bearer s3cret' } }, timeoutMs: 2000 }),
      },
      onDelivery: (d) => sent.push(d),
    });
    await m.round();
    status = 'ok';
    await m.round();
    assert.deepEqual(
      sent.map((d) => [d.alert.kind, d.channel, d.error]).sort((a, b) => String(a).localeCompare(String(b))),
      [
        ['problem', 'email', null],
        ['problem', 'webhook', null],
        ['recovery', 'email', null],
        ['recovery', 'webhook', null],
      ].sort((a, b) => String(a).localeCompare(String(b))),
    );
    assert.equal(smtp.mails.length, 2);
    const [problem, recovery] = smtp.mails;
    assert.equal(problem!.from, 'mxray@corp.example');
    assert.deepEqual(problem!.to, ['ops@corp.example', 'oncall@corp.example']);
    assert.match(problem!.data, /^Subject: PROBLEM: mx1\.corp\.example\/SMTP\/relay is CRITICAL \(refused\)/m);
    assert.match(problem!.data, /detail: connection refused/);
    assert.match(recovery!.data, /^Subject: RECOVERY: mx1\.corp\.example\/SMTP\/relay is OK/m);
    assert.equal(hook.bodies.length, 2);
    assert.equal(hook.bodies[0]!.headers.authorization, 'Bearer s3cret');
    assert.equal(hook.bodies[0]!.headers['x-source'], 'mxray');
    const body = hook.bodies[0]!.body as Record<string, unknown>;
    assert.equal(body.kind, 'problem');
    assert.equal(body.host, 'mx1.corp.example');
    assert.equal(body.status, 'critical');
    assert.equal(body.failure, 'refused');
    assert.equal(body.subject, 'PROBLEM: mx1.corp.example/SMTP/relay is CRITICAL (refused)');
  } finally {
    await smtp.close();
    await hook.close();
  }
});

test('a webhook that fails or never answers is a failed delivery, within its deadline', async () => {
  const failing = await httpListener(() => 500);
  const silent = await httpListener(() => null);
  try {
    await assert.rejects(webhookSender({ url: failing.url, headers: {}, timeoutMs: 2000 })(undefined, { a: 1 }), /the webhook answered HTTP 500/);
    const started = Date.now();
    await assert.rejects(webhookSender({ url: silent.url, headers: {}, timeoutMs: 300 })(undefined, { a: 1 }), /aborted|timeout/i);
    assert.ok(Date.now() - started < 2000);
    // a route's own URL wins over notify.webhook's
    await webhookSender({ url: silent.url, headers: {}, timeoutMs: 300 })(failing.url.replace('/hook', '/other'), { b: 2 }).catch(() => undefined);
    assert.deepEqual(failing.bodies.at(-1)!.body, { b: 2 });
  } finally {
    await failing.close();
    await silent.close();
  }
});
