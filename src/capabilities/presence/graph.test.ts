// The Graph source against a local HTTP server that serves the documented request and response shapes
// of the token endpoint (client credentials) and of POST /communications/getPresencesByUserId. The
// real service cannot be reached from here. The server checks what Graph checks (the bearer token, at
// most 650 ids a call), throttles once with 429 + Retry-After, and answers from its own table: the
// truth the mapped states are compared with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../config/load.js';
import { sections } from '../../config/sections.js';
import { CallWindow, GraphSource, graphIdOf, retryAfterMs } from './graph.js';
import type { EnrolledUser, PresenceState } from './types.js';

const availabilities = ['Available', 'AvailableIdle', 'Away', 'BeRightBack', 'Busy', 'BusyIdle', 'DoNotDisturb', 'Offline', 'PresenceUnknown'];
const expectedState: Record<string, PresenceState> = {
  Available: 'online',
  AvailableIdle: 'idle',
  Away: 'away',
  BeRightBack: 'beRightBack',
  Busy: 'busy',
  BusyIdle: 'idle',
  DoNotDisturb: 'busy',
  Offline: 'offline',
  PresenceUnknown: 'unknown',
};

const guidOf = (i: number) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

interface FakeGraph {
  server: Server;
  url: string;
  tokens: number;
  batches: number[];
  throttled: number;
  bodyOf: (req: IncomingMessage) => Promise<string>;
  expiresIn: number;
  secret: string;
}

/** the truth: user i's availability and activity (every 7th in a call, every 50th unknown to Graph) */
function presenceOf(i: number): { availability: string; activity: string } | undefined {
  if (i % 50 === 49) return undefined;
  const availability = availabilities[i % availabilities.length]!;
  const activity = i % 7 === 3 ? (i % 2 ? 'InACall' : 'InAConferenceCall') : availability;
  return { availability, activity };
}

async function fakeGraph(): Promise<FakeGraph> {
  const bodyOf = async (req: IncomingMessage) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    return Buffer.concat(parts).toString('utf8');
  };
  const g: FakeGraph = {
    server: undefined as unknown as Server,
    url: '',
    tokens: 0,
    batches: [],
    throttled: 0,
    bodyOf,
    expiresIn: 3599,
    secret: 'the-app-secret',
  };
  let issued = '';
  g.server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    const json = (status: number, o: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(o));
    };
    if (req.method === 'POST' && req.url === '/tenant-x/oauth2/v2.0/token') {
      const f = new URLSearchParams(body);
      if (f.get('grant_type') !== 'client_credentials' || f.get('client_id') !== 'app-id' || f.get('client_secret') !== g.secret)
        return json(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x' });
      assert.equal(f.get('scope'), `${g.url.replace(/\/$/, '')}/.default`);
      g.tokens++;
      issued = `token-${g.tokens}`;
      return json(200, { token_type: 'Bearer', expires_in: g.expiresIn, access_token: issued });
    }
    if (req.method === 'POST' && req.url === '/v1.0/communications/getPresencesByUserId') {
      if (req.headers.authorization !== `Bearer ${issued}`)
        return json(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } });
      const { ids } = JSON.parse(body) as { ids: string[] };
      if (!Array.isArray(ids) || ids.length > 650) return json(400, { error: { code: 'BadRequest', message: 'too many ids' } });
      if (g.throttled === 0) {
        g.throttled++;
        return json(429, { error: { code: 'TooManyRequests', message: 'throttled' } }, { 'retry-after': '1' });
      }
      g.batches.push(ids.length);
      const value = ids.flatMap((id) => {
        const i = Number.parseInt(id.slice(-12), 16);
        const p = presenceOf(i);
        // Graph answers with the id as it knows it (lower case) and an @odata.type per entry
        return p ? [{ '@odata.type': '#microsoft.graph.presence', id, ...p }] : [];
      });
      return json(200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.presence)', value });
    }
    json(404, { error: { code: 'NotFound', message: `${req.method} ${req.url}` } });
  });
  await new Promise<void>((r) => g.server.listen(0, '127.0.0.1', r));
  g.url = `http://127.0.0.1:${(g.server.address() as AddressInfo).port}/`;
  return g;
}

function settingsFor(g: FakeGraph, extra: string[] = []) {
  const text = [
    'presence:',
    '  source: graph',
    '  graph:',
    `    baseUrl: ${g.url}v1.0`,
    `    tokenUrl: ${g.url}tenant-x/oauth2/v2.0/token`,
    '    clientId: app-id',
    '    clientSecretEnv: GRAPH_SECRET',
    ...extra,
  ].join('\n');
  const c = parseConfig(text, { path: '/x/mxray.yaml', shown: 'mxray.yaml', via: '--config' }, sections, { env: { GRAPH_SECRET: 'the-app-secret' } });
  return c.section('presence')!.graph!;
}

test('Graph: batches of at most 650 ids, one token for the cycle, a 429 waited out, availability and activity mapped with the raw values', async () => {
  const g = await fakeGraph();
  try {
    const lines: string[] = [];
    const source = new GraphSource(settingsFor(g), { log: (l) => lines.push(l) });
    const users: EnrolledUser[] = [];
    for (let i = 0; i < 1400; i++) {
      const id = guidOf(i);
      // as Exchange hybrid writes it back, in either case; every 100th user has no Graph id
      const sourceId = i % 100 === 99 ? undefined : i % 2 ? `User_${id.toUpperCase()}` : id;
      users.push({ imAddress: `user${i}@corp.example`, username: `user${i}`, dn: `CN=user${i},DC=corp`, ...(sourceId ? { sourceId } : {}) });
    }
    const t0 = Date.now();
    const obs = await source.sample(users);
    assert.ok(Date.now() - t0 >= 1000, 'the Retry-After of 1 s was waited');
    assert.equal(g.throttled, 1);
    assert.equal(source.stats.retries, 1);
    assert.match(lines.join('\n'), /throttled \(HTTP 429\), retrying in 1 s/);
    const withId = users.filter((u) => u.sourceId).length;
    assert.deepEqual(g.batches, [650, 650, withId - 1300]);
    assert.equal(g.tokens, 1, 'the token is fetched once and reused');
    assert.equal(obs.length, users.length);
    for (const [i, u] of users.entries()) {
      const o = obs.find((x) => x.imAddress === u.imAddress)!;
      assert.equal(o.pushed, false);
      assert.equal(o.source, 'graph');
      const truth = presenceOf(i);
      if (!u.sourceId) assert.deepEqual([o.state, o.raw], ['unknown', 'no Graph id (msDS-ExternalDirectoryObjectId)'], u.imAddress);
      else if (!truth) assert.deepEqual([o.state, o.raw], ['unknown', 'not returned by Graph'], u.imAddress);
      else {
        const state = truth.activity === 'InACall' || truth.activity === 'InAConferenceCall' ? 'onThePhone' : expectedState[truth.availability];
        assert.deepEqual([o.state, o.raw], [state, `${truth.availability}/${truth.activity}`], u.imAddress);
      }
    }
    // a second cycle: the cached token still serves
    await source.sample(users.slice(0, 10));
    assert.equal(g.tokens, 1);
    await source.close();
  } finally {
    g.server.close();
  }
});

test('Graph: an expired token is renewed; a refused secret is a clear error that does not show the secret', async () => {
  const g = await fakeGraph();
  try {
    g.throttled = 1; // no 429 here
    g.expiresIn = 0;
    const source = new GraphSource(settingsFor(g, ['    batchSize: 5']), { log: () => undefined });
    const users: EnrolledUser[] = [0, 1, 2, 3, 4, 5, 6].map((i) => ({ imAddress: `u${i}@x`, username: `u${i}`, dn: '', sourceId: guidOf(i) }));
    await source.sample(users);
    assert.deepEqual(g.batches, [5, 2]);
    assert.equal(g.tokens, 2, 'a token that expired at once is fetched for each call');
    g.secret = 'rotated';
    await assert.rejects(source.sample(users), (e: Error) => {
      assert.equal(e.name, 'SourceError');
      assert.match(
        e.message,
        /token request to http:\/\/127\.0\.0\.1:\d+\/tenant-x\/oauth2\/v2\.0\/token failed: HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided\.$/,
      );
      assert.ok(!e.message.includes('the-app-secret'));
      return true;
    });
  } finally {
    g.server.close();
  }
});

test('Graph: an unreachable service fails the sample with the address and the reason', async () => {
  const g = await fakeGraph();
  const settings = settingsFor(g);
  await new Promise((r) => g.server.close(r));
  const source = new GraphSource(settings, { log: () => undefined });
  await assert.rejects(
    source.sample([{ imAddress: 'a@x', username: 'a', dn: '', sourceId: guidOf(1) }]),
    /^SourceError: graph: http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/,
  );
});

test('Graph ids, Retry-After and the call window', async () => {
  assert.equal(graphIdOf('User_0A1B2C3D-0000-4000-8000-000000000001'), '0a1b2c3d-0000-4000-8000-000000000001');
  assert.equal(graphIdOf('not-a-guid'), undefined);
  assert.equal(retryAfterMs('7'), 7000);
  const byDate = retryAfterMs(new Date(Date.now() + 5000).toUTCString()) ?? 0;
  assert.ok(byDate > 3000 && byDate <= 5000, `an HTTP date: ${byDate} ms`);
  assert.equal(retryAfterMs(null), undefined);
  // 3 calls per 200 ms: the 4th waits for the window to move
  const w = new CallWindow(3, 200);
  const t0 = Date.now();
  for (let i = 0; i < 4; i++) await w.take();
  assert.ok(Date.now() - t0 >= 190, `the 4th call waited (${Date.now() - t0} ms)`);
});
