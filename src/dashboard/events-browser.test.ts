// The "Event logs and rules" page end to end in real headless Chromium (Debian's /usr/bin/chromium
// through playwright-core): `mxray serve` on a store holding the .evtx samples and generated message
// tracking logs, with alerts fired by a real `rules run`. The events top, events list (also filtered
// from the form, by keyboard) and the alerts per rule and day equal the CLI's JSON for the same
// range; the last verify shows "not scheduled" without integrity.verify, "intact" with it, and, after
// one row is changed by SQL, "tampered" with that row's file and line. No console errors, no request
// beyond 127.0.0.1, nothing wider than a phone's screen. Screenshots: test-artifacts/dashboard/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Browser, Page } from 'playwright-core';
import { startServe, type Serving } from '../serve/serve.js';
import { artifacts, chromiumPath, cliJson, eventsStore, haveChromium, openBrowser, serveConfig } from './dashboard.fixture.js';

const skip = haveChromium || process.env.CI === 'true' ? false : `no Chromium at ${chromiumPath} (apt-get install chromium)`;
const dir = mkdtempSync(join(tmpdir(), 'mxray-dash-events-'));
const shots = artifacts();
const env = { ...process.env, MXRAY_SEAL_KEY: undefined, MXRAY_SEAL_KEY_FILE: undefined, MXRAY_STORE: undefined };

type Row = Record<string, unknown>;
/** what the predicates run in the page use of it (this file is compiled without the DOM's types) */
interface Doc {
  document: { querySelectorAll(selector: string): Iterable<{ dataset: Record<string, string | undefined> }> };
  location: { hash: string };
}
let db: string;
let serving: Serving | undefined;
let browser: Browser | undefined;
let page: Page;
const problems: string[] = [];
const requests: string[] = [];
const origins = new Set<string>();

before(async () => {
  if (skip) return;
  db = await eventsStore(dir);
  ({ browser, page } = await openBrowser(requests, problems));
});

after(async () => {
  await browser?.close();
  await serving?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(sections = ''): Promise<string> {
  await serving?.stop();
  serving = await startServe({ config: serveConfig(dir, db, sections), port: 0, watch: false, log: () => undefined, env });
  origins.add(new URL(serving.url).origin);
  return serving.url;
}

async function open(address: string): Promise<void> {
  await page.goto(address);
  await page.waitForSelector('main[data-ready="true"]');
  // predicates as functions: a string would be eval'd in the page, which its CSP forbids
  await page.waitForFunction(() => [...(globalThis as unknown as Doc).document.querySelectorAll('.chart')].every((c) => c.dataset.drawn === 'true'));
}

function rowsOf(name: string): Promise<Row[]> {
  return page.$$eval(`[data-table="${name}"] tbody tr`, (trs) =>
    trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.key!, JSON.parse(td.dataset.value!)]))),
  );
}

const pick = (rows: Row[], keys: string[]) => rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k] ?? null])));
const listKeys = ['time', 'computer', 'channel', 'recordId', 'provider', 'id', 'level'];

async function integrityState(url: string): Promise<{ runs: number }> {
  return (await (await fetch(`${url}/api/integrity`, { signal: AbortSignal.timeout(5000) })).json()) as { runs: number };
}

async function afterVerifies(url: string, runs: number): Promise<void> {
  const end = Date.now() + 30_000;
  while ((await integrityState(url)).runs < runs) {
    if (Date.now() > end) throw new Error(`serve did not verify ${runs} times in 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('events top, the list with its filters and the alerts per rule and day are the CLI JSON; verify not scheduled', { skip, timeout: 180_000 }, async () => {
  const url = await serve();
  const top = await cliJson<{ rows: Row[]; total: number }>(db, ['events', 'top', '--limit', '50']);
  const list = await cliJson<{ events: Row[]; more: number }>(db, ['events', 'list', '--limit', '200']);
  const alerts = await cliJson<{ alerts: Row[]; total: number; perDay: Row[] }>(db, ['rules', 'alerts', '--limit', '500']);
  assert.ok(
    top.rows.some((r) => Number(r.recovered) > 0),
    'the samples have recovered records',
  );
  assert.deepEqual([...new Set(alerts.perDay.map((d) => d.rule))].sort(), ['account-created', 'large-delivery']);

  await open(`${url}/#/events`);
  assert.deepEqual(await rowsOf('events-top'), pick(top.rows, ['provider', 'id', 'events', 'recovered', 'first', 'last']));
  assert.match((await page.textContent('[data-summary="events.top"]'))!, new RegExp(`^${top.total.toLocaleString('en-US')} events`));
  assert.deepEqual(pick(await rowsOf('events-list'), listKeys), pick(list.events, listKeys));
  assert.deepEqual(await rowsOf('rules-alerts-per-day'), alerts.perDay);
  assert.deepEqual(
    (await rowsOf('rules-alerts')).map((a) => [a.time, a.rule, a.where]),
    alerts.alerts.map((a) => [a.time, a.rule, `${a.file}:${a.line}`]),
  );
  assert.match((await page.textContent('[data-summary="rules.alerts"]'))!, new RegExp(`^${alerts.total} alert`));
  // the chart draws the per-day counts: per rule, summed over the days, the CLI's
  const drawn = await page.$eval('[data-chart="rules-alerts"]', (el) =>
    (el as unknown as { chartOption(): { series: { name: string; data: number[] }[] } })
      .chartOption()
      .series.map((s) => [s.name, s.data.reduce((a, b) => a + b, 0)]),
  );
  const perRule = new Map<string, number>();
  for (const d of alerts.perDay) perRule.set(String(d.rule), (perRule.get(String(d.rule)) ?? 0) + Number(d.alerts));
  assert.deepEqual(drawn, [...perRule].sort());
  // recovered apart in the top chart: live + recovered = events
  const stacks = await page.$eval('[data-chart="events-top"]', (el) =>
    (el as unknown as { chartOption(): { series: { name: string; data: number[] }[] } })
      .chartOption()
      .series.map((s) => [s.name, s.data.reduce((a, b) => a + b, 0)]),
  );
  const shown = top.rows.slice(0, 15);
  assert.deepEqual(stacks, [
    ['live', shown.reduce((a, r) => a + Number(r.events) - Number(r.recovered), 0)],
    ['recovered', shown.reduce((a, r) => a + Number(r.recovered), 0)],
  ]);
  assert.equal(await page.getAttribute('#integrity', 'data-integrity'), 'unscheduled');
  assert.match((await page.textContent('#integrity'))!, /Verify is not scheduled[\s\S]*mxray verify --db STORE/);

  // the filters by keyboard: labelled inputs, Enter submits; the list is `events list` with them
  await page.getByLabel('Provider').fill('Microsoft-Windows-Sysmon');
  await page.getByLabel('Event id').fill('1');
  await page.getByLabel('Text').focus();
  await page.keyboard.type('powershell');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (globalThis as unknown as Doc).location.hash.includes('provider=Microsoft-Windows-Sysmon'));
  await page.waitForSelector('main[data-ready="true"]');
  const filtered = await cliJson<{ events: Row[]; more: number }>(db, [
    'events',
    'list',
    '--provider',
    'Microsoft-Windows-Sysmon',
    '--id',
    '1',
    '--match',
    'powershell',
    '--limit',
    '200',
  ]);
  assert.ok(filtered.events.length > 0 && filtered.events.length < list.events.length);
  assert.deepEqual(pick(await rowsOf('events-list'), listKeys), pick(filtered.events, listKeys));

  // a date range: the alerts of that day only, as the CLI gives them
  const day = String(alerts.perDay.find((d) => d.rule === 'large-delivery')!.day);
  await open(`${url}/#/events?from=${day}&to=${day}`);
  const ofDay = await cliJson<{ perDay: Row[]; alerts: Row[] }>(db, ['rules', 'alerts', '--from', day, '--to', day, '--limit', '500']);
  assert.deepEqual(await rowsOf('rules-alerts-per-day'), ofDay.perDay);
  assert.equal((await rowsOf('rules-alerts')).length, ofDay.alerts.length);

  // a table's CSV: one line per alert and the header
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-table="rules-alerts"] button.csv')]);
  assert.equal(download.suggestedFilename(), 'rules-alerts.csv');
  assert.equal(
    readFileSync((await download.path())!, 'utf8')
      .trimEnd()
      .split('\r\n').length,
    ofDay.alerts.length + 1,
  );

  // a phone's width
  await page.setViewportSize({ width: 390, height: 844 });
  await open(`${url}/#/events`);
  assert.ok((await page.evaluate<number>('document.documentElement.scrollWidth')) <= 390);
  await page.screenshot({ path: join(shots, 'events-phone.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('the last verify: intact, then tampered with the row changed by SQL', { skip, timeout: 180_000 }, async () => {
  const integrity = 'integrity:\n  verify:\n    interval: 1s\n';
  let url = await serve(integrity);
  await afterVerifies(url, 1);
  await open(`${url}/#/events`);
  assert.equal(await page.getAttribute('#integrity', 'data-integrity'), 'intact');
  assert.match((await page.textContent('#integrity'))!, /Intact: [\d,]+ rows in [\d,]+ sealed batches/);
  await page.screenshot({ path: join(shots, 'events.png'), fullPage: true });
  await serving!.stop();
  serving = undefined;

  // whoever can write the file changes one event's provider
  const i = await DuckDBInstance.create(db);
  const c = await i.connect();
  let row: { line: number; path: string };
  try {
    const [r] = (
      await c.runAndReadAll(
        `SELECT e.file_id, e.line, f.path FROM windows_events e JOIN ingested_files f ON f.id = e.file_id
         WHERE f.path LIKE '%sysmon.evtx' ORDER BY e.line LIMIT 1 OFFSET 7`,
      )
    ).getRowObjectsJson() as Row[];
    row = { line: Number(r!.line), path: String(r!.path) };
    await c.run(`UPDATE windows_events SET provider = 'Innocent-Provider' WHERE file_id = ${Number(r!.file_id)} AND line = ${row.line}`);
  } finally {
    c.closeSync();
    i.closeSync();
  }

  url = await serve(integrity);
  await afterVerifies(url, 1);
  await open(`${url}/#/events`);
  assert.equal(await page.getAttribute('#integrity', 'data-integrity'), 'tampered');
  assert.match((await page.textContent('#integrity .verdict'))!, /^Tampered: 1 modified/);
  assert.equal(await page.getAttribute('#integrity-first', 'data-line'), String(row.line));
  assert.ok((await page.textContent('#integrity-first'))!.includes(`windows_events ${row.path}:${row.line}`));
  const findings = await rowsOf('integrity-findings');
  assert.deepEqual([findings[0]!.kind, findings[0]!.table, findings[0]!.path, findings[0]!.line], ['modified', 'windows_events', row.path, row.line]);
  await page.screenshot({ path: join(shots, 'events-tampered.png'), fullPage: true });
});

test('no console errors, and no request left 127.0.0.1', { skip, timeout: 10_000 }, () => {
  assert.deepEqual(problems, []);
  assert.ok(requests.length > 10);
  assert.deepEqual(
    requests.filter((u) => ![...origins].some((o) => u.startsWith(`${o}/`)) && !u.startsWith('blob:') && !u.startsWith('data:')),
    [],
  );
});
