// npm run bench -- presence-poll: full poller cycles over a directory of N users (slapd, paged, as an
// ordinary account would read it) who are all on the observer's roster, while L of them are logged in
// and change their presence during the run. The roster: N - L users in a Prosody shared group with
// the observer, the L live ones by subscriptions the observer asks for and their clients approve (a
// grouped user's login makes Prosody probe every member of the group: with 20,000 in one group, a few
// hundred such logins keep it busy for minutes, which is the shared group's cost, not the poller's).
//
// The poller runs in a process of its own (presence-poll-child.ts: the store, the recorder, the
// directory and XMPP clients, as `mxray presence poll` runs them), so the RSS measured is the
// poller's alone, not that of the bench's set-up or of the live users' clients (this process). No
// garbage collection is forced: what a poller holds between cycles is what V8 leaves it. Each cycle is
// recorded as if it came one interval after the one before (the clock shifted by the interval per
// cycle, the pushed changes after a cycle with it), so that every cycle stores 20,000 samples, their
// pieces and totals, as a real 15-minute cycle does (cycles a few seconds apart fall in one minute, and
// the recorder keeps only the first sample of a user per minute). Measured: each cycle's time
// (directory, source, recording), the poller process's RSS during each cycle, and its CPU and RSS
// while it waits between cycles (pushed changes still arrive then).
import { client, xml, type Client } from '@xmpp/client';
import type { PollRecorder } from '../capabilities/presence/poll-recorder.js';
import { PresencePoller, type CycleResult } from '../capabilities/presence/poller.js';
import type { PresenceConfig } from '../capabilities/presence/config.js';
import type { DirectoryConfig } from '../capabilities/presence/directory.js';
import type { Observation } from '../capabilities/presence/types.js';
import { guardParser } from '../capabilities/presence/xmpp.js';
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { procMemory } from './proc-memory.js';

const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function livePeer(service: string, domain: string, username: string, password: string): Promise<Client> {
  const c = client({ service, domain, username, password, resource: 'bench' });
  c.reconnect.stop();
  // PLAIN over TLS: @xmpp/client's SCRAM costs ~2 s of awaited HMACs per login at Prosody's defaults
  const f = (c as unknown as { saslFactory: { _mechs: { name: string }[] } }).saslFactory;
  f._mechs = f._mechs.filter((m) => m.name !== 'SCRAM-SHA-1');
  c.on('error', () => undefined);
  c.on('stanza', (st) => {
    // approve the observer's subscription request, as the user's client would ask the user to
    if (st.is('presence') && st.attrs.type === 'subscribe') void c.send(xml('presence', { to: st.attrs.from, type: 'subscribed' })).catch(() => undefined);
  });
  // a grouped user's login makes Prosody build a roster of every user: more than the 2 s default
  (c as unknown as { timeout: number }).timeout = 60_000;
  guardParser(c);
  await c.start();
  await c.send(xml('presence', {}, xml('show', {}, 'away')));
  return c;
}

/** the live users (this process): logged in, then one of them changes state every 50 ms until stop() */
export async function liveUsers(
  service: string,
  domain: string,
  accounts: readonly (readonly [string, string])[],
): Promise<{ line: string; stop(): Promise<void> }> {
  const t0 = performance.now();
  const peers: Client[] = [];
  for (let i = 0; i < accounts.length; i += 4) {
    peers.push(...(await Promise.all(accounts.slice(i, i + 4).map(([u, p]) => livePeer(service, domain, u, p)))));
  }
  const line = `${accounts.length} live XMPP sessions logged in in ${s(performance.now() - t0)}`;
  const shows = ['chat', 'away', 'dnd', 'xa', ''];
  let k = 0;
  const churn = setInterval(() => {
    const c = peers[k % peers.length];
    const show = shows[Math.floor(k / peers.length) % shows.length]!;
    k++;
    void c?.send(xml('presence', {}, ...(show ? [xml('show', {}, show)] : []))).catch(() => undefined);
  }, 50);
  return {
    line,
    async stop() {
      clearInterval(churn);
      await Promise.all(peers.map((c) => c.stop().catch(() => undefined)));
    },
  };
}

/** what the poller process measured (presence-poll-child.ts prints it as JSON) */
export interface PollMeasures {
  cycles: (Pick<CycleResult, 'users' | 'ms' | 'enrolMs' | 'sampleMs' | 'recordMs'> & {
    pages: number;
    rssMax: number;
    /** V8's heap when the RSS was highest in the cycle */
    heapAtMax: { total: number; used: number };
    /** where the RSS is at the end of the cycle: anonymous memory and mapped files (Linux), and what
     *  DuckDB says it holds (duckdb_memory(), by tag) */
    after: { anon?: number; file?: number; engine?: Record<string, number> };
    idle: { cpuPct: number; rssMax: number; pushes: number };
    /** the store's checkpoints during the cycle (Store.checkpoint, asked for by the recorder) */
    checkpoint?: { ms: number; cpuMs: number; n: number };
  })[];
  /** the process's RSS before the first cycle (store and recorder open) */
  rssStart: number;
  /** its peak RSS (the kernel's high-water mark) */
  rssPeak: number;
  idleMs: number;
}

/** Runs in the poller process: `cycles` cycles of the poller, each followed by `idleMs` of waiting. */
export async function pollCycles(o: {
  presence: PresenceConfig;
  directory: DirectoryConfig;
  recorder: PollRecorder;
  cycles: number;
  idleMs: number;
  /** the store engine's own account of its memory, bytes by kind (DuckDB: duckdb_memory()) */
  engineMemory?: () => Promise<Record<string, number>>;
  /** the store's checkpoints since the last call: time, CPU, count */
  checkpoints?: () => { ms: number; cpuMs: number; n: number };
  /** experiments (MXRAY_BENCH_POLL_AFTER_SQL): run after each cycle's recording */
  afterCycle?: () => Promise<void>;
}): Promise<PollMeasures> {
  let pushes = 0;
  // the clock of the recorded times: shifted by one interval per cycle (see the head of this file)
  let shift = 0;
  const shifted = new Map<number, Date>();
  const later = (d: Date) => {
    let t = shifted.get(d.getTime());
    if (!t) shifted.set(d.getTime(), (t = new Date(d.getTime() + shift)));
    return t;
  };
  // MXRAY_BENCH_POLL_TRACE=1: the memory at each phase of a cycle, one JSON line each on stderr
  const trace = process.env.MXRAY_BENCH_POLL_TRACE
    ? async (phase: string) => {
        const m = process.memoryUsage();
        const p = procMemory();
        const e = o.engineMemory ? await o.engineMemory() : {};
        const MB = (n: number | undefined) => (n === undefined ? undefined : Math.round(n / 104857.6) / 10);
        const files = Object.fromEntries(
          Object.entries(p.files ?? {})
            .filter(([, b]) => b > 1048576)
            .map(([k, b]) => [k, MB(b)]),
        );
        process.stderr.write(
          `${JSON.stringify({ phase, rss: MB(m.rss), heapTotal: MB(m.heapTotal), heapUsed: MB(m.heapUsed), external: MB(m.external), arrayBuffers: MB(m.arrayBuffers), anon: MB(p.anon), brk: MB(p.brk), arenas: p.arenas && { n: p.arenas.count, mb: MB(p.arenas.rss) }, maps: p.mappings, files, duck: MB(Object.values(e).reduce((x, y) => x + y, 0)), spaces: Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name.replace('_space', ''), MB(sp.physical_space_size)])) })}\n`,
        );
      }
    : async (_phase: string) => undefined;
  const counting: PollRecorder = {
    recordCycle: async (at, users, obs) => {
      await trace('sampled');
      shifted.clear();
      // in place: the observations are the poller's own, and copying 20,000 of them would add the
      // bench's garbage to the poller's memory
      for (const ob of obs) (ob as { at: Date }).at = later(ob.at);
      await o.recorder.recordCycle(later(at), users, obs);
      await o.afterCycle?.();
      await trace('recorded');
    },
    recordPush: (ob: Observation) => {
      pushes++;
      return o.recorder.recordPush({ ...ob, at: new Date(ob.at.getTime() + shift) });
    },
    heartbeat: (at) => o.recorder.heartbeat(new Date(at.getTime() + shift)),
    close: (at) => o.recorder.close(at && new Date(at.getTime() + shift)),
  };
  const poller = new PresencePoller({ presence: o.presence, directory: o.directory, recorder: counting, log: () => undefined });
  const rssStart = process.memoryUsage.rss();
  const cycles: PollMeasures['cycles'] = [];
  try {
    for (let i = 0; i < o.cycles; i++) {
      let rssMax = 0;
      const heapAtMax = { total: 0, used: 0 };
      const sample = () => {
        const m = process.memoryUsage();
        if (m.rss <= rssMax) return;
        rssMax = m.rss;
        heapAtMax.total = m.heapTotal;
        heapAtMax.used = m.heapUsed;
      };
      sample();
      await trace(`cycle ${i + 1} start`);
      const watch = setInterval(sample, 100);
      let r: CycleResult;
      try {
        r = await poller.cycle();
      } finally {
        clearInterval(watch);
      }
      if (!r.ok) throw new Error(`cycle ${i + 1} failed: ${r.error}`);
      sample();
      const checkpoint = o.checkpoints?.();
      await trace('cycle end');
      const after = { ...procRss(), ...(o.engineMemory ? { engine: await o.engineMemory() } : {}) };
      const cpu0 = process.cpuUsage();
      const w0 = performance.now();
      const p0 = pushes;
      let idleMax = 0;
      while (performance.now() - w0 < o.idleMs) {
        idleMax = Math.max(idleMax, process.memoryUsage.rss());
        await new Promise((res) => setTimeout(res, 200));
      }
      const cpu = process.cpuUsage(cpu0);
      await trace('idle end');
      cycles.push({
        users: r.users,
        ms: r.ms,
        enrolMs: r.enrolMs,
        sampleMs: r.sampleMs,
        recordMs: r.recordMs,
        pages: r.enrolment?.pages ?? 0,
        rssMax,
        heapAtMax,
        after,
        idle: { cpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - w0)) * 100, rssMax: idleMax, pushes: pushes - p0 },
        ...(checkpoint?.n ? { checkpoint } : {}),
      });
      shift += o.presence.interval;
    }
  } finally {
    await poller.close();
  }
  return { cycles, rssStart, rssPeak: process.resourceUsage().maxRSS * 1024, idleMs: o.idleMs };
}

/** RssAnon and RssFile of /proc/self/status (bytes), where there is one */
function procRss(): { anon?: number; file?: number } {
  try {
    const st = readFileSync('/proc/self/status', 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(st)?.[1]) * 1024;
    return { anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return {};
  }
}

/** the bench's lines of the poller process's measures */
export function describePoll(m: PollMeasures, users: number): string {
  const out: string[] = [];
  out.push(`poller process (its own: store, recorder, directory and XMPP clients) before the first cycle: RSS ${mb(m.rssStart)}`);
  for (const [i, c] of m.cycles.entries()) {
    out.push(
      `cycle ${i + 1}${i === 0 ? ' (observer logs in)' : ''}: ${c.users.toLocaleString('en-US')} users in ${s(c.ms)} (directory ${s(c.enrolMs)}, ${c.pages} pages; XMPP ${s(c.sampleMs)}; recording ${s(c.recordMs)}${c.checkpoint ? `, of which checkpoint ${s(c.checkpoint.ms)}, CPU ${s(c.checkpoint.cpuMs)}` : ''}), RSS max ${mb(c.rssMax)}; ` +
        `V8 heap then ${mb(c.heapAtMax.total)} (${mb(c.heapAtMax.used)} used); at its end ${where(c.after)}; ` +
        `then idle ${s(m.idleMs)}: CPU ${c.idle.cpuPct.toFixed(1)} %, RSS max ${mb(c.idle.rssMax)}, ${c.idle.pushes} pushed changes recorded`,
    );
  }
  const steady = m.cycles.slice(1);
  function where(a: PollMeasures['cycles'][number]['after']): string {
    const parts = [a.anon !== undefined && `anonymous ${mb(a.anon)}`, a.file !== undefined && `mapped files ${mb(a.file)}`].filter(Boolean);
    if (a.engine) {
      const total = Object.values(a.engine).reduce((x, y) => x + y, 0);
      const top = Object.entries(a.engine)
        .filter(([, b]) => b >= 1048576)
        .map(([k, b]) => `${k.toLowerCase()} ${mb(b)}`);
      parts.push(`DuckDB ${mb(total)}${top.length ? ` (${top.join(', ')})` : ''}`);
    }
    return parts.join(', ') || 'not known here';
  }
  const worst = Math.max(...steady.map((c) => c.ms));
  const rss = m.rssPeak;
  out.push(
    `goals: a cycle of ${users.toLocaleString('en-US')} users < 10 s: ${worst < 10_000 ? 'met' : 'NOT met'} (${s(worst)}); RSS < 200 MB: ${rss < 200 * 1048576 ? 'met' : 'NOT met'} (peak ${mb(rss)})`,
  );
  return `${out.join('\n')}\n`;
}
