// The monitor with a scripted prober (its input) and a clock of the test's own: alerts on a problem,
// reminders, recovery, dependencies folded into one alert, a restart and a reload that do not alert
// again, a repair whose outcome is probed and alerted; and the schedule with real timers: bounded
// concurrency, no instance probed twice at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Monitor, STATE_SAVE_DELAY_MS, type Delivery, type MonitorOptions, type RecordedResult } from './daemon.js';
import type { MonitoredTarget } from './config.js';
import type { ProbeStatus, Prober } from './types.js';
import { result, target } from './targets.fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-monitor-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** a prober that answers what the test says each instance is now */
function scripted(now: () => number) {
  const statusOf = new Map<string, ProbeStatus>();
  const probes: string[] = [];
  const prober: Prober = async (t) => {
    probes.push(t.instance);
    return result(t as MonitoredTarget, statusOf.get(`${t.host}/${t.service}/${t.instance}`) ?? 'ok', new Date(now()).toISOString());
  };
  return { prober, set: (key: string, s: ProbeStatus) => statusOf.set(key, s), probes };
}

function harness(targets: MonitoredTarget[], extra: Partial<MonitorOptions> = {}) {
  let clock = Date.parse('2026-12-01T08:00:00Z');
  const now = () => clock;
  const script = scripted(now);
  const sent: Delivery[] = [];
  const recorded: RecordedResult[] = [];
  const opts: MonitorOptions = {
    targets,
    prober: script.prober,
    routes: { ops: { email: ['ops@corp.example'] } },
    sender: { email: async () => undefined },
    onDelivery: (d) => sent.push(d),
    record: (r) => recorded.push(r),
    now,
    ...extra,
  };
  const monitor = new Monitor(opts);
  /** the alerts sent so far, as `KIND key STATUS (+suppressed)`, then cleared */
  const alerts = () =>
    sent
      .splice(0)
      .map(
        (d) => `${d.alert.kind} ${d.alert.host}/${d.alert.instance} ${d.alert.status}${d.alert.suppressed.length ? ` +${d.alert.suppressed.join(',')}` : ''}`,
      );
  return { monitor, set: script.set, probes: script.probes, alerts, recorded, opts, advance: (ms: number) => (clock += ms) };
}

test('a problem alerts after the failure threshold, reminds, and recovers once', async () => {
  const h = harness([target('mx1', 'main'), target('mx1', 'relay')]);
  await h.monitor.round();
  assert.deepEqual(h.alerts(), []);
  h.set('mx1/SMTP/relay', 'critical');
  await h.monitor.round();
  assert.deepEqual(h.alerts(), [], 'one failure is under the threshold of 2');
  await h.monitor.round();
  assert.deepEqual(h.alerts(), ['problem mx1/relay critical']);
  h.advance(30 * 60_000);
  await h.monitor.round();
  assert.deepEqual(h.alerts(), [], 'no reminder before reminderMs');
  h.advance(31 * 60_000);
  await h.monitor.round();
  assert.deepEqual(h.alerts(), ['reminder mx1/relay critical']);
  h.set('mx1/SMTP/relay', 'ok');
  await h.monitor.round();
  assert.deepEqual(h.alerts(), ['recovery mx1/relay ok']);
  await h.monitor.round();
  assert.deepEqual(h.alerts(), []);
  // every probe is in the history
  assert.equal(h.recorded.length, 2 * 7);
  assert.deepEqual(
    h.recorded.filter((r) => r.target.instance === 'relay').map((r) => r.result.status),
    ['ok', 'critical', 'critical', 'critical', 'critical', 'ok', 'ok'],
  );
});

test("hosts behind a down link: one alert, the link's, naming them; their own alerts once the link is back", async () => {
  const link = target('wan', '10.0.0.1:22', { key: 'wan/link/10.0.0.1:22', service: 'link', link: true });
  const a = target('branch', 'a', { dependsOn: ['wan'] });
  const b = target('branch', 'b', { dependsOn: ['wan'] });
  const c = target('far', 'c', { dependsOn: ['branch'] });
  const other = target('hq', 'main');
  const h = harness([link, a, b, c, other]);
  await h.monitor.round();
  for (const k of ['wan/link/10.0.0.1:22', 'branch/SMTP/a', 'branch/SMTP/b', 'far/SMTP/c', 'hq/SMTP/main']) h.set(k, 'critical');
  await h.monitor.round();
  await h.monitor.round();
  assert.deepEqual(h.alerts().sort(), [
    'problem hq/main critical',
    'problem wan/10.0.0.1:22 critical +branch/SMTP/a (critical),branch/SMTP/b (critical),far/SMTP/c (critical)',
  ]);
  const views = new Map(h.monitor.instances().map((v) => [v.key, v.state.alert?.suppressedBy]));
  assert.equal(views.get('branch/SMTP/a'), 'wan');
  assert.equal(views.get('far/SMTP/c'), 'branch', 'the nearest down host is named');
  await h.monitor.round();
  assert.deepEqual(h.alerts(), []);
  // the link is back, the branch is not: now the branch alerts, and it carries its own child
  h.set('wan/link/10.0.0.1:22', 'ok');
  await h.monitor.round();
  assert.deepEqual(h.alerts().sort(), [
    'problem branch/a critical +far/SMTP/c (critical)',
    'problem branch/b critical +far/SMTP/c (critical)',
    'recovery wan/10.0.0.1:22 ok',
  ]);
  // a child of a down parent that was never alerted recovers silently
  for (const k of ['branch/SMTP/a', 'branch/SMTP/b', 'far/SMTP/c', 'hq/SMTP/main']) h.set(k, 'ok');
  await h.monitor.round();
  assert.deepEqual(h.alerts().sort(), ['recovery branch/a ok', 'recovery branch/b ok', 'recovery hq/main ok']);
});

test('a child failing first checks its parent at once: still one alert', async () => {
  const link = target('wan', 'gw', { service: 'link', key: 'wan/link/gw', intervalMs: 600_000, failures: 1 });
  const a = target('branch', 'a', { dependsOn: ['wan'], failures: 1 });
  const h = harness([link, a]);
  await h.monitor.round();
  h.set('wan/link/gw', 'critical');
  h.set('branch/SMTP/a', 'critical');
  h.advance(60_000);
  // only the child's turn: its alert decision probes the parent first
  await (h.monitor as unknown as { run(e: unknown): Promise<void> }).run(
    (h.monitor as unknown as { entries: Map<string, unknown> }).entries.get('branch/SMTP/a'),
  );
  await h.monitor.settled();
  assert.deepEqual(h.alerts(), ['problem wan/gw critical +branch/SMTP/a (critical)']);
});

test('a restart and a reload do not alert open problems again; the recovery still comes', async () => {
  const stateFile = join(dir, 'state', 'monitor-state.json');
  const t = target('mx1', 'relay');
  const first = harness([t], { stateFile });
  first.set('mx1/SMTP/relay', 'critical');
  await first.monitor.round();
  await first.monitor.round();
  assert.deepEqual(first.alerts(), ['problem mx1/relay critical']);
  await first.monitor.stop();
  assert.ok(existsSync(stateFile));
  assert.equal(JSON.parse(readFileSync(stateFile, 'utf8')).instances['mx1/SMTP/relay'].alert.status, 'critical');

  const second = harness([t], { stateFile });
  second.set('mx1/SMTP/relay', 'critical');
  await second.monitor.round();
  await second.monitor.round();
  assert.deepEqual(second.alerts(), [], 'restart: the open alert is not sent again');
  // a reload (another instance added, this one's settings changed) keeps it open too
  second.monitor.reload({ targets: [{ ...t, timeoutMs: 2000 }, target('mx2', 'main')], routes: second.opts.routes });
  await second.monitor.round();
  assert.deepEqual(second.alerts(), []);
  second.set('mx1/SMTP/relay', 'ok');
  await second.monitor.round();
  assert.deepEqual(second.alerts(), ['recovery mx1/relay ok']);
  await second.monitor.stop();
  // a state file that is not JSON: a start without open alerts, said in the log
  const broken = join(dir, 'broken.json');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(broken, '{ not json');
  const lines: string[] = [];
  new Monitor({ ...second.opts, stateFile: broken, log: (l) => lines.push(l) });
  assert.match(lines.join('\n'), /broken\.json is unreadable .*starting without open alerts/);
});

test('repair: run once per problem, re-probed, its outcome alerted and recorded', async () => {
  const marker = join(dir, 'repaired');
  const t = target('mx1', 'relay', {
    failures: 1,
    repair: {
      command: [process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x'); console.log('started')`],
      timeoutMs: 10_000,
    },
  });
  let clock = Date.parse('2026-12-01T08:00:00Z');
  const sent: Delivery[] = [];
  const recorded: RecordedResult[] = [];
  // down until the repair command has run
  const prober: Prober = async (x) => result(x as MonitoredTarget, existsSync(marker) ? 'ok' : 'critical', new Date(clock).toISOString());
  const m = new Monitor({
    targets: [t],
    prober,
    routes: { ops: { webhook: true } },
    sender: { webhook: async () => undefined },
    onDelivery: (d) => sent.push(d),
    record: (r) => recorded.push(r),
    now: () => clock,
  });
  await m.round();
  clock += 1000;
  const kinds = sent.map((d) => `${d.alert.kind} ${d.alert.status}${d.alert.repair ? `: ${d.alert.repair}` : ''}`);
  assert.equal(kinds.length, 3);
  assert.equal(kinds[0], 'problem critical');
  assert.match(kinds[1]!, /^repair ok: repair .* exited 0 after \d+\.\d s$/);
  assert.equal(kinds[2], 'recovery ok');
  assert.deepEqual(
    recorded.map((r) => `${r.kind} ${r.result.status}`),
    ['probe critical', 'repair ok'],
  );
});

test('the schedule: at most `concurrency` probes at once, never one instance twice at once, every instance again after its interval', async () => {
  const targets = Array.from({ length: 12 }, (_, i) => target('h', `i${i}`, { intervalMs: 60 }));
  let running = 0;
  let most = 0;
  const busy = new Set<string>();
  let overlaps = 0;
  const count = new Map<string, number>();
  const prober: Prober = async (t) => {
    if (busy.has(t.instance)) overlaps++;
    busy.add(t.instance);
    running++;
    most = Math.max(most, running);
    count.set(t.instance, (count.get(t.instance) ?? 0) + 1);
    // some probes outlast the interval: they must not overlap themselves
    await new Promise((r) => setTimeout(r, t.instance === 'i0' ? 150 : 15));
    running--;
    busy.delete(t.instance);
    return result(t as MonitoredTarget, 'ok');
  };
  const m = new Monitor({ targets, prober, routes: {}, sender: {}, concurrency: 3, jitter: 0.2 });
  m.start();
  await new Promise((r) => setTimeout(r, 700));
  await m.stop();
  assert.ok(most <= 3, `at most 3 at once, saw ${most}`);
  assert.equal(overlaps, 0);
  for (const t of targets) assert.ok((count.get(t.instance) ?? 0) >= 2, `${t.instance} probed ${count.get(t.instance)} times`);
  const afterStop = [...count.values()].reduce((a, b) => a + b, 0);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(
    [...count.values()].reduce((a, b) => a + b, 0),
    afterStop,
    'nothing runs after stop()',
  );
});

test('a prober that never returns is ended by the monitor after its deadline', async () => {
  const t = target('mx1', 'silent', { timeoutMs: 50, failures: 1 });
  const sent: Delivery[] = [];
  const m = new Monitor({
    targets: [t],
    prober: () => new Promise(() => undefined),
    routes: { ops: { email: ['a@b.c'] } },
    sender: {},
    onDelivery: (d) => sent.push(d),
    graceMs: 100,
  });
  await m.round();
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.alert.status, 'unknown');
  assert.match(sent[0]!.alert.detail, /did not end within its 50 ms deadline \(\+100 ms\)/);
  assert.match(sent[0]!.error ?? '', /no email sender: configure notify\.smtp/);
});

test('changed states reach the state file while the monitor runs (their writes are coalesced), without a stop', async () => {
  const stateFile = join(dir, 'coalesced', 'monitor-state.json');
  const targets = Array.from({ length: 300 }, (_, i) => target('farm', `i${i}`, { failures: 1 }));
  const h = harness(targets, { stateFile });
  h.set('farm/SMTP/i7', 'critical');
  await h.monitor.round();
  assert.deepEqual(h.alerts(), ['problem farm/i7 critical']);
  // the monitor keeps running (no stop): the file has every instance's state within the delay
  let saved: { instances: Record<string, { status: string; alert: { status: string } | null }> } | undefined;
  for (let waited = 0; waited < STATE_SAVE_DELAY_MS + 5000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
    if (existsSync(stateFile)) {
      saved = JSON.parse(readFileSync(stateFile, 'utf8'));
      break;
    }
  }
  assert.ok(saved, `no state file ${STATE_SAVE_DELAY_MS + 5000} ms after the round`);
  assert.equal(Object.keys(saved.instances).length, 300);
  assert.equal(saved.instances['farm/SMTP/i7']!.alert?.status, 'critical');
  assert.equal(saved.instances['farm/SMTP/i8']!.status, 'ok');
  await h.monitor.stop();
});
