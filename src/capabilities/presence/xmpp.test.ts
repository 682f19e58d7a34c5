// The XMPP source against a real Prosody: test clients log in as users of the shared group and change
// their presence (available, away, dnd, xa, offline) during the test; the observer must see each
// user as the clients said, aggregate several resources of one user (most available wins), push the
// changes between samples, ask a user outside the shared group for a subscription, and fail a sample
// (never report anyone offline) while the server is down, then recover when it returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, xml, type Client } from '@xmpp/client';
import { parseConfig } from '../../config/load.js';
import { sections } from '../../config/sections.js';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { XmppSource, aggregate, resourcePresence } from './xmpp.js';
import type { EnrolledUser, Observation } from './types.js';
import { prosodyForTest, type TestProsody } from './test-servers.fixture.js';

// servers: private Prosody instances (startProsody through test-servers.fixture.ts)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, get: () => T | undefined, ms = 5000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

function settings(p: TestProsody) {
  const text = [
    'presence:',
    '  source: xmpp',
    '  xmpp:',
    `    service: ${p.service}`,
    `    domain: ${p.domain}`,
    `    jid: observer@${p.domain}`,
    '    passwordEnv: OBSERVER_PW',
    '    timeoutMs: 5000',
  ].join('\n');
  const c = parseConfig(text, { path: '/x/mxray.yaml', shown: 'mxray.yaml', via: '--config' }, sections, { env: { OBSERVER_PW: p.password('observer') } });
  return c.section('presence')!.xmpp!;
}

async function peer(p: TestProsody, user: string, resource: string, show?: string): Promise<Client> {
  const c = client({ service: p.service, domain: p.domain, username: user, password: p.password(user), resource });
  c.reconnect.stop();
  // PLAIN over the TLS connection: @xmpp/client's SCRAM-SHA-1 takes ~2 s of awaited HMACs per login
  const f = (c as unknown as { saslFactory: { _mechs: { name: string }[] } }).saslFactory;
  f._mechs = f._mechs.filter((m) => m.name !== 'SCRAM-SHA-1');
  c.on('error', () => undefined);
  c.on('stanza', (s) => {
    // approve every subscription request, as a user's client asks its user to
    if (s.is('presence') && s.attrs.type === 'subscribe') void c.send(xml('presence', { to: s.attrs.from, type: 'subscribed' }));
  });
  await c.start();
  await say(c, show);
  return c;
}

function say(c: Client, show?: string): Promise<void> {
  return c.send(xml('presence', {}, ...(show ? [xml('show', {}, show)] : []), xml('priority', {}, '1')));
}

const user = (p: TestProsody, name: string): EnrolledUser => ({ imAddress: `${name}@${p.domain}`, username: name, dn: `uid=${name},dc=example,dc=org` });
const stateOf = (obs: readonly Observation[], name: string) => {
  const o = obs.find((x) => x.imAddress.startsWith(`${name}@`))!;
  return `${o.state} ${o.raw}`;
};

test('resources aggregate to the most available; show values map onto the state model', () => {
  assert.deepEqual(resourcePresence(undefined, null), { state: 'online', raw: 'available' });
  assert.deepEqual(resourcePresence(undefined, 'chat'), { state: 'online', raw: 'chat' });
  assert.deepEqual(resourcePresence(undefined, 'dnd'), { state: 'busy', raw: 'dnd' });
  assert.deepEqual(resourcePresence(undefined, 'xa'), { state: 'away', raw: 'xa' });
  assert.deepEqual(resourcePresence('unavailable', null), { state: 'offline', raw: 'unavailable' });
  assert.equal(resourcePresence('subscribe', null), undefined);
  assert.deepEqual(aggregate([resourcePresence(undefined, 'xa')!, resourcePresence(undefined, 'dnd')!]), { state: 'busy', raw: 'dnd' });
  assert.equal(aggregate([]), undefined);
  // two resources in one state: the more available show, whichever came first
  assert.deepEqual(aggregate([resourcePresence(undefined, 'xa')!, resourcePresence(undefined, 'away')!]), { state: 'away', raw: 'away' });
  assert.deepEqual(aggregate([resourcePresence(undefined, null)!, resourcePresence(undefined, 'chat')!]), { state: 'online', raw: 'chat' });
});

test('ownCopy: a JID kept from a slice of a large text does not keep that text alive', () => {
  // in a process of its own, V8's heap after a full collection: 2,000 texts of 5,000 characters, a
  // JID sliced out of each and kept, the texts dropped
  const script = `
    const { ownCopy } = await import(${JSON.stringify(new URL('./xmpp.js', import.meta.url).href)});
    const { collectGarbage } = await import(${JSON.stringify(new URL('./gc.js', import.meta.url).href)});
    const keptMb = (own) => {
      let texts = Array.from({ length: 2000 }, (_, i) => \`<item jid='user\${i}@example.org' subscription='both'/>\`.padEnd(5000, ' ') + i);
      const jids = texts.map((t) => t.slice(11, t.indexOf("'", 11))).map((j) => (own ? ownCopy(j) : j));
      texts = undefined;
      collectGarbage();
      const mb = process.memoryUsage().heapUsed / 1048576;
      return { mb, ok: jids.every((j, i) => j === \`user\${i}@example.org\`) };
    };
    const base = (collectGarbage(), process.memoryUsage().heapUsed / 1048576);
    const sliced = keptMb(false);
    const own = keptMb(true);
    process.stdout.write(JSON.stringify({ sliced: sliced.mb - base, own: own.mb - sliced.mb, ok: sliced.ok && own.ok }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  const r = JSON.parse(out) as { sliced: number; own: number; ok: boolean };
  assert.ok(r.ok, 'the copies have the JIDs');
  // the plain slices keep their 2,000 texts (10 MB); the copies ~100 KB more than that
  assert.ok(r.sliced > 8, `slices kept ${r.sliced.toFixed(1)} MB`);
  assert.ok(r.own < 1, `copies kept ${r.own.toFixed(1)} MB`);
});

test('XMPP against Prosody: samples, several resources, changes pushed as they happen, a subscription asked for', async (t) => {
  const p = await prosodyForTest(t, { private: true });
  if (!p) return;
  const peers: Client[] = [];
  const logs: string[] = [];
  const source = new XmppSource(settings(p), { log: (l) => logs.push(l) });
  const pushed: Observation[] = [];
  source.onChange((o) => pushed.push(o));
  try {
    const alicePhone = await peer(p, 'alice', 'phone', 'away');
    const aliceDesk = await peer(p, 'alice', 'desk', 'xa');
    const bob = await peer(p, 'bob', 'pc', 'dnd');
    const carol = await peer(p, 'carol', 'pc', 'xa');
    peers.push(alicePhone, aliceDesk, bob, carol, await peer(p, 'eve', 'pc', 'away'));
    // dave stays logged off
    const users = ['alice', 'bob', 'carol', 'dave', 'eve'].map((n) => user(p, n));
    const first = await source.sample(users);
    assert.deepEqual(
      users.map((u) => stateOf(first, u.username)),
      ['away away', 'busy dnd', 'away xa', 'offline unavailable', 'unknown no subscription'],
    );
    assert.ok(first.every((o) => !o.pushed && o.source === 'xmpp'));
    // the source keeps resources for the users logged in only (dave's unavailable answer to the
    // login's probe leaves no entry: 20,000 offline users' empty entries were ~5 MB)
    const kept = () => [...(source as unknown as { resources: Map<string, unknown> }).resources.keys()].map((j) => j.split('@')[0]).sort();
    assert.deepEqual(kept(), ['alice', 'bob', 'carol']);
    assert.match(logs.join('\n'), /asked 1 user\(s\) for a presence subscription/);
    // eve's approval of the subscription asked for may already have come (her presence is then a
    // push, checked below): the rest's presence received at login is no change
    assert.deepEqual(
      pushed.filter((o) => o.username !== 'eve').map((o) => `${o.username} ${o.state} ${o.raw}`),
      [],
      'the presence received at login is no change',
    );

    // changes between samples: each pushed once, with its arrival time
    const before = Date.now();
    await say(aliceDesk, 'chat'); // alice: away (phone) + chat (desk) -> online
    await until('alice online', () => pushed.find((o) => o.imAddress.startsWith('alice@') && o.state === 'online'));
    await bob.stop(); // bob logs off -> offline
    await until('bob offline', () => pushed.find((o) => o.imAddress.startsWith('bob@') && o.state === 'offline'));
    await say(carol); // carol: available without show -> online
    await until('carol online', () => pushed.find((o) => o.imAddress.startsWith('carol@')));
    peers.push(await peer(p, 'dave', 'pc', 'away')); // dave logs on
    await until('dave away', () => pushed.find((o) => o.imAddress.startsWith('dave@')));
    await say(aliceDesk, 'chat'); // the same again: no change, no push
    // eve approved the subscription: her presence arrives as a push too
    await until('eve away', () => pushed.find((o) => o.imAddress.startsWith('eve@')));
    await sleep(300);
    // eve's approval comes whenever her client answers: her push is checked apart from the rest's order
    assert.deepEqual(
      pushed.filter((o) => o.username !== 'eve').map((o) => `${o.username} ${o.state} ${o.raw}`),
      ['alice online chat', 'bob offline unavailable', 'carol online available', 'dave away away'],
    );
    assert.deepEqual(
      pushed.filter((o) => o.username === 'eve').map((o) => `${o.state} ${o.raw}`),
      ['away away'],
    );
    assert.ok(pushed.every((o) => o.pushed && o.at.getTime() >= before && o.at.getTime() <= Date.now()));

    // bob logged off: his entry went with his last resource
    assert.deepEqual(kept(), ['alice', 'carol', 'dave', 'eve']);
    const second = await source.sample(users);
    assert.deepEqual(
      users.map((u) => stateOf(second, u.username)),
      ['online chat', 'offline unavailable', 'online available', 'away away', 'away away'],
    );
  } finally {
    await source.close();
    for (const c of peers) await c.stop().catch(() => undefined);
  }
});

test('XMPP: the server stops mid-run: the sample fails with a clear error (nobody reported offline), and the source recovers when it returns', async (t) => {
  const p = await prosodyForTest(t, { private: true });
  if (!p) return;
  const logs: string[] = [];
  const source = new XmppSource(settings(p), { log: (l) => logs.push(l) });
  const peers: Client[] = [];
  try {
    peers.push(await peer(p, 'alice', 'pc', 'dnd'));
    const users = [user(p, 'alice'), user(p, 'bob')];
    assert.deepEqual(
      (await source.sample(users)).map((o) => o.state),
      ['busy', 'offline'],
    );
    await p.stop();
    await until('the loss noticed', () => logs.find((l) => /connection to .* lost/.test(l)));
    await assert.rejects(source.sample(users), (e: Error) => {
      assert.equal(e.name, 'SourceError');
      assert.match(e.message, /^xmpp xmpp:\/\/127\.0\.0\.1:\d+: cannot log in as observer@example\.org: connection refused \(is the server running\?\)$/);
      return true;
    });
    await p.start();
    peers.push(await peer(p, 'alice', 'pc2', 'xa'));
    // the next sample logs in again (or the background retry already has)
    const after = await source.sample(users);
    assert.deepEqual(
      after.map((o) => `${o.state} ${o.raw}`),
      ['away xa', 'offline unavailable'],
    );
  } finally {
    await source.close();
    for (const c of peers) await c.stop().catch(() => undefined);
  }
});
