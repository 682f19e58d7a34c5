// Run the mxray command line in this process, for tests: `run(argv)` of cli/main.ts with what it
// writes to stdout and stderr captured and its exit code returned, as testing/cli.ts's mxray()
// gives them from a child process, without the ~0.85 s a process costs. Use the child process
// where the process boundary itself is tested (bin/mxray.js, signals, a lock held by another
// process).
//
// While a command runs, process.stdout.write and process.stderr.write are replaced, and
// process.exitCode and the environment variables named in `env` are set; all are restored after.
// Only text is captured: the CLI writes strings, while node's test runner writes its own reports
// to the same stdout as Buffers, even while a test awaits, and those pass through untouched.
// Commands run one at a time (a queue), since the streams are process-wide.
import { run } from '../cli/main.js';
import type { CliResult } from './cli.js';

export type { CliResult } from './cli.js';

type Write = typeof process.stdout.write;

let queue: Promise<unknown> = Promise.resolve();

/** `mxray ...args` in this process; `env` is set for the command's duration */
export function mxrayInProcess(args: string[], opts: { env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  const job = queue.then(() => runOnce(args, opts.env ?? {}));
  queue = job.catch(() => undefined);
  return job;
}

function capture(stream: NodeJS.WriteStream, into: string[]): Write {
  const original = stream.write;
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk !== 'string') return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
    into.push(chunk);
    // write(chunk, callback) or write(chunk, encoding, callback): the callback still runs
    const cb = rest.find((x): x is () => void => typeof x === 'function');
    if (cb) process.nextTick(cb);
    return true;
  } as Write;
  return original;
}

async function runOnce(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const savedExitCode = process.exitCode;
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const setEnv = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  process.exitCode = undefined;
  setEnv(env);
  const out = capture(process.stdout, stdout);
  const err = capture(process.stderr, stderr);
  try {
    const code = await run(['node', 'mxray', ...args]);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    setEnv(savedEnv);
    process.exitCode = savedExitCode;
  }
}
