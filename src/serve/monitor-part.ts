// The monitor as a part of serve: its targets from the monitor section, alerts through the notify
// section, results into the store (probe_results, through LiveLog in batches) and into /metrics,
// its instances' states at /api/monitor, and a config reload that keeps open alerts open.
import { readFileSync } from 'node:fs';
import * as nodePath from 'node:path';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { Monitor, type RecordedResult } from '../capabilities/monitor/daemon.js';
import { targetsOf, type MonitorSection, type MonitoredTarget } from '../capabilities/monitor/config.js';
import { smtpSender, webhookSender, type AlertSender } from '../capabilities/monitor/alerts.js';
import { historySource, probeRow } from '../capabilities/monitor/history.js';
import { LiveLog } from '../store/live.js';
import type { Store } from '../store/types.js';
import { json } from './http.js';
import { probeMetrics } from './metrics.js';
import type { Part, PartContext } from './part.js';
import { healthMatrix } from '../dashboard/matrix.js';

/** results go to the store in batches: every second, or at 500 rows; at most 50,000 wait (a store
 *  that is down must not grow serve without bound: the oldest are dropped and counted) */
export class HistoryWriter {
  private rows: RecordedResult[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  dropped = 0;
  written = 0;

  private constructor(
    private readonly log: LiveLog,
    private readonly say: (line: string) => void,
    private readonly everyMs: number,
  ) {}

  static async open(store: Store, say: (line: string) => void, everyMs = 1000): Promise<HistoryWriter> {
    return new HistoryWriter(await LiveLog.open(store, historySource), say, everyMs);
  }

  add(r: RecordedResult): void {
    this.rows.push(r);
    if (this.rows.length > 50_000) {
      this.rows.shift();
      this.dropped++;
    }
    if (this.rows.length >= 500) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.everyMs);
  }

  /** write what waits (one batch at a time, in order) */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.rows.splice(0);
    if (!batch.length) return this.writing;
    this.writing = this.writing.then(async () => {
      try {
        await this.log.append({ probe: batch.map(probeRow) });
        this.written += batch.length;
      } catch (e) {
        // kept for the next flush (still bounded by add())
        this.rows.unshift(...batch);
        this.say(`cannot store ${batch.length} probe results: ${(e as Error).message}`);
      }
    });
    return this.writing;
  }
}

function notifySenders(config: Config, section: MonitorSection): AlertSender {
  const notify = config.section('notify');
  const routes = Object.entries(section.routes);
  // a route that e-mails needs notify.smtp; one that posts to notify.webhook needs it: said at start
  const problems = [];
  for (const [name, r] of routes) {
    if (r.email && !notify?.smtp)
      problems.push({
        file: config.file?.shown ?? 'mxray.yaml',
        line: lineOf(config, ['monitor', 'routes', name, 'email']),
        path: `monitor.routes.${name}.email`,
        message: 'e-mail alerts need notify.smtp (the server to send them through)',
      });
    if (r.webhook === true && !notify?.webhook)
      problems.push({
        file: config.file?.shown ?? 'mxray.yaml',
        line: lineOf(config, ['monitor', 'routes', name, 'webhook']),
        path: `monitor.routes.${name}.webhook`,
        message: 'webhook: true needs notify.webhook (or give webhook: { url: … })',
      });
  }
  if (problems.length) throw new ConfigError(problems);
  const webhook = notify?.webhook;
  return {
    ...(notify?.smtp ? { email: smtpSender(notify.smtp, (p) => readFileSync(p, 'utf8')) } : {}),
    webhook: webhookSender(webhook ? { url: webhook.url, headers: webhook.headers, timeoutMs: webhook.timeoutMs } : undefined),
  };
}

function lineOf(config: Config, path: string[]): number | undefined {
  const m = /:(\d+)$/.exec(config.where(path));
  return m ? Number(m[1]) : undefined;
}

/** the state file: monitor.stateFile, else beside the DuckDB file, else beside the config file */
export function stateFileOf(section: MonitorSection, config: Config, dbPath: string | undefined): string {
  if (section.stateFile) return section.stateFile;
  if (dbPath) return `${dbPath}.monitor-state.json`;
  const dir = config.file ? nodePath.dirname(config.file.path) : process.cwd();
  return nodePath.join(dir, 'mxray-monitor-state.json');
}

export const monitorPart: Part = {
  name: 'monitor',
  section: 'monitor',
  async start(ctx: PartContext) {
    const section = ctx.config.section('monitor')!;
    let targets = targetsOf(section);
    const sender = notifySenders(ctx.config, section);
    const history = await HistoryWriter.open(ctx.store, ctx.log);
    const metrics = probeMetrics(ctx.metrics);
    const stateFile = stateFileOf(section, ctx.config, ctx.dbPath);
    let current: AlertSender = sender;
    const monitor = new Monitor({
      targets,
      prober: ctx.prober,
      routes: section.routes,
      // through a reference, so a reload can change where alerts go
      sender: {
        email: (to, subject, text) => (current.email ? current.email(to, subject, text) : Promise.reject(new Error('no notify.smtp'))),
        webhook: (url, body) => current.webhook!(url, body),
      },
      record: (r) => history.add(r),
      onResult: (_t, r) => metrics.set(r),
      stateFile,
      concurrency: section.concurrency,
      jitter: section.jitter,
      log: ctx.log,
    });
    ctx.routes.get('/api/monitor', (_req, res) => json(res, 200, { instances: monitor.instances(), stored: history.written, dropped: history.dropped }));
    ctx.routes.get('/api/monitor/matrix', (_req, res) => json(res, 200, healthMatrix(monitor.instances())));
    monitor.start();
    ctx.log(
      `monitoring ${targets.length} instance${targets.length === 1 ? '' : 's'} on ${new Set(targets.map((t) => t.host)).size} hosts; open alerts kept in ${stateFile}`,
    );
    return {
      async stop() {
        await monitor.stop();
        await history.flush();
      },
      async reload(config: Config) {
        const next = config.section('monitor');
        if (!next)
          throw new ConfigError([
            { file: config.file?.shown ?? 'mxray.yaml', path: 'monitor', message: 'the monitor section is gone: restart serve to stop monitoring' },
          ]);
        const nextTargets = targetsOf(next);
        current = notifySenders(config, next);
        const keys = new Set(nextTargets.map((t: MonitoredTarget) => t.key));
        for (const t of targets) if (!keys.has(t.key)) metrics.remove(t);
        monitor.reload({ targets: nextTargets, routes: next.routes, concurrency: next.concurrency, jitter: next.jitter });
        targets = nextTargets;
        ctx.log(`reloaded: monitoring ${targets.length} instances`);
      },
    };
  },
};
