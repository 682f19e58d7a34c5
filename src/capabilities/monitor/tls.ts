// TLS for a probe: the handshake (implicit or after STARTTLS) with the target's ca, serverName and
// insecure settings, and what it tells about the certificate. The handshake never rejects an
// untrusted certificate by itself, so the certificate and its expiry are read in every case; the
// prober then decides (insecure: report only).
import { readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import type { TargetTls } from './types.js';

export interface TlsOutcome {
  readonly socket: tls.TLSSocket;
  readonly protocol: string;
  /** null when the server sent no certificate */
  readonly certDaysLeft: number | null;
  readonly subject: string;
  /** why the certificate is not trusted for this name; null when it is */
  readonly untrusted: string | null;
}

const contexts = new Map<string, tls.SecureContext>();

/** the client context of a probe: one per distinct CA file (the system's CAs alone under ''), made
 *  once and shared by every probe that uses it. Without a context of its own, tls.connect makes a
 *  fresh one per connection, loading the ~140 system certificates into it each time, which costs
 *  more than the handshake itself */
function contextFor(file: string | undefined): tls.SecureContext {
  const key = file ?? '';
  let c = contexts.get(key);
  if (!c) {
    c = tls.createSecureContext(file ? { ca: [...tls.rootCertificates, readFileSync(file, 'utf8')] } : {});
    contexts.set(key, c);
  }
  return c;
}

/** options for tls.connect: SNI only for a name (not an IP literal); the identity is checked against
 *  serverName, else the address */
export function tlsOptions(address: string, t: TargetTls): tls.ConnectionOptions {
  const name = t.serverName ?? address;
  return {
    host: name,
    servername: isIP(name) ? undefined : name,
    secureContext: contextFor(t.ca),
    rejectUnauthorized: false,
  };
}

export function certificateOf(s: tls.TLSSocket): { certDaysLeft: number | null; subject: string; untrusted: string | null } {
  // the X509Certificate object: cheaper than getPeerCertificate(), which converts every field to JS
  const cert = s.getPeerX509Certificate();
  const validTo = cert ? Date.parse(cert.validTo) : Number.NaN;
  const certDaysLeft = Number.isFinite(validTo) ? Math.round((validTo - Date.now()) / 8_640_000) / 10 : null;
  const subject = cert ? (/(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '') : '';
  const untrusted = s.authorized ? null : String(s.authorizationError ?? 'no certificate');
  return { certDaysLeft, subject, untrusted };
}

/** handshake over a connected socket; rejects with the socket's error */
export function upgrade(socket: Socket, address: string, t: TargetTls): Promise<TlsOutcome> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...tlsOptions(address, t), socket });
    // errors after the handshake are the conversation's; a late one must never be unhandled
    s.on('error', () => undefined);
    s.once('error', reject);
    s.once('secureConnect', () => {
      s.off('error', reject);
      resolve({ socket: s, protocol: s.getProtocol() ?? 'TLS', ...certificateOf(s) });
    });
  });
}
