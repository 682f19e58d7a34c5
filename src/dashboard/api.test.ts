// The dashboard's JSON API on serve's listener, against a store filled by the tracking generator:
// every report of the registry has its route; an answer is byte for byte what `mxray … --json`
// prints; a bad parameter gets 400 with the CLI's own message; answers are cached until an ingest
// commits; with auth configured, nothing but /api/health answers without the token; and serve
// refuses to listen beyond loopback without auth, also when --listen asks for it. The bundle is
// served gzipped to a client that accepts it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { reports } from '../capabilities/registry.js';
import { ConfigError } from '../config/errors.js';
import { startServe, type Serving } from '../serve/serve.js';
import { listen } from '../serve/http.js';
import { openStore } from '../store/open.js';
import { generatedLogs } from '../generate/layout.js';
import { ingest } from '../ingest/ingest.js';
import { repoPath } from '../testing/paths.js';
import { mxrayInProcess } from '../testing/run-cli.js';
import { addApiRoutes } from './api.js';
import { cliJson, filledStore, serveConfig } from './dashboard.fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-dash-api-'));
let db: string;
let serving: Serving | undefined;
const token = 'test-token-Vq8';

before(async () => {
  db = await filledStore(dir, ['tracking']);
});
after(async () => {
  await serving?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, cache: res.headers.get('x-mxray-cache'), text: await res.text() };
}

test('the API answers what the CLI prints, refuses bad parameters with its message, and wants the token', { timeout: 120_000 }, async () => {
  const range = ['--from', '2024-03-05', '--to', '2024-03-05'];
  const classes = await cliJson(db, ['tracking', 'classes', ...range, '--light-max', '20']);
  const hourly = await mxrayInProcess(['tracking', 'traffic', '--by', 'hour', '--json', '--db', db]);
  const csvCli = await mxrayInProcess(['tracking', 'traffic', '--format', 'csv', '--db', db]);
  const badCli = await mxrayInProcess(['tracking', 'classes', '--light-max', '90', '--heavy-min', '80', '--db', db]);
  assert.equal(badCli.code, 2);

  writeFileSync(join(dir, 'token'), `${token}\n`);
  const config = serveConfig(dir, db, '', `  auth: { tokenFile: ${join(dir, 'token')} }\n`);
  serving = await startServe({ config, port: 0, watch: false, log: () => undefined, env: {} });
  const auth = { authorization: `Bearer ${token}` };
  const base = `${serving.url}/api/reports`;

  // without the token: 401 everywhere but the health check
  assert.equal((await get(`${base}/tracking.classes`)).status, 401);
  assert.equal((await get(`${serving.url}/`)).status, 401);
  assert.equal((await get(`${base}/tracking.classes`, { authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await get(`${serving.url}/api/health`)).status, 200);

  // the list names every report of the registry, with its parameters (no output format: JSON)
  const list = JSON.parse((await get(base, auth)).text) as { reports: { id: string; params: { name: string }[] }[] };
  assert.deepEqual(list.reports.map((r) => r.id).sort(), [...reports.keys()].sort());
  const users = list.reports.find((r) => r.id === 'tracking.users')!;
  assert.ok(users.params.some((p) => p.name === 'lightMax'));
  assert.ok(!users.params.some((p) => p.name === 'format' || p.name === 'json'));

  // the same JSON as the CLI, byte for byte; the second time from the cache
  const first = await get(`${base}/tracking.classes?from=2024-03-05&to=2024-03-05&lightMax=20`, auth);
  assert.equal(first.status, 200);
  assert.equal(first.cache, 'miss');
  assert.deepEqual(JSON.parse(first.text), classes);
  const again = await get(`${base}/tracking.classes?lightMax=20&to=2024-03-05&from=2024-03-05`, auth);
  assert.equal(again.cache, 'hit');
  assert.equal(again.text, first.text);
  const traffic = await get(`${base}/tracking.traffic?by=hour`, auth);
  assert.equal(traffic.text, hourly.stdout);
  // CSV as `--format csv` prints it
  const csvAnswer = await get(`${base}/tracking.traffic?format=csv`, auth);
  assert.equal(csvAnswer.text, csvCli.stdout);
  assert.match(csvAnswer.text, /^period,messages,bytes,deliveries\r\n2024-03-04,/);

  // bad parameters: 400 with the message the CLI prints
  const bad = async (query: string) => {
    const r = await get(`${base}/${query}`, auth);
    assert.equal(r.status, 400, query);
    return (JSON.parse(r.text) as { error: string }).error;
  };
  assert.equal(await bad('tracking.classes?lightMax=90&heavyMin=80'), '--light-max (90) must not be above --heavy-min (80)');
  assert.ok(badCli.stderr.includes('--light-max (90) must not be above --heavy-min (80)'), badCli.stderr);
  assert.equal(await bad('tracking.users?lightMax=x'), '--light-max: expected a number ≥ 0, got "x"');
  assert.equal(await bad('tracking.top?limit=0'), '--limit: expected a whole number ≥ 1, got "0"');
  assert.equal(await bad('tracking.traffic?by=week'), "option '--by <period>' argument 'week' is invalid. Allowed choices are day, hour.");
  assert.equal(await bad('tracking.traffic?from=2024-03-06&to=2024-03-04'), '--from (2024-03-06) must be before --to (2024-03-04)');
  assert.equal(
    await bad('tracking.traffic?from=yesterday'),
    '--from: expected an ISO date (2024-03-04) or date-time (2024-03-04T09:00Z) in UTC, got "yesterday"',
  );
  assert.match(await bad("tracking.users?user=x'%20OR%201=1"), /^unknown parameter "user"; known: from, to, format, json, lightMax/);
  assert.equal(await bad('tracking.users?format=table'), 'format: expected json or csv, got "table"');
  assert.equal(await bad('calendar.timeline'), 'name the meeting: --meeting <id> or --subject <text>');

  // read-only: no other method
  const post = await fetch(`${base}/tracking.classes`, { method: 'POST', headers: auth, signal: AbortSignal.timeout(10_000) });
  assert.equal(post.status, 405);

  // the bundle: gzipped for a browser that accepts it, as built otherwise (the truth: the built file)
  const built = readFileSync(join(repoPath('dist'), 'dashboard', 'web', 'app.js'));
  const zipped = await raw(`${serving.url}/assets/app.js`, { ...auth, 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.ok(zipped.body.length < built.length / 2, `${zipped.body.length} bytes gzipped of ${built.length}`);
  assert.deepEqual(gunzipSync(zipped.body), built);
  for (const plain of [{}, { 'accept-encoding': 'gzip;q=0, identity' }] as Record<string, string>[]) {
    const r = await raw(`${serving.url}/assets/app.js`, { ...auth, ...plain });
    assert.equal(r.headers['content-encoding'], undefined);
    assert.deepEqual(r.body, built);
  }
});

/** a GET without fetch's own decompression: the bytes as they came, and the headers */
function raw(url: string, headers: Record<string, string>): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in 10 s`)));
    req.on('error', reject);
  });
}

test('cached answers last until an ingest commits', { timeout: 120_000 }, async () => {
  await serving?.stop();
  serving = undefined;
  const store = await openStore({ db });
  const l = await listen({ host: '127.0.0.1', port: 0 }, () => undefined);
  try {
    const api = addApiRoutes(l, store);
    const url = `${l.url}/api/reports/tracking.traffic?by=day`;
    const before = await get(url);
    assert.equal((await get(url)).cache, 'hit');
    assert.deepEqual(api.stats, { hits: 1, misses: 1 });
    // more logs, through the same store (serve's parts write this way): the next answer is new
    const more = join(dir, 'more');
    const gen = await mxrayInProcess(['generate', 'tracking', '--users', '5', '--days', '1', '--start', '2024-03-10', '--seed', '7', '--out', more]);
    assert.equal(gen.code, 0, gen.stderr);
    await ingest([generatedLogs(more)], { store });
    const after = await get(url);
    assert.equal(after.cache, 'miss');
    const days = (JSON.parse(after.text) as { period: string }[]).map((r) => r.period);
    assert.ok(days.includes('2024-03-10'), days.join(' '));
    assert.ok(!(JSON.parse(before.text) as { period: string }[]).some((r) => r.period === '2024-03-10'));
  } finally {
    await l.close();
    await store.close();
  }
});

test('serve listens beyond loopback only with auth, also when --listen asks', { timeout: 60_000 }, async () => {
  const config = join(dir, 'open.yaml');
  writeFileSync(config, `store:\n  db: ${join(dir, 'other.duckdb')}\n`);
  await assert.rejects(startServe({ config, listen: '0.0.0.0', port: 0, watch: false, log: () => undefined, env: {} }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /0\.0\.0\.0 \(beyond this machine\) needs auth/);
    return true;
  });
  writeFileSync(config, `store:\n  db: ${join(dir, 'other.duckdb')}\nserve:\n  listen: { host: 0.0.0.0 }\n`);
  await assert.rejects(startServe({ config, port: 0, watch: false, log: () => undefined, env: {} }), /needs auth/);
});
