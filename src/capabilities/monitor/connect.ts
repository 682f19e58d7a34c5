// A probe that only connects (TCP, and TLS for the implicit-TLS schemes): what `mxray serve` uses
// when the conversation engine (engine.ts) is not part of the build. It keeps the Prober contract:
// never throws, ends at the target's deadline, reports the certificate's days left.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { FailureCode, ProbeResult, ProbeTarget, Prober } from './types.js';

const implicitTls = new Set(['smtps', 'pop3s', 'imaps', 'nntps', 'ftps', 'https']);

export const connectProber: Prober = (t: ProbeTarget, signal?: AbortSignal) =>
  new Promise<ProbeResult>((resolve) => {
    const at = new Date().toISOString();
    const start = performance.now();
    const ms = () => Math.round((performance.now() - start) * 10) / 10;
    let connectMs: number | null = null;
    let tlsMs: number | null = null;
    let done = false;
    let sock: Socket | TLSSocket;
    const finish = (status: ProbeResult['status'], failure: FailureCode | null, detail: string, certDaysLeft: number | null = null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      const total = ms();
      resolve({
        host: t.host,
        service: t.service,
        instance: t.instance,
        url: t.url,
        status,
        failure,
        durationMs: total,
        phases: { connect: connectMs, tls: tlsMs, banner: null, total },
        certDaysLeft,
        detail,
        transcript: status === 'ok' ? null : [`C: (connect to ${t.address} port ${t.port})`, `!: ${detail}`],
        at,
      });
    };
    const onAbort = () => finish('unknown', 'internal', 'stopped');
    const timer = setTimeout(() => finish('critical', 'timeout', `no answer within ${t.timeoutMs} ms`), t.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    const useTls = implicitTls.has(t.scheme);
    sock = useTls
      ? tlsConnect({ host: t.address, port: t.port, servername: t.tls.serverName ?? t.address, rejectUnauthorized: !t.tls.insecure })
      : tcpConnect({ host: t.address, port: t.port });
    sock.once('connect', () => {
      connectMs = ms();
      if (!useTls) finish('ok', null, `connected to ${t.address} port ${t.port} in ${connectMs} ms`);
    });
    sock.once('secureConnect', () => {
      tlsMs = ms();
      const cert = (sock as TLSSocket).getPeerCertificate();
      const days = cert?.valid_to ? Math.floor((Date.parse(cert.valid_to) - Date.now()) / 86_400_000) : null;
      const status =
        days !== null && t.certCriticalDays !== undefined && days <= t.certCriticalDays
          ? 'critical'
          : days !== null && t.certWarningDays !== undefined && days <= t.certWarningDays
            ? 'warning'
            : 'ok';
      finish(status, status === 'ok' ? null : 'certificate', `TLS to ${t.address} port ${t.port} in ${tlsMs} ms, certificate ${days} days left`, days);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      const code: FailureCode =
        e.code === 'ECONNREFUSED'
          ? 'refused'
          : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
            ? 'dns'
            : e.code === 'ECONNRESET'
              ? 'reset'
              : useTls
                ? 'tls'
                : 'internal';
      finish('critical', code, e.message);
    });
  });
