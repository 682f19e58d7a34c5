// Service monitoring: the shared vocabulary of its parts. A target is one instance (a virtual server:
// address and port speaking one protocol); a probe talks to it and gives a result. The one-shot
// `mxray check`, the monitor in `mxray serve`, its history in the store and /metrics all use these.

export const schemes = ['smtp', 'smtps', 'submission', 'pop3', 'pop3s', 'imap', 'imaps', 'nntp', 'nntps', 'ftp', 'ftps', 'http', 'https', 'tcp'] as const;
export type Scheme = (typeof schemes)[number];

export interface TargetTls {
  /** PEM file of a CA to trust besides the system's */
  readonly ca?: string;
  /** the name to verify the certificate against (default: the URL's host) */
  readonly serverName?: string;
  /** accept any certificate (still report it and its expiry) */
  readonly insecure?: boolean;
}

/** a secret given by reference in the config, resolved when the probe runs (never printed) */
export interface TargetCredentials {
  readonly user: string;
  readonly password: string;
}

export interface ProbeTarget {
  /** the host as the config names it (the matrix cell) */
  readonly host: string;
  /** the service the instance belongs to (SMTP, IMAP …) */
  readonly service: string;
  /** the instance's name (default: address:port) */
  readonly instance: string;
  /** the URL it is probed at, credentials left out */
  readonly url: string;
  readonly scheme: Scheme;
  /** the preset that is run when it is not the scheme's own: a protocol a user added as a preset file
   *  (the scheme is then `tcp`) */
  readonly protocol?: string;
  /** host name or IP literal (IPv6 without brackets) */
  readonly address: string;
  readonly port: number;
  /** HTTP: the path and query */
  readonly path?: string;
  readonly tls: TargetTls;
  readonly timeoutMs: number;
  readonly credentials?: TargetCredentials;
  /** HTTP: accepted status codes and a regex the body must match */
  readonly http?: { readonly status?: readonly number[]; readonly body?: string };
  /** TCP (and presets that use ${expect}): a regex the first line must match */
  readonly expect?: string;
  /** Monitoring Plugins ranges on the total response time in seconds (`-w`, `-c`) */
  readonly warning?: string;
  readonly critical?: string;
  /** certificate days left at or below which the result is warning / critical */
  readonly certWarningDays?: number;
  readonly certCriticalDays?: number;
}

export type ProbeStatus = 'ok' | 'warning' | 'critical' | 'unknown';

/** why a probe failed: a small closed set */
export const failureCodes = [
  'dns',
  'refused',
  'timeout',
  'reset',
  'tls',
  'certificate',
  'banner',
  'expect',
  'auth',
  'http-status',
  'slow',
  'internal',
] as const;
export type FailureCode = (typeof failureCodes)[number];

/** the JSON contract of `mxray check --json` (README) */
export interface ProbeResult {
  readonly host: string;
  readonly service: string;
  readonly instance: string;
  readonly url: string;
  readonly status: ProbeStatus;
  readonly failure: FailureCode | null;
  readonly durationMs: number;
  /** milliseconds from the start of the probe; null for a phase not reached or not part of it */
  readonly phases: { readonly connect: number | null; readonly tls: number | null; readonly banner: number | null; readonly total: number };
  readonly certDaysLeft: number | null;
  /** one line: what was seen (the banner, the status line) or what went wrong */
  readonly detail: string;
  /** the conversation, for a failed probe (`C: …` / `S: …` lines, secrets masked); null when OK */
  readonly transcript: string[] | null;
  /** ISO time the probe started */
  readonly at: string;
}

/** a probe: never throws, never outlives target.timeoutMs (+ a small grace) */
export type Prober = (target: ProbeTarget, signal?: AbortSignal) => Promise<ProbeResult>;
