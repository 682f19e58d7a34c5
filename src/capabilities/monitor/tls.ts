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

const caCache = new Map<string, string[]>();

/** the CAs to trust: the system's plus the target's PEM file (read once per file) */
function caList(file: string): string[] {
  let list = caCache.get(file);
  if (!list) {
    list = [...tls.rootCertificates, readFileSync(file, 'utf8')];
    caCache.set(file, list);
  }
  return list;
}

/** options for tls.connect: SNI only for a name (not an IP literal); the identity is checked against
 *  serverName, else the address */
export function tlsOptions(address: string, t: TargetTls): tls.ConnectionOptions {
  const name = t.serverName ?? address;
  return {
    host: name,
    servername: isIP(name) ? undefined : name,
    ca: t.ca ? caList(t.ca) : undefined,
    rejectUnauthorized: false,
  };
}

export function certificateOf(s: tls.TLSSocket): { certDaysLeft: number | null; subject: string; untrusted: string | null } {
  const cert = s.getPeerCertificate();
  const has = cert && Object.keys(cert).length > 0;
  const validTo = has ? Date.parse(cert.valid_to) : Number.NaN;
  const certDaysLeft = Number.isFinite(validTo) ? Math.round((validTo - Date.now()) / 8_640_000) / 10 : null;
  const subject = has ? (cert.subject?.CN ?? '') : '';
  const untrusted = s.authorized ? null : String(s.authorizationError ?? 'no certificate');
  return { certDaysLeft, subject: Array.isArray(subject) ? subject.join(',') : subject, untrusted };
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
