// Options every command shares, and the plumbing around them: where the store is, usage errors,
// writing the output. A report's own options (the time range, the format, …) come from its spec.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { openStore, DEFAULT_DB } from '../store/open.js';
import type { Store } from '../store/types.js';
import { loadConfig, type Config } from '../config/config.js';
import { chooseStore } from '../config/store-choice.js';
import { UsageError } from './usage.js';

// one class for every command; it lives in usage.ts so main.ts can catch it without loading the store
export { UsageError };

export interface StoreOpts {
  db?: string;
  store?: string;
  config?: string;
}

export function storeOptions(cmd: Command): Command {
  return cmd
    .option('--db <path>', `DuckDB database file (default ./${DEFAULT_DB})`)
    .option('--store <url>', 'store URL instead of --db: clickhouse://host:8123/db[?cluster=NAME] (env MXRAY_STORE)')
    .option(
      '--config <file>',
      'config file, for its store: section when neither --store, --db nor MXRAY_STORE is given (default: MXRAY_CONFIG, else ./mxray.yaml when present)',
    );
}

/** open the store for a report: a missing DuckDB file is a clear error, not an empty report */
export async function withStore<T>(o: StoreOpts, fn: (s: Store) => Promise<T>, forWriting = false): Promise<T> {
  // the config file is read even when the command line names the store, so a broken file is
  // noticed by every command, not only by the ones that happen to need it
  const config = await loadConfig(o.config);
  const chosen = chooseStore(o, process.env, config);
  if (chosen.store === undefined && !forWriting) {
    const path = chosen.db ?? DEFAULT_DB;
    const from = chosen.from.startsWith('store.') ? ` (${chosen.from})` : '';
    if (!existsSync(path)) throw new UsageError(`no database at ${path}${from}: run \`mxray ingest PATH…\` first, or name one with --db`);
  }
  const store = await openStore({ db: chosen.db, store: chosen.store, sealKey: configuredSealKey(config) });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name}: expected a whole number ≥ 1, got "${v}"`);
    return n;
  };
}

export function write(text: string): void {
  process.stdout.write(text);
}

/** the sealing key of the config's integrity section (keyFile/keyEnv), if it gives one */
export function configuredSealKey(config: Config): Buffer | undefined {
  const key = config.section('integrity')?.key;
  return key ? Buffer.from(key.reveal(), 'utf8') : undefined;
}
