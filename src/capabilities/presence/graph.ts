// Microsoft Graph (Teams presence): POST {baseUrl}/communications/getPresencesByUserId {ids: […]}, at
// most 650 ids a call and 1,500 calls per 30 s per app and tenant, honouring Retry-After on 429 (and
// 503); an app-only token (client credentials) from the token URL, kept until shortly before it
// expires. Users are Graph object ids, read from the directory attribute the settings name
// (msDS-ExternalDirectoryObjectId by default, `User_<guid>`): a user without one is unknown.
import type { GraphSettings } from './settings.js';
import type { EnrolledUser, Observation, PresenceSource, SourceOptions } from './types.js';
import { graphState } from './mapping.js';
import { SourceError } from './errors.js';

export const GRAPH_MAX_IDS = 650;
export const GRAPH_CALLS_PER_WINDOW = 1500;
export const GRAPH_WINDOW_MS = 30_000;
/** the longest Retry-After obeyed before the cycle gives up */
const MAX_RETRY_AFTER_MS = 300_000;
const MAX_RETRIES = 5;

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** the Graph id in a directory value: a GUID, bare or as Exchange hybrid writes it back (User_<guid>) */
export function graphIdOf(value: string | undefined): string | undefined {
  const v = value?.trim().replace(/^User_/i, '');
  return v && guid.test(v) ? v.toLowerCase() : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new SourceError('stopped'));
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', stop);
      resolve();
    }
    function stop() {
      clearTimeout(t);
      reject(new SourceError('stopped'));
    }
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** Retry-After in ms: seconds, or an HTTP date; undefined when absent or unreadable */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** at most `max` calls in any `windowMs`: waits for a free slot */
export class CallWindow {
  private readonly calls: number[] = [];
  constructor(
    private readonly max = GRAPH_CALLS_PER_WINDOW,
    private readonly windowMs = GRAPH_WINDOW_MS,
  ) {}
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = Date.now();
      while (this.calls.length && this.calls[0]! <= now - this.windowMs) this.calls.shift();
      if (this.calls.length < this.max) {
        this.calls.push(now);
        return;
      }
      await sleep(this.calls[0]! + this.windowMs - now + 1, signal);
    }
  }
}

interface Token {
  value: string;
  expires: number;
}

export interface GraphStats {
  calls: number;
  tokenRequests: number;
  retries: number;
}

export class GraphSource implements PresenceSource {
  readonly name = 'graph';
  private token: Token | undefined;
  readonly stats: GraphStats = { calls: 0, tokenRequests: 0, retries: 0 };
  private readonly window = new CallWindow();

  constructor(
    private readonly s: GraphSettings,
    private readonly opts: SourceOptions,
  ) {}

  private async fetchWithDeadline(url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const deadline = AbortSignal.timeout(this.s.timeoutMs);
    try {
      return await fetch(url, { ...init, signal: signal ? AbortSignal.any([signal, deadline]) : deadline });
    } catch (e) {
      if (signal?.aborted) throw new SourceError('stopped');
      const err = e as Error & { cause?: NodeJS.ErrnoException };
      const why = deadline.aborted ? `no answer within ${this.s.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new SourceError(`graph: ${new URL(url).origin}: ${why}`);
    }
  }

  private async accessToken(signal?: AbortSignal, renew = false): Promise<string> {
    if (!renew && this.token && this.token.expires > Date.now()) return this.token.value;
    this.stats.tokenRequests++;
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.s.clientId,
      client_secret: this.s.clientSecret!.reveal(),
      scope: this.s.scope,
    });
    const r = await this.fetchWithDeadline(this.s.tokenUrl, { method: 'POST', body, headers: { accept: 'application/json' } }, signal);
    const text = await r.text();
    let json: { access_token?: string; expires_in?: number | string; error?: string; error_description?: string } = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      // not JSON: said below
    }
    if (!r.ok || !json.access_token) {
      const why = json.error ? `${json.error}${json.error_description ? `: ${json.error_description.split(/\r?\n/)[0]}` : ''}` : text.slice(0, 200);
      throw new SourceError(`graph: the token request to ${this.s.tokenUrl} failed: HTTP ${r.status} ${why}`);
    }
    // renewed a minute before it expires (tokens last about an hour)
    const life = Number(json.expires_in ?? 3600) * 1000;
    this.token = { value: json.access_token, expires: Date.now() + Math.max(0, life - Math.min(60_000, life / 2)) };
    return this.token.value;
  }

  private async batch(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, { availability?: string; activity?: string }>> {
    const url = `${this.s.baseUrl}/communications/getPresencesByUserId`;
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      await this.window.take(signal);
      const token = await this.accessToken(signal);
      this.stats.calls++;
      const r = await this.fetchWithDeadline(
        url,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ ids }),
        },
        signal,
      );
      if (r.status === 401 && !renewed) {
        // a token revoked or expired early: one fresh token, then the call again
        await r.body?.cancel();
        renewed = true;
        await this.accessToken(signal, true);
        continue;
      }
      if ((r.status === 429 || r.status === 503) && attempt < MAX_RETRIES) {
        await r.body?.cancel();
        const wait = retryAfterMs(r.headers.get('retry-after')) ?? 2 ** attempt * 1000;
        if (wait > MAX_RETRY_AFTER_MS)
          throw new SourceError(`graph: throttled (HTTP ${r.status}) with Retry-After ${Math.round(wait / 1000)} s: giving up this cycle`);
        this.stats.retries++;
        this.opts.log(`presence: graph: throttled (HTTP ${r.status}), retrying in ${Math.ceil(wait / 1000)} s`);
        await sleep(wait, signal);
        continue;
      }
      const text = await r.text();
      if (!r.ok) {
        let why = text.slice(0, 200);
        try {
          const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
          if (e) why = `${e.code ?? ''}${e.message ? `: ${e.message}` : ''}`;
        } catch {
          // the body as it is
        }
        throw new SourceError(`graph: ${url}: HTTP ${r.status} ${why}`);
      }
      let list: { id?: string; availability?: string; activity?: string }[];
      try {
        list = (JSON.parse(text) as { value: typeof list }).value;
        if (!Array.isArray(list)) throw new Error('no value list');
      } catch (e) {
        throw new SourceError(`graph: ${url}: an answer that is not a presence list (${(e as Error).message})`);
      }
      const out = new Map<string, { availability?: string; activity?: string }>();
      for (const p of list) if (p.id) out.set(p.id.toLowerCase(), p);
      return out;
    }
  }

  async sample(users: readonly EnrolledUser[], signal?: AbortSignal): Promise<Observation[]> {
    const withId = new Map<string, EnrolledUser[]>();
    const out: Observation[] = [];
    const at = new Date();
    for (const u of users) {
      const id = graphIdOf(u.sourceId);
      if (!id) {
        out.push({
          imAddress: u.imAddress,
          username: u.username,
          at,
          state: 'unknown',
          raw: `no Graph id (${this.s.idAttribute})`,
          source: this.name,
          pushed: false,
        });
        continue;
      }
      const list = withId.get(id);
      if (list) list.push(u);
      else withId.set(id, [u]);
    }
    const ids = [...withId.keys()];
    for (let i = 0; i < ids.length; i += this.s.batchSize) {
      const part = ids.slice(i, i + this.s.batchSize);
      const got = await this.batch(part, signal);
      const when = new Date();
      for (const id of part) {
        const p = got.get(id);
        for (const u of withId.get(id)!) {
          out.push({
            imAddress: u.imAddress,
            username: u.username,
            at: when,
            state: p ? graphState(p.availability, p.activity) : 'unknown',
            raw: p ? `${p.availability ?? ''}/${p.activity ?? ''}` : 'not returned by Graph',
            source: this.name,
            pushed: false,
          });
        }
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.token = undefined;
  }
}

export async function openGraphSource(s: GraphSettings, opts: SourceOptions): Promise<GraphSource> {
  return new GraphSource(s, opts);
}
