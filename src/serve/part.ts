// What a long-running part of `mxray serve` is (parts.ts lists them): a plain object with its name,
// the config section that enables it, and start(ctx), which gives back stop() and, when the part can
// take a changed config without a restart, reload(config).
import type { Config } from '../config/config.js';
import type { Store } from '../store/types.js';
import type { Prober } from '../capabilities/monitor/types.js';
import type { MetricsRegistry } from './metrics.js';
import type { RouteTable } from './http.js';

export interface PartContext {
  readonly config: Config;
  /** the store, opened once by serve for every part */
  readonly store: Store;
  /** a line for the log (stderr), prefixed with the part's name */
  readonly log: (line: string) => void;
  /** aborted when serve stops */
  readonly signal: AbortSignal;
  /** add HTTP routes on serve's listener (under /api/<part>/… by convention) */
  readonly routes: RouteTable;
  readonly metrics: MetricsRegistry;
  /** the probe of service monitoring (the conversation engine; tests may pass another) */
  readonly prober: Prober;
  /** where a DuckDB store's file is (state files go beside it); undefined for ClickHouse */
  readonly dbPath: string | undefined;
}

export interface RunningPart {
  stop(): Promise<void>;
  /** take a changed config; throws a ConfigError (the part keeps running on its old config) */
  reload?(config: Config): Promise<void>;
}

export interface Part {
  readonly name: string;
  /** the config section whose presence enables the part */
  readonly section: string;
  start(ctx: PartContext): Promise<RunningPart>;
}
