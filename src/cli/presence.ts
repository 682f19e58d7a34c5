// `mxray presence poll`: enrol from the directory, sample every user from the presence source, record
// (store, the seed's daily log files, the heartbeat). --once for cron; without it, every interval
// until SIGINT/SIGTERM. Also startPresencePoller(), which `mxray serve` hosts.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/config.js';
import { chooseStore } from '../config/store-choice.js';
import type { PresenceConfig } from '../capabilities/presence/config.js';
import type { DirectoryConfig } from '../capabilities/presence/directory.js';
import type { PollRecorder } from '../capabilities/presence/poll-recorder.js';
import { describeCycle, PresencePoller, runPresencePoller, type CycleResult } from '../capabilities/presence/poller.js';
import type { PresenceSource } from '../capabilities/presence/types.js';
import { openStore } from '../store/open.js';
import { LiveLog } from '../store/live.js';
import { openPresenceRecorder } from '../capabilities/presence/recorder.js';
import type { Store } from '../store/types.js';
import { storeOptions, UsageError } from './common.js';
import type { HandWritten } from './reports.js';

/** opens the recorder the poller's samples go to (the store's, with logDir and aggregateOnly) */
export type OpenRecorder = (store: Store, presence: PresenceConfig) => Promise<PollRecorder>;

/** the store's recorder (capabilities/presence/recorder.ts) over the poller's live pseudo-file */
export const openStoreRecorder: OpenRecorder = async (store, presence) =>
  openPresenceRecorder(store, await LiveLog.open(store, 'presence-poll'), {
    intervalS: Math.max(1, Math.round(presence.interval / 1000)),
    ...(presence.logDir ? { logDir: presence.logDir } : {}),
    aggregateOnly: presence.aggregateOnly,
  });

export interface PollOpts {
  config?: string;
  db?: string;
  store?: string;
  once?: boolean;
  json?: boolean;
}

export interface PollDeps {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
  /** stops a continuous run (default: SIGINT or SIGTERM) */
  readonly signal?: AbortSignal;
  readonly openRecorder?: OpenRecorder;
  /** the presence source instead of the configured one (tests) */
  readonly source?: PresenceSource;
  /** each cycle's result (tests) */
  readonly onCycle?: (r: CycleResult) => void;
}

/** the presence and directory sections, or a usage error that says what is missing */
export function pollSections(config: Config): { presence: PresenceConfig; directory: DirectoryConfig } {
  const where = config.file?.shown ?? 'the config file';
  if (!config.file)
    throw new UsageError(
      'presence poll needs a config file with presence: and directory: sections (--config FILE, MXRAY_CONFIG or ./mxray.yaml); `mxray config example` shows one',
    );
  const presence = config.section('presence');
  if (!presence)
    throw new UsageError(`${where}: no presence: section: say whom to watch and where their presence comes from (\`mxray config example\` shows one)`);
  const directory = config.section('directory');
  if (!directory) throw new UsageError(`${where}: no directory: section: presence enrols its users from the LDAP directory`);
  return { presence, directory };
}

/** the command, in-process: returns the exit code */
export async function presencePoll(o: PollOpts, deps: PollDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const out = deps.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = deps.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const config = await loadConfig(o.config, { env });
  const { presence, directory } = pollSections(config);
  const chosen = chooseStore(o, env, config);
  const store = await openStore({ ...(chosen.db !== undefined ? { db: chosen.db } : {}), ...(chosen.store !== undefined ? { store: chosen.store } : {}) });
  try {
    await store.longRunningWriter?.({ alone: true });
    const recorder = await (deps.openRecorder ?? openStoreRecorder)(store, presence);
    const log = (line: string) => (/failed|lost|cannot|refused/.test(line) ? err(line) : out(line));
    const poller = new PresencePoller({ presence, directory, recorder, log, ...(deps.source ? { source: deps.source } : {}) });
    if (o.once) {
      let r: CycleResult;
      try {
        r = await poller.cycle();
      } finally {
        await poller.close();
      }
      deps.onCycle?.(r);
      if (o.json) out(JSON.stringify(r));
      else (r.ok ? out : err)(describeCycle(r));
      return r.ok ? 0 : 1;
    }
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    if (!deps.signal) {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } else deps.signal.addEventListener('abort', stop, { once: true });
    out(`presence: polling every ${Math.round(presence.interval / 1000)} s from ${presence.source}; stop with Ctrl+C`);
    try {
      await poller.run(ctl.signal, (r) => {
        deps.onCycle?.(r);
        if (o.json) out(JSON.stringify(r));
      });
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      await poller.close();
    }
    out('presence: stopped');
    return 0;
  } finally {
    await store.close();
  }
}

/** For `mxray serve`: the poller in the background over an open store, until stop() or the signal. */
export async function startPresencePoller(ctx: {
  readonly presence: PresenceConfig;
  readonly directory: DirectoryConfig;
  readonly store: Store;
  readonly log: (line: string) => void;
  readonly signal: AbortSignal;
  readonly openRecorder?: OpenRecorder;
}): Promise<{ stop(): Promise<void> }> {
  await ctx.store.longRunningWriter?.({ alone: false });
  const recorder = await (ctx.openRecorder ?? openStoreRecorder)(ctx.store, ctx.presence);
  return runPresencePoller({ presence: ctx.presence, directory: ctx.directory, recorder, log: ctx.log, signal: ctx.signal });
}

export function addPoll(group: Command): void {
  storeOptions(
    group
      .command('poll')
      .description(
        'sample the presence of every user the directory enrols (config sections presence: and directory:) and record it; every interval until Ctrl+C, or --once',
      ),
  )
    .option('--once', 'one cycle, then exit (for cron): exit 1 when the directory or the source failed')
    .option('--json', 'each cycle as a JSON line {at, ok, error, users, states, enrolment, …}')
    .action(async (o: PollOpts) => {
      process.exitCode = await presencePoll(o);
    });
}

/** the hand-written commands of the presence group */
export const presenceHandWritten: HandWritten = { before: [addPoll] };
