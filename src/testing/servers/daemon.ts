// What every test server of src/testing/servers/ shares: a throwaway work folder, the binaries a server
// needs (with a skip reason when they are missing), daemons spawned in the foreground under setpriv
// (as their service user, and killed by the kernel if the owning process dies: --pdeathsig), waiting
// until a port answers (with a banner), stopping by pid (bounded, idempotent), retrying on other free
// ports, and the "shared instance" getter: the test run's instance named in the environment, or a
// private one started lazily and shared by the callers of one test process.
//
// Tests may use shell tools: these servers are Debian's daemons, configured in files written here.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePorts } from '../clickhouse-process.js';
import type { TestCa } from '../test-ca.js';

export const HOST = '127.0.0.1';
const STOP_GRACE_MS = 5_000;
// A server's start deadline: generous, since it only delays a real failure and a 2-core machine
// under a load of 15+ (CI beside other suites) was seen to need more than 30 s for INN, slapd or Prosody.
const READY_TIMEOUT_MS = 90_000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- binaries and skipping

export function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** a program on PATH or in the sbin folders daemons live in */
export function findProgram(name: string): string | undefined {
  if (name.startsWith('/')) return isExecutable(name) ? name : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];
  for (const d of dirs) if (d && isExecutable(join(d, name))) return join(d, name);
  return undefined;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/** what a server needs from the machine */
export interface Needs {
  /** the server's name in messages (e.g. "slapd") */
  readonly server: string;
  /** the Debian packages that provide it */
  readonly packages: readonly string[];
  /** programs that must exist (names on PATH or absolute paths) */
  readonly programs: readonly string[];
  /** true when it can only run as root (it drops to its own service user) */
  readonly root?: boolean;
}

/** why a server cannot start here, or undefined when it can */
export function missing(needs: Needs): string | undefined {
  const absent = needs.programs.filter((p) => !findProgram(p));
  if (absent.length)
    return `${needs.server} is not installed (${absent.join(', ')} missing): as root, bash scripts/install-debian-packages.sh ${needs.packages.join(' ')}`;
  if (needs.root && !isRoot()) return `${needs.server} tests need root (the server drops to its own service user)`;
  return undefined;
}

/** why tests of this server are skipped, or false to run them: outside CI a missing package skips
 *  them with this reason; under CI (CI set) nothing is skipped and starting the server fails instead */
export function skipReasonFor(needs: Needs): string | false {
  const why = missing(needs);
  if (!why || process.env.CI) return false;
  return why;
}

/** throw the missing-package message (called first by every start) */
export function ensureInstalled(needs: Needs): void {
  const why = missing(needs);
  if (why) throw new Error(why);
}

// ---------------------------------------------------------------- users and folders

export interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export function systemUser(name: string): SystemUser | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name) return { name, uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    /* no passwd file (not Linux) */
  }
  return undefined;
}

/** chown (recursively) to a service user, when running as root */
export function chownTo(path: string, user: SystemUser | undefined, recursive = false): void {
  if (!user || !isRoot()) return;
  chownSync(path, user.uid, user.gid);
  if (recursive && statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTo(join(path, e), user, true);
}

const DIR_PREFIX = 'mxray-srv-';

/** a fresh work folder, traversable by service users (mode 755), naming its owner for the sweep */
export function makeWorkdir(name: string): string {
  sweepStale();
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${name}-`));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

let swept = false;

/** remove the folders of servers whose owning process died without stop() (their daemons died with
 *  it: pdeathsig) */
function sweepStale(): void {
  if (swept) return;
  swept = true;
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
        continue;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
      }
      if (process.env.MXRAY_KEEP_SERVERS === '1') continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* not ours to judge */
    }
  }
}

export function removeWorkdir(dir: string): void {
  if (process.env.MXRAY_KEEP_SERVERS === '1' || !dir) return;
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

// ---------------------------------------------------------------- processes

/** a spawned daemon (in the foreground), or a pid read from a file */
export interface Daemon {
  readonly pid: number;
  readonly name: string;
  /** true once it has exited */
  readonly exited: boolean;
  readonly log: string;
  /** SIGTERM (or `signal`), then SIGKILL, bounded; idempotent */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const live = new Set<number>();
let exitHook = false;

function killAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const pid of live) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie counts as gone (a container's pid 1 may not reap)
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return existsSync(`/proc/${pid}`) || process.platform !== 'linux';
  }
}

/** send `signal` to pids, wait (bounded) until they are gone, then SIGKILL what is left */
export async function stopPids(pids: readonly number[], signal: NodeJS.Signals = 'SIGTERM', graceMs = STOP_GRACE_MS): Promise<void> {
  const ps = pids.filter((p) => Number.isInteger(p) && p > 0);
  for (const p of ps) {
    try {
      process.kill(p, signal);
    } catch {
      /* gone */
    }
  }
  const deadline = performance.now() + graceMs;
  while (ps.some(alive) && performance.now() < deadline) await sleep(25);
  for (const p of ps.filter(alive)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const p of ps) live.delete(p);
}

export function readPidFile(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export interface SpawnOptions {
  /** run as this service user (root only; otherwise as the caller) */
  user?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** the signal that stops it gracefully (default SIGTERM) */
  stopSignal?: NodeJS.Signals;
}

/** spawn a daemon that stays in the foreground; its stdout and stderr go to `log` */
export function spawnDaemon(name: string, cmd: string, args: readonly string[], log: string, opts: SpawnOptions = {}): Daemon {
  const setpriv = findProgram('setpriv');
  const who = opts.user && isRoot() ? ['--reuid', opts.user, '--regid', opts.user, '--init-groups'] : [];
  const [c, a] = setpriv ? [setpriv, [...who, '--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, [...args]];
  const out = openSync(log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(c, a, { cwd: opts.cwd, stdio: ['ignore', out, out], env: opts.env ?? process.env });
  } finally {
    closeSync(out);
  }
  child.unref();
  killAllOnExit();
  let exited = false;
  const exitedP = new Promise<void>((resolve) => {
    const done = (): void => {
      exited = true;
      if (child.pid) live.delete(child.pid);
      resolve();
    };
    child.once('exit', done);
    child.once('error', done);
  });
  if (child.pid) live.add(child.pid);
  let stopping: Promise<void> | undefined;
  return {
    name,
    log,
    get pid() {
      return child.pid ?? 0;
    },
    get exited() {
      return exited;
    },
    stop(signal = opts.stopSignal ?? 'SIGTERM') {
      stopping ??= (async () => {
        if (exited) return;
        child.kill(signal);
        await Promise.race([exitedP, sleep(STOP_GRACE_MS)]);
        if (!exited) {
          child.kill('SIGKILL');
          await Promise.race([exitedP, sleep(5_000)]);
        }
      })();
      return stopping;
    },
  };
}

/** run a setup command to its end (bounded, asynchronous: servers start in parallel); throws with its
 *  output when it fails */
export function runSetup(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; user?: string } = {}): Promise<string> {
  const setpriv = opts.user && isRoot() ? findProgram('setpriv') : undefined;
  const [c, a] = setpriv ? [setpriv, ['--reuid', opts.user!, '--regid', opts.user!, '--init-groups', '--', cmd, ...args]] : [cmd, [...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(c, a, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('error', (e) => reject(new Error(`${cmd} ${args.join(' ')} failed: ${e.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code ?? signal}): ${tail(out)}`));
    });
  });
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- readiness

/** one attempt: connect; with `expect`, read until the first bytes match it. Resolves true/false. */
function probeOnce(port: number, expect: RegExp | undefined, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: HOST, port });
    let buf = '';
    const done = (ok: boolean): void => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('error', () => done(false));
    s.once('connect', () => {
      if (!expect) done(true);
    });
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (expect?.test(buf)) done(true);
    });
    s.once('close', () => done(false));
  });
}

export class StartFailure extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

/** wait until every port answers (and the first's banner matches `expect`); fail early when one of
 *  `daemons` exits, with the tail of `logs` */
export async function waitReady(
  server: string,
  checks: readonly { port: number; expect?: RegExp }[],
  daemons: readonly Daemon[],
  logs: readonly string[],
  timeoutMs = READY_TIMEOUT_MS,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (const c of checks) {
    for (;;) {
      if (await probeOnce(c.port, c.expect, 2_000)) break;
      const dead = daemons.find((d) => d.exited);
      if (dead || performance.now() > deadline) {
        const text = logs.map(readLog).join('\n');
        const why = dead ? `${dead.name} exited` : `127.0.0.1:${c.port} did not answer within ${timeoutMs} ms`;
        throw new StartFailure(
          `${server}: ${why}${text.trim() ? `:\n${tail(text)}` : ''}`,
          /address already in use|EADDRINUSE|bind\(\) to .* failed/i.test(text),
        );
      }
      await sleep(30);
    }
  }
}

/** wait until every port refuses connections: a stopped server's children may hold its listening
 *  sockets a moment longer (Postfix's smtpd processes inherit them from the master), and a test that
 *  stopped it expects "refused", not an accepted connection that is then reset */
export async function waitClosed(server: string, ports: readonly number[], timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const refused = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = connect({ host: HOST, port });
      const done = (r: boolean): void => {
        clearTimeout(t);
        s.destroy();
        resolve(r);
      };
      const t = setTimeout(() => done(false), 2_000);
      s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED'));
      s.once('connect', () => done(false));
    });
  const deadline = performance.now() + timeoutMs;
  for (const port of ports) {
    while (!(await refused(port))) {
      if (performance.now() > deadline) throw new Error(`${server}: 127.0.0.1:${port} still accepts connections ${timeoutMs} ms after the stop`);
      await sleep(30);
    }
  }
}

/** start with freshly chosen free ports; on a port taken meanwhile, try again on others (3 times) */
export async function withFreePorts<T>(n: number, start: (ports: number[]) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports = await freePorts(n);
    try {
      return await start(ports);
    } catch (err) {
      if (!(err instanceof StartFailure && err.portInUse && attempt < 3)) throw err;
    }
  }
}

// ---------------------------------------------------------------- shared instances

/** what every server handle has */
export interface ServerHandle {
  /** true when this is the test run's instance (or one shared by the callers of this test process):
   *  stop() then only releases it */
  readonly shared: boolean;
  stop(): Promise<void>;
}

/**
 * The getter of a shared instance: the one the environment variable `envName` describes (JSON, written
 * by the run's harness; its stop() does nothing), or else a private one started on the first call and
 * shared by this process's callers until the last of them calls stop().
 */
export function sharedGetter<Info extends object, H extends Info & ServerHandle>(
  envName: string,
  start: () => Promise<H>,
  fromInfo: (info: Info) => H,
): () => Promise<H> {
  let cached: Promise<H> | undefined;
  let users = 0;
  return async () => {
    const text = process.env[envName];
    if (text) {
      let info: Info;
      try {
        info = JSON.parse(text) as Info;
      } catch (err) {
        throw new Error(`${envName}: not the JSON the test harness writes: ${(err as Error).message}`);
      }
      return { ...fromInfo(info), shared: true, stop: async () => {} };
    }
    cached ??= start();
    const p = cached;
    const real = await p.catch((err: unknown) => {
      if (cached === p) cached = undefined;
      throw err;
    });
    users++;
    let released = false;
    return {
      ...real,
      shared: true,
      stop: async () => {
        if (released) return;
        released = true;
        if (--users === 0 && cached === p) {
          cached = undefined;
          await real.stop();
        }
      },
    };
  };
}

/** the JSON-able part of a handle (what the harness passes by environment) */
export function infoOf<T extends object>(handle: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(handle).filter(([, v]) => typeof v !== 'function'));
}

/** a server the test run shares: run-servers.ts starts it when a test file's text matches `uses` */
export interface SharedServer {
  readonly name: string;
  /** the environment variable its start() sets (JSON of the handle); when already set (a developer's
   *  own server), the harness starts none */
  readonly envName: string;
  /** detects use in a test file's text, e.g. /\bsharedSlapd\(/ */
  readonly uses: RegExp;
  /** why it cannot run here (a missing package, outside CI), or false */
  skipReason(): string | false;
  /** start it with certificates from `ca`: the environment that names it to tests, a label for the
   *  log line, and stop() (bounded, idempotent) */
  start(ca: TestCa): Promise<{ env: Record<string, string>; label: string; stop(): Promise<void> }>;
}
