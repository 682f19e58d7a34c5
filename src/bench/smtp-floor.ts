// The floor of the check benchmark: the conversation of `mxray check smtp://` with nothing else — a
// plain Node client, 64 at a time, that greets, says EHLO, STARTTLS, verifies the certificate against
// the CA (chain by OpenSSL, the name with X509Certificate.checkIP/checkHost, the expiry read), says
// EHLO again and QUIT — the same checks as mxray's probe (tls.ts), without its engine, presets,
// deadlines, transcripts and verdicts. What mxray needs beyond this is the cost of mxray itself.
//   node dist/bench/smtp-floor.js CA.pem PORTS-FILE  → prints "floor OK N of M"
import { readFileSync } from 'node:fs';
import { connect, isIP, type Socket } from 'node:net';
import tls from 'node:tls';

const [caFile, portsFile] = process.argv.slice(2) as [string, string];
const ports = readFileSync(portsFile, 'utf8').trim().split('\n').map(Number);
const context = tls.createSecureContext({ ca: [...tls.rootCertificates, readFileSync(caFile, 'utf8')] });
const host = '127.0.0.1';
const stub = (() => ({})) as unknown as tls.TLSSocket['getPeerCertificate'];

/** call `onLine` with each line the socket delivers; returns a function that stops it */
function lines(s: Socket, onLine: (line: string) => void): () => void {
  let buf = '';
  s.setEncoding('latin1');
  const onData = (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      onLine(line);
    }
  };
  s.on('data', onData);
  return () => s.off('data', onData);
}

function converse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), 10_000);
    let socket: Socket = connect(port, host);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    socket.on('error', () => done(false));
    let step = 0;
    const stop = lines(socket, (line) => {
      if (step === 0 && line.startsWith('220 ')) {
        step = 1;
        socket.write('EHLO floor\r\n');
      } else if (step === 1 && line.startsWith('250 ')) {
        step = 2;
        socket.write('STARTTLS\r\n');
      } else if (step === 2 && line.startsWith('220 ')) {
        stop();
        const t = tls.connect({
          socket,
          host,
          servername: isIP(host) ? undefined : host,
          secureContext: context,
          rejectUnauthorized: false,
          checkServerIdentity: () => undefined,
        });
        // as mxray's probe: no JS copy of the chain for Node's own name check (the name is checked below)
        t.getPeerCertificate = stub;
        socket = t;
        t.on('error', () => done(false));
        t.once('secureConnect', () => {
          delete (t as { getPeerCertificate?: unknown }).getPeerCertificate;
          const cert = t.getPeerX509Certificate();
          const named = cert && (isIP(host) ? cert.checkIP(host) : cert.checkHost(host)) !== undefined;
          if (!t.authorized || !named || !Number.isFinite(Date.parse(cert.validTo))) return done(false);
          t.write('EHLO floor\r\n');
          let after = 0;
          lines(t, (l) => {
            if (after === 0 && l.startsWith('250 ')) {
              after = 1;
              t.write('QUIT\r\n');
            } else if (after === 1 && l.startsWith('221')) done(true);
          });
        });
      }
    });
  });
}

let next = 0;
let ok = 0;
await Promise.all(
  Array.from({ length: Math.min(64, ports.length) }, async () => {
    while (next < ports.length) if (await converse(ports[next++]!)) ok++;
  }),
);
process.stdout.write(`floor OK ${ok} of ${ports.length}\n`);
