// XMPP (RFC 6121): one observer account logged in for as long as the poller runs. It learns the
// users' presence through its roster subscriptions — a shared group the server puts on every roster
// (Prosody mod_groups, ejabberd shared rosters), or subscriptions it asks each user for — keeps every
// resource's latest presence, and answers a sample from that (a user's resources aggregated: the most
// available wins). Presence changes between samples are pushed to onChange listeners with their
// arrival time. A lost connection is retried in the background (1 s, doubling up to 60 s) and at the
// next sample; a sample while the server is away fails with a SourceError rather than report anyone
// offline.
import { client as xmppClient, xml, type Client, type Element } from '@xmpp/client';
import type { XmppSettings } from './settings.js';
import type { EnrolledUser, Observation, PresenceSource, SourceOptions, PresenceState } from './types.js';
import { availability, xmppShow } from './mapping.js';
import { SourceError } from './errors.js';

interface Seen {
  readonly state: PresenceState;
  readonly raw: string;
}

/** the presence of one resource from a stanza: state and the raw value kept beside it */
export function resourcePresence(type: string | undefined, show: string | null): Seen | undefined {
  if (type === undefined || type === 'available') {
    const s = (show ?? '').trim();
    return { state: xmppShow[s] ?? 'online', raw: s || 'available' };
  }
  if (type === 'unavailable') return { state: 'offline', raw: 'unavailable' };
  return undefined;
}

/** within one state, the more available <show/> (away before xa), so the raw value kept does not
 *  depend on which resource spoke last */
const showRank: Readonly<Record<string, number>> = { chat: 3, available: 2, away: 1, xa: 0 };

/** a user's resources aggregated: the most available wins */
export function aggregate(resources: Iterable<Seen>): Seen | undefined {
  let best: Seen | undefined;
  const rank = (s: Seen) => availability[s.state] * 10 + (showRank[s.raw] ?? 0);
  for (const r of resources) if (!best || rank(r) > rank(best)) best = r;
  return best;
}

const bareOf = (j: string) => j.split('/')[0]!.toLowerCase();

/** RFC 6121's subscription values, one string each: the roster keeps one of these per contact
 *  rather than the parser's own copy of the word (20,000 contacts: 0.5 MB) */
const subscriptions = new Map(['none', 'to', 'from', 'both'].map((s) => [s, s]));

/** A string of its own with the text of `s`. The XML parser gives attribute values as slices of the
 *  text it read (V8 keeps a slice of 13 characters or more as a view of its parent), so a JID kept as
 *  a map key would keep the whole stanza's text alive, and a roster's keys the whole roster's text
 *  (20,000 contacts: ~2 MB). A JID is a few dozen bytes: copied through UTF-8. */
export function ownCopy(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}
const resourceOf = (j: string) => {
  const i = j.indexOf('/');
  return i < 0 ? '' : j.slice(i + 1);
};

/** how long the first burst of presence (answers to the server's probes) may take after login, and the
 *  quiet time after which it is taken as complete */
const SETTLE_MAX_MS = 3000;
const SETTLE_QUIET_MS = 300;
const RECONNECT_MAX_MS = 60_000;

export class XmppSource implements PresenceSource {
  readonly name = 'xmpp';
  private client: Client | undefined;
  private online = false;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = 1000;
  /** roster: bare JID -> subscription (none, to, from, both) */
  private readonly roster = new Map<string, string>();
  /** bare JID -> resource -> latest presence */
  private readonly resources = new Map<string, Map<string, Seen>>();
  /** bare JID -> what was last reported (sample or push): a push is a change against it */
  private readonly reported = new Map<string, PresenceState>();
  /** the users of the last sample, by IM address */
  private watched = new Map<string, EnrolledUser>();
  /** subscriptions asked for in this session */
  private readonly asked = new Set<string>();
  private readonly listeners: ((o: Observation) => void)[] = [];
  private lastStanza = 0;
  private settled = false;
  private readonly domain: string;
  private readonly username: string;
  private readonly self: string;

  constructor(
    private readonly s: XmppSettings,
    private readonly opts: SourceOptions,
  ) {
    const [user, domain] = s.jid.split('@') as [string, string];
    this.username = user;
    this.domain = s.domain ?? domain;
    this.self = `${user}@${this.domain}`.toLowerCase();
  }

  onChange(listener: (o: Observation) => void): void {
    this.listeners.push(listener);
  }

  get connected(): boolean {
    return this.online;
  }

  private onStanza(st: Element): void {
    if (st.is('presence')) this.onPresence(st);
  }

  private onPresence(st: Element): void {
    const from = st.attrs.from;
    if (!from) return;
    const bare = bareOf(from);
    if (bare === this.self) return;
    const type = st.attrs.type;
    if (type === 'subscribed') this.roster.set(ownCopy(bare), this.roster.get(bare) === 'from' ? 'both' : 'to');
    if (type === 'subscribe' || type === 'subscribed' || type === 'unsubscribe' || type === 'unsubscribed' || type === 'probe') return;
    this.lastStanza = Date.now();
    if (type === 'error') {
      this.resources.delete(bare);
      return;
    }
    const seen = resourcePresence(type, st.getChildText('show'));
    if (!seen) return;
    const res = resourceOf(from);
    let map = this.resources.get(bare);
    if (seen.state === 'offline') {
      // unavailable from the bare JID: every resource is gone. A user without a resource online has
      // no entry: the server answers the login's probes with an unavailable presence for every
      // offline contact, and an empty map each (with its key, a slice of the parser's text that
      // keeps that text alive) was ~5 MB of the poller's heap for 20,000 users (issue 18)
      if (map) {
        if (res === '') map.clear();
        else map.delete(res);
        if (!map.size) this.resources.delete(bare);
      }
    } else {
      if (!map) this.resources.set(ownCopy(bare), (map = new Map()));
      map.set(ownCopy(res), seen);
    }
    if (this.settled) this.push(bare);
  }

  /** the user's state now, from what the server told us */
  private stateOf(bare: string): Seen {
    const agg = aggregate(this.resources.get(bare)?.values() ?? []);
    if (agg) return agg;
    const sub = this.roster.get(bare);
    if (sub === 'to' || sub === 'both') return { state: 'offline', raw: 'unavailable' };
    if (this.asked.has(bare)) return { state: 'unknown', raw: 'subscription asked, not approved' };
    return { state: 'unknown', raw: 'no subscription' };
  }

  private push(bare: string): void {
    const user = this.watched.get(bare);
    if (!user || !this.listeners.length) return;
    const now = this.stateOf(bare);
    if (this.reported.get(bare) === now.state) return;
    this.reported.set(bare, now.state);
    const o: Observation = {
      imAddress: user.imAddress,
      username: user.username,
      at: new Date(),
      state: now.state,
      raw: now.raw,
      source: this.name,
      pushed: true,
    };
    for (const l of this.listeners) l(o);
  }

  private async connectOnce(): Promise<void> {
    const c = xmppClient({
      service: this.s.service,
      domain: this.domain,
      username: this.username,
      password: this.s.password!.reveal(),
      resource: 'mxray-presence',
    });
    // mxray owns reconnecting: a fresh client each time, with a deadline
    c.reconnect.stop();
    // @xmpp/client waits 2 s for each step of the stream by default; a server building a large roster
    // for the login takes longer
    (c as unknown as { timeout: number }).timeout = this.s.timeoutMs;
    guardParser(c);
    let failure: Error | undefined;
    c.on('error', (e: Error) => {
      failure = e;
    });
    c.on('stanza', (st: Element) => {
      if (this.client === c) this.onStanza(st);
    });
    c.iqCallee.set('jabber:iq:roster', 'query', (ctx) => {
      // a roster push: a user added or removed, a subscription approved
      if (this.client === c && bareOf(ctx.from ?? this.self) === this.self) this.readRoster(ctx.element);
      return true;
    });
    c.on('disconnect', () => {
      if (this.client !== c || !this.online) return;
      this.lost(`connection to ${this.s.service} lost${failure ? `: ${describe(failure)}` : ''}`);
    });
    const deadline = this.s.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.start(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no login within ${deadline} ms`)), deadline);
        }),
      ]);
    } catch (e) {
      clearTimeout(timer);
      c.removeAllListeners('disconnect');
      await c.stop().catch(() => undefined);
      throw new SourceError(`xmpp ${this.s.service}: cannot log in as ${this.s.jid}: ${describe(failure ?? (e as Error))}`);
    } finally {
      clearTimeout(timer);
    }
    this.client = c;
    this.roster.clear();
    this.resources.clear();
    this.asked.clear();
    this.settled = false;
    try {
      const r = await c.iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }), undefined, deadline);
      this.readRoster(r);
      // initial presence: the server probes every contact we are subscribed to and forwards their
      // presence; priority -1 so that no message is routed to the observer
      this.lastStanza = Date.now();
      await c.send(xml('presence', {}, xml('priority', {}, '-1')));
    } catch (e) {
      this.client = undefined;
      await c.stop().catch(() => undefined);
      throw new SourceError(`xmpp ${this.s.service}: logged in, but reading the roster failed: ${describe(e as Error)}`);
    }
    const t0 = Date.now();
    while (Date.now() - t0 < SETTLE_MAX_MS && Date.now() - this.lastStanza < SETTLE_QUIET_MS) await delay(50);
    this.settled = true;
    this.online = true;
    this.retryDelay = 1000;
    this.opts.log(`presence: xmpp: logged in to ${this.s.service} as ${this.s.jid}; ${this.roster.size} contacts on the roster`);
  }

  private readRoster(query: Element | undefined): void {
    for (const item of query?.getChildren('item') ?? []) {
      const j = item.attrs.jid;
      if (!j) continue;
      const bare = bareOf(j);
      if (item.attrs.subscription === 'remove') {
        this.roster.delete(bare);
        this.resources.delete(bare);
      } else this.roster.set(ownCopy(bare), subscriptions.get(item.attrs.subscription ?? 'none') ?? 'none');
    }
  }

  private lost(why: string): void {
    this.online = false;
    this.settled = false;
    const c = this.client;
    this.client = undefined;
    this.resources.clear();
    this.reported.clear();
    void c?.stop().catch(() => undefined);
    this.opts.log(`presence: xmpp: ${why}; retrying`);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect().catch(() => {
        this.retryDelay = Math.min(this.retryDelay * 2, RECONNECT_MAX_MS);
        this.scheduleRetry();
      });
    }, this.retryDelay);
    this.retryTimer.unref();
  }

  /** log in (again); one attempt at a time */
  connect(): Promise<void> {
    if (this.online) return Promise.resolve();
    if (this.closed) return Promise.reject(new SourceError('xmpp: closed'));
    this.connecting ??= this.connectOnce().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async sample(users: readonly EnrolledUser[], signal?: AbortSignal): Promise<Observation[]> {
    if (signal?.aborted) throw new SourceError('stopped');
    await this.connect();
    const c = this.client!;
    this.watched = new Map(users.map((u) => [u.imAddress.toLowerCase(), u]));
    const at = new Date();
    const out: Observation[] = [];
    const ask: string[] = [];
    for (const u of users) {
      const bare = u.imAddress.toLowerCase();
      const sub = this.roster.get(bare);
      if (this.s.subscribe && sub !== 'to' && sub !== 'both' && !this.asked.has(bare)) ask.push(bare);
      const now = this.stateOf(bare);
      this.reported.set(bare, now.state);
      out.push({ imAddress: u.imAddress, username: u.username, at, state: now.state, raw: now.raw, source: this.name, pushed: false });
    }
    for (const bare of ask) {
      this.asked.add(bare);
      await c.send(xml('presence', { to: bare, type: 'subscribe' }));
    }
    if (ask.length) this.opts.log(`presence: xmpp: asked ${ask.length} user(s) for a presence subscription`);
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    this.client = undefined;
    this.online = false;
    if (c) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        c.stop().catch(() => undefined),
        new Promise((r) => {
          timer = setTimeout(r, this.s.timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
  }
}

function describe(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused (is the server running?)';
  if (e.name === 'SASLError' || /not-authorized/.test(e.message)) return 'the server refused the password (not-authorized)';
  if (e.name === 'TimeoutError') return 'the server did not answer in time';
  return `${e.message}${code && !e.message.includes(code) ? ` (${code})` : ''}`;
}

/** @xmpp/client 0.14 throws from a socket 'data' handler (an uncaught exception that ends the
 *  process) when data arrives after a timed-out stream close detached its parser: data without a
 *  parser is dropped instead. Set before start(), which binds the handler. */
export function guardParser(c: Client): void {
  const conn = c as unknown as { parser: { write(s: string): void } | null; _onData(data: Buffer): void };
  conn._onData = function (this: typeof conn, data: Buffer) {
    this.parser?.write(data.toString('utf8'));
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function openXmppSource(s: XmppSettings, opts: SourceOptions): Promise<XmppSource> {
  return new XmppSource(s, opts);
}
