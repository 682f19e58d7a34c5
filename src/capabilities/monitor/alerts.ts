// Alerts: what the monitor says (a problem, a reminder, a recovery, a repair's outcome) and how it
// leaves: e-mail through notify.smtp (nodemailer) and a JSON POST to notify.webhook (or a route's
// own URL), each with a deadline. A delivery that fails is reported to the caller, never thrown
// into the schedule.
import type { ProbeResult, ProbeStatus } from './types.js';

export type AlertKind = 'problem' | 'reminder' | 'recovery' | 'repair';

export interface Alert {
  readonly kind: AlertKind;
  readonly host: string;
  readonly service: string;
  readonly instance: string;
  readonly url: string;
  /** the instance's state as the alert speaks of it */
  readonly status: ProbeStatus;
  /** ISO time */
  readonly at: string;
  /** ISO time the problem began (problem, reminder, recovery, repair) */
  readonly since: string | null;
  /** the result that made the alert */
  readonly failure: ProbeResult['failure'];
  readonly detail: string;
  readonly transcript: readonly string[] | null;
  /** instances whose alerts were folded into this one because this host or link is down */
  readonly suppressed: readonly string[];
  /** repair: what the command did */
  readonly repair?: string;
}

const word: Record<AlertKind, string> = { problem: 'PROBLEM', reminder: 'STILL', recovery: 'RECOVERY', repair: 'REPAIR' };

/** `PROBLEM: mx1.corp/SMTP/relay is CRITICAL (refused)` */
export function alertSubject(a: Alert): string {
  const what = `${a.host}/${a.service}/${a.instance}`;
  const state = a.status.toUpperCase();
  const why = a.failure ? ` (${a.failure})` : '';
  const folded = a.suppressed.length ? `, and ${a.suppressed.length} instance${a.suppressed.length === 1 ? '' : 's'} behind it` : '';
  return `${word[a.kind]}: ${what} is ${state}${why}${folded}`;
}

export function alertText(a: Alert): string {
  const lines = [alertSubject(a), '', `url: ${a.url}`, `time: ${a.at}`];
  if (a.since) lines.push(`since: ${a.since}`);
  if (a.repair) lines.push(`repair: ${a.repair}`);
  lines.push(`detail: ${a.detail}`);
  if (a.suppressed.length) {
    lines.push('', `Reached through ${a.host}, so not alerted on their own:`);
    for (const s of a.suppressed) lines.push(`  ${s}`);
  }
  if (a.transcript?.length) lines.push('', 'transcript:', ...a.transcript.map((l) => `  ${l}`));
  return `${lines.join('\n')}\n`;
}

/** how alerts leave: one call per alert and route; resolves when delivered, rejects with the reason */
export interface AlertSender {
  email?(to: readonly string[], subject: string, text: string): Promise<void>;
  webhook?(url: string | undefined, body: unknown): Promise<void>;
}

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  readonly security: 'starttls' | 'tls' | 'none';
  readonly user?: string;
  readonly password?: { reveal(): string };
  readonly from: string;
  readonly tls: { readonly caFile?: string; readonly verify: boolean; readonly serverName?: string };
  readonly timeoutMs: number;
}

export interface WebhookSettings {
  readonly url: string;
  readonly headers: Readonly<Record<string, string | { reveal(): string }>>;
  readonly timeoutMs: number;
}

/** e-mail through an SMTP server (notify.smtp) with nodemailer; loaded on first use */
export function smtpSender(smtp: SmtpSettings, readFile: (p: string) => string): NonNullable<AlertSender['email']> {
  let transport: Promise<{ sendMail(m: object): Promise<unknown> }> | undefined;
  const make = async () => {
    const nodemailer = (await import('nodemailer')).default;
    return nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.security === 'tls',
      ignoreTLS: smtp.security === 'none',
      requireTLS: smtp.security === 'starttls',
      ...(smtp.user && smtp.password ? { auth: { user: smtp.user, pass: smtp.password.reveal() } } : {}),
      tls: {
        rejectUnauthorized: smtp.tls.verify,
        ...(smtp.tls.caFile ? { ca: readFile(smtp.tls.caFile) } : {}),
        ...(smtp.tls.serverName ? { servername: smtp.tls.serverName } : {}),
      },
      connectionTimeout: smtp.timeoutMs,
      greetingTimeout: smtp.timeoutMs,
      socketTimeout: smtp.timeoutMs,
    });
  };
  return async (to, subject, text) => {
    transport ??= make();
    const t = await transport;
    await t.sendMail({ from: smtp.from, to: [...to], subject, text });
  };
}

/** a JSON POST with the webhook's headers, ended at its deadline; a status other than 2xx is a failure */
export function webhookSender(hook: WebhookSettings | undefined): NonNullable<AlertSender['webhook']> {
  return async (url, body) => {
    const target = url ?? hook?.url;
    if (!target) throw new Error('no webhook URL: set notify.webhook.url');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(hook?.headers ?? {})) headers[k] = typeof v === 'string' ? v : v.reveal();
    const res = await fetch(target, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(hook?.timeoutMs ?? 10_000) });
    // the body is read (and dropped) so the connection is released
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status > 299) throw new Error(`the webhook answered HTTP ${res.status}`);
  };
}
