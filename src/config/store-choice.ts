// Which store a command opens: --store, then --db, then MXRAY_STORE, then the config's store:
// section, then ./mxray.duckdb: the command line, then the environment, then the config file.
import type { Config } from './config.js';

export interface StoreSource {
  /** for openStore: a URL, or a DuckDB path, or neither (its default) */
  readonly store?: string;
  readonly db?: string;
  /** where the choice comes from: --store, --db, MXRAY_STORE, "store.db in mxray.yaml:3", default */
  readonly from: string;
}

export function chooseStore(cli: { store?: string; db?: string }, env: Readonly<Record<string, string | undefined>>, config: Config): StoreSource {
  if (cli.store) return { store: cli.store, from: '--store' };
  if (cli.db) return { db: cli.db, from: '--db' };
  if (env.MXRAY_STORE) return { store: env.MXRAY_STORE, from: 'MXRAY_STORE' };
  // only now is the section read: with the store given above, a mistake in it stops nothing
  const section = config.section('store');
  if (section?.url) return { store: section.url, from: `store.url in ${config.where(['store', 'url'])}` };
  if (section?.db) {
    // written as db: PATH, or as url: duckdb:PATH (which the section turns into db)
    const key = config.where(['store', 'db']) !== config.where(['store']) ? 'db' : 'url';
    return { db: section.db, from: `store.${key} in ${config.where(['store', key])}` };
  }
  return { from: 'default' };
}
