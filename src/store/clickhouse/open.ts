// openClickhouse(url): what `--store clickhouse://…` (or MXRAY_STORE) opens. Parses and checks the
// URL (url.ts), creates the database when missing, applies the versioned migrations of the ingest
// state (migrations.ts), reads the cluster's hosts (topology.ts) and creates or widens the record
// tables — on every host in cluster mode — unless the layout recorded by an earlier open is current.
import { ClickhouseHttp } from './http.js';
import { ensureRecordTables, migrate } from './migrations.js';
import { ident, sql } from '../../sql/sql.js';
import { ClickhouseStore } from './store.js';
import { hostClients, readTopology } from './topology.js';
import { parseStoreUrl, type Environment } from './url.js';

export async function openClickhouse(url: string, env: Environment = process.env, opts: { sealKey?: Buffer | undefined } = {}): Promise<ClickhouseStore> {
  const cfg = parseStoreUrl(url, env);
  const client = (database?: string) =>
    new ClickhouseHttp({
      url: cfg.httpUrl,
      timeoutMs: cfg.timeoutMs,
      ...(database !== undefined && { database }),
      ...(cfg.user !== undefined && { user: cfg.user }),
      ...(cfg.password !== undefined && { password: cfg.password }),
    });
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw new Error(`cannot open the store ${cfg.location}: ${what}: ${(e as Error).message}`, { cause: e });
    }
  };
  await step('creating the database', () => client().exec(sql`CREATE DATABASE IF NOT EXISTS ${ident(cfg.database)}`));
  const ch = client(cfg.database);
  await step('migrating the ingest state', () => migrate(ch));
  const topology = await step('reading the cluster', () => readTopology(ch, cfg.cluster));
  await step('creating the record tables', () => ensureRecordTables(ch, topology, cfg.database, () => hostClients(topology, cfg, ch)));
  return new ClickhouseStore(ch, cfg, topology, opts.sealKey);
}
