// A fired rule's actions, for real: the e-mail received by an SMTP server in the test (smtp-server),
// the webhook by a local HTTP server, a command that hangs killed at its timeout with its child, the
// alert log's lines; one failing action (a refused webhook, a log in a missing folder, no SMTP server)
// does not stop the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { parseConfig } from '../../config/load.js';
import { sections } from '../../config/sections.js';
import { actionRunner, type NotifyConfig } from './actions.js';
import type { FiredAlert } from './ports.js';

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

async function httpListener(status: number) {
  const got: { headers: IncomingMessage['headers']; body: unknown }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(status).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    got,
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function notifyFor(smtpPort: number | null, webhookUrl: string | null): NotifyConfig {
  const text = [
    'notify:',
    ...(smtpPort
      ? ['  smtp:', '    host: 127.0.0.1', `    port: ${smtpPort}`, '    security: none', '    from: mxray <mxray@corp.example>', '    timeoutMs: 5000']
      : []),
    ...(webhookUrl ? ['  webhook:', `    url: ${webhookUrl}`, '    headers:', '      X-Source: mxray', '    timeoutMs: 3000'] : []),
  ].join('\n');
  return parseConfig(text, { path: '/x/mxray.yaml', shown: 'mxray.yaml', via: '--config' }, sections, { env: {} }).section('notify')!;
}

const alert: FiredAlert = {
  rule: 'large-deliveries',
  source: 'tracking',
  firedAt: new Date('2026-03-02T10:00:05Z'),
  recordTime: '2026-03-02T10:00:00.000Z',
  record: { 'event-id': 'DELIVER', 'total-bytes': 12_345_678n, 'sender-address': 'ceo@corp.example', 'message-subject': 'Q1\r\nBcc: x@evil' },
  origin: { file: 'MSGTRK20260302-1.LOG', line: 42 },
  matches: 1,
};

function tempDir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mxray-actions-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('e-mail, webhook and log: each arrives with the rule and the record that fired it', async (t) => {
  const smtp = await smtpListener();
  const hook = await httpListener(204);
  t.after(async () => {
    await smtp.close();
    await hook.close();
  });
  const dir = tempDir(t);
  const logFile = path.join(dir, 'alerts.jsonl');
  const run = actionRunner({ notify: notifyFor(smtp.port, hook.url) });
  const out = await run(alert, [{ email: 'ops@corp.example, duty@corp.example' }, { webhook: '' }, { log: logFile }]);
  assert.deepEqual(out, [
    { action: 'email', ok: true, detail: 'e-mail sent to ops@corp.example, duty@corp.example' },
    { action: 'webhook', ok: true, detail: `webhook ${hook.url} accepted the alert` },
    { action: 'log', ok: true, detail: `logged to ${logFile}` },
  ]);
  assert.equal(smtp.mails.length, 1);
  const mail = smtp.mails[0]!;
  assert.equal(mail.from, 'mxray@corp.example');
  assert.deepEqual(mail.to, ['ops@corp.example', 'duty@corp.example']);
  const headers = mail.data.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  assert.match(headers, /^Subject: mxray rule large-deliveries fired \(tracking, 2026-03-02T10:00:00\.000Z\)\r?$/m);
  assert.match(mail.data, /^from: MSGTRK20260302-1\.LOG:42\r?$/m);
  assert.match(mail.data, /^ {2}total-bytes: 12345678\r?$/m);
  // a field's line breaks do not make headers or lines of their own
  assert.doesNotMatch(mail.data, /^Bcc:/m);
  assert.match(mail.data, /^ {2}message-subject: Q1 Bcc: x@evil\r?$/m);

  const want = {
    rule: 'large-deliveries',
    source: 'tracking',
    firedAt: '2026-03-02T10:00:05.000Z',
    recordTime: '2026-03-02T10:00:00.000Z',
    origin: { file: 'MSGTRK20260302-1.LOG', line: 42 },
    matches: 1,
    record: { 'event-id': 'DELIVER', 'total-bytes': 12345678, 'sender-address': 'ceo@corp.example', 'message-subject': 'Q1\r\nBcc: x@evil' },
  };
  assert.equal(hook.got.length, 1);
  assert.deepEqual(hook.got[0]!.body, want);
  assert.equal(hook.got[0]!.headers['x-source'], 'mxray');

  // one JSON line per alert, appended
  await run({ ...alert, matches: 2 }, [{ log: logFile }]);
  const lines = readFileSync(logFile, 'utf8').split('\n');
  assert.equal(lines.length, 3, 'two lines and the final newline');
  assert.equal(lines[2], '');
  assert.deepEqual(JSON.parse(lines[0]!), want);
  assert.deepEqual(JSON.parse(lines[1]!), { ...want, matches: 2 });
});

test('one failing action does not stop the others', async (t) => {
  const hook = await httpListener(500);
  t.after(() => hook.close());
  const dir = tempDir(t);
  const logFile = path.join(dir, 'alerts.jsonl');
  const run = actionRunner({ notify: notifyFor(null, hook.url) });
  const out = await run(alert, [
    { email: 'ops@corp.example' },
    { webhook: hook.url },
    { log: path.join(dir, 'missing', 'alerts.jsonl') },
    { command: ['/nonexistent/mxray-action'], timeoutMs: 5000 },
    { log: logFile },
  ]);
  assert.deepEqual(
    out.map((o) => [o.action, o.ok]),
    [
      ['email', false],
      ['webhook', false],
      ['log', false],
      ['command', false],
      ['log', true],
    ],
  );
  assert.equal(out[0]!.detail, 'e-mail to ops@corp.example not sent: no notify.smtp section');
  assert.equal(out[1]!.detail, `webhook ${hook.url} failed: the webhook answered HTTP 500`);
  assert.match(out[2]!.detail, /^log .*missing\/alerts\.jsonl failed: ENOENT$/);
  assert.match(out[3]!.detail, /^command \/nonexistent\/mxray-action could not start: .*ENOENT/);
  assert.equal(readFileSync(logFile, 'utf8').split('\n').length, 2);

  // a webhook nobody listens on, and an SMTP server that is not there
  const closed = await httpListener(204);
  const deadUrl = closed.url;
  await closed.close();
  const run2 = actionRunner({ notify: notifyFor(Number(new URL(deadUrl).port), deadUrl) });
  const out2 = await run2(alert, [{ email: 'ops@corp.example' }, { webhook: '' }, { log: logFile }]);
  assert.deepEqual(
    out2.map((o) => [o.action, o.ok]),
    [
      ['email', false],
      ['webhook', false],
      ['log', true],
    ],
  );
  assert.match(out2[0]!.detail, /^e-mail to ops@corp\.example failed: .*ECONNREFUSED/);
  assert.match(out2[1]!.detail, /^webhook http:\/\/127\.0\.0\.1:\d+\/hook failed: /);
});

/** the process exists and is not a zombie */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

test('a command gets the alert in its environment; one that hangs is killed with its child at its timeout', async (t) => {
  const dir = tempDir(t);
  const seen = path.join(dir, 'seen.json');
  const run = actionRunner();
  const write = `require('node:fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ rule: process.env.MXRAY_RULE, origin: process.env.MXRAY_ORIGIN, alert: JSON.parse(process.env.MXRAY_ALERT) }))`;
  const [ok] = await run(alert, [{ command: [process.execPath, '-e', write], timeoutMs: 5000 }]);
  assert.equal(ok!.ok, true, ok!.detail);
  assert.match(ok!.detail, /^command .* exited 0 after \d+\.\d s$/);
  const got = JSON.parse(readFileSync(seen, 'utf8'));
  assert.equal(got.rule, 'large-deliveries');
  assert.equal(got.origin, 'MSGTRK20260302-1.LOG:42');
  assert.equal(got.alert.record['total-bytes'], 12345678);

  const script = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
require('node:fs').writeFileSync(${JSON.stringify(path.join(dir, 'child.pid'))}, String(c.pid)); setInterval(() => {}, 1000);`;
  const started = Date.now();
  const [hung, logged] = await run(alert, [{ command: [process.execPath, '-e', script], timeoutMs: 700 }, { log: path.join(dir, 'a.jsonl') }]);
  const took = Date.now() - started;
  assert.equal(hung!.ok, false);
  assert.match(hung!.detail, /hung and was killed with its processes at its 0\.7 s deadline$/);
  assert.ok(took >= 650 && took < 3000, `ended after ${took} ms`);
  assert.equal(logged!.ok, true, 'the log was written while the command hung');
  const child = Number(readFileSync(path.join(dir, 'child.pid'), 'utf8'));
  assert.ok(child > 0);
  for (let i = 0; i < 50 && alive(child); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(child), false, "the command's child is gone");
});
