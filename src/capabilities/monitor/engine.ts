// The conversation engine: runs a preset's steps (expect / send / starttls / close) against one
// instance. Every wait — connect, TLS, each reply — ends at the step's deadline or the probe's hard
// deadline (target.timeoutMs), whichever comes first; a reply line is capped at 8 KiB and a reply at
// 256 KiB, so a server that talks forever cannot grow memory; a server that says nothing, or a byte a
// second, ends in `timeout`. `probe()` never throws: anything unexpected is an `internal` failure.
import { connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { probeHttp } from './http.js';
import { loadPresets, type ExpectStep, type Preset, type PresetSet, type Step } from './presets.js';
import { failureOfError, ProbeClock, ProbeFailure, Transcript, verdict, type Phases } from './result.js';
import { upgrade } from './tls.js';
import type { ProbeResult, ProbeTarget } from './types.js';

/** longest reply line kept; a longer one fails the step */
export const MAX_LINE_BYTES = 8192;
/** most bytes of one reply (a multi-line one included) */
export const MAX_REPLY_BYTES = 256 * 1024;

export interface ProbeOptions {
  /** the presets to run (default: the built-in ones) */
  readonly presets?: PresetSet;
}

/** probe one instance; resolves (never rejects) by target.timeoutMs plus a few milliseconds */
export async function probe(target: ProbeTarget, signal?: AbortSignal, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const clock = new ProbeClock();
  try {
    const presets = opts.presets ?? loadPresets();
    const name = target.protocol ?? target.scheme;
    const preset = presets.get(name);
    if (!preset) throw new ProbeFailure('internal', `no preset for the protocol ${name}`);
    if (preset.http) return await probeHttp(target, preset, clock, signal);
    return await converse(target, preset, clock, signal);
  } catch (e) {
    const failure = e instanceof ProbeFailure ? e : new ProbeFailure('internal', `internal error: ${(e as Error)?.message ?? String(e)}`);
    return verdict(target, clock, { phases: { connect: null, tls: null, banner: null }, certDaysLeft: null, seen: '', failure, transcript: new Transcript() });
  }
}

function imapQuoted(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

const ehloName = (() => {
  const h = hostname();
  return /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(h) ? h : 'localhost';
})();

/** the variables of a probe without credentials: the same for every such probe */
const anonymous: Record<string, string> = { ehlo: ehloName, user: '', password: '', authPlain: 'AAA=', imapUser: '""', imapPassword: '""', expect: '' };

function variables(target: ProbeTarget): Record<string, string> {
  if (!target.credentials && !target.expect) return anonymous;
  const user = target.credentials?.user ?? '';
  const password = target.credentials?.password ?? '';
  return {
    ehlo: ehloName,
    user,
    password,
    authPlain: Buffer.from(`\0${user}\0${password}`).toString('base64'),
    imapUser: imapQuoted(user),
    imapPassword: imapQuoted(password),
    expect: target.expect ?? '',
  };
}

function substitute(text: string, vars: Record<string, string>): string {
  return text.includes('${') ? text.replace(/\$\{([^}]*)\}/g, (_, k: string) => vars[k] ?? '') : text;
}

const compiled = new Map<string, RegExp>();
/** most distinct patterns kept compiled: the presets' own are a few dozen; a user's --expect adds one */
const MAX_COMPILED = 1000;

/** a preset's pattern as a RegExp, compiled once per distinct text rather than once per probe and
 *  step (1,000 probes of one preset share them); without the g flag, so test() keeps no state */
function regex(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    re = new RegExp(source);
    compiled.set(source, re);
  }
  return re;
}

function applies(step: Step, target: ProbeTarget): boolean {
  switch (step.when) {
    case undefined:
      return true;
    case 'credentials':
      return target.credentials !== undefined;
    case 'no-credentials':
      return target.credentials === undefined;
    case 'expect':
      return target.expect !== undefined && target.expect !== '';
  }
}

type Trouble = { kind: 'closed' } | { kind: 'error'; error: Error } | { kind: 'overflow'; message: string };

/** the one timer of a probe. Every wait (the connection, the TLS handshake, each reply line) ends at
 *  a deadline, and nearly all of them at the probe's hard one: the timer is made again only when the
 *  deadline changes (a step with its own timeoutMs), not once per wait. A timer made and cleared per
 *  reply line and per phase was ~8% of a 1,000-probe check's CPU beyond a bare client (issue 19) */
class Alarm {
  private timer: NodeJS.Timeout | undefined;
  private at = Number.NaN;
  private fire: (() => void) | undefined;
  private readonly ring = () => {
    this.timer = undefined;
    const f = this.fire;
    this.fire = undefined;
    f?.();
  };

  /** call `fire` at `deadline` (performance.now() time) unless disarmed before; one waiter at a time */
  arm(deadline: number, fire: () => void): void {
    this.fire = fire;
    if (this.timer === undefined || deadline !== this.at) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.at = deadline;
      this.timer = setTimeout(this.ring, Math.max(0, deadline - performance.now()));
    }
  }

  /** the wait is over: the timer stays for the next wait of the same deadline */
  disarm(): void {
    this.fire = undefined;
  }

  /** the probe is over: no timer outlives it */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.fire = undefined;
  }
}

/** the lines a socket delivers, with the bounds; one socket at a time (a new one after STARTTLS) */
class Wire {
  constructor(private readonly alarm: Alarm) {}
  private socket: Socket | undefined;
  private buf = '';
  private readonly lines: string[] = [];
  private trouble: Trouble | undefined;
  private wake: (() => void) | undefined;
  private readonly onData = (d: string) => this.feed(d);
  private readonly onEnd = () => this.fail({ kind: 'closed' });
  private readonly onError = (error: Error) => this.fail({ kind: 'error', error });

  attach(s: Socket): void {
    this.socket = s;
    s.setEncoding('utf8');
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.on('close', this.onEnd);
    s.on('error', this.onError);
  }

  /** stop reading the socket (before TLS takes it over); what was buffered is dropped, as a client
   *  must after STARTTLS (plaintext sent before the handshake must not count as a reply after it) */
  detach(): void {
    const s = this.socket;
    if (s) {
      s.off('data', this.onData);
      s.off('end', this.onEnd);
      s.off('close', this.onEnd);
      s.off('error', this.onError);
      s.on('error', () => undefined);
    }
    this.socket = undefined;
    this.buf = '';
    this.lines.length = 0;
  }

  write(line: string): void {
    this.socket?.write(`${line}\r\n`);
  }

  private fail(t: Trouble): void {
    this.trouble ??= t;
    this.wake?.();
  }

  private feed(d: string): void {
    if (this.trouble) return;
    this.buf += d;
    let i = this.buf.indexOf('\n');
    while (i >= 0) {
      this.lines.push(this.buf.slice(0, i).replace(/\r$/, ''));
      this.buf = this.buf.slice(i + 1);
      i = this.buf.indexOf('\n');
    }
    if (this.buf.length > MAX_LINE_BYTES) {
      this.buf = '';
      this.fail({ kind: 'overflow', message: `a reply line longer than ${MAX_LINE_BYTES} bytes` });
      this.socket?.destroy();
      return;
    }
    this.wake?.();
  }

  /** the next line, or the trouble, or a timeout at `deadline` (performance.now() time) */
  line(deadline: number): Promise<string | Trouble | 'timeout'> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift()!);
    if (this.trouble) return Promise.resolve(this.trouble);
    return new Promise((resolve) => {
      const settle = (v: string | Trouble | 'timeout') => {
        this.wake = undefined;
        this.alarm.disarm();
        resolve(v);
      };
      this.wake = () => {
        if (this.lines.length > 0) settle(this.lines.shift()!);
        else if (this.trouble) settle(this.trouble);
      };
      this.alarm.arm(deadline, () => settle('timeout'));
    });
  }

  /** lines already received count toward a reply's size */
  get pending(): number {
    return this.buf.length;
  }
}

/** wait for `p` until `deadline` (on the probe's alarm); on timeout run `onTimeout` (destroy the socket) and fail */
function until<T>(alarm: Alarm, p: Promise<T>, deadline: number, what: string, onTimeout: () => void, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    alarm.arm(deadline, () => {
      signal?.removeEventListener('abort', onAbort);
      onTimeout();
      reject(new ProbeFailure('timeout', `no ${what} before the deadline`));
    });
    const onAbort = () => {
      alarm.disarm();
      onTimeout();
      reject(new ProbeFailure('timeout', `stopped while waiting for ${what}`));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        alarm.disarm();
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        alarm.disarm();
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function connectTcp(address: string, port: number): { socket: Socket; connected: Promise<void> } {
  const socket = netConnect({ host: address, port });
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
  // later errors are the wire's; an error with no listener must never crash the process
  socket.on('error', () => undefined);
  return { socket, connected };
}

async function converse(target: ProbeTarget, preset: Preset, clock: ProbeClock, signal?: AbortSignal): Promise<ProbeResult> {
  const vars = variables(target);
  // every form the password is sent in is masked, however short
  const transcript = new Transcript(target.credentials?.password ? [vars.imapPassword!, vars.authPlain!, vars.password!] : []);
  const phases: Phases = { connect: null, tls: null, banner: null };
  const hard = clock.deadline(target.timeoutMs);
  let certDaysLeft: number | null = null;
  let seen = '';
  let tlsNote = '';
  let lastLine = '';
  let socket: Socket | undefined;
  const alarm = new Alarm();
  const wire = new Wire(alarm);
  const kill = () => socket?.destroy();
  const onAbort = () => kill();
  signal?.addEventListener('abort', onAbort, { once: true });

  const handshake = async (deadline: number) => {
    wire.detach();
    transcript.add('--', 'TLS handshake');
    let out: Awaited<ReturnType<typeof upgrade>>;
    try {
      out = await until(alarm, upgrade(socket!, target.address, target.tls), deadline, 'TLS handshake', kill, signal);
    } catch (e) {
      throw failureOfError(e, 'tls');
    }
    socket = out.socket;
    phases.tls = clock.ms();
    certDaysLeft = out.certDaysLeft;
    tlsNote = `${out.protocol}${out.certDaysLeft !== null ? `, certificate ${out.certDaysLeft} days left` : ''}`;
    transcript.add('--', `${tlsNote}${out.subject ? ` (CN=${out.subject})` : ''}${out.untrusted ? `, not trusted: ${out.untrusted}` : ''}`);
    if (out.untrusted && !target.tls.insecure) throw new ProbeFailure('certificate', `certificate not trusted: ${out.untrusted}`);
    wire.attach(socket);
  };

  /** 'over' when a goodbye step got no reply before its deadline or the connection ended: the
   *  conversation is over, as well as with the reply */
  const expect = async (step: ExpectStep, deadline: number): Promise<'matched' | 'over'> => {
    const pattern = regex(substitute(step.pattern, vars));
    const skip = step.skip === undefined ? undefined : regex(substitute(step.skip, vars));
    let bytes = 0;
    for (;;) {
      const got = await wire.line(deadline);
      if (step.goodbye && (got === 'timeout' || (typeof got !== 'string' && got.kind !== 'overflow'))) {
        transcript.add(
          '--',
          got === 'timeout' ? `no reply to the goodbye within ${step.timeoutMs} ms: the conversation is over` : 'the server ended the connection',
        );
        return 'over';
      }
      if (got === 'timeout')
        throw new ProbeFailure(
          'timeout',
          `no ${step.banner ? 'banner' : 'reply'} matching /${pattern.source}/ before the deadline (${deadline < hard ? 'the step' : 'the probe'}'s ${deadline < hard ? step.timeoutMs : target.timeoutMs} ms)`,
        );
      if (typeof got !== 'string') {
        if (got.kind === 'overflow') throw new ProbeFailure(step.failure, `${got.message} while expecting /${pattern.source}/`);
        if (got.kind === 'error') throw failureOfError(got.error, 'talk');
        throw new ProbeFailure(step.failure, `connection closed by the server while expecting /${pattern.source}/`);
      }
      transcript.add('S', got);
      lastLine = got;
      bytes += got.length + 2;
      if (pattern.test(got)) {
        if (step.banner) {
          phases.banner = clock.ms();
          seen = got;
        }
        return 'matched';
      }
      if (skip?.test(got)) {
        if (bytes + wire.pending > MAX_REPLY_BYTES) {
          socket?.destroy();
          throw new ProbeFailure(step.failure, `a reply longer than ${MAX_REPLY_BYTES} bytes while expecting /${pattern.source}/`);
        }
        continue;
      }
      throw new ProbeFailure(step.failure, `expected /${pattern.source}/, got "${got}"`);
    }
  };

  let failure: ProbeFailure | null = null;
  try {
    const c = connectTcp(target.address, target.port);
    socket = c.socket;
    transcript.add('--', `connect ${target.address} port ${target.port}`);
    try {
      await until(alarm, c.connected, hard, 'connection', kill, signal);
    } catch (e) {
      throw failureOfError(e, 'connect');
    }
    phases.connect = clock.ms();
    wire.attach(socket);
    if (preset.tls === 'implicit') await handshake(hard);
    steps: for (const step of preset.steps) {
      if (!applies(step, target)) continue;
      if (step.unless !== undefined && regex(substitute(step.unless, vars)).test(lastLine)) continue;
      if (signal?.aborted) throw new ProbeFailure('timeout', 'stopped');
      const deadline = step.timeoutMs ? Math.min(hard, performance.now() + step.timeoutMs) : hard;
      switch (step.kind) {
        case 'send': {
          const line = substitute(step.line, vars);
          transcript.add('C', line);
          wire.write(line);
          break;
        }
        case 'expect':
          if ((await expect(step, deadline)) === 'over') break steps;
          break;
        case 'starttls':
          await handshake(deadline);
          break;
        case 'close':
          // the conversation is done: the socket goes now (no half-close, no waiting for the server's
          // FIN: a server that keeps the connection open must not hold the probe until its deadline)
          socket.destroy();
          break steps;
      }
    }
    if (!seen) seen = `connected to ${target.address} port ${target.port}`;
  } catch (e) {
    failure = signal?.aborted ? new ProbeFailure('timeout', 'stopped before the end of the conversation') : failureOfError(e, 'talk');
  } finally {
    alarm.stop();
    signal?.removeEventListener('abort', onAbort);
    socket?.destroy();
  }
  return verdict(target, clock, { phases, certDaysLeft, seen: tlsNote ? `${seen} (${tlsNote})` : seen, failure, transcript });
}
