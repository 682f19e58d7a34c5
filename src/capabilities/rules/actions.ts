// What a fired rule does: e-mail and webhook through the `notify` section (the monitor's senders),
// a command run as an argv without a shell and killed with its process tree at its timeout (the
// monitor's repair runner), and `log`, one JSON line per alert appended to a file. The actions of one
// alert run side by side; one that fails is reported in its outcome and does not stop the others.
import { appendFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type * as z from 'zod';
import type { notifySection } from '../../config/sections/notify.js';
import { smtpSender, webhookSender } from '../monitor/alerts.js';
import { describeRepair, runRepair } from '../monitor/repair.js';
import type { ActionOutcome, ActionRunner, FiredAlert, RuleAction } from './ports.js';

export type NotifyConfig = z.output<typeof notifySection.schema>;

export interface ActionRunnerOptions {
  /** the notify section (undefined: none configured; e-mail then fails with a clear reason) */
  readonly notify?: NotifyConfig | undefined;
  /** reads the SMTP CA file (default: readFileSync) */
  readonly readFile?: (path: string) => string;
}

/** the command sees the alert in its environment; the whole alert as JSON when it is short enough for
 *  every platform (Windows caps the whole environment block at 32,767 characters) */
const ENV_ALERT_MAX = 8000;

/** JSON for records from the store: BIGINT columns arrive as bigint, times as Date */
function replacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

/** the alert as the webhook, the log and the command receive it */
export function alertJson(alert: FiredAlert): Record<string, unknown> {
  return {
    rule: alert.rule,
    source: alert.source,
    firedAt: alert.firedAt.toISOString(),
    recordTime: alert.recordTime,
    origin: alert.origin,
    matches: alert.matches,
    record: alert.record,
  };
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

/** `mxray rule large-deliveries fired (tracking, 2026-03-02T10:00:00Z)` */
export function alertSubject(alert: FiredAlert): string {
  return oneLine(`mxray rule ${alert.rule} fired (${alert.source}${alert.recordTime ? `, ${alert.recordTime}` : ''})`);
}

function show(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === 'object') return JSON.stringify(v, replacer);
  return String(v);
}

export function alertText(alert: FiredAlert): string {
  const lines = [
    alertSubject(alert),
    '',
    `rule: ${alert.rule}`,
    `source: ${alert.source}`,
    `fired at: ${alert.firedAt.toISOString()}`,
    `record time: ${alert.recordTime ?? '(none)'}`,
    `from: ${alert.origin ? `${alert.origin.file}:${alert.origin.line}` : '(unknown)'}`,
    `matches in the threshold period: ${alert.matches}`,
    '',
    'record:',
  ];
  for (const [k, v] of Object.entries(alert.record)) if (v !== null && v !== undefined && v !== '') lines.push(`  ${k}: ${oneLine(show(v))}`);
  return `${lines.join('\n')}\n`;
}

function commandEnv(alert: FiredAlert): NodeJS.ProcessEnv {
  const json = JSON.stringify(alertJson(alert), replacer);
  return {
    ...process.env,
    MXRAY_RULE: alert.rule,
    MXRAY_SOURCE: alert.source,
    MXRAY_FIRED_AT: alert.firedAt.toISOString(),
    MXRAY_RECORD_TIME: alert.recordTime ?? '',
    MXRAY_ORIGIN: alert.origin ? `${alert.origin.file}:${alert.origin.line}` : '',
    MXRAY_MATCHES: String(alert.matches),
    ...(json.length <= ENV_ALERT_MAX ? { MXRAY_ALERT: json } : {}),
  };
}

const why = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** carries out actions with the notify section's senders */
export function actionRunner(opts: ActionRunnerOptions = {}): ActionRunner {
  const smtp = opts.notify?.smtp;
  const hook = opts.notify?.webhook;
  const email = smtp ? smtpSender(smtp, opts.readFile ?? ((p) => readFileSync(p, 'utf8'))) : undefined;
  const webhook = webhookSender(hook ? { url: hook.url, headers: hook.headers, timeoutMs: hook.timeoutMs } : undefined);

  const one = async (alert: FiredAlert, a: RuleAction): Promise<ActionOutcome> => {
    if ('email' in a) {
      const to = a.email
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      if (!email) return { action: 'email', ok: false, detail: `e-mail to ${to.join(', ')} not sent: no notify.smtp section` };
      try {
        await email(to, alertSubject(alert), alertText(alert));
        return { action: 'email', ok: true, detail: `e-mail sent to ${to.join(', ')}` };
      } catch (e) {
        return { action: 'email', ok: false, detail: `e-mail to ${to.join(', ')} failed: ${why(e)}` };
      }
    }
    if ('webhook' in a) {
      const url = a.webhook || undefined;
      const shown = url ?? hook?.url ?? '(no URL)';
      try {
        // one JSON text: bigint fields made plain numbers (or text) before fetch serialises it
        await webhook(url, JSON.parse(JSON.stringify(alertJson(alert), replacer)));
        return { action: 'webhook', ok: true, detail: `webhook ${shown} accepted the alert` };
      } catch (e) {
        const err = e as Error;
        const reason = err.name === 'TimeoutError' ? `no answer within ${hook?.timeoutMs ?? 10_000} ms` : why(e);
        return { action: 'webhook', ok: false, detail: `webhook ${shown} failed: ${reason}` };
      }
    }
    if ('command' in a) {
      if (a.command.length === 0) return { action: 'command', ok: false, detail: 'command: empty argv' };
      const o = await runRepair(a.command, a.timeoutMs, commandEnv(alert));
      return { action: 'command', ok: o.exitCode === 0 && !o.timedOut, detail: describeRepair(a.command, o).replace(/^repair /, 'command ') };
    }
    try {
      await appendFile(a.log, `${JSON.stringify(alertJson(alert), replacer)}\n`, 'utf8');
      return { action: 'log', ok: true, detail: `logged to ${a.log}` };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return { action: 'log', ok: false, detail: `log ${a.log} failed: ${err.code ?? why(e)}` };
    }
  };

  return (alert, actions) =>
    Promise.all(
      actions.map((a) =>
        one(alert, a).catch(
          (e: unknown): ActionOutcome => ({
            action: 'email' in a ? 'email' : 'webhook' in a ? 'webhook' : 'command' in a ? 'command' : 'log',
            ok: false,
            detail: why(e),
          }),
        ),
      ),
    );
}
