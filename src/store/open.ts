// Where the data lives: `--store URL`, else `--db PATH`, else MXRAY_STORE; the default is
// ./mxray.duckdb. clickhouse://host:port/database[?cluster=NAME] selects the ClickHouse backend.
import type { Store } from './types.js';
import { DuckdbStore } from './duckdb/store.js';

export const DEFAULT_DB = 'mxray.duckdb';

export interface StoreChoice {
  db?: string;
  store?: string;
  readOnly?: boolean;
  /** the sealing key from the config's integrity section (MXRAY_SEAL_KEY / MXRAY_SEAL_KEY_FILE win) */
  sealKey?: Buffer;
}

export function describeStore(c: StoreChoice): string {
  const url = c.store ?? (c.db === undefined ? process.env.MXRAY_STORE : undefined);
  if (url) return url.replace(/\/\/[^@/]*@/, '//');
  return c.db ?? DEFAULT_DB;
}

export async function openStore(c: StoreChoice): Promise<Store> {
  const url = c.store ?? (c.db === undefined ? process.env.MXRAY_STORE : undefined);
  if (url) {
    if (/^clickhouse:\/\//i.test(url)) {
      // loaded only when asked for, so DuckDB users never load the ClickHouse client
      const path: string = './clickhouse/open.js';
      const mod = (await import(path)) as { openClickhouse(url: string, env: NodeJS.ProcessEnv, opts: { sealKey?: Buffer | undefined }): Promise<Store> };
      return mod.openClickhouse(url, process.env, { sealKey: c.sealKey });
    }
    if (/^(duckdb:|file:)/i.test(url))
      return DuckdbStore.open(url.replace(/^(duckdb|file):(\/\/)?/i, ''), { readOnly: c.readOnly ?? false, sealKey: c.sealKey });
    throw new Error(`--store: unsupported URL "${describeStore(c)}": use clickhouse://host:8123/database or duckdb:PATH`);
  }
  return DuckdbStore.open(c.db ?? DEFAULT_DB, { readOnly: c.readOnly ?? false, sealKey: c.sealKey });
}
