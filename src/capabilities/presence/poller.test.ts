// The poller over real servers: a cycle enrols from slapd, samples from Prosody and hands both to the
// recorder; with the directory down mid-run the cycle fails with one clear line, records a heartbeat
// only (nothing is taken as offline) and the next cycle, with the server back, records again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { sections } from '../../config/sections.js';
import { PresencePoller, describeCycle, runPresencePoller } from './poller.js';
import type { PollRecorder } from './poll-recorder.js';
import type { EnrolledUser, Observation } from './types.js';
import { prosodyForTest, slapdForTest } from './test-servers.fixture.js';
import { OPT_OUT_ATTRIBUTE, OPT_OUT_GROUP } from '../../testing/servers/directory.js';

// servers: a private slapd (stopped mid-run) and sharedProsody() (through test-servers.fixture.ts)

/** a recorder that keeps the calls, in order (the store's recorder is tested by its own suite) */
function keeper() {
  const calls: { call: string; at?: Date; users?: readonly EnrolledUser[]; observations?: readonly Observation[] }[] = [];
  const recorder: PollRecorder = {
    recordCycle: async (at, users, observations) => void calls.push({ call: 'cycle', at, users, observations }),
    recordPush: async (o) => void calls.push({ call: 'push', observations: [o] }),
    heartbeat: async (at) => void calls.push({ call: 'heartbeat', at }),
    close: async () => void calls.push({ call: 'close' }),
  };
  return { calls, recorder };
}

test('poller: enrol, sample, record; the directory down mid-run is one clear line and a heartbeat; back up, it records again', async (t) => {
  const s = await slapdForTest(t, { private: true });
  if (!s) return;
  const x = await prosodyForTest(t);
  if (!x) return;
  const text = [
    'directory:',
    `  url: ${s.url}`,
    `  bindDn: ${s.bindDn}`,
    '  passwordEnv: LDAP_PW',
    `  base: ${s.base}`,
    '  attributes:',
    '    account: uid',
    '  tls:',
    '    starttls: true',
    '  timeoutMs: 3000',
    'presence:',
    '  interval: 10s',
    '  source: xmpp',
    '  xmpp:',
    `    service: ${x.service}`,
    `    jid: observer@${x.domain}`,
    '    passwordEnv: XMPP_PW',
    '    subscribe: false',
    '  enrol:',
    '    imAddress: [msExchIMAddress, labeledURI]',
    '    filter: (&(objectClass=inetOrgPerson)(|(msExchIMAddress=*)(labeledURI=*)))',
    '    pageSize: 300',
    '  optOut:',
    `    group: ${OPT_OUT_GROUP}`,
    `    attribute: ${OPT_OUT_ATTRIBUTE}`,
  ].join('\n');
  const c = parseConfig(text, { path: '/x/mxray.yaml', shown: 'mxray.yaml', via: '--config' }, sections, {
    env: { LDAP_PW: s.password, XMPP_PW: x.password('observer') },
  });
  const { calls, recorder } = keeper();
  const logs: string[] = [];
  const poller = new PresencePoller({ presence: c.section('presence')!, directory: c.section('directory')!, recorder, log: (l) => logs.push(l) });
  try {
    const r1 = await poller.cycle();
    assert.equal(r1.ok, true, r1.error);
    assert.equal(r1.users, s.enrolled.size);
    const first = calls.find((k) => k.call === 'cycle')!;
    assert.deepEqual(new Map(first.users!.map((u) => [u.imAddress, u.username])), s.enrolled);
    assert.equal(first.observations!.length, s.enrolled.size);
    // the XMPP accounts of the test directory are on the observer's roster; nobody is logged in
    const byUser = new Map(first.observations!.map((o) => [o.username, `${o.state} ${o.raw}`]));
    for (const u of ['alice', 'bob', 'carol', 'dave']) assert.equal(byUser.get(u), 'offline unavailable', u);
    assert.equal(byUser.get('user0001'), 'unknown no subscription');
    assert.match(describeCycle(r1), new RegExp(`: ${s.enrolled.size} users sampled \\(`));

    await s.stop();
    const r2 = await poller.cycle();
    assert.equal(r2.ok, false);
    assert.match(
      describeCycle(r2),
      /cycle failed: directory ldap:\/\/127\.0\.0\.1:\d+: connection refused \(is the server running\?\); nothing sampled \(what was recorded is kept\), trying again next interval$/,
    );
    assert.deepEqual(
      calls.map((k) => k.call),
      ['cycle', 'heartbeat'],
    );

    await s.start();
    const r3 = await poller.cycle();
    assert.equal(r3.ok, true, r3.error);
    assert.deepEqual(
      calls.map((k) => k.call),
      ['cycle', 'heartbeat', 'cycle'],
    );
  } finally {
    await poller.close();
  }
  assert.equal(calls.at(-1)!.call, 'close');
});

test('runPresencePoller (for mxray serve): cycles in the background until stopped, then closes the recorder', async (t) => {
  const s = await slapdForTest(t);
  if (!s) return;
  const text = [
    'directory:',
    `  url: ${s.url}`,
    `  base: ${s.base}`,
    'presence:',
    '  source: graph',
    '  graph:',
    '    tokenUrl: http://127.0.0.1:9/token',
    '    clientId: x',
    '    clientSecretEnv: S',
    '    timeoutMs: 1000',
  ].join('\n');
  const c = parseConfig(text, { path: '/x/mxray.yaml', shown: 'mxray.yaml', via: '--config' }, sections, { env: { S: 's' } });
  const { calls, recorder } = keeper();
  const logs: string[] = [];
  const ctl = new AbortController();
  const h = await runPresencePoller({
    presence: c.section('presence')!,
    directory: c.section('directory')!,
    recorder,
    log: (l) => logs.push(l),
    signal: ctl.signal,
  });
  const t0 = Date.now();
  while (!logs.length && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
  await h.stop();
  // anonymous bind, default filter: nobody has a Graph id, so the token endpoint is never asked: a
  // cycle of unknowns; or the sample fails on the closed token port when someone has one
  assert.equal(logs.length, 1, logs.join('\n'));
  assert.deepEqual(calls.at(-1), { call: 'close' });
});
