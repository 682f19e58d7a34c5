// What every prober shares: the clock of a probe and its phases, the failure it ends with, the
// bounded transcript with secrets masked, and the verdict — a failed conversation is critical; an
// answered one may still be warning or critical for its certificate's days left or its response time
// (Monitoring Plugins ranges, `-w`/`-c`).
import { performance } from 'node:perf_hooks';
import { alerts, parseRange, RangeSyntaxError } from './range.js';
import type { FailureCode, ProbeResult, ProbeStatus, ProbeTarget } from './types.js';

export const DEFAULT_CERT_WARNING_DAYS = 14;
export const DEFAULT_CERT_CRITICAL_DAYS = 3;

/** a probe's end as a failure; thrown inside a prober only, never out of it */
export class ProbeFailure extends Error {
  constructor(
    readonly code: FailureCode,
    detail: string,
  ) {
    super(detail);
  }
}

/** how errno codes of sockets and lookups read as failure codes */
export function failureOfError(e: unknown, during: 'connect' | 'tls' | 'talk'): ProbeFailure {
  if (e instanceof ProbeFailure) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err?.code ?? '';
  const text = `${code ? `${code} ` : ''}${err?.message ?? String(e)}`.trim();
  if (['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA'].includes(code)) return new ProbeFailure('dns', `name not resolved: ${text}`);
  if (code === 'ECONNREFUSED') return new ProbeFailure('refused', 'connection refused');
  if (['EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(code)) return new ProbeFailure('refused', `unreachable: ${text}`);
  if (code === 'ETIMEDOUT') return new ProbeFailure('timeout', text);
  if (['ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes(code))
    return new ProbeFailure('reset', during === 'tls' ? `connection reset during the TLS handshake` : `connection reset by the server`);
  if (during === 'tls') return new ProbeFailure('tls', `TLS handshake failed: ${text}`);
  return new ProbeFailure(during === 'connect' ? 'refused' : 'reset', text);
}

const TRANSCRIPT_LINES = 60;
const TRANSCRIPT_WIDTH = 240;

/** the conversation as `C: …` / `S: …` lines: secrets masked, lines cut, at most 60 kept. Lines are
 *  kept as they came and masked, escaped and cut only when list() is called — for a failed probe; an
 *  OK one (nearly all) never pays for it. What is kept of a line is bounded: enough to show its first
 *  240 characters with any secret in them masked whole */
export class Transcript {
  private readonly lines: { prefix: string; text: string; length: number }[] = [];
  private dropped = 0;
  private readonly keep: number;
  constructor(private readonly secrets: readonly string[] = []) {
    this.keep = TRANSCRIPT_WIDTH + secrets.reduce((n, s) => Math.max(n, s.length), 0);
  }

  add(prefix: 'C' | 'S' | '--', text: string): void {
    if (this.lines.length >= TRANSCRIPT_LINES) {
      this.dropped++;
      return;
    }
    this.lines.push({ prefix, text: text.length > this.keep ? text.slice(0, this.keep) : text, length: text.length });
  }

  list(): string[] {
    const out = this.lines.map(({ prefix, text, length }) => {
      let t = text;
      for (const s of this.secrets) if (s) t = t.split(s).join('****');
      // control characters would garble a terminal or a mail body
      t = t.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
      // the whole line's length: as shown (masked, escaped) when all of it was kept
      if (t.length > TRANSCRIPT_WIDTH || length > text.length) t = `${t.slice(0, TRANSCRIPT_WIDTH)}… (${length > text.length ? length : t.length} characters)`;
      return `${prefix}: ${t}`;
    });
    return this.dropped ? [...out, `… ${this.dropped} more lines`] : out;
  }
}

export interface Phases {
  connect: number | null;
  tls: number | null;
  banner: number | null;
}

export class ProbeClock {
  readonly at = new Date().toISOString();
  private readonly t0 = performance.now();
  /** milliseconds since the start, to 0.1 ms */
  ms(): number {
    return Math.round((performance.now() - this.t0) * 10) / 10;
  }
  /** performance.now() of the start plus `ms` */
  deadline(ms: number): number {
    return this.t0 + ms;
  }
}

const rank: Record<ProbeStatus, number> = { ok: 0, warning: 1, unknown: 2, critical: 3 };

/** the worse of two statuses: critical > unknown > warning > ok */
export function worse(a: ProbeStatus, b: ProbeStatus): ProbeStatus {
  return rank[a] >= rank[b] ? a : b;
}

function oneLine(s: string): string {
  // a banner is one line already (the engine splits at LF and drops the CR): no regex for it
  const t = (s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]+/g, ' ') : s).trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

export interface Outcome {
  readonly phases: Phases;
  readonly certDaysLeft: number | null;
  /** what was seen: the banner, the status line */
  readonly seen: string;
  readonly failure: ProbeFailure | null;
  readonly transcript: Transcript;
}

/** the result of a probe from what happened. Each result is one object literal with its fields in
 *  the order --json has always printed them (no spreads of partial objects: a probe's verdict was ~3% of its
 *  instructions, measured with callgrind, issue 19) */
export function verdict(target: ProbeTarget, clock: ProbeClock, o: Outcome): ProbeResult {
  const total = clock.ms();
  const p = o.phases;
  const phases = { connect: p.connect, tls: p.tls, banner: p.banner, total };
  if (o.failure) {
    return {
      host: target.host,
      service: target.service,
      instance: target.instance,
      url: target.url,
      status: o.failure.code === 'internal' ? 'unknown' : 'critical',
      failure: o.failure.code,
      durationMs: total,
      phases,
      certDaysLeft: o.certDaysLeft,
      at: clock.at,
      detail: oneLine(o.failure.message),
      transcript: o.transcript.list(),
    };
  }
  let status: ProbeStatus = 'ok';
  let failure: FailureCode | null = null;
  const problems: string[] = [];
  const raise = (s: ProbeStatus, f: FailureCode, why: string) => {
    if (rank[s] > rank[status]) {
      status = s;
      failure = f;
    }
    problems.push(why);
  };
  if (o.certDaysLeft !== null) {
    const crit = target.certCriticalDays ?? DEFAULT_CERT_CRITICAL_DAYS;
    const warn = target.certWarningDays ?? DEFAULT_CERT_WARNING_DAYS;
    if (o.certDaysLeft <= crit) raise('critical', 'certificate', `certificate expires in ${o.certDaysLeft} days (critical at ${crit})`);
    else if (o.certDaysLeft <= warn) raise('warning', 'certificate', `certificate expires in ${o.certDaysLeft} days (warning at ${warn})`);
  }
  const seconds = total / 1000;
  try {
    if (target.critical && alerts(parseRange(target.critical), seconds))
      raise('critical', 'slow', `response time ${seconds.toFixed(3)} s outside the critical range ${target.critical}`);
    else if (target.warning && alerts(parseRange(target.warning), seconds))
      raise('warning', 'slow', `response time ${seconds.toFixed(3)} s outside the warning range ${target.warning}`);
  } catch (e) {
    if (!(e instanceof RangeSyntaxError)) throw e;
    raise('unknown', 'internal', e.message);
  }
  const detail = oneLine(problems.length ? `${problems.join('; ')} — ${o.seen}` : o.seen);
  return {
    host: target.host,
    service: target.service,
    instance: target.instance,
    url: target.url,
    status,
    failure,
    durationMs: total,
    phases,
    certDaysLeft: o.certDaysLeft,
    at: clock.at,
    detail,
    transcript: status === 'ok' ? null : o.transcript.list(),
  };
}
