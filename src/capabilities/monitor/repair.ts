// A repair command (the seed's "start the stopped instance"): an argv run without a shell, its output
// kept (the last few KB), and at its hard deadline its whole process tree killed — the seed warns
// that starting a misconfigured instance can hang forever. Unix: the command leads a process group
// of its own (detached) and the group gets SIGKILL. Windows: taskkill /T /F kills the tree.
import { spawn } from 'node:child_process';

export interface RepairOutcome {
  /** the exit code; null when killed or not started */
  readonly exitCode: number | null;
  /** the signal that ended it, if any */
  readonly signal: string | null;
  /** killed at its deadline */
  readonly timedOut: boolean;
  /** could not be started (ENOENT …): the message */
  readonly error: string | null;
  readonly durationMs: number;
  /** the deadline it ran under */
  readonly timeoutMs: number;
  /** the end of its stdout and stderr together */
  readonly output: string;
  /** the process id it ran as (tests check that its tree is gone) */
  readonly pid: number | null;
}

const KEEP = 4096;

/** kill the process tree of pid: the group on Unix, taskkill /T on Windows; never throws */
export function killTree(pid: number): Promise<void> {
  if (process.platform === 'win32') {
    return new Promise((resolve) => {
      const k = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
      k.on('error', () => resolve());
      k.on('exit', () => resolve());
    });
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return Promise.resolve();
}

/** one line saying what the command did */
export function describeRepair(argv: readonly string[], o: RepairOutcome): string {
  const cmd = argv.join(' ');
  const secs = (o.durationMs / 1000).toFixed(1);
  if (o.error) return `repair ${cmd} could not start: ${o.error}`;
  if (o.timedOut) return `repair ${cmd} hung and was killed with its processes at its ${(o.timeoutMs / 1000).toFixed(1)} s deadline`;
  if (o.exitCode === 0) return `repair ${cmd} exited 0 after ${secs} s`;
  return `repair ${cmd} failed: ${o.exitCode !== null ? `exit code ${o.exitCode}` : `killed by ${o.signal}`} after ${secs} s`;
}

/** env: the command's environment (default: this process's) */
export function runRepair(argv: readonly string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<RepairOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let output = '';
    const keep = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-KEEP);
    };
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
      shell: false,
      ...(env ? { env } : {}),
    });
    let timedOut = false;
    let settled = false;
    const finish = (o: Omit<RepairOutcome, 'durationMs' | 'output' | 'timedOut' | 'pid' | 'timeoutMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...o, timedOut, timeoutMs, durationMs: performance.now() - started, output: output.trim(), pid: child.pid ?? null });
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => finish({ exitCode: null, signal: null, error: e.message }));
    // 'close' waits for the pipes, which a grandchild may hold: once the command itself exited, its
    // result is known; the pipes get a moment, then are let go
    child.on('exit', (code, signal) => {
      const done = () => finish({ exitCode: code, signal, error: null });
      child.on('close', done);
      setTimeout(done, 500).unref();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) void killTree(child.pid);
      // a tree that will not die still ends the wait
      setTimeout(() => finish({ exitCode: null, signal: 'SIGKILL', error: null }), 2000).unref();
    }, timeoutMs);
  });
}
