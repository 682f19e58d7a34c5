// TLS for a probe: the handshake (implicit or after STARTTLS) with the target's ca, serverName and
// insecure settings, and what it tells about the certificate. The handshake never rejects an
// untrusted certificate by itself, so the certificate and its expiry are read in every case; the
// prober then decides (insecure: report only).
import { readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import type { X509Certificate } from 'node:crypto';
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

export function certificateOf(s: tls.TLSSocket, peer?: X509Certificate): { certDaysLeft: number | null; subject: string; untrusted: string | null } {
  // the X509Certificate object: cheaper than getPeerCertificate(), which converts every field to JS
  const cert = peer ?? s.getPeerX509Certificate();
  const validTo = cert ? Date.parse(cert.validTo) : Number.NaN;
  const certDaysLeft = Number.isFinite(validTo) ? Math.round((validTo - Date.now()) / 8_640_000) / 10 : null;
  const subject = cert ? (/(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '') : '';
  const untrusted = s.authorized ? null : String(s.authorizationError ?? 'no certificate');
  return { certDaysLeft, subject, untrusted };
}

/** the name check of tls.checkServerIdentity (RFC 6125: an IP literal against the IP addresses of
 *  the subjectAltName; a name against its DNS names, wildcards in the first label, the subject's CN
 *  only when there are none), done by OpenSSL on the certificate as it is (X509_check_host / _ip) */
export function identityError(cert: X509Certificate | undefined, name: string): Error | undefined {
  if (!cert) return Object.assign(new Error('the server sent no certificate'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  const ip = isIP(name) !== 0;
  if (ip ? cert.checkIP(name) !== undefined : cert.checkHost(name) !== undefined) return undefined;
  const names = cert.subjectAltName ?? `CN=${/(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? ''}`;
  return Object.assign(new Error(`${ip ? 'IP' : 'Host'}: ${name} is not in the certificate's names: ${names}`), {
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
  });
}

const stubPeerCertificate = (() => ({})) as unknown as tls.TLSSocket['getPeerCertificate'];

/** handshake over a connected socket; rejects with the socket's error */
export function upgrade(socket: Socket, address: string, t: TargetTls): Promise<TlsOutcome> {
  return new Promise((resolve, reject) => {
    // Node ends every client handshake by converting the peer's whole chain to JS objects
    // (getPeerCertificate(true): every field, fingerprints, raw DER, re-decoding its public key) only
    // to hand them to checkServerIdentity — a tenth of a probe's CPU. The same check is made here on
    // the native certificate (identityError): while the handshake ends, this socket's
    // getPeerCertificate gives Node a stub that only our checkServerIdentity sees, then is removed.
    // The chain is still verified by OpenSSL against the CAs (s.authorized) as before.
    const opts = tlsOptions(address, t);
    const name = opts.host!;
    let peer: X509Certificate | undefined;
    let mismatch: Error | undefined;
    const s: tls.TLSSocket = tls.connect({
      ...opts,
      socket,
      checkServerIdentity: (): Error | undefined => {
        peer = s.getPeerX509Certificate();
        mismatch = identityError(peer, name);
        return mismatch;
      },
    });
    s.getPeerCertificate = stubPeerCertificate;
    // errors after the handshake are the conversation's; a late one must never be unhandled
    s.on('error', () => undefined);
    s.once('error', reject);
    s.once('secureConnect', () => {
      delete (s as { getPeerCertificate?: unknown }).getPeerCertificate;
      s.off('error', reject);
      const c = certificateOf(s, peer);
      // the name that did not match, beside Node's code for it
      const untrusted =
        c.untrusted && mismatch && c.untrusted === (mismatch as NodeJS.ErrnoException).code ? `${c.untrusted}: ${mismatch.message}` : c.untrusted;
      resolve({ socket: s, protocol: s.getProtocol() ?? 'TLS', ...c, untrusted });
    });
  });
}
