// Options every command shares, and the plumbing around them: where the store is, the time range,
// the output format. Commands stay thin: parse options, call a report, render.
import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { openStore, DEFAULT_DB } from '../store/open.js';
import type { Store } from '../store/types.js';
import { outputFormats, type OutputFormat } from '../render/render.js';
import { parseRange } from '../reports/range.js';
import { loadConfig } from '../config/config.js';
import { chooseStore } from '../config/store-choice.js';

/** an error in what the user asked for: printed without a stack, exit code 2 */
export class UsageError extends Error {}

export interface StoreOpts { db?: string; store?: string; config?: string }
export interface ReportOpts extends StoreOpts { from?: string; to?: string; format?: OutputFormat; json?: boolean }

export function storeOptions(cmd: Command): Command {
  return cmd
    .option('--db <path>', `DuckDB database file (default ./${DEFAULT_DB})`)
    .option('--store <url>', 'store URL instead of --db: clickhouse://host:8123/db[?cluster=NAME] (env MXRAY_STORE)')
    .option('--config <file>', 'config file, for its store: section when neither --store, --db nor MXRAY_STORE is given (default: MXRAY_CONFIG, else ./mxray.yaml when present)');
}

export function reportOptions(cmd: Command): Command {
  return storeOptions(cmd)
    .option('--from <when>', 'start of the period, ISO date or date-time, UTC (inclusive)')
    .option('--to <when>', 'end of the period, ISO date (that whole day included) or date-time, UTC')
    .addOption(new Option('--format <format>', 'output format (table on a terminal)').choices([...outputFormats]))
    .option('--json', 'short for --format json');
}

export function outputFormat(o: ReportOpts): OutputFormat {
  if (o.json) return 'json';
  return o.format ?? 'table';
}

export function rangeOf(o: ReportOpts) {
  try {
    return parseRange(o.from, o.to);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** open the store for a report: a missing DuckDB file is a clear error, not an empty report */
export async function withStore<T>(o: StoreOpts, fn: (s: Store) => Promise<T>, forWriting = false): Promise<T> {
  // the config file is read even when the command line names the store, so a broken file is
  // noticed by every command, not only by the ones that happen to need it
  const chosen = chooseStore(o, process.env, await loadConfig(o.config));
  if (chosen.store === undefined && !forWriting) {
    const path = chosen.db ?? DEFAULT_DB;
    const from = chosen.from.startsWith('store.') ? ` (${chosen.from})` : '';
    if (!existsSync(path)) throw new UsageError(`no database at ${path}${from}: run \`mxray ingest PATH…\` first, or name one with --db`);
  }
  const store = await openStore({ db: chosen.db, store: chosen.store });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function positiveNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name}: expected a number ≥ 0, got "${v}"`);
    return n;
  };
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
