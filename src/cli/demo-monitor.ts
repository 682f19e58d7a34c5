// npm run demo's monitoring case, without root or Debian servers: small listeners in this process on
// 127.0.0.1 stand in for two mail hosts — SMTP servers that speak the real conversation (banner, EHLO,
// STARTTLS with a certificate, EHLO, QUIT) and, on mx1, a second virtual server that is stopped (its
// port refuses): the seed's lesson that a running service can hide a stopped instance. `mxray check`
// answers CRITICAL (exit 2) with a `*` before the stopped instance, the matrix shows mx1 red and mx2
// green, `mxray serve` runs one round and stores it, and `mxray monitor history` reports it.
// The certificate (demo-only.pem/.key, valid until 2126, for localhost and 127.0.0.1) is for this
// demo only: its key is public.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { startServe } from '../serve/serve.js';

type Run = (argv: string[]) => Promise<number>;

/** the demo's certificate files (in src/, read from dist/ at run time like the presets) */
const certDir = fileURLToPath(new URL('../../src/cli/demo-monitor/', import.meta.url));

/** an SMTP server small enough for a demo: 220, EHLO (offering STARTTLS until TLS is on), STARTTLS, QUIT */
function smtpServer(context: tls.SecureContext): Server {
  const speak = (s: Socket, secure: boolean) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const verb = buf.slice(0, i).trim().slice(0, 8).toUpperCase();
        buf = buf.slice(i + 1);
        if (verb.startsWith('EHLO') || verb.startsWith('HELO'))
          s.write(secure ? '250-demo.example.org\r\n250 8BITMIME\r\n' : '250-demo.example.org\r\n250-8BITMIME\r\n250 STARTTLS\r\n');
        else if (verb === 'STARTTLS' && !secure) {
          s.off('data', onData);
          s.write('220 2.0.0 Ready to start TLS\r\n');
          const t = new tls.TLSSocket(s, { isServer: true, secureContext: context });
          t.on('error', () => t.destroy());
          speak(t, true);
          return;
        } else if (verb === 'QUIT') {
          s.end('221 2.0.0 Bye\r\n');
          return;
        } else s.write('250 2.0.0 Ok\r\n');
      }
    };
    s.on('data', onData);
  };
  return createServer((s) => {
    s.on('error', () => s.destroy());
    s.write('220 demo.example.org ESMTP mxray demo\r\n');
    speak(s, false);
  });
}

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** a port on 127.0.0.1 where nothing listens (taken, then let go) */
async function refusingPort(): Promise<number> {
  const s = createServer();
  const port = await listening(s);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export async function demoMonitoring(out: string, run: Run): Promise<void> {
  mkdirSync(out, { recursive: true });
  const db = join(out, 'monitor.duckdb');
  for (const f of [db, `${db}.wal`, `${db}.monitor-state.json`]) rmSync(f, { force: true });
  copyFileSync(join(certDir, 'demo-only.pem'), join(out, 'demo-only.pem'));
  const context = tls.createSecureContext({ cert: readFileSync(join(certDir, 'demo-only.pem')), key: readFileSync(join(certDir, 'demo-only.key')) });
  const servers = [smtpServer(context), smtpServer(context)];
  try {
    const [mx1, mx2] = await Promise.all(servers.map(listening));
    const stopped = await refusingPort();
    const config = join(out, 'mxray.yaml');
    writeFileSync(
      config,
      `# the monitoring demo: two mail hosts on this machine; mx1's second SMTP virtual server is stopped
monitor:
  defaults:
    intervalMs: 1000                  # serve's first round spreads over at most one interval
    timeoutMs: 3000
    failures: 1                       # alert on the first failed probe
    tls: { ca: demo-only.pem }        # the demo servers' certificate
  hosts:
    - name: mx1.demo
      services:
        - name: SMTP
          instances:
            - { url: smtp://127.0.0.1:${mx1}, name: default }
            - { url: smtp://127.0.0.1:${stopped}, name: relay }
    - name: mx2.demo
      services:
        - name: SMTP
          instances:
            - { url: smtp://127.0.0.1:${mx2}, name: default }
`,
    );
    const show = async (args: string[], want: number) => {
      process.stdout.write(`\n$ mxray ${args.join(' ')}; echo "exit $?"\n`);
      // in-process: a command's exit code is process.exitCode, which must not carry over to the next
      process.exitCode = undefined;
      const code = await run(['node', 'mxray', ...args]);
      process.exitCode = undefined;
      process.stdout.write(`exit ${code}\n`);
      if (code !== want) throw new Error(`mxray ${args.join(' ')}: exit ${code}, expected ${want}`);
    };
    process.stdout.write(`\n${config}: mx1.demo (SMTP default on port ${mx1}, relay on port ${stopped}: stopped), mx2.demo (SMTP on port ${mx2})\n`);
    // a Monitoring Plugin: CRITICAL is exit 2
    await show(['check', '--config', config], 2);
    await show(['check', '--config', config, '--matrix'], 2);

    // serve: one round of the schedule, stored in the DuckDB file, then stopped
    process.stdout.write(`\n$ mxray serve --config ${config} --db ${db} --port 0   # stopped after its first round\n`);
    const serving = await startServe({ config, db, port: 0, watch: false, log: (line) => process.stdout.write(`mxray serve: ${line}\n`) });
    try {
      const deadline = Date.now() + 10_000;
      let metrics = '';
      for (;;) {
        metrics = await (await fetch(`${serving.url}/metrics`)).text();
        if ((metrics.match(/^probe_success\{/gm) ?? []).length >= 3) break;
        if (Date.now() > deadline) throw new Error('serve: no probe results within 10 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      process.stdout.write(`\n$ curl -s ${serving.url}/metrics | grep '^probe_'\n`);
      process.stdout.write(
        `${metrics
          .split('\n')
          .filter((l) => l.startsWith('probe_'))
          .join('\n')}\n`,
      );
    } finally {
      await serving.stop();
    }
    await show(['monitor', 'history', '--db', db], 0);
  } finally {
    for (const s of servers) s.close();
  }
}

// alone: node dist/cli/demo-monitor.js [OUT]  (npm run demo runs it after the other cases)
if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const { run } = await import('./main.js');
  await demoMonitoring(join(process.argv[2] ?? 'demo-out', 'monitor'), run);
}
