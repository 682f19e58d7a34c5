// The dashboard end to end in real headless Chromium (playwright-core driving Debian's
// /usr/bin/chromium; no browser is downloaded): `mxray serve` on a store filled by the generators,
// with a monitor watching real listeners on 127.0.0.1. Each page's numbers are compared with the
// CLI's JSON for the same range (read from the cells' raw values); the matrix has one square per
// host and turns red when a listener stops; the keyboard reaches a host's page; a table's CSV is
// the CLI's CSV; the one-file report shows the same numbers offline; every page labels its charts,
// fields and tables and keeps AA contrast, and Tab reaches the matrix with a visible focus ring. No
// console errors, and no request leaves 127.0.0.1. Screenshots go to test-artifacts/dashboard/ (git-ignored).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startServe, type Serving } from '../serve/serve.js';
import { mxrayInProcess } from '../testing/run-cli.js';
import { artifacts, chromiumPath, cliJson, filledStore, haveChromium, openBrowser, serveConfig, watchPage } from './dashboard.fixture.js';

const skip = haveChromium || process.env.CI === 'true' ? false : `no Chromium at ${chromiumPath} (apt-get install chromium)`;
const dir = mkdtempSync(join(tmpdir(), 'mxray-dash-web-'));
const shots = artifacts();
const range = '?from=2024-03-05&to=2024-03-05';
const rangeArgs = ['--from', '2024-03-05', '--to', '2024-03-05'];

type Row = Record<string, unknown>;
let db: string;
let serving: Serving | undefined;
let browser: Browser | undefined;
let page: Page;
const problems: string[] = [];
const requests: string[] = [];
const cli: Record<string, unknown> = {};
let html: string;

/** a listener that greets like an SMTP server; close() stops it and its connections */
async function smtpLike(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const s: Server = createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    c.end('220 test ESMTP\r\n');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    port: (s.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const c of sockets) c.destroy();
        s.close(() => r());
      }),
  };
}

let up: Awaited<ReturnType<typeof smtpLike>>;
let down: Awaited<ReturnType<typeof smtpLike>>;

before(async () => {
  if (skip) return;
  db = await filledStore(dir);
  for (const [name, args] of Object.entries({
    users: ['tracking', 'users', ...rangeArgs],
    classes: ['tracking', 'classes', ...rangeArgs],
    perDay: ['tracking', 'traffic', '--by', 'day', ...rangeArgs],
    perHour: ['tracking', 'traffic', '--by', 'hour', ...rangeArgs],
    topSenders: ['tracking', 'top', '--by', 'sent', '--limit', '10', ...rangeArgs],
    devices: ['eas', 'devices', ...rangeArgs],
    hourly: ['eas', 'hourly', ...rangeArgs],
    presence: ['presence', 'report', ...rangeArgs],
    heatmap: ['presence', 'heatmap', ...rangeArgs],
    meetings: ['calendar', 'meetings', ...rangeArgs],
    timeline: ['calendar', 'timeline', '--subject', 'Budget review', ...rangeArgs],
  }))
    cli[name] = await cliJson(db, args);
  const csv = await mxrayInProcess(['tracking', 'traffic', '--by', 'day', '--format', 'csv', ...rangeArgs, '--db', db]);
  cli.perDayCsv = csv.stdout;
  html = join(dir, 'report.html');
  const made = await mxrayInProcess(['report', '--html', html, ...rangeArgs, '--db', db]);
  assert.equal(made.code, 0, made.stderr);

  up = await smtpLike();
  down = await smtpLike();
  const monitor = `monitor:
  defaults: { intervalMs: 1000, timeoutMs: 1000, failures: 1 }
  hosts:
    - name: mx1
      services:
        - { name: SMTP, instances: [ "tcp://127.0.0.1:${up.port}" ] }
        - { name: Submission, instances: [ "tcp://127.0.0.1:${up.port}" ] }
    - name: mx2
      services:
        - { name: SMTP, instances: [ "tcp://127.0.0.1:${down.port}" ] }
    - name: relay
      services:
        - { name: SMTP, instances: [ "tcp://127.0.0.1:${up.port}" ] }
`;
  serving = await startServe({ config: serveConfig(dir, db, monitor), port: 0, watch: false, log: () => undefined, env: {} });
  ({ browser, page } = await openBrowser(requests, problems));
});

after(async () => {
  await browser?.close();
  await serving?.stop();
  await up?.close();
  await down?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(p: Page, address: string): Promise<void> {
  await p.goto(address);
  await p.waitForSelector('main[data-ready="true"]');
  // charts draw on the next frame
  // a function, not a string: a string predicate polled in the page is eval'd, which the dashboard's
  // CSP (script-src 'self') refuses whenever the charts are not drawn at the first check
  await p.waitForFunction(() => [...document.querySelectorAll('.chart')].every((c) => c.dataset.drawn === 'true'));
}

// the page's globals as the predicates below use them (they run in Chromium; this file has no DOM types)
declare const document: { querySelectorAll(selector: string): Iterable<{ dataset: Record<string, string | undefined> }> };
declare const location: { hash: string };

/** a table's rows as the report's raw values (data-value), by column key */
function rowsOf(p: Page, name: string): Promise<Row[]> {
  return p.$$eval(`[data-table="${name}"] tbody tr`, (trs) =>
    trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.key!, JSON.parse(td.dataset.value!)]))),
  );
}

/** the CLI's rows with only the keys the page shows */
function pick(rows: Row[], keys: string[]): Row[] {
  return rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k] ?? null])));
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

test('health matrix: one square per host, red when its instance stops; hover, keyboard and the host page', { skip, timeout: 120_000 }, async () => {
  await open(page, `${serving!.url}/#/health`);
  await page.waitForSelector('#matrix[data-hosts="3"]');
  await page.waitForFunction(() => [...document.querySelectorAll('#matrix .cell')].every((c) => c.dataset.status === 'ok'), null, {
    timeout: 15_000,
  });
  assert.deepEqual(await page.$$eval('#matrix .cell', (cs) => cs.map((c) => c.getAttribute('data-host'))), ['mx1', 'mx2', 'relay']);
  await page.hover('#matrix .cell[data-host="mx1"]');
  const tip = await page.textContent('#matrix-tip');
  assert.match(tip!, /mx1: OK\nSMTP 127\.0\.0\.1:\d+: OK\nSubmission 127\.0\.0\.1:\d+: OK/);

  await down.close();
  await page.waitForSelector('#matrix .cell[data-host="mx2"][data-status="critical"]', { timeout: 20_000 });
  const colours = await page.evaluate<string[][]>(
    "[...document.querySelectorAll('#matrix .cell')].map((c) => [c.dataset.host, getComputedStyle(c).backgroundColor])",
  );
  assert.deepEqual(colours, [
    ['mx1', 'rgb(26, 127, 55)'],
    ['mx2', 'rgb(207, 34, 46)'],
    ['relay', 'rgb(26, 127, 55)'],
  ]);
  assert.match((await page.textContent('.legend'))!, /3 hosts:\s+2 OK\s+0 warning\s+1 critical\s+0 unknown/);
  await page.mouse.move(0, 0);
  await shot(page, 'health');

  // the keyboard: Tab to mx2's square, Enter opens its page
  await page.focus('#matrix .cell[data-host="mx1"]');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement.dataset.host'), 'mx2');
  await page.keyboard.press('Enter');
  await page.waitForSelector('main[data-page="host"][data-ready="true"]');
  const latest = await rowsOf(page, 'host-latest');
  assert.equal(latest.length, 1);
  assert.equal(latest[0]!.status, 'critical');
  assert.equal(latest[0]!.failure, 'refused');
  await shot(page, 'host');
});

test('message tracking shows the CLI JSON of the range; search, sort and CSV', { skip, timeout: 120_000 }, async () => {
  await open(page, `${serving!.url}/#/tracking${range}`);
  const users = cli.users as Row[];
  assert.ok(users.length > 5);
  assert.deepEqual(await rowsOf(page, 'tracking-users'), users);
  const classes = cli.classes as { users: number; lightMax: number; heavyMin: number; classes: Record<string, { users: number; percent: number }> };
  assert.deepEqual(
    await rowsOf(page, 'tracking-classes'),
    Object.entries(classes.classes).map(([c, v]) => ({ class: c, ...v })),
  );
  assert.match(
    (await page.textContent('[data-summary="tracking.classes"]'))!,
    new RegExp(`^${classes.users} users over 1 day\\(s\\); light < ${classes.lightMax} ≤ medium < ${classes.heavyMin} ≤ heavy`),
  );
  assert.deepEqual(await rowsOf(page, 'tracking-traffic-day'), cli.perDay);
  assert.deepEqual(await rowsOf(page, 'tracking-traffic-hour'), cli.perHour);
  assert.deepEqual(await rowsOf(page, 'tracking-top-senders'), pick(cli.topSenders as Row[], ['user', 'sent', 'received']));
  await shot(page, 'tracking');

  // search and sort
  const search = page.locator('[data-table="tracking-users"] input[type="search"]');
  await search.fill('an');
  const found = await rowsOf(page, 'tracking-users');
  assert.deepEqual(
    found,
    users.filter((u) => String(u.user).toLowerCase().includes('an') || String(u.class).includes('an')),
  );
  await search.fill('');
  await page.click('[data-table="tracking-users"] th:nth-child(2) button');
  const sorted = await rowsOf(page, 'tracking-users');
  assert.equal(sorted[0]!.sent, Math.max(...users.map((u) => Number(u.sent))));
  assert.equal(await page.getAttribute('[data-table="tracking-users"] th:nth-child(2)', 'aria-sort'), 'descending');

  // a table's CSV is what `--format csv` prints
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-table="tracking-traffic-day"] button.csv')]);
  assert.equal(download.suggestedFilename(), 'tracking-traffic-day.csv');
  assert.equal(readFileSync((await download.path())!, 'utf8'), cli.perDayCsv);

  // a phone's width: nothing wider than the screen but the tables' own scrolling boxes
  await page.setViewportSize({ width: 390, height: 844 });
  await open(page, `${serving!.url}/#/tracking${range}`);
  assert.ok((await page.evaluate<number>('document.documentElement.scrollWidth')) <= 390);
  await page.screenshot({ path: join(shots, 'tracking-phone.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('ActiveSync, presence and calendar show the CLI JSON of the range', { skip, timeout: 120_000 }, async () => {
  await open(page, `${serving!.url}/#/activesync${range}`);
  const devices = cli.devices as Row[];
  assert.ok(devices.length > 0);
  assert.deepEqual(
    await rowsOf(page, 'eas-devices'),
    pick(devices, ['user', 'deviceId', 'deviceType', 'model', 'os', 'protocol', 'hits', 'firstSeen', 'lastSeen', 'policy']),
  );
  assert.deepEqual(await rowsOf(page, 'eas-hourly'), pick(cli.hourly as Row[], ['period', 'hits', 'devices', 'syncRequests']));
  assert.equal((cli.hourly as Row[]).length, 24);
  await shot(page, 'activesync');

  await open(page, `${serving!.url}/#/presence${range}`);
  const days = cli.presence as Row[];
  assert.ok(days.length >= 4);
  const shown = await rowsOf(page, 'presence-days');
  assert.deepEqual(
    shown.map((r) => [r.user, r.day, r.online, r.busy, r.offline]),
    days.map((d) => [d.user, d.day, Number(d.online) / 3600, Number(d.busy) / 3600, Number(d.offline) / 3600]),
  );
  // the heat map: the cells drawn ([hour, weekday, seconds]) and its table are the CLI's 168 cells
  const cells = cli.heatmap as { weekday: string; hour: number; online: number }[];
  assert.equal(cells.length, 168);
  assert.ok(cells.some((c) => c.online > 0));
  const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const drawn = await page.$eval('[data-chart="presence-heatmap"]', (el) => {
    const o = (el as unknown as { chartOption(): { series: { data: number[][] }[] } }).chartOption();
    return o.series[0]!.data;
  });
  assert.deepEqual(
    drawn,
    cells.map((c) => [c.hour, weekdays.indexOf(c.weekday), c.online]),
  );
  const table = await rowsOf(page, 'presence-heatmap');
  assert.deepEqual(
    table.flatMap((r) =>
      Array.from({ length: 24 }, (_, hh) => ({ weekday: r.weekday, hour: hh, online: Math.round(Number(r[String(hh).padStart(2, '0')]) * 3600) })),
    ),
    cells,
  );
  await page.click('[data-table="presence-days"] tbody tr:first-child a');
  await page.waitForSelector('[data-table="presence-timeline"]');
  await page.waitForSelector('main[data-ready="true"]');
  await shot(page, 'presence');

  await open(page, `${serving!.url}/#/calendar${range}&subject=Budget%20review`);
  const meetings = cli.meetings as Row[];
  assert.deepEqual(await rowsOf(page, 'calendar-meetings'), pick(meetings, ['subject', 'organizer', 'versions', 'first', 'last', 'id']));
  const timeline = cli.timeline as { events: Row[] };
  assert.deepEqual(
    (await rowsOf(page, 'calendar-timeline')).map((e) => [e.time, e.mailbox, e.actor, e.action]),
    timeline.events.map((e) => [e.time, e.mailbox, e.actor, e.action]),
  );
  assert.deepEqual(
    await page.$$eval('.sentences li', (lis) => lis.map((li) => li.textContent)),
    timeline.events.map((e) => `${e.time} ${e.sentence}`),
  );
  await shot(page, 'calendar');

  // the date range form applies to the page shown
  await open(page, `${serving!.url}/#/tracking`);
  await page.fill('#range-from', '2024-03-05');
  await page.fill('#range-to', '2024-03-05');
  await page.click('form.range button[type="submit"]');
  await page.waitForFunction(() => location.hash === '#/tracking?from=2024-03-05&to=2024-03-05');
  await page.waitForSelector('main[data-ready="true"]');
  assert.deepEqual(await rowsOf(page, 'tracking-traffic-day'), cli.perDay);
});

test('the one-file report opens offline with the same numbers', { skip, timeout: 120_000 }, async () => {
  const offline = await browser!.newContext({ viewport: { width: 1280, height: 800 }, offline: true });
  const seen: string[] = [];
  offline.on('request', (r) => seen.push(r.url()));
  const p = await offline.newPage();
  watchPage(p, problems);
  await open(p, `${pathToFileURL(html).href}#/tracking${range}`);
  assert.deepEqual(await rowsOf(p, 'tracking-users'), cli.users);
  assert.deepEqual(await rowsOf(p, 'tracking-traffic-hour'), cli.perHour);
  await open(p, `${pathToFileURL(html).href}#/activesync${range}`);
  assert.deepEqual(await rowsOf(p, 'eas-hourly'), pick(cli.hourly as Row[], ['period', 'hits', 'devices', 'syncRequests']));
  await shot(p, 'report-html');
  assert.deepEqual(
    seen.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')),
    [],
  );
  await offline.close();
});

/** what a page leaves to a screen reader or a keyboard user: a chart without role img and a label,
 *  a form field, button or link without an accessible name, a table without a caption, a text whose
 *  contrast with its background is under WCAG AA (4.5:1; 3:1 for large text), a focusable element
 *  without a visible focus ring. Run in the page (a string: this file has no DOM types). */
const audit = `(() => {
  const out = [];
  const what = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
  const name = (el) => (el.getAttribute('aria-label') || '').trim() || (el.getAttribute('aria-labelledby') ? 'by' : '') || (el.labels && el.labels.length ? 'label' : '') || (el.textContent || '').trim() || (el.getAttribute('title') || '').trim();
  for (const c of document.querySelectorAll('.chart')) if (c.getAttribute('role') !== 'img' || !(c.getAttribute('aria-label') || '').trim()) out.push('chart without role img and label: ' + c.dataset.chart);
  for (const el of document.querySelectorAll('input, select, textarea, button, a[href]')) if (!name(el)) out.push('no accessible name: ' + what(el) + ' ' + el.outerHTML.slice(0, 80));
  for (const t of document.querySelectorAll('table')) if (!t.querySelector('caption') && !t.getAttribute('aria-label')) out.push('table without caption');
  const rgb = (s) => { const m = s.match(/[\\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.a > 0.5) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
  const seen = new Set();
  const walker = document.createTreeWalker(document.getElementById('app'), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || seen.has(el) || !el.getClientRects().length) continue;
    seen.add(el);
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || Number(st.opacity) === 0) continue;
    const fg = rgb(st.color), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) out.push('contrast ' + ratio.toFixed(2) + ' < ' + need + ': ' + what(el) + ' "' + n.textContent.trim().slice(0, 30) + '"');
  }
  return out;
})()`;

/** the contrast of each status colour of the matrix with the card it is drawn on (WCAG 1.4.11 asks 3:1
 *  of graphics that carry meaning) */
const statusContrast = `(() => {
  const css = getComputedStyle(document.documentElement);
  const hex = (v) => { const x = v.trim().replace('#', ''); return [0, 2, 4].map((i) => parseInt(x.slice(i, i + 2), 16)); };
  const lum = (c) => c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }).reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const card = lum(hex(css.getPropertyValue('--card')));
  return Object.fromEntries(['ok', 'warning', 'critical', 'unknown'].map((s) => { const l = lum(hex(css.getPropertyValue('--' + s))); return [s, Number(((Math.max(l, card) + 0.05) / (Math.min(l, card) + 0.05)).toFixed(2))]; }));
})()`;

/** the focus ring of the element focused now: its outline or box shadow (none: invisible focus) */
const focusRing = `(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 ? 'outline' : s.boxShadow !== 'none' ? 'shadow' : 'none'; })()`;

test('accessibility: every page labels its charts, fields and tables, keeps AA contrast; the keyboard reaches the matrix', {
  skip,
  timeout: 120_000,
}, async () => {
  const pages = ['health', 'host?name=mx1', `tracking${range}`, `activesync${range}`, `presence${range}`, `calendar${range}&subject=Budget%20review`, 'events'];
  for (const p of pages) {
    await open(page, `${serving!.url}/#/${p}`);
    if (p === 'health') await page.waitForSelector('#matrix[data-hosts="3"]');
    assert.deepEqual(await page.evaluate<string[]>(audit), [], `#/${p}`);
    if (p.startsWith('tracking')) assert.ok((await page.$$('.chart[role="img"][aria-label]')).length >= 3);
  }
  // from the date range's Apply button, Tab goes through the page to the first square, with a visible ring
  await open(page, `${serving!.url}/#/health`);
  await page.waitForSelector('#matrix[data-hosts="3"]');
  await page.focus('form.range button[type="submit"]');
  let reached: string | null = null;
  for (let i = 0; i < 20 && reached === null; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate<string | null>("document.activeElement.closest('#matrix') ? document.activeElement.dataset.host : null");
  }
  assert.equal(reached, 'mx1');
  assert.notEqual(await page.evaluate<string>(focusRing), 'none');
  const contrasts = await page.evaluate<Record<string, number>>(statusContrast);
  assert.deepEqual(Object.keys(contrasts), ['ok', 'warning', 'critical', 'unknown']);
  for (const [status, ratio] of Object.entries(contrasts)) assert.ok(ratio >= 3, `${status}: ${ratio}:1 against the card`);
  assert.match((await page.evaluate<string>("document.activeElement.getAttribute('aria-label')"))!, /^mx1: (OK|critical), 2 instances$/);
});

test('no console errors, and no request left 127.0.0.1', { skip, timeout: 10_000 }, () => {
  assert.deepEqual(problems, []);
  const origin = new URL(serving!.url).origin;
  assert.ok(requests.length > 10);
  assert.deepEqual(
    requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:')),
    [],
  );
});
