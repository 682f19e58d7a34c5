// The presence poller: each cycle re-reads the directory (enrolment), samples every enrolled user from
// the source and hands the samples to the recorder; between cycles it records the changes the source
// pushes (XMPP) as they arrive. A cycle that fails (the directory or the source unreachable, a login
// refused) prints one line saying why, records a heartbeat only — so the time is never taken as
// anyone being offline — keeps what was recorded before, and is tried again at the next interval:
// the poller recovers by itself when the server returns.
//
// `mxray presence poll` runs it in the foreground; `mxray serve` hosts it with startPresencePoller().
import type { PresenceConfig } from './config.js';
import { enrol, type DirectoryConfig, type Enrolment } from './directory.js';
import { collectGarbage } from './gc.js';
import type { PollRecorder } from './poll-recorder.js';
import { presenceSources, type SourceKind } from './sources.js';
import { presenceStates, type EnrolledUser, type Observation, type PresenceSource, type PresenceState } from './types.js';

export interface CycleResult {
  readonly at: Date;
  readonly ok: boolean;
  /** what failed, for the admin (ok false) */
  readonly error?: string;
  readonly enrolment?: Omit<Enrolment, 'users'>;
  readonly users: number;
  readonly states: Readonly<Partial<Record<PresenceState, number>>>;
  readonly enrolMs: number;
  readonly sampleMs: number;
  readonly recordMs: number;
  readonly ms: number;
}

export interface PollerOptions {
  readonly presence: PresenceConfig;
  readonly directory: DirectoryConfig;
  readonly recorder: PollRecorder;
  /** one line of news for the admin */
  readonly log: (line: string) => void;
  /** the source (default: opened from presence.source's settings); tests pass their own */
  readonly source?: PresenceSource;
}

const plural = (n: number, one: string) => `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function describeCycle(r: CycleResult): string {
  const when = r.at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (!r.ok) return `presence: ${when}: cycle failed: ${r.error}; nothing sampled (what was recorded is kept), trying again next interval`;
  const states = presenceStates
    .filter((s) => r.states[s])
    .map((s) => `${s} ${r.states[s]}`)
    .join(', ');
  const e = r.enrolment;
  const left = e
    ? [e.withoutAddress && `${e.withoutAddress} without IM address`, e.optedOut && `${e.optedOut} opted out`, e.excluded && `${e.excluded} excluded`].filter(
        Boolean,
      )
    : [];
  return `presence: ${when}: ${plural(r.users, 'user')} sampled${states ? ` (${states})` : ''}${left.length ? `; left out: ${left.join(', ')}` : ''} in ${secs(r.ms)} (directory ${secs(r.enrolMs)}, source ${secs(r.sampleMs)}, store ${secs(r.recordMs)})`;
}

export class PresencePoller {
  private source: PresenceSource | undefined;
  private pushes: Promise<unknown> = Promise.resolve();
  private enrolled = new Set<string>();
  private stopped = false;
  private readonly kind: SourceKind;

  constructor(private readonly o: PollerOptions) {
    this.kind = presenceSources[o.presence.source] as SourceKind;
    this.source = o.source;
    if (this.source) this.listen(this.source);
  }

  private listen(s: PresenceSource): void {
    s.onChange?.((obs: Observation) => {
      if (this.stopped || !this.enrolled.has(obs.imAddress.toLowerCase())) return;
      this.pushes = this.pushes.then(() =>
        this.o.recorder.recordPush(obs).catch((e: Error) => this.o.log(`presence: recording a pushed change of ${obs.imAddress} failed: ${e.message}`)),
      );
    });
  }

  private async openSource(): Promise<PresenceSource> {
    if (!this.source) {
      const settings = this.o.presence[this.o.presence.source];
      this.source = await this.kind.open(settings, { log: this.o.log });
      this.listen(this.source);
    }
    return this.source;
  }

  /** one cycle: enrol, sample, record; never throws for a failed directory or source */
  async cycle(signal?: AbortSignal): Promise<CycleResult> {
    const t0 = performance.now();
    const at = new Date();
    let enrolMs = 0;
    let sampleMs = 0;
    let recordMs = 0;
    let enrolment: Enrolment | undefined;
    const fail = async (e: unknown): Promise<CycleResult> => {
      const error = (e as Error).message;
      try {
        await this.o.recorder.heartbeat(at);
      } catch (h) {
        this.o.log(`presence: recording the heartbeat failed: ${(h as Error).message}`);
      }
      return {
        at,
        ok: false,
        error,
        users: 0,
        states: {},
        enrolMs,
        sampleMs,
        recordMs,
        ms: performance.now() - t0,
        ...(enrolment ? { enrolment: counts(enrolment) } : {}),
      };
    };
    try {
      const settings = this.o.presence[this.o.presence.source];
      const idAttribute = this.kind.idAttribute?.(settings);
      enrolment = await enrol(this.o.directory, this.o.presence, { ...(idAttribute ? { idAttribute } : {}), ...(signal ? { signal } : {}) });
    } catch (e) {
      enrolMs = performance.now() - t0;
      return fail(e);
    }
    enrolMs = performance.now() - t0;
    collectGarbage();
    const users: readonly EnrolledUser[] = enrolment.users;
    this.enrolled = new Set(users.map((u) => u.imAddress.toLowerCase()));
    let observations: Observation[];
    const t1 = performance.now();
    try {
      const source = await this.openSource();
      observations = await source.sample(users, signal);
    } catch (e) {
      sampleMs = performance.now() - t1;
      return fail(e);
    }
    sampleMs = performance.now() - t1;
    const t2 = performance.now();
    // pushed changes that arrived before the sample are stored before it
    await this.pushes;
    await this.o.recorder.recordCycle(at, users, observations);
    recordMs = performance.now() - t2;
    const states: Partial<Record<PresenceState, number>> = {};
    for (const ob of observations) states[ob.state] = (states[ob.state] ?? 0) + 1;
    observations = [];
    // compacting (gc.ts): what lives on between cycles (the users' state, ~30 MB for 20,000) moved
    // together, off the pages the cycle's enrolment and batches spread it over. Its copy adds up to
    // that much for the collection's moment, which comes here, after the recorder had the store
    // write its rows out of memory (Store.checkpoint), rather than after the enrolment
    collectGarbage({ compact: true });
    return { at, ok: true, users: users.length, states, enrolment: counts(enrolment), enrolMs, sampleMs, recordMs, ms: performance.now() - t0 };
  }

  /** cycles every interval until `signal` aborts; each cycle's line goes to log */
  async run(signal: AbortSignal, onCycle?: (r: CycleResult) => void): Promise<void> {
    const interval = this.o.presence.interval;
    let next = Date.now();
    while (!signal.aborted) {
      next += interval;
      const r = await this.cycle(signal);
      this.o.log(describeCycle(r));
      onCycle?.(r);
      // a cycle longer than the interval: the next one starts at once, and the schedule moves on
      if (next < Date.now()) next = Date.now();
      await sleep(next - Date.now(), signal);
    }
  }

  /** stops listening, waits for pushed changes being recorded, closes the source and the recorder */
  async close(): Promise<void> {
    this.stopped = true;
    await this.pushes;
    await this.source?.close().catch((e: Error) => this.o.log(`presence: closing the source: ${e.message}`));
    await this.o.recorder.close();
  }
}

function counts(e: Enrolment): Omit<Enrolment, 'users'> {
  const { users: _users, ...rest } = e;
  return rest;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface PresencePollerHost {
  readonly presence: PresenceConfig;
  readonly directory: DirectoryConfig;
  /** opens the recorder the samples go to (the store's, with logDir and aggregateOnly) */
  readonly recorder: PollRecorder;
  readonly log: (line: string) => void;
  readonly signal: AbortSignal;
}

/** Runs the poller in the background (for `mxray serve`): cycles every interval until stop() or the
 *  signal; stop() resolves once the last cycle and pushed change are recorded and all is closed. */
export async function runPresencePoller(h: PresencePollerHost): Promise<{ stop(): Promise<void> }> {
  const poller = new PresencePoller({ presence: h.presence, directory: h.directory, recorder: h.recorder, log: h.log });
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  h.signal.addEventListener('abort', onAbort, { once: true });
  if (h.signal.aborted) abort.abort();
  const running = poller
    .run(abort.signal)
    .catch((e: Error) => h.log(`presence: the poller stopped: ${e.message}`))
    .finally(() => poller.close().catch((e: Error) => h.log(`presence: closing: ${e.message}`)));
  return {
    async stop() {
      h.signal.removeEventListener('abort', onAbort);
      abort.abort();
      await running;
    },
  };
}
