// Scheduled verify as a part of serve (integrity.verify in the config): the store serve holds is
// verified every interval (never two at once), against integrity.anchor when given, moving the anchor
// after an intact verify when updateAnchor says so. A store found tampered is alerted once through the
// notify section (the monitor's senders) — again only after a verify found it intact in between — and
// the last result is at /api/integrity (read-only JSON) and as mxray_integrity_intact in /metrics.
import { readFileSync } from 'node:fs';
import { Gauge } from 'prom-client';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { smtpSender, webhookSender } from '../capabilities/monitor/alerts.js';
import { configuredSealKey } from '../cli/common.js';
import { describeVerify, verifyStore } from '../cli/verify.js';
import { sealKey, type VerifyResult } from '../store/integrity/seal.js';
import { json } from './http.js';
import type { Part, PartContext } from './part.js';

export interface IntegrityState {
  intervalMs: number;
  /** verifies finished (intact, tampered or failed) */
  runs: number;
  running: boolean;
  lastAt: string | null;
  /** the last verify's result; null before the first or when it failed */
  last: VerifyResult | null;
  /** why the last verify could not tell (the store unreadable, a keyed store without its key) */
  error: string | null;
  /** the tampering found has been alerted (re-armed by an intact verify) */
  alerted: boolean;
  alerts: { at: string; to: string; ok: boolean; error?: string }[];
}

function check(config: Config): void {
  const s = config.section('integrity');
  const a = s?.verify?.alert;
  const notify = config.section('notify');
  const file = config.file?.shown ?? 'mxray.yaml';
  const problems = [];
  if (a?.email && !notify?.smtp)
    problems.push({ file, path: 'integrity.verify.alert.email', message: 'e-mail alerts need notify.smtp (the server to send them through)' });
  if (a?.webhook === true && !notify?.webhook)
    problems.push({ file, path: 'integrity.verify.alert.webhook', message: 'webhook: true needs notify.webhook (or give webhook: { url: … })' });
  if (problems.length) throw new ConfigError(problems);
}

export const integrityPart: Part = {
  name: 'integrity',
  section: 'integrity',
  async start(ctx: PartContext) {
    let config = ctx.config;
    check(config);
    const first = config.section('integrity')!;
    if (!first.verify) {
      ctx.log('no integrity.verify in the config: the store is not verified on a schedule');
      return { async stop() {} };
    }
    const state: IntegrityState = {
      intervalMs: first.verify.interval,
      runs: 0,
      running: false,
      lastAt: null,
      last: null,
      error: null,
      alerted: false,
      alerts: [],
    };
    const gauge =
      (ctx.metrics.getSingleMetric('mxray_integrity_intact') as Gauge | undefined) ??
      new Gauge({
        name: 'mxray_integrity_intact',
        help: "Whether serve's last verify found the store as it was sealed (1), tampered (0)",
        registers: [ctx.metrics],
      });

    const alert = async (r: VerifyResult) => {
      const s = config.section('integrity')!;
      const a = s.verify?.alert;
      if (!a) return;
      const notify = config.section('notify');
      const subject = `TAMPERED: the mxray store ${r.store} is not as it was sealed`;
      const text = describeVerify(r);
      const sent = async (to: string, send: () => Promise<void>) => {
        const at = new Date().toISOString();
        try {
          await send();
          state.alerts.push({ at, to, ok: true });
        } catch (e) {
          state.alerts.push({ at, to, ok: false, error: (e as Error).message });
          ctx.log(`the tampering alert to ${to} failed: ${(e as Error).message}`);
        }
        if (state.alerts.length > 20) state.alerts.shift();
      };
      if (a.email && notify?.smtp) {
        const email = smtpSender(notify.smtp, (p) => readFileSync(p, 'utf8'));
        await sent(a.email.join(', '), () => email(a.email!, subject, text));
      }
      if (a.webhook) {
        const hook = webhookSender(
          notify?.webhook ? { url: notify.webhook.url, headers: notify.webhook.headers, timeoutMs: notify.webhook.timeoutMs } : undefined,
        );
        const url = a.webhook === true ? undefined : a.webhook.url;
        await sent(url ?? 'notify.webhook', () =>
          hook(url, { kind: 'integrity', subject, store: r.store, counts: r.counts, findings: r.findings, at: new Date().toISOString() }),
        );
      }
    };

    const run = async () => {
      if (state.running) return;
      state.running = true;
      const s = config.section('integrity')!;
      try {
        const key = sealKey() ?? configuredSealKey(config);
        const r = await verifyStore(ctx.store, { anchorPath: s.anchor, updateAnchor: s.verify?.updateAnchor ?? false, key });
        state.last = r;
        state.error = null;
        gauge.set(r.intact ? 1 : 0);
        if (r.intact) state.alerted = false;
        else {
          ctx.log(describeVerify(r).trimEnd());
          if (!state.alerted) {
            state.alerted = true;
            await alert(r);
          }
        }
      } catch (e) {
        state.last = null;
        state.error = (e as Error).message;
        gauge.reset();
        ctx.log(`cannot verify the store: ${state.error}`);
      } finally {
        state.runs++;
        state.lastAt = new Date().toISOString();
        state.running = false;
      }
    };

    ctx.routes.get('/api/integrity', (_req, res) => json(res, 200, state));
    let timer: NodeJS.Timeout | undefined;
    let current: Promise<void> = Promise.resolve();
    const schedule = (ms: number) => {
      timer = setTimeout(() => {
        if (ctx.signal.aborted) return;
        current = run().then(() => {
          if (!ctx.signal.aborted) schedule(state.intervalMs);
        });
      }, ms);
    };
    // the first verify right after start, then every interval from the end of the previous one
    schedule(0);
    ctx.log(`verifying the store every ${state.intervalMs / 1000} s${first.anchor ? ` against ${first.anchor}` : ''}`);
    return {
      async stop() {
        clearTimeout(timer);
        await current;
      },
      async reload(next: Config) {
        check(next);
        const s = next.section('integrity');
        if (!s?.verify)
          throw new ConfigError([
            { file: next.file?.shown ?? 'mxray.yaml', path: 'integrity.verify', message: 'integrity.verify is gone: restart serve to stop verifying' },
          ]);
        config = next;
        state.intervalMs = s.verify.interval;
      },
    };
  },
};
