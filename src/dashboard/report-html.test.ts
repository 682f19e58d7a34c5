// `mxray report --html` opened from file:// in real headless Chromium (Debian's /usr/bin/chromium
// through playwright-core), offline: no request leaves the file, which unpacks its own gzipped
// bundle and data (smaller than the bundle alone). On a store of generated tracking
// logs, the .evtx samples and the alerts of a real `rules run`, the events page of the file shows the
// store's verify equal to `mxray verify --json` on the same store: intact, then, after one row is
// changed with DuckDB's own SQL, tampered with that row's findings; its events top and alerts equal
// the CLI's JSON; its health page draws the matrix of the probes stored (as serve's monitor records
// them) with their history equal to `mxray monitor history --json`; a report made with --no-verify
// says so. Screenshots: test-artifacts/dashboard/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { historySource, probeRow } from '../capabilities/monitor/history.js';
import { result, target } from '../capabilities/monitor/targets.fixture.js';
import type { ProbeStatus } from '../capabilities/monitor/types.js';
import { openStore } from '../store/open.js';
import { LiveLog } from '../store/live.js';
import { repoPath } from '../testing/paths.js';
import { mxrayInProcess } from '../testing/run-cli.js';
import { artifacts, chromiumPath, cliJson, eventsStore, haveChromium, openBrowser, watchPage } from './dashboard.fixture.js';

const skip = haveChromium || process.env.CI === 'true' ? false : `no Chromium at ${chromiumPath} (apt-get install chromium)`;
const dir = mkdtempSync(join(tmpdir(), 'mxray-report-html-'));
const shots = artifacts();
// a seal key in the environment would make the store keyed: these stores are plain
const env = { MXRAY_SEAL_KEY: undefined, MXRAY_SEAL_KEY_FILE: undefined, MXRAY_STORE: undefined };

type Row = Record<string, unknown>;
interface Verified {
  intact: boolean;
  mode: string;
  rows: number;
  batches: number;
  counts: Record<string, number>;
  findings: Row[];
}
/** what the predicates run in the page use of it (this file is compiled without the DOM's types) */
interface Doc {
  document: { querySelectorAll(selector: string): Iterable<{ dataset: Record<string, string | undefined> }> };
}

let db: string;
let browser: Browser | undefined;
let offline: BrowserContext;
const problems: string[] = [];
const seen: string[] = [];

before(async () => {
  if (skip) return;
  db = await eventsStore(dir, env);
  // probes as serve's monitor records them: three minutes of three instances, their last statuses
  // (probes) and so the hosts' worst (truth) known here
  const store = await openStore({ db });
  try {
    const log = await LiveLog.open(store, historySource);
    const targets = [target('mx1', 'main'), target('mx1', 'relay'), target('mx2', 'imap', { service: 'IMAP', key: 'mx2/IMAP/imap', url: 'imaps://mx2:993' })];
    const last: Record<string, ProbeStatus> = { main: 'ok', relay: 'critical', imap: 'warning' };
    const records = [0, 1, 2].flatMap((m) =>
      targets.map((t) => ({
        target: t,
        kind: 'probe' as const,
        result: result(t, m === 2 ? last[t.instance]! : 'ok', new Date(Date.UTC(2024, 2, 5, 10, m)).toISOString()),
      })),
    );
    await log.append({ probe: records.map(probeRow) });
  } finally {
    await store.close();
  }
  ({ browser } = await openBrowser([], problems));
  // no network at all: a request that tried to leave the file would fail, and is recorded anyway
  offline = await browser.newContext({ viewport: { width: 1280, height: 800 }, offline: true });
  offline.on('request', (r) => seen.push(r.url()));
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `mxray report --html` of the whole store into `name`; its file URL */
async function report(name: string, ...args: string[]): Promise<string> {
  const file = join(dir, name);
  const made = await mxrayInProcess(['report', '--html', file, ...args, '--db', db], { env });
  assert.equal(made.code, 0, made.stderr);
  return pathToFileURL(file).href;
}

/** `mxray verify --json` with its exit code */
async function verify(): Promise<{ code: number; r: Verified }> {
  const v = await mxrayInProcess(['verify', '--json', '--db', db], { env });
  return { code: v.code, r: JSON.parse(v.stdout) as Verified };
}

async function open(address: string): Promise<Page> {
  const p = await offline.newPage();
  watchPage(p, problems);
  await p.goto(address);
  await p.waitForSelector('main[data-ready="true"]');
  await p.waitForFunction(() => [...(globalThis as unknown as Doc).document.querySelectorAll('.chart')].every((c) => c.dataset.drawn === 'true'));
  return p;
}

function rowsOf(p: Page, name: string): Promise<Row[]> {
  return p.$$eval(`[data-table="${name}"] tbody tr`, (trs) =>
    trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.key!, JSON.parse(td.dataset.value!)]))),
  );
}

const pick = (rows: Row[], keys: string[]) => rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k] ?? null])));

async function shownVerify(p: Page): Promise<{ state: string | null; rows: number; batches: number; mode: string | null }> {
  return {
    state: await p.getAttribute('#integrity', 'data-integrity'),
    rows: Number(await p.getAttribute('#integrity', 'data-rows')),
    batches: Number(await p.getAttribute('#integrity', 'data-batches')),
    mode: await p.getAttribute('#integrity', 'data-mode'),
  };
}

test('intact: the file shows `mxray verify --json`, and the events, alerts and stored probes of the CLI', { skip, timeout: 180_000 }, async () => {
  const { code, r } = await verify();
  assert.equal(code, 0);
  assert.equal(r.intact, true);
  assert.ok(r.rows > 1000 && r.batches >= 2, `rows ${r.rows}, batches ${r.batches}`);
  const p = await open(`${await report('intact.html')}#/events`);
  // the bundle and the data are packed: the whole file is smaller than the bundle alone
  const bundle = statSync(join(repoPath('dist'), 'dashboard', 'web', 'app.js')).size;
  const file = statSync(join(dir, 'intact.html')).size;
  assert.ok(file < bundle * 0.7, `the report is ${file} bytes, the bundle alone ${bundle}`);
  assert.deepEqual(await shownVerify(p), { state: 'intact', rows: r.rows, batches: r.batches, mode: r.mode });
  assert.match((await p.textContent('#integrity .verdict'))!, new RegExp(`^Intact: ${r.rows.toLocaleString('en-US')} rows in ${r.batches} sealed batches`));

  // the rest of the events page: the CLI's JSON, as serve shows it
  const top = await cliJson<{ rows: Row[] }>(db, ['events', 'top', '--limit', '50']);
  const alerts = await cliJson<{ alerts: Row[]; perDay: Row[] }>(db, ['rules', 'alerts', '--limit', '500']);
  assert.ok(alerts.perDay.length > 0 && top.rows.length > 0);
  assert.deepEqual(await rowsOf(p, 'events-top'), pick(top.rows, ['provider', 'id', 'events', 'recovered', 'first', 'last']));
  assert.deepEqual(await rowsOf(p, 'rules-alerts-per-day'), alerts.perDay);
  assert.deepEqual(
    (await rowsOf(p, 'rules-alerts')).map((a) => [a.time, a.rule, a.where]),
    alerts.alerts.map((a) => [a.time, a.rule, `${a.file}:${a.line}`]),
  );
  await p.screenshot({ path: join(shots, 'report-html-events.png'), fullPage: true });
  await p.close();

  // the health page: the matrix of the stored probes (each host its instances' worst last status)
  // and the history behind it as `mxray monitor history --json` gives it
  const h = await open(`${await report('intact.html')}#/health`);
  assert.deepEqual(await h.$$eval('#matrix .cell', (cs) => cs.map((c) => [c.getAttribute('data-host'), c.getAttribute('data-status')])), [
    ['mx1', 'critical'],
    ['mx2', 'warning'],
  ]);
  assert.match((await h.textContent('.legend'))!, /2 hosts:\s+0 OK\s+1 warning\s+1 critical\s+0 unknown/);
  const history = await cliJson<{ instances: Row[] }>(db, ['monitor', 'history']);
  const keys = ['host', 'service', 'instance', 'lastStatus', 'probes', 'failed', 'availability', 'avgMs', 'maxMs', 'last'];
  assert.deepEqual(await rowsOf(h, 'health-history'), pick(history.instances, keys));
  assert.deepEqual(
    history.instances.map((i) => [i.instance, i.probes, i.lastStatus]),
    [
      ['main', 3, 'ok'],
      ['relay', 3, 'critical'],
      ['imap', 3, 'warning'],
    ],
  );
  // a square is reached by Tab and tells its instances
  await h.focus('#matrix .cell[data-host="mx1"]');
  assert.match((await h.textContent('#matrix-tip'))!, /^mx1: critical\nSMTP main: OK\nSMTP relay: critical/);
  await h.screenshot({ path: join(shots, 'report-html-health.png'), fullPage: true });
  await h.close();
});

test('tampered: one row changed by SQL; the file shows the findings `mxray verify --json` gives', { skip, timeout: 180_000 }, async () => {
  // whoever can write the database changes one delivery's size
  const i = await DuckDBInstance.create(db);
  const c = await i.connect();
  let changed: { line: number; path: string };
  try {
    const [row] = (
      await c.runAndReadAll(
        `SELECT t.file_id, t.line, f.path FROM tracking_events t JOIN ingested_files f ON f.id = t.file_id ORDER BY f.path, t.line LIMIT 1 OFFSET 57`,
      )
    ).getRowObjectsJson() as Row[];
    changed = { line: Number(row!.line), path: String(row!.path) };
    await c.run(`UPDATE tracking_events SET bytes = bytes + 1 WHERE file_id = ${Number(row!.file_id)} AND line = ${changed.line}`);
  } finally {
    c.closeSync();
    i.closeSync();
  }

  const { code, r } = await verify();
  assert.equal(code, 4);
  assert.equal(r.intact, false);
  // the CLI found the row changed (the truth is the UPDATE above, not the page)
  assert.deepEqual([r.counts.modified, r.findings[0]!.table, r.findings[0]!.path, r.findings[0]!.line], [1, 'tracking_events', changed.path, changed.line]);

  const p = await open(`${await report('tampered.html')}#/events`);
  assert.deepEqual(await shownVerify(p), { state: 'tampered', rows: r.rows, batches: r.batches, mode: r.mode });
  const kinds = Object.entries(r.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  assert.equal((await p.textContent('#integrity .verdict'))!, `Tampered: ${kinds}.`);
  assert.equal(await p.getAttribute('#integrity-first', 'data-line'), String(changed.line));
  assert.deepEqual(await rowsOf(p, 'integrity-findings'), pick(r.findings, ['kind', 'table', 'batch', 'path', 'line', 'detail']));
  await p.screenshot({ path: join(shots, 'report-html-tampered.png'), fullPage: true });
  await p.close();
});

test('--no-verify: the file says the store was not verified', { skip, timeout: 120_000 }, async () => {
  const p = await open(`${await report('unverified.html', '--no-verify')}#/events`);
  assert.equal(await p.getAttribute('#integrity', 'data-integrity'), 'unscheduled');
  assert.match((await p.textContent('#integrity'))!, /made with --no-verify: the store was not verified/);
  await p.close();
});

test('a browser without DecompressionStream is told why the file does not open', { skip, timeout: 60_000 }, async () => {
  const p = await offline.newPage();
  await p.addInitScript('delete globalThis.DecompressionStream');
  await p.goto(await report('old-browser.html', '--no-verify'));
  await p.waitForFunction(() =>
    /could not be opened/.test((globalThis as unknown as { document: { body: { textContent: string } } }).document.body.textContent),
  );
  assert.match((await p.textContent('#app'))!, /^The mxray report could not be opened: this browser cannot unpack it \(it needs DecompressionStream/);
  await p.close();
});

test('no console errors, and no request left the file', { skip, timeout: 10_000 }, () => {
  assert.deepEqual(problems, []);
  assert.ok(seen.length >= 3);
  assert.deepEqual(
    seen.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')),
    [],
  );
});
