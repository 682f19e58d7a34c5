// The store URL of the ClickHouse backend, validated once (unknown options are errors, with the list
// of known ones):
//
//   clickhouse://[user[:password]@]host[:port]/database[?option=value&…]
//
//   cluster=NAME     sharded mode: local tables on every host of cluster NAME (from system.clusters of
//                    the server in the URL), Distributed tables over them (see tables.ts)
//   secure=1         HTTPS (default port 8443 instead of 8123)
//   partial=1        reports answer from the shards that are up when some are down
//                    (skip_unavailable_shards=1); without it a report with a shard down is an error
//                    naming the shard
//   shards=h:p,h:p   HTTP endpoints of the cluster's hosts, when they are not host_name:<URL port>
//                    (test clusters on one machine); each is checked against system.clusters.is_local
//   timeout=SECONDS  deadline of one request (default 300)
//   retries=N        extra attempts of a failed insert (default 3), with exponential backoff
//   backoff_ms=MS    first backoff (default 500 ms, doubled per attempt)
//
// Credentials: preferably from the environment, MXRAY_CLICKHOUSE_USER and MXRAY_CLICKHOUSE_PASSWORD
// or MXRAY_CLICKHOUSE_PASSWORD_FILE (a file holding the password; one trailing newline is dropped), so
// that they appear neither in shell history nor in `ps`. user:password@ in the URL is accepted too and
// wins over the environment. `location` (what messages print) never has credentials.
import { readFileSync } from 'node:fs';

export interface StoreUrl {
  /** http(s)://host:port of the server in the URL */
  readonly httpUrl: string;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly database: string;
  readonly cluster?: string;
  readonly partial: boolean;
  /** HTTP endpoints (host:port) of the cluster's hosts, when given */
  readonly shards?: readonly string[];
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs: number;
  readonly user?: string;
  readonly password?: string;
  /** the URL without credentials, for messages */
  readonly location: string;
}

export interface Environment {
  readonly [name: string]: string | undefined;
}

const OPTIONS = ['cluster', 'secure', 'partial', 'shards', 'timeout', 'retries', 'backoff_ms'] as const;
type Option = (typeof OPTIONS)[number];

export class StoreUrlError extends Error {
  override readonly name = 'StoreUrlError';
}

function flag(name: string, v: string): boolean {
  if (/^(1|true|yes)$/i.test(v)) return true;
  if (/^(0|false|no)$/i.test(v)) return false;
  throw new StoreUrlError(`--store: ${name}=${v}: expected 1 or 0`);
}

function whole(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new StoreUrlError(`--store: ${name}=${v}: expected a whole number from ${min} to ${max}`);
  return n;
}

function endpoint(name: string, v: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new StoreUrlError(`--store: ${name}: "${v}" is not host:port`);
  return `${m[1]}:${Number(m[2])}`;
}

/** Parse a clickhouse:// store URL; credentials from the URL or else from `env`. Throws StoreUrlError
 *  with the problem (never the password). */
export function parseStoreUrl(text: string, env: Environment = process.env): StoreUrl {
  let url: URL;
  // the password must not reach an error message: parse a copy without the user info first
  const shown = text.replace(/\/\/[^@/?#]*@/, '//');
  try {
    url = new URL(text);
  } catch {
    throw new StoreUrlError(`--store: "${shown}" is not a valid URL: expected clickhouse://host:8123/database`);
  }
  if (url.protocol !== 'clickhouse:') throw new StoreUrlError(`--store: "${shown}" is not a clickhouse:// URL`);
  if (!url.hostname) throw new StoreUrlError(`--store: "${shown}" names no host: expected clickhouse://host:8123/database`);
  const path = decodeURIComponent(url.pathname.replace(/^\/+/, '').replace(/\/+$/, ''));
  if (!path) throw new StoreUrlError(`--store: "${shown}" names no database: expected clickhouse://${url.host}/database`);
  if (path.includes('/')) throw new StoreUrlError(`--store: database "${path}" holds a "/": expected clickhouse://host:port/database`);
  if (/[\0-\x1f]/.test(path)) throw new StoreUrlError(`--store: the database name holds control characters`);

  const seen = new Map<Option, string>();
  for (const [k, v] of url.searchParams) {
    if (!(OPTIONS as readonly string[]).includes(k)) {
      throw new StoreUrlError(`--store: unknown option "${k}"; known options: ${OPTIONS.join(', ')}`);
    }
    if (seen.has(k as Option)) throw new StoreUrlError(`--store: option "${k}" is given twice`);
    seen.set(k as Option, v);
  }
  const secure = seen.has('secure') ? flag('secure', seen.get('secure')!) : false;
  const port = url.port ? Number(url.port) : secure ? 8443 : 8123;
  const cluster = seen.get('cluster');
  if (cluster !== undefined && !/^[A-Za-z0-9_.-]+$/.test(cluster))
    throw new StoreUrlError(`--store: cluster=${cluster}: expected a cluster name from remote_servers`);
  const shardsText = seen.get('shards');
  if (shardsText !== undefined && cluster === undefined) throw new StoreUrlError('--store: shards= is only meaningful with cluster=NAME');
  const shards = shardsText
    ?.split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => endpoint('shards', s));
  const partial = seen.has('partial') ? flag('partial', seen.get('partial')!) : false;
  if (partial && cluster === undefined) throw new StoreUrlError('--store: partial=1 is only meaningful with cluster=NAME');

  let user = url.username ? decodeURIComponent(url.username) : undefined;
  let password = url.password ? decodeURIComponent(url.password) : undefined;
  if (user === undefined && password === undefined) {
    user = env.MXRAY_CLICKHOUSE_USER || undefined;
    if (env.MXRAY_CLICKHOUSE_PASSWORD !== undefined && env.MXRAY_CLICKHOUSE_PASSWORD_FILE !== undefined) {
      throw new StoreUrlError('MXRAY_CLICKHOUSE_PASSWORD and MXRAY_CLICKHOUSE_PASSWORD_FILE are both set: set one');
    }
    password = env.MXRAY_CLICKHOUSE_PASSWORD;
    const file = env.MXRAY_CLICKHOUSE_PASSWORD_FILE;
    if (file) password = readPasswordFile(file);
  }

  const host = url.hostname;
  const hostPort = `${host}:${port}`;
  const opts = new URLSearchParams();
  for (const k of OPTIONS) if (seen.has(k)) opts.set(k, seen.get(k)!);
  const query = opts.toString();
  return {
    httpUrl: `${secure ? 'https' : 'http'}://${hostPort}`,
    host,
    port,
    secure,
    database: path,
    ...(cluster !== undefined && { cluster }),
    partial,
    ...(shards !== undefined && { shards }),
    timeoutMs: seen.has('timeout') ? whole('timeout', seen.get('timeout')!, 1, 86_400) * 1000 : 300_000,
    retries: seen.has('retries') ? whole('retries', seen.get('retries')!, 0, 100) : 3,
    backoffMs: seen.has('backoff_ms') ? whole('backoff_ms', seen.get('backoff_ms')!, 0, 600_000) : 500,
    ...(user !== undefined && { user }),
    ...(password !== undefined && { password }),
    location: `clickhouse://${hostPort}/${encodeURIComponent(path)}${query ? `?${query.replace(/%2C/gi, ',').replace(/%3A/gi, ':')}` : ''}`,
  };
}

function readPasswordFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new StoreUrlError(`MXRAY_CLICKHOUSE_PASSWORD_FILE: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return text.replace(/\r?\n$/, '');
}
