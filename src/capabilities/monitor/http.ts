// The HTTP(S) prober: one GET of the URL's path (no redirects followed, no keep-alive), healthy when
// the status is accepted (target.http.status, default any 2xx/3xx) and the body, read up to 1 MiB,
// matches target.http.body. TLS as for every prober: the certificate is read and its expiry
// reported even when untrusted; untrusted fails unless insecure.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type { Preset } from './presets.js';
import { failureOfError, type ProbeClock, ProbeFailure, Transcript, verdict, type Phases } from './result.js';
import { certificateOf, tlsOptions } from './tls.js';
import type { ProbeResult, ProbeTarget } from './types.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export function probeHttp(target: ProbeTarget, preset: Preset, clock: ProbeClock, signal?: AbortSignal): Promise<ProbeResult> {
  const secure = preset.tls === 'implicit';
  const phases: Phases = { connect: null, tls: null, banner: null };
  const transcript = new Transcript();
  let certDaysLeft: number | null = null;
  const path = target.path || '/';
  transcript.add('C', `GET ${path} HTTP/1.1`);
  return new Promise<ProbeResult>((resolve) => {
    let done = false;
    let during: 'connect' | 'tls' | 'talk' = 'connect';
    const finish = (failure: ProbeFailure | null, seen: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(verdict(target, clock, { phases, certDaysLeft, seen, failure, transcript }));
    };
    const options: https.RequestOptions = {
      host: target.address,
      port: target.port,
      path,
      method: 'GET',
      agent: false,
      headers: { 'user-agent': 'mxray-check', connection: 'close' },
      ...(secure ? tlsOptions(target.address, target.tls) : {}),
    };
    const req = (secure ? https : http).request(options, (res) => {
      during = 'talk';
      phases.banner = clock.ms();
      const statusLine = `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage ?? ''}`.trim();
      transcript.add('S', statusLine);
      const status = res.statusCode ?? 0;
      const accepted = target.http?.status?.length ? target.http.status.includes(status) : status >= 200 && status < 400;
      if (!accepted) {
        finish(new ProbeFailure('http-status', `status ${status}, expected ${target.http?.status?.join(' or ') ?? '2xx or 3xx'}`), statusLine);
        return;
      }
      let bodyRe: RegExp | undefined;
      try {
        bodyRe = target.http?.body ? new RegExp(target.http.body) : undefined;
      } catch (e) {
        finish(new ProbeFailure('internal', `body pattern: ${(e as Error).message}`), statusLine);
        return;
      }
      if (!bodyRe) {
        finish(null, statusLine);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const check = () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (bodyRe.test(body)) finish(null, statusLine);
        else {
          transcript.add('S', body.slice(0, 200));
          finish(
            new ProbeFailure('expect', `the body${size >= MAX_BODY_BYTES ? `'s first ${MAX_BODY_BYTES} bytes` : ''} does not match /${bodyRe.source}/`),
            statusLine,
          );
        }
      };
      res.on('data', (d: Buffer) => {
        if (size >= MAX_BODY_BYTES) return;
        chunks.push(d);
        size += d.length;
        if (size >= MAX_BODY_BYTES) check();
      });
      res.on('end', check);
      res.on('error', (e) => finish(failureOfError(e, 'talk'), statusLine));
    });
    req.on('socket', (s: Socket) => {
      s.once('connect', () => {
        phases.connect = clock.ms();
        if (secure) during = 'tls';
      });
      if (secure)
        s.once('secureConnect', () => {
          phases.tls = clock.ms();
          during = 'talk';
          const c = certificateOf(s as TLSSocket);
          certDaysLeft = c.certDaysLeft;
          transcript.add('--', `${(s as TLSSocket).getProtocol()}${c.certDaysLeft !== null ? `, certificate ${c.certDaysLeft} days left` : ''}`);
          if (c.untrusted && !target.tls.insecure) finish(new ProbeFailure('certificate', `certificate not trusted: ${c.untrusted}`), '');
        });
    });
    req.on('error', (e) => finish(failureOfError(e, during), ''));
    const timer = setTimeout(
      () => finish(new ProbeFailure('timeout', `no complete answer within ${target.timeoutMs} ms`), ''),
      Math.max(0, clock.deadline(target.timeoutMs) - performance.now()),
    );
    const onAbort = () => finish(new ProbeFailure('timeout', 'stopped'), '');
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}
