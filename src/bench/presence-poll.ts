// npm run bench -- presence-poll: full poller cycles over a directory of N users (slapd, paged, as an
// ordinary account would read it) who are all on the observer's roster, while L of them are logged in
// and change their presence during the run. The roster: N - L users in a Prosody shared group with
// the observer, the L live ones by subscriptions the observer asks for and their clients approve (a
// grouped user's login makes Prosody probe every member of the group: with 20,000 in one group, a few
// hundred such logins keep it busy for minutes, which is the shared group's cost, not the poller's). Measured: each cycle's time
// (directory, source, recording), and the poller process's CPU and RSS while it waits between cycles
// (pushed changes still arrive then).
import { client, xml, type Client } from '@xmpp/client';
import type { PresenceConfig } from '../capabilities/presence/config.js';
import type { DirectoryConfig } from '../capabilities/presence/directory.js';
import type { PollRecorder } from '../capabilities/presence/poll-recorder.js';
import { PresencePoller, type CycleResult } from '../capabilities/presence/poller.js';
import { guardParser } from '../capabilities/presence/xmpp.js';

export interface PresenceBenchSetup {
  readonly presence: PresenceConfig;
  readonly directory: DirectoryConfig;
  readonly recorder: PollRecorder;
  /** users in the directory and on the roster */
  readonly users: number;
  /** XMPP accounts that log in and change state: [username, password] */
  readonly live: readonly (readonly [string, string])[];
  readonly service: string;
  readonly domain: string;
  /** cycles to run (the first includes the observer's login) */
  readonly cycles: number;
  /** idle time measured between cycles, ms */
  readonly idleMs: number;
}

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

export async function benchPresencePoll(b: PresenceBenchSetup): Promise<string> {
  const out: string[] = [];
  const t0 = performance.now();
  const peers: Client[] = [];
  for (let i = 0; i < b.live.length; i += 4) {
    peers.push(...(await Promise.all(b.live.slice(i, i + 4).map(([u, p]) => livePeer(b.service, b.domain, u, p)))));
  }
  out.push(`${b.live.length} live XMPP sessions logged in in ${s(performance.now() - t0)}`);
  // the live users change state all through the run: one of them every 50 ms
  const shows = ['chat', 'away', 'dnd', 'xa', ''];
  let k = 0;
  const churn = setInterval(() => {
    const c = peers[k % peers.length];
    const show = shows[Math.floor(k / peers.length) % shows.length]!;
    k++;
    void c?.send(xml('presence', {}, ...(show ? [xml('show', {}, show)] : []))).catch(() => undefined);
  }, 50);
  let pushes = 0;
  const counting: PollRecorder = {
    recordCycle: (at, users, obs) => b.recorder.recordCycle(at, users, obs),
    recordPush: (o) => {
      pushes++;
      return b.recorder.recordPush(o);
    },
    heartbeat: (at) => b.recorder.heartbeat(at),
    close: (at) => b.recorder.close(at),
  };
  const poller = new PresencePoller({ presence: b.presence, directory: b.directory, recorder: counting, log: () => undefined });
  const results: CycleResult[] = [];
  const idle: { cpuPct: number; rssMax: number; pushes: number }[] = [];
  try {
    for (let i = 0; i < b.cycles; i++) {
      const r = await poller.cycle();
      if (!r.ok) throw new Error(`cycle ${i + 1} failed: ${r.error}`);
      results.push(r);
      global.gc?.();
      const cpu0 = process.cpuUsage();
      const w0 = performance.now();
      const p0 = pushes;
      let rssMax = 0;
      while (performance.now() - w0 < b.idleMs) {
        rssMax = Math.max(rssMax, process.memoryUsage().rss);
        await new Promise((r) => setTimeout(r, 200));
      }
      const cpu = process.cpuUsage(cpu0);
      idle.push({ cpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - w0)) * 100, rssMax, pushes: pushes - p0 });
    }
  } finally {
    clearInterval(churn);
    await poller.close();
    await Promise.all(peers.map((c) => c.stop().catch(() => undefined)));
  }
  for (const [i, r] of results.entries()) {
    const id = idle[i]!;
    out.push(
      `cycle ${i + 1}${i === 0 ? ' (observer logs in)' : ''}: ${r.users.toLocaleString('en-US')} users in ${s(r.ms)} (directory ${s(r.enrolMs)}, ${r.enrolment?.pages} pages; XMPP ${s(r.sampleMs)}; recording ${s(r.recordMs)}); ` +
        `then idle ${s(b.idleMs)}: CPU ${id.cpuPct.toFixed(1)} %, RSS max ${mb(id.rssMax)}, ${id.pushes} pushed changes recorded`,
    );
  }
  const steady = results.slice(1);
  const worst = Math.max(...steady.map((r) => r.ms));
  const rss = Math.max(...idle.map((x) => x.rssMax));
  out.push(
    `goals: a cycle of ${b.users.toLocaleString('en-US')} users < 10 s: ${worst < 10_000 ? 'met' : 'NOT met'} (${s(worst)}); RSS < 200 MB: ${rss < 200 * 1048576 ? 'met' : 'NOT met'} (${mb(rss)})`,
  );
  return `${out.join('\n')}\n`;
}
