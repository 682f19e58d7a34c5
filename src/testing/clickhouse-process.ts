// Real ClickHouse server processes for tests: one throwaway server, or a sharded cluster of them,
// each with its own config and data under a temp folder, listening on 127.0.0.1 only, on ports chosen
// free at run time. Works with Debian's clickhouse-server 18.16 and with current releases. Tests ask
// clickhouse.ts (which hands out the test run's shared servers); this file starts private ones.
//
// Processes are always stopped: stop() (SIGTERM, then SIGKILL, bounded), a process 'exit' hook, and
// the kernel's parent-death signal (setpriv --pdeathsig KILL) if the owning process dies any other way.
// As root the server runs as the packaged `clickhouse` system user (its data folder is chowned to it);
// 18.16 would also run as root, current releases warn about it. Otherwise it runs as the caller.
//
// Without ClickHouse installed: as root it is installed (scripts/install-clickhouse.sh); otherwise
// starting one throws saying how to install it, and developers may set MXRAY_SKIP_CLICKHOUSE=1 so that
// describeClickhouse() suites are skipped with that reason. CI (CI set) never skips.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { repoPath } from './paths.js';

export interface ClickhouseServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly httpPort: number;
  /** native protocol port (what a Distributed table connects to) */
  readonly tcpPort: number;
  readonly pid: number;
  /** the temp folder holding config.xml, users.xml, data/ and log/ */
  readonly dir: string;
  /** ms from spawn to the first answered /ping */
  readonly readyMs: number;
  /** the user the server runs as */
  readonly user: string;
  /** true once the server process has exited */
  readonly stopped: boolean;
  /** true for the test run's shared server (clickhouse.ts): stop() leaves it running for the others,
   *  down() and up() refuse; then pid is 0 and dir '' (the process is scripts/run.mjs's) */
  readonly shared: boolean;
  /** a database of the caller's own: a fresh one on the shared server, `default` on a private one
   *  (each caller of the shared server that writes to `default` shares it with the other test files) */
  readonly database: string;
  /** stop the server (idempotent, bounded) and remove its folder unless kept */
  stop(): Promise<void>;
  /** take the server down abruptly (SIGKILL, as a crash would; a graceful stop waits seconds for
   *  the other servers' pooled connections) but keep its folder, so up() can bring it back */
  down(): Promise<void>;
  /** start it again on the same ports with the same config and data (after down()) */
  up(): Promise<void>;
}

export interface StartOptions {
  /** a server of this test's own even when the test run shares one: to stop it, down() and up() it */
  private?: boolean;
  /** TCP ports of every shard of the cluster `clusterName` (this server's included) */
  clusterTcpPorts?: readonly number[];
  /** name of the cluster in remote_servers (default mxray_cluster) */
  clusterName?: string;
  /** bound on waiting for /ping, ms (default 30 000) */
  readyTimeoutMs?: number;
  /** keep the temp folder after stop() (also MXRAY_KEEP_CLICKHOUSE=1), for reading its logs */
  keep?: boolean;
  /** accounts besides `default` (which has no password), e.g. to test credentials */
  users?: readonly { name: string; password: string }[];
}

export interface ClickhouseCluster {
  readonly servers: readonly ClickhouseServer[];
  readonly clusterName: string;
  stop(): Promise<void>;
}

export const DEFAULT_CLUSTER = 'mxray_cluster';
const STOP_GRACE_MS = 5_000;
/** the start deadline: generous, it only delays a real failure (a loaded 2-core machine is slow) */
const READY_TIMEOUT_MS = 90_000;

// ---------------------------------------------------------------- install

/** how to run the server: clickhouse-server, or `clickhouse server` (current single-binary releases) */
export interface Binary {
  cmd: string;
  args: string[];
}
let installed: Binary | Error | undefined;

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin', '/sbin'];
  for (const d of dirs) if (d && isExecutable(join(d, name))) return join(d, name);
  return undefined;
}

function findServer(): Binary | undefined {
  const server = findOnPath('clickhouse-server');
  if (server) return { cmd: server, args: [] };
  const multi = findOnPath('clickhouse'); // current releases: one binary, `clickhouse server`
  if (multi) return { cmd: multi, args: ['server'] };
  return undefined;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** The server binary, installing Debian's clickhouse-server first when running as root. Cached per
 *  process. Throws with instructions when it is missing and cannot be installed. */
export function ensureClickhouseInstalled(): Binary {
  if (installed instanceof Error) throw installed;
  if (installed) return installed;
  try {
    installed = install();
  } catch (err) {
    installed = err instanceof Error ? err : new Error(String(err));
    throw installed;
  }
  return installed;
}

function install(): Binary {
  let found = findServer();
  if (!found) {
    if (!isRoot()) {
      throw new Error(
        'clickhouse-server is not installed, and only root can install it: run `sudo bash scripts/install-clickhouse.sh` ' +
          '(Debian: apt-get install clickhouse-server clickhouse-client), or set MXRAY_SKIP_CLICKHOUSE=1 to skip the ClickHouse tests',
      );
    }
    const script = repoPath('scripts', 'install-clickhouse.sh');
    if (!existsSync(script)) throw new Error(`clickhouse-server is not installed and ${script} is missing`);
    process.stderr.write('mxray tests: installing clickhouse-server (scripts/install-clickhouse.sh)…\n');
    // stdout of a test process belongs to the test runner: the installer's output goes to stderr
    const r = spawnSync('bash', [script], { stdio: ['ignore', 2, 2], timeout: 15 * 60_000 });
    if (r.error || r.status !== 0)
      throw new Error(`installing clickhouse-server failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}); see the output above`);
    found = findServer();
    if (!found) throw new Error('scripts/install-clickhouse.sh succeeded but no clickhouse-server binary was found');
  }
  return found;
}

// ---------------------------------------------------------------- skipping

/** why ClickHouse suites are skipped, or false to run them (CI always runs them) */
export function clickhouseSkipReason(): string | false {
  if (process.env.MXRAY_SKIP_CLICKHOUSE !== '1') return false;
  if (process.env.CI) {
    process.stderr.write('mxray tests: MXRAY_SKIP_CLICKHOUSE=1 is ignored under CI: ClickHouse tests run\n');
    return false;
  }
  return 'MXRAY_SKIP_CLICKHOUSE=1: ClickHouse tests skipped (they need clickhouse-server; as root: bash scripts/install-clickhouse.sh)';
}

// ---------------------------------------------------------------- ports

/** n distinct ports that were free on 127.0.0.1 a moment ago (all held open until all are known) */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

// ---------------------------------------------------------------- processes

const live = new Set<ChildProcess>();
let exitHook = false;

function killAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

function xml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// keep_alive_timeout 2: an idle keep-alive connection (Node's fetch keeps them) holds up 18.16's
// shutdown for the whole timeout (10 s by default, 8 s measured); with 2 s stop() takes under 1 s
// and fetch still reuses connections (it subtracts 1 s from the server's Keep-Alive hint).
function configXml(dir: string, httpPort: number, tcpPort: number, opts: StartOptions): string {
  const shards = (opts.clusterTcpPorts ?? []).map((p) => `<shard><replica><host>127.0.0.1</host><port>${p}</port></replica></shard>`).join('');
  const cluster = shards ? `<remote_servers><${opts.clusterName ?? DEFAULT_CLUSTER}>${shards}</${opts.clusterName ?? DEFAULT_CLUSTER}></remote_servers>` : '';
  const d = xml(dir);
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${d}/log/server.log</log><errorlog>${d}/log/server.err.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${d}/data/</path>
  <tmp_path>${d}/tmp/</tmp_path>
  <user_files_path>${d}/user_files/</user_files_path>
  <format_schema_path>${d}/format_schemas/</format_schema_path>
  <users_config>${d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <mlock_executable>false</mlock_executable>
  <shutdown_wait_unfinished>0</shutdown_wait_unfinished>
  <keep_alive_timeout>2</keep_alive_timeout>
  ${cluster}
</yandex>
`;
}

function usersXml(extra: StartOptions['users'] = []): string {
  const user = (name: string, password: string): string =>
    `<${name}><password>${xml(password)}</password><networks><ip>127.0.0.1</ip></networks>` + `<profile>default</profile><quota>default</quota></${name}>`;
  for (const u of extra) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(u.name)) throw new TypeError(`bad user name ${u.name}`);
  return `<?xml version="1.0"?>
<yandex>
  <profiles><default/></profiles>
  <users>${user('default', '')}${extra.map((u) => user(u.name, u.password)).join('')}</users>
  <quotas><default/></quotas>
</yandex>
`;
}

/** the system user to run the server as, when root: `clickhouse` if it exists and can reach dir */
function serviceUser(dir: string): { name: string; uid: number; gid: number } | undefined {
  if (!isRoot() || !findOnPath('setpriv')) return undefined;
  let line: string | undefined;
  try {
    line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('clickhouse:'));
  } catch {
    return undefined;
  }
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  // every folder above dir must be traversable by others, or the server could not open its config
  for (let p = dirname(dir); ; p = dirname(p)) {
    if ((statSync(p).mode & 0o001) === 0) return undefined;
    if (dirname(p) === p) break;
  }
  return { name: 'clickhouse', uid: Number(uid), gid: Number(gid) };
}

function chownTree(p: string, uid: number, gid: number): void {
  chownSync(p, uid, gid);
  if (statSync(p).isDirectory()) for (const e of readdirSync(p)) chownTree(join(p, e), uid, gid);
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** the last lines of a log, without the stack-frame lines (`12. /lib/…`) */
function tail(text: string, lines = 12): string {
  return text
    .trimEnd()
    .split('\n')
    .filter((l) => !/^\s*\d+\.\s/.test(l))
    .slice(-lines)
    .join('\n');
}

class StartFailure extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** wait for p, at most ms (the timer is cleared, so it never holds the process open) */
async function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p,
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(timer);
}

async function pingOnce(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.ok && (await res.text()).startsWith('Ok');
  } catch {
    return false;
  }
}

const DIR_PREFIX = 'mxray-clickhouse-';

/** remove the folders of servers whose test process died without stop() (killed, crashed): each
 *  folder names its owner's pid, and the server itself died with its owner (pdeathsig) */
function sweepStale(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((e) => e.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const e of entries) {
    const dir = join(tmpdir(), e);
    try {
      const owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
      if (owner === process.pid || !Number.isInteger(owner) || owner <= 0) continue;
      try {
        process.kill(owner, 0);
        continue; // alive
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
      }
      if (process.env.MXRAY_KEEP_CLICKHOUSE === '1') continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // no owner.pid (being created, or not ours to judge): leave it
    }
  }
}

let swept = false;

async function launch(httpPort: number, tcpPort: number, opts: StartOptions): Promise<ClickhouseServer> {
  const bin = ensureClickhouseInstalled();
  if (!swept) {
    swept = true;
    sweepStale();
  }
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  for (const sub of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'config.xml'), configXml(dir, httpPort, tcpPort, opts));
  writeFileSync(join(dir, 'users.xml'), usersXml(opts.users));
  const runAs = serviceUser(dir);
  if (runAs) chownTree(dir, runAs.uid, runAs.gid);

  const serverArgs = [...bin.args, `--config-file=${join(dir, 'config.xml')}`];
  const setpriv = findOnPath('setpriv');
  let cmd = bin.cmd,
    args = serverArgs;
  if (setpriv) {
    const who = runAs ? ['--reuid', runAs.name, '--regid', runAs.name, '--init-groups'] : [];
    cmd = setpriv;
    args = [...who, '--pdeathsig', 'KILL', '--', bin.cmd, ...serverArgs];
  }
  const keep = opts.keep || process.env.MXRAY_KEEP_CLICKHOUSE === '1';
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess;
  let exited = false;
  let exitedP: Promise<void>;
  let removed = false;

  const spawnServer = (): void => {
    const out = openSync(join(dir, 'log', 'stdout.log'), 'a');
    try {
      child = spawn(cmd, args, {
        cwd: dir,
        stdio: ['ignore', out, out],
        // current releases fork a watchdog parent unless told not to; 18.16 ignores this
        env: { ...process.env, CLICKHOUSE_WATCHDOG_ENABLE: '0' },
      });
    } finally {
      closeSync(out);
    }
    killAllOnExit();
    const c = child;
    live.add(c);
    c.unref();
    exited = false;
    exitedP = new Promise<void>((resolve) => {
      c.once('exit', () => {
        exited = true;
        live.delete(c);
        resolve();
      });
      c.once('error', () => {
        exited = true;
        live.delete(c);
        resolve();
      });
    });
  };

  /** SIGTERM, then SIGKILL, bounded */
  const halt = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    await within(exitedP, STOP_GRACE_MS);
    if (!exited) {
      child.kill('SIGKILL');
      await within(exitedP, 5000);
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await halt();
      if (!keep) {
        removed = true;
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      }
    })();
    return stopping;
  };

  /** wait for /ping; on failure stop and throw with the log's tail */
  const waitReady = async (t0: number): Promise<void> => {
    const deadline = t0 + (opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
    for (;;) {
      if (await pingOnce(url)) return;
      if (exited || performance.now() > deadline) {
        const stdout = readLog(join(dir, 'log', 'stdout.log')),
          errors = readLog(join(dir, 'log', 'server.err.log'));
        const logs = [tail(stdout), tail(errors)].filter(Boolean).join('\n');
        const why = exited ? `exited (${child.exitCode ?? child.signalCode})` : `did not answer /ping within ${opts.readyTimeoutMs ?? READY_TIMEOUT_MS} ms`;
        await stop();
        throw new StartFailure(
          `clickhouse-server on 127.0.0.1:${httpPort}/${tcpPort} ${why}${logs ? `:\n${logs}` : ''}`,
          /Address already in use|EADDRINUSE/i.test(stdout + errors),
        );
      }
      await sleep(50);
    }
  };

  const t0 = performance.now();
  spawnServer();
  await waitReady(t0);
  const readyMs = Math.round(performance.now() - t0);
  return {
    url,
    httpPort,
    tcpPort,
    dir,
    readyMs,
    shared: false,
    database: 'default',
    get pid() {
      return child.pid!;
    },
    user: runAs?.name ?? userInfo().username,
    get stopped() {
      return exited;
    },
    stop,
    async down() {
      if (exited) return;
      child.kill('SIGKILL');
      await within(exitedP, 5000);
    },
    async up() {
      if (stopping || removed) throw new Error('up(): the server was stopped with stop(), which removed its folder; use down()');
      if (!exited) return;
      spawnServer();
      await waitReady(performance.now());
    },
  };
}

const ATTEMPTS = 3;

/** one server of the caller's own on free ports; retried on other ports if one was taken meanwhile */
export async function startPrivateServer(opts: StartOptions = {}): Promise<ClickhouseServer> {
  for (let attempt = 1; ; attempt++) {
    const [httpPort, tcpPort] = (await freePorts(2)) as [number, number];
    try {
      return await launch(httpPort, tcpPort, opts);
    } catch (err) {
      if (!(err instanceof StartFailure && err.portInUse && attempt < ATTEMPTS)) throw err;
    }
  }
}

/** `shards` servers of the caller's own, each declaring the cluster of all of them (one replica per shard) */
export async function startPrivateCluster(shards = 2, opts: Omit<StartOptions, 'clusterTcpPorts'> = {}): Promise<ClickhouseCluster> {
  const clusterName = opts.clusterName ?? DEFAULT_CLUSTER;
  for (let attempt = 1; ; attempt++) {
    const ports = await freePorts(2 * shards);
    const tcpPorts = ports.slice(shards);
    const results = await Promise.allSettled(
      Array.from({ length: shards }, (_, i) => launch(ports[i]!, tcpPorts[i]!, { ...opts, clusterName, clusterTcpPorts: tcpPorts })),
    );
    const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failed.length === 0) {
      return {
        servers,
        clusterName,
        stop: async () => {
          await Promise.all(servers.map((s) => s.stop()));
        },
      };
    }
    await Promise.all(servers.map((s) => s.stop()));
    const retry = failed.every((e) => e instanceof StartFailure && e.portInUse) && attempt < ATTEMPTS;
    if (!retry) throw failed[0];
  }
}
