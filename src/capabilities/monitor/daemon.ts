// The long-running monitor (hosted by `mxray serve`): every instance probed on its own interval with
// jitter, at most `concurrency` probes at once and never two of one instance; each result moves the
// instance's state (state.ts); a confirmed problem alerts (unless a host or link it depends on is
// down: then the parent's alert names it), repeats as reminders, and a recovery closes it. An instance
// with a repair command gets it run once per problem, killed with its tree at its deadline, then a
// re-probe, and the outcome is alerted and recorded. Open alerts live in a small state file, so a
// restart or a reload does not alert them again.
//
// The prober, the alert senders and the history sink are parameters: `serve` passes the real ones,
// tests a scripted prober and local servers.
import { setMaxListeners } from 'node:events';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { alertSubject, alertText, type Alert, type AlertKind, type AlertSender } from './alerts.js';
import type { MonitoredTarget, MonitorSection } from './config.js';
import { describeRepair, runRepair } from './repair.js';
import { newState, step, type InstanceState, type ProblemStatus } from './state.js';
import type { ProbeResult, Prober } from './types.js';

export type Routes = MonitorSection['routes'];

export interface MonitorOptions {
  readonly targets: readonly MonitoredTarget[];
  readonly prober: Prober;
  readonly routes: Routes;
  readonly sender: AlertSender;
  /** history: each result (and each repair) as it comes; the monitor batches nothing itself */
  readonly record?: (entry: RecordedResult) => void;
  /** where open alerts are kept across restarts; none: in memory only */
  readonly stateFile?: string;
  readonly concurrency?: number;
  /** intervals vary by ± this fraction */
  readonly jitter?: number;
  readonly log?: (line: string) => void;
  /** every result as it comes (metrics) */
  readonly onResult?: (t: MonitoredTarget, r: ProbeResult) => void;
  /** every alert delivery, done or failed (tests, the log) */
  readonly onDelivery?: (d: Delivery) => void;
  /** ms since the epoch (tests pass a clock of their own) */
  readonly now?: () => number;
  readonly random?: () => number;
  /** how long past its own deadline a probe may run before the monitor ends it (default 5 s) */
  readonly graceMs?: number;
}

export interface RecordedResult {
  readonly target: MonitoredTarget;
  readonly result: ProbeResult;
  readonly kind: 'probe' | 'repair';
  /** repair: what the command did */
  readonly repair?: string;
}

export interface Delivery {
  readonly alert: Alert;
  readonly route: string;
  readonly channel: 'email' | 'webhook';
  readonly error: string | null;
}

export interface InstanceView {
  readonly key: string;
  readonly host: string;
  readonly service: string;
  readonly instance: string;
  readonly url: string;
  readonly state: InstanceState;
  readonly lastResult: ProbeResult | null;
}

interface Entry {
  target: MonitoredTarget;
  state: InstanceState;
  due: number;
  startedAt: number;
  /** the probe and its handling under way, if any: no second one of the instance starts meanwhile,
   *  and whoever needs a fresh result (a child checking its parent) joins this one */
  cycle: Promise<void> | null;
  /** the probe itself under way */
  running: Promise<ProbeResult> | null;
  lastResult: ProbeResult | null;
  /** removed by a reload: results still under way are dropped */
  gone: boolean;
}

/** a probe that overran its own deadline by this much is ended by the monitor */
const GRACE_MS = 5000;
/** the first round spreads over this much (or the interval, when shorter) */
const FIRST_SPREAD_MS = 5000;
/** a changed state reaches the state file within this much: the changes of many results go in one
 *  write. Written at once per result, the first round of 1,000 instances (each one's first
 *  confirmation is a change) wrote the whole file 1,000 times — O(n²) bytes, the event loop blocked
 *  in renames for seconds. stop() and reload() write at once; a crash loses at most this much */
export const STATE_SAVE_DELAY_MS = 1000;

export class Monitor {
  private entries = new Map<string, Entry>();
  private byHost = new Map<string, Entry[]>();
  /** due entries waiting for a slot, in the order they became due (a Set: membership is asked of
   *  every entry each time the timer is armed, which an array made O(instances × waiting)) */
  private readonly queue = new Set<Entry>();
  private active = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  /** stop() was called: results still coming are dropped */
  private closing = false;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();
  private opts: MonitorOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  private dirty = false;
  private saveTimer: NodeJS.Timeout | null = null;

  constructor(opts: MonitorOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    // every probe under way listens to this signal (and removes its listeners when it ends): 64 at
    // once are not a leak, though Node warns on stderr past 10
    setMaxListeners(0, this.abort.signal);
    const saved = this.loadState();
    this.setTargets(opts.targets, saved);
  }

  /** start the schedule: the first probes spread over a few seconds */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const now = this.now();
    for (const e of this.entries.values()) e.due = now + this.random() * Math.min(e.target.intervalMs, FIRST_SPREAD_MS);
    this.arm();
  }

  /** stop: no new probe; those under way are aborted; alerts under way get their deadlines */
  async stop(): Promise<void> {
    this.stopped = true;
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
    this.queue.clear();
    await this.settled();
    this.saveState(true);
  }

  /** new targets and routes (a changed config): the state of instances still named is kept, so an
   *  open alert is not sent again; new instances are probed soon, removed ones forgotten */
  reload(next: Pick<MonitorOptions, 'targets' | 'routes'> & Partial<Pick<MonitorOptions, 'concurrency' | 'jitter'>>): void {
    this.opts = { ...this.opts, ...next };
    const before = this.entries;
    this.setTargets(next.targets, new Map(), before);
    const now = this.now();
    for (const [k, e] of this.entries) {
      if (before.has(k)) e.due = Math.min(e.due, now + e.target.intervalMs);
      else e.due = now + this.random() * Math.min(e.target.intervalMs, FIRST_SPREAD_MS);
    }
    for (const [k, e] of before) if (!this.entries.has(k)) e.gone = true;
    for (const e of this.queue) if (e.gone) this.queue.delete(e);
    this.saveState(true);
    if (!this.stopped) this.arm();
  }

  /** probe every instance once now (tests; `mxray serve` uses the schedule) */
  async round(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => this.run(e)));
    await this.settled();
  }

  /** wait for deliveries and other work under way */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  instances(): InstanceView[] {
    return [...this.entries.values()].map((e) => ({
      key: e.target.key,
      host: e.target.host,
      service: e.target.service,
      instance: e.target.instance,
      url: e.target.url,
      state: structuredClone(e.state),
      lastResult: e.lastResult,
    }));
  }

  // ---- schedule -------------------------------------------------------------------------------

  /** the entries of `targets`: kept ones (same key) keep their state and whatever is under way */
  private setTargets(targets: readonly MonitoredTarget[], saved: Map<string, InstanceState>, keep = new Map<string, Entry>()) {
    this.entries = new Map();
    this.byHost = new Map();
    for (const t of targets) {
      const kept = keep.get(t.key);
      if (kept) kept.target = t;
      const e: Entry = kept ?? {
        target: t,
        state: saved.get(t.key) ?? newState(),
        due: 0,
        startedAt: 0,
        cycle: null,
        running: null,
        lastResult: null,
        gone: false,
      };
      this.entries.set(t.key, e);
      const list = this.byHost.get(t.host) ?? [];
      list.push(e);
      this.byHost.set(t.host, list);
    }
  }

  private arm() {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    let next = Infinity;
    for (const e of this.entries.values()) if (!e.cycle && !this.queue.has(e) && e.due < next) next = e.due;
    if (next === Infinity) {
      this.timer = null;
      return;
    }
    // one timer for the whole schedule, at the earliest due probe: idle between rounds
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - this.now()));
  }

  private tick() {
    this.timer = null;
    if (this.stopped) return;
    const now = this.now();
    const due = [...this.entries.values()].filter((e) => !e.cycle && e.due <= now && !this.queue.has(e)).sort((a, b) => a.due - b.due);
    for (const e of due) this.queue.add(e);
    this.pump();
    this.arm();
  }

  private pump() {
    const limit = this.opts.concurrency ?? 64;
    while (!this.stopped && this.active < limit && this.queue.size) {
      const e = this.queue.values().next().value!;
      this.queue.delete(e);
      if (e.gone || e.cycle) continue;
      this.active++;
      const done = this.run(e, () => {
        this.active--;
        this.pump();
      }).finally(() => {
        const jitter = this.opts.jitter ?? 0.1;
        const interval = e.target.intervalMs * (1 + jitter * (2 * this.random() - 1));
        e.due = Math.max(this.now(), e.startedAt + interval);
        this.arm();
      });
      this.track(done);
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  /** probe once (or join the probe under way), then handle the result; `released` when the probe's
   *  own part is over (the concurrency slot; alerts and repairs go on outside it) */
  private run(e: Entry, released?: () => void): Promise<void> {
    if (e.cycle) {
      released?.();
      return e.cycle;
    }
    e.startedAt = this.now();
    const cycle = (async () => {
      let result: ProbeResult;
      try {
        result = await this.probe(e);
      } finally {
        released?.();
      }
      if (e.gone || this.closing) return;
      await this.handle(e, result, 'probe');
    })().finally(() => {
      if (e.cycle === cycle) e.cycle = null;
    });
    e.cycle = cycle;
    return cycle;
  }

  private probe(e: Entry): Promise<ProbeResult> {
    if (e.running) return e.running;
    const t = e.target;
    const started = new Date(this.now()).toISOString();
    const grace = this.opts.graceMs ?? GRACE_MS;
    const p = new Promise<ProbeResult>((resolve) => {
      const guard = setTimeout(
        () =>
          resolve(
            failed(
              t,
              started,
              'unknown',
              'internal',
              `the probe did not end within its ${t.timeoutMs} ms deadline (+${grace} ms): ended by the monitor`,
              grace,
            ),
          ),
        t.timeoutMs + grace,
      );
      this.opts
        .prober(t, this.abort.signal)
        .then(resolve, (err: unknown) => resolve(failed(t, started, 'unknown', 'internal', `the probe failed: ${(err as Error)?.message ?? String(err)}`, 0)))
        .finally(() => clearTimeout(guard));
    });
    e.running = p;
    void p.finally(() => {
      if (e.running === p) e.running = null;
    });
    return p;
  }

  // ---- states and alerts -----------------------------------------------------------------------

  private async handle(e: Entry, r: ProbeResult, kind: 'probe' | 'repair', repair?: string) {
    e.lastResult = r;
    this.opts.record?.({ target: e.target, result: r, kind, ...(repair !== undefined ? { repair } : {}) });
    this.opts.onResult?.(e.target, r);
    const before = e.state;
    const { state, change } = step(before, r, e.target);
    e.state = state;
    if (state.status !== before.status) this.dirty = true;
    const nowIso = new Date(this.now()).toISOString();

    if (change?.kind === 'problem') {
      const parent = await this.downParent(e.target);
      const already = e.state.alert;
      if (parent) {
        e.state.alert = {
          status: change.status,
          openedAt: already?.openedAt ?? nowIso,
          sentAt: already?.sentAt ?? null,
          suppressedBy: parent,
          repaired: already?.repaired ?? false,
        };
        this.log(`${e.target.key} is ${change.status} but ${parent} is down: folded into ${parent}'s alert`);
      } else {
        e.state.alert = {
          status: change.status,
          openedAt: already?.openedAt ?? nowIso,
          sentAt: nowIso,
          suppressedBy: null,
          repaired: already?.repaired ?? false,
        };
        this.send('problem', e, r);
        await this.maybeRepair(e);
      }
      this.dirty = true;
    } else if (change?.kind === 'recovery') {
      const a = before.alert;
      e.state.alert = null;
      if (a?.sentAt) this.send('recovery', e, r);
      this.dirty = true;
    } else if (state.status !== 'ok' && state.status !== null && e.state.alert) {
      const a = e.state.alert;
      if (a.suppressedBy && !this.isDown(a.suppressedBy)) {
        // the parent is back but this one is not: its own alert now
        const parent = await this.downParent(e.target);
        if (parent) a.suppressedBy = parent;
        else {
          a.suppressedBy = null;
          a.sentAt = nowIso;
          a.status = state.status as ProblemStatus;
          this.send('problem', e, r);
          await this.maybeRepair(e);
        }
        this.dirty = true;
      } else if (a.sentAt && e.target.reminderMs > 0 && this.now() - Date.parse(a.sentAt) >= e.target.reminderMs) {
        a.sentAt = nowIso;
        this.send('reminder', e, r);
        this.dirty = true;
      }
    }
    this.saveState();
  }

  /** a host or link this target's host depends on (directly or further up) that is down now, the
   *  nearest first; its instances are probed now unless probed within their interval */
  private async downParent(t: MonitoredTarget): Promise<string | null> {
    const seen = new Set<string>([t.host]);
    let level = [...t.dependsOn];
    while (level.length) {
      const next: string[] = [];
      for (const name of level) {
        if (seen.has(name)) continue;
        seen.add(name);
        const parents = this.byHost.get(name) ?? [];
        // a fresh look at the parent: its own schedule may not have noticed yet
        await Promise.all(parents.filter((p) => this.stale(p)).map((p) => this.run(p)));
        if (this.isDown(name)) return name;
        for (const p of parents) next.push(...p.target.dependsOn);
      }
      level = next;
    }
    return null;
  }

  private stale(e: Entry): boolean {
    if (!e.lastResult) return true;
    return this.now() - Date.parse(e.lastResult.at) > Math.min(e.target.intervalMs, 10_000);
  }

  /** t's host is reached through `name` (directly or further up) */
  private behind(t: MonitoredTarget, name: string): boolean {
    const seen = new Set<string>();
    let level = [...t.dependsOn];
    while (level.length) {
      if (level.includes(name)) return true;
      const next: string[] = [];
      for (const h of level) {
        if (seen.has(h)) continue;
        seen.add(h);
        for (const p of this.byHost.get(h) ?? []) next.push(...p.target.dependsOn);
      }
      level = next;
    }
    return false;
  }

  /** every instance of the host or link failed its last probe */
  private isDown(name: string): boolean {
    const list = this.byHost.get(name) ?? [];
    return list.length > 0 && list.every((p) => p.state.last !== null && p.state.last !== 'ok');
  }

  private async maybeRepair(e: Entry) {
    const rep = e.target.repair;
    const a = e.state.alert;
    if (!rep || !a || a.repaired) return;
    a.repaired = true;
    this.dirty = true;
    this.saveState();
    this.log(`${e.target.key}: running repair ${rep.command.join(' ')}`);
    const outcome = await runRepair(rep.command, rep.timeoutMs);
    const said = describeRepair(rep.command, outcome);
    this.log(`${e.target.key}: ${said}${outcome.output ? `: ${outcome.output.split('\n').slice(-1)[0]}` : ''}`);
    if (this.closing) return;
    const again = await this.probe(e);
    this.send('repair', e, again, said);
    await this.handle(e, again, 'repair', said);
  }

  private send(kind: AlertKind, e: Entry, r: ProbeResult, repair?: string) {
    const t = e.target;
    // the instances reached through this host or link that fail too: their alerts are this one
    const suppressed =
      (kind === 'problem' || kind === 'reminder') && this.isDown(t.host)
        ? [...this.entries.values()]
            .filter((x) => x.state.last !== null && x.state.last !== 'ok' && this.behind(x.target, t.host))
            .map((x) => `${x.target.key} (${x.state.last})`)
        : [];
    const alert: Alert = {
      kind,
      host: t.host,
      service: t.service,
      instance: t.instance,
      url: t.url,
      status: kind === 'recovery' ? 'ok' : r.status,
      at: new Date(this.now()).toISOString(),
      since: e.state.alert?.openedAt ?? e.state.since,
      failure: r.failure,
      detail: r.detail,
      transcript: r.transcript,
      suppressed,
      ...(repair !== undefined ? { repair } : {}),
    };
    this.log(alertSubject(alert));
    for (const name of t.routes) {
      const route = this.opts.routes[name];
      if (!route) continue;
      if (route.email)
        this.deliver(alert, name, 'email', () => this.opts.sender.email?.(route.email!, alertSubject(alert), alertText(alert)) ?? noSender('email'));
      if (route.webhook) {
        const url = route.webhook === true ? undefined : route.webhook.url;
        this.deliver(alert, name, 'webhook', () => this.opts.sender.webhook?.(url, { ...alert, subject: alertSubject(alert) }) ?? noSender('webhook'));
      }
    }
  }

  private deliver(alert: Alert, route: string, channel: 'email' | 'webhook', go: () => Promise<void>) {
    const p = (async () => {
      let error: string | null = null;
      try {
        await go();
      } catch (err) {
        error = (err as Error).message;
        this.log(`alert to route ${route} by ${channel} failed: ${error}`);
      }
      this.opts.onDelivery?.({ alert, route, channel, error });
    })();
    this.track(p);
  }

  private log(line: string) {
    this.opts.log?.(line);
  }

  // ---- the state file --------------------------------------------------------------------------

  private loadState(): Map<string, InstanceState> {
    const file = this.opts.stateFile;
    if (!file) return new Map();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return new Map();
    }
    try {
      const data = JSON.parse(text) as { version: number; instances: Record<string, InstanceState> };
      if (data.version !== 1) throw new Error(`version ${data.version}`);
      return new Map(Object.entries(data.instances));
    } catch (e) {
      this.log(`the state file ${file} is unreadable (${(e as Error).message}): starting without open alerts`);
      return new Map();
    }
  }

  /** when a state or an alert changed: written within STATE_SAVE_DELAY_MS; forced: now */
  private saveState(force = false) {
    if (!this.opts.stateFile) return;
    if (force) return this.writeState();
    if (!this.dirty || this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.writeState(), STATE_SAVE_DELAY_MS);
    // a pending write never keeps a process alive: stop() writes it
    this.saveTimer.unref();
  }

  /** the states now, to a temporary file renamed over the old */
  private writeState() {
    const file = this.opts.stateFile;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    if (!file) return;
    this.dirty = false;
    const instances: Record<string, InstanceState> = {};
    for (const [k, e] of this.entries) if (e.state.status !== null || e.state.alert) instances[k] = e.state;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, `${JSON.stringify({ version: 1, instances }, null, 1)}\n`);
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.log(`cannot write the state file ${file}: ${(err as Error).message}`);
    }
  }
}

function noSender(channel: string): Promise<void> {
  return Promise.reject(new Error(`no ${channel} sender: configure notify.${channel === 'email' ? 'smtp' : 'webhook'}`));
}

function failed(t: MonitoredTarget, at: string, status: ProbeResult['status'], failure: ProbeResult['failure'], detail: string, grace: number): ProbeResult {
  return {
    host: t.host,
    service: t.service,
    instance: t.instance,
    url: t.url,
    status,
    failure,
    durationMs: t.timeoutMs + grace,
    phases: { connect: null, tls: null, banner: null, total: t.timeoutMs + grace },
    certDaysLeft: null,
    detail,
    transcript: null,
    at,
  };
}
