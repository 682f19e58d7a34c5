// The benchmark's 1,000 instances: one process listening on N loopback ports, each an SMTP server
// small enough not to be the bottleneck (220 banner, EHLO with STARTTLS, the TLS upgrade with an
// ECDSA certificate, EHLO again, QUIT). A node server instead of 1,000 Postfix listeners: Postfix
// forks an smtpd per connection under a process limit (100 by default), so the benchmark would
// measure Postfix's process pool, not the checker. Runs until its stdin closes.
//   node dist/bench/smtp-farm.js COUNT CERT.pem KEY.pem  → prints {"ports":[…]} when all listen
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import tls from 'node:tls';

const [count, certFile, keyFile] = process.argv.slice(2) as [string, string, string];
const context = tls.createSecureContext({ cert: readFileSync(certFile), key: readFileSync(keyFile) });

function speak(s: Socket | tls.TLSSocket, secure: boolean): void {
  let buf = '';
  const onData = (d: Buffer) => {
    buf += d.toString('latin1');
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      const cmd = line.slice(0, 4).toUpperCase();
      if (cmd === 'EHLO' || cmd === 'HELO') s.write(secure ? '250-farm\r\n250 8BITMIME\r\n' : '250-farm\r\n250-8BITMIME\r\n250 STARTTLS\r\n');
      else if (cmd === 'STAR' && !secure) {
        s.write('220 2.0.0 Ready to start TLS\r\n');
        s.off('data', onData);
        const t = new tls.TLSSocket(s, { isServer: true, secureContext: context });
        t.on('error', () => t.destroy());
        speak(t, true);
        return;
      } else if (cmd === 'QUIT') {
        s.end('221 2.0.0 Bye\r\n');
        return;
      } else s.write('250 2.0.0 Ok\r\n');
      i = buf.indexOf('\n');
    }
  };
  s.on('data', onData);
}

const ports: number[] = [];
const servers = Array.from({ length: Number(count) }, () =>
  createServer((s) => {
    s.on('error', () => s.destroy());
    s.write('220 farm.example.org ESMTP bench\r\n');
    speak(s, false);
  }),
);
for (const server of servers) {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', 511, r));
  ports.push((server.address() as { port: number }).port);
}
process.stdout.write(`${JSON.stringify({ ports })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
