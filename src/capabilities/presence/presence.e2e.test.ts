// Presence end to end, through the CLI in this process, on DuckDB and ClickHouse: generated daily
// logs (the generator's truth is counted minute by minute by its own bookkeeping) ingested with
// --tz, reported per user and day; DST days (23 and 25 hours), the seed's own line with a client-local
// state number, re-ingest and the poller's own log adding nothing, timeline, PC in use, prune.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import type { PresenceTruth } from '../../generate/presence/index.js';
import { openStore } from '../../store/open.js';
import { LiveLog } from '../../store/live.js';
import { openPresenceRecorder } from './recorder.js';
import type { PresenceDay } from './report.js';
import { updatePresenceSpans } from './ingest-step.js';
import { hourTotals, hoursCoverage, offsetSteps, pieceTotals, type PieceDay } from './queries.js';
import { daysOf } from './zone.js';
import { sql } from '../../sql/sql.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-presence-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function ok(args: string[]) {
  const r = await mxray(args);
  assert.equal(r.code, 0, `mxray ${args.join(' ')}: ${r.stderr}`);
  return r;
}

const generated = new Map<string, PresenceTruth>();
async function generate(name: string, args: string[]): Promise<{ logs: string; truth: PresenceTruth }> {
  const out = join(dir, `gen-${name}`);
  if (!generated.has(name)) {
    await ok(['generate', 'presence', ...args, '--out', out]);
    generated.set(name, JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8')) as PresenceTruth);
  }
  return { logs: join(out, 'logs'), truth: generated.get(name)! };
}

async function heatmap(db: string[], args: string[]): Promise<{ weekday: string; hour: number; online: number }[]> {
  return JSON.parse((await ok(['presence', 'heatmap', ...db, ...args, '--json'])).stdout) as { weekday: string; hour: number; online: number }[];
}

function suite(storeArgs: (name: string) => string[]) {
  test('a spring DST week-end in Berlin: every user-day equals the truth and adds up to the day; re-ingest adds nothing', async () => {
    const { logs, truth } = await generate('spring', ['--users', '6', '--days', '3', '--start', '2026-03-28', '--tz', 'Europe/Berlin', '--seed', '3']);
    const db = storeArgs('spring');
    const ing = await ok(['ingest', logs, ...db, '--tz', 'Europe/Berlin']);
    assert.match(ing.stdout, /times read as local time in Europe\/Berlin \(--tz\)/);
    const report = async () =>
      JSON.parse(
        (await ok(['presence', 'report', ...db, '--tz', 'Europe/Berlin', '--from', '2026-03-28', '--to', '2026-03-30', '--json'])).stdout,
      ) as PresenceDay[];
    const got = await report();
    assert.deepEqual(got, truth.rows);
    // the heat map (weekday × hour, online seconds) equals the generator's, counted minute by minute on its own clock
    assert.deepEqual(await heatmap(db, ['--tz', 'Europe/Berlin', '--from', '2026-03-28', '--to', '2026-03-30']), truth.heatmap);
    const sums = new Set(
      got
        .filter((r) => r.day === '2026-03-29')
        .map((r) =>
          Object.values(r)
            .filter((v): v is number => typeof v === 'number')
            .reduce((a, b) => a + b, 0),
        ),
    );
    assert.deepEqual([...sums], [82_800]);
    assert.ok(
      got.some((r) => r.unknown > 3600),
      'the logger outages are unknown',
    );
    // the same files again: nothing new
    const again = await ok(['ingest', logs, ...db, '--tz', 'Europe/Berlin', '--json']);
    assert.equal(JSON.parse(again.stdout).events, 0);
    assert.deepEqual(await report(), truth.rows);
    // the after-ingest step run again sends every piece again: the store keeps none of them, and
    // the hourly totals (hours.ts) still add up to the pieces, with the same per-day numbers
    const store = await openStore(db[0] === '--db' ? { db: db[1] } : { store: db[1] });
    try {
      const paths = await store.query<{ path: string }>('the logs', sql`SELECT DISTINCT path FROM ingested_files WHERE format = 'presence-log'`);
      const step = await updatePresenceSpans(
        store,
        await LiveLog.open(store, 'presence-import'),
        paths.map((r) => r.path),
      );
      assert.ok(step.pieces > 1000, `the step sent its pieces again (${step.pieces})`);
      const days = daysOf('Europe/Berlin', '2026-03-28', '2026-03-30');
      const [lo, hi] = [days[0]!.start, days[2]!.end];
      const c = await hoursCoverage(store, lo, hi);
      assert.ok(c.pieces > 0);
      assert.equal(c.hours, c.pieces, 'hourly totals = pieces after the step ran twice');
      const order = (a: PieceDay, b: PieceDay) => a.user.localeCompare(b.user) || a.day - b.day;
      const steps = offsetSteps('Europe/Berlin', lo, hi);
      assert.deepEqual((await hourTotals(store, lo, hi, steps)).sort(order), (await pieceTotals(store, lo, hi, steps)).sort(order));
    } finally {
      await store.close();
    }
    assert.deepEqual(await report(), truth.rows);
    // timeline: a user's day in intervals covering the day, agreeing with the report
    const tl = JSON.parse(
      (await ok(['presence', 'timeline', ...db, '--user', 'USER0002@example.org', '--day', '2026-03-29', '--tz', 'Europe/Berlin', '--json'])).stdout,
    ) as {
      intervals: { from: string; to: string; state: string; seconds: number }[];
    };
    assert.equal(tl.intervals[0]!.from, '2026-03-29T00:00:00+01:00');
    assert.equal(tl.intervals[tl.intervals.length - 1]!.to, '2026-03-30T00:00:00+02:00');
    const row = truth.rows.find((r) => r.user === 'user0002@example.org' && r.day === '2026-03-29')!;
    for (const s of ['online', 'away', 'offline', 'unknown'] as const)
      assert.equal(
        tl.intervals.filter((i) => i.state === s).reduce((a, i) => a + i.seconds, 0),
        row[s],
        s,
      );
    // PC in use
    const pc = JSON.parse(
      (
        await ok([
          'presence',
          'pc-in-use',
          ...db,
          '--tz',
          'Europe/Berlin',
          '--from',
          '2026-03-29',
          '--to',
          '2026-03-29',
          '--user',
          'user0003@example.org',
          '--json',
        ])
      ).stdout,
    );
    const t3 = truth.rows.find((r) => r.user === 'user0003@example.org' && r.day === '2026-03-29')!;
    assert.deepEqual(pc, [
      {
        user: t3.user,
        day: t3.day,
        inUse: t3.online + t3.busy + t3.onThePhone,
        online: t3.online,
        busy: t3.busy,
        onThePhone: t3.onThePhone,
        firstOnline: t3.firstOnline,
        lastOnline: t3.lastOnline,
      },
    ]);
  });

  test('the heat map in a zone of half hours (from the stored durations): equals the truth; one user; bad input', async () => {
    const { logs, truth } = await generate('kolkata', ['--users', '3', '--days', '2', '--start', '2026-06-01', '--tz', 'Asia/Kolkata', '--seed', '7']);
    const db = storeArgs('kolkata');
    await ok(['ingest', logs, ...db, '--tz', 'Asia/Kolkata']);
    const cells = await heatmap(db, ['--tz', 'Asia/Kolkata']);
    assert.deepEqual(cells, truth.heatmap);
    assert.equal(cells.length, 168);
    assert.ok(cells.some((c) => c.online > 0));
    // one user: their online seconds of the report, summed, are the heat map's total
    const u = 'user0001@example.org';
    const mine = await heatmap(db, ['--tz', 'Asia/Kolkata', '--user', u]);
    const total = truth.rows.filter((r) => r.user === u).reduce((a, r) => a + r.online, 0);
    assert.equal(
      mine.reduce((a, c) => a + c.online, 0),
      total,
    );
    const bad = await mxray(['presence', 'heatmap', ...db, '--from', '2026-06-03', '--to', '2026-06-01']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--from \(2026-06-03\) must not be after --to/);
  });

  test('an autumn DST day (25 hours) and UTC days', async () => {
    const { logs, truth } = await generate('autumn', ['--users', '4', '--days', '2', '--start', '2026-10-24', '--tz', 'Europe/Berlin', '--seed', '5']);
    const db = storeArgs('autumn');
    const ing = await ok(['ingest', logs, ...db, '--tz', 'Europe/Berlin']);
    assert.match(ing.stdout, /in the hour the clocks repeat/);
    const got = JSON.parse((await ok(['presence', 'report', ...db, '--tz', 'Europe/Berlin', '--json'])).stdout) as PresenceDay[];
    assert.deepEqual(got, truth.rows);
    // the repeated hour 02 counts twice in its cell
    assert.deepEqual(await heatmap(db, ['--tz', 'Europe/Berlin']), truth.heatmap);
    assert.equal(got.filter((r) => r.day === '2026-10-25').length, 4);
    // UTC days (no --tz): every day adds up to 86,400 and the total time is the same
    const utc = JSON.parse((await ok(['presence', 'report', ...db, '--from', '2026-10-23', '--to', '2026-10-25', '--json'])).stdout) as PresenceDay[];
    for (const r of utc)
      assert.equal(
        Object.values(r)
          .filter((v): v is number => typeof v === 'number')
          .reduce((a, b) => a + b, 0),
        86_400,
      );
    const known = (rows: PresenceDay[]) =>
      rows.reduce((a, r) => a + r.online + r.busy + r.away + r.offline + r.idle + r.beRightBack + r.onThePhone + r.outToLunch + r.invisible, 0);
    assert.equal(known(utc), known(truth.rows));
  });

  test("the seed's own lines: a client-local state kept raw as unknown, the username with a comma; prune", async () => {
    const logs = join(dir, `seed-${storeArgs('x').join('')}`.replace(/[^a-z0-9-]/gi, '_'));
    mkdirSync(logs, { recursive: true });
    writeFileSync(
      join(logs, '20020404.log'),
      '20020404,10:21,administrator@exbend,Administrator,2\r\n20020404,10:36,administrator@exbend,Administrator,256\r\n20020404,10:51,administrator@exbend,Administrator,34\r\n20020404,10:51,Bob@exbend,"Smith, Bob",10\r\n',
    );
    const db = storeArgs('seed');
    const ing = await ok(['ingest', logs, ...db, '--tz', 'UTC']);
    assert.match(ing.stdout, /presence-log 1/);
    assert.match(ing.stdout, /256 \(1×, finding server\)/);
    const got = JSON.parse((await ok(['presence', 'report', ...db, '--json'])).stdout) as PresenceDay[];
    const admin = got.find((r) => r.user === 'administrator@exbend')!;
    // 10:21 online 15 min, 10:36 unknown (256) 15 min, 10:51 away: the last sample, one interval (15 min)
    assert.deepEqual(
      [admin.online, admin.away, admin.unknown, admin.firstOnline, admin.lastOnline],
      [900, 900, 86_400 - 1800, '2002-04-04T10:21:00Z', '2002-04-04T10:36:00Z'],
    );
    const bob = got.find((r) => r.user === 'bob@exbend')!;
    assert.equal(bob.busy, 900); // a single sample: the default interval
    const pruned = JSON.parse((await ok(['presence', 'prune', ...db, '--older-than', '90d', '--now', '2002-04-05T00:00:00Z', '--json'])).stdout);
    assert.deepEqual(pruned.deleted, {
      presence_samples: 0,
      presence_spans: 0,
      presence_heartbeats: 0,
      presence_daily: 0,
      presence_hours: 0,
      presence_days: 0,
    });
    const gone = JSON.parse((await ok(['presence', 'prune', ...db, '--older-than', '1d', '--now', '2002-04-06T00:00:00Z', '--json'])).stdout);
    assert.equal(gone.deleted.presence_samples, 4);
    assert.deepEqual(JSON.parse((await ok(['presence', 'report', ...db, '--json'])).stdout), []);
    const bad = await mxray(['presence', 'prune', ...db, '--older-than', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--older-than: expected an age such as 90d/);
  });

  test("the poller's own log imported after the poller stored its samples adds nothing", async () => {
    const db = storeArgs('poller');
    const logDir = join(dir, `poller-logs-${db.join('').replace(/[^a-z0-9]/gi, '_')}`);
    const store = await openStore(db[0] === '--db' ? { db: db[1] } : { store: db[1] });
    try {
      const rec = await openPresenceRecorder(store, await LiveLog.open(store, 'presence-poll'), { intervalS: 900, logDir, tz: 'Europe/Berlin' });
      const u = { imAddress: 'carol@example.org', username: 'carol', dn: 'uid=carol' };
      for (const [i, state] of (['online', 'away', 'busy', 'online'] as const).entries()) {
        const at = new Date(Date.UTC(2026, 10, 3, 9, i * 15));
        await rec.recordCycle(at, [u], [{ imAddress: u.imAddress, username: u.username, at, state, raw: state, source: 'xmpp', pushed: false }]);
      }
      await rec.close(new Date(Date.UTC(2026, 10, 3, 10)));
    } finally {
      await store.close();
    }
    const before = (await ok(['presence', 'report', ...db, '--json'])).stdout;
    const ing = await ok(['ingest', logDir, ...db, '--tz', 'Europe/Berlin', '--json']);
    assert.equal(JSON.parse(ing.stdout).events, 4, 'the log has the four samples');
    assert.equal((await ok(['presence', 'report', ...db, '--json'])).stdout, before);
    const [carol] = JSON.parse(before) as PresenceDay[];
    assert.deepEqual([carol!.online, carol!.away, carol!.busy], [1800, 900, 900]);
  });

  test('an older log imported after newer data reports as the same logs imported in order; the store verifies intact', async () => {
    const { logs } = await generate('order', ['--users', '3', '--days', '3', '--start', '2026-06-01', '--tz', 'UTC', '--seed', '11']);
    const base = join(
      dir,
      `order-${storeArgs('x')
        .join('')
        .replace(/[^a-z0-9]/gi, '_')}`,
    );
    const [first, later, all] = ['first', 'later', 'all'].map((d) => join(base, d)) as [string, string, string];
    for (const d of [first, later, all]) mkdirSync(d, { recursive: true });
    // the second day's first sample of user0001 changes state at midnight (away), so its piece differs
    // from the state before it
    const day2 = readFileSync(join(logs, '20260602.log'), 'latin1').replace(
      /^20260602,00:00,user0001@example.org,User0001,\d+/m,
      '20260602,00:00,user0001@example.org,User0001,34',
    );
    for (const day of ['20260601.log', '20260603.log']) {
      writeFileSync(join(first, day), readFileSync(join(logs, day)));
      writeFileSync(join(all, day), readFileSync(join(logs, day)));
    }
    writeFileSync(join(later, '20260602.log'), day2, 'latin1');
    writeFileSync(join(all, '20260602.log'), day2, 'latin1');
    const outOfOrder = storeArgs('order-late');
    const inOrder = storeArgs('order-all');
    await ok(['ingest', first, ...outOfOrder, '--tz', 'UTC']);
    await ok(['ingest', later, ...outOfOrder, '--tz', 'UTC']);
    await ok(['ingest', all, ...inOrder, '--tz', 'UTC']);
    const report = async (db: string[]) =>
      JSON.parse((await ok(['presence', 'report', ...db, '--from', '2026-06-01', '--to', '2026-06-03', '--json'])).stdout) as PresenceDay[];
    const want = await report(inOrder);
    assert.equal((want.find((r) => r.user === 'user0001@example.org' && r.day === '2026-06-02')?.away ?? 0) >= 900, true);
    assert.deepEqual(await report(outOfOrder), want);
    // the first import's last sample of 2026-06-01 was followed by a gap (its pieces two intervals
    // long); the older log filled it: those pieces were retracted (sealed) and written again
    const store = await openStore(outOfOrder[0] === '--db' ? { db: outOfOrder[1] } : { store: outOfOrder[1] });
    try {
      const v = await store.verify?.({});
      if (v) {
        assert.equal(v.intact, true, JSON.stringify(v.findings));
        assert.ok(v.retractions > 0, 'the gap pieces were retracted');
      }
    } finally {
      await store.close();
    }
    // the same logs again, and the older one alone again: nothing changes
    await ok(['ingest', all, ...outOfOrder, '--tz', 'UTC']);
    assert.deepEqual(await report(outOfOrder), want);
  });

  test('bad --tz and bad days are usage errors', async () => {
    const db = storeArgs('spring');
    const r = await mxray(['ingest', dir, ...db, '--tz', 'Mars/Olympus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown time zone "Mars\/Olympus"/);
    const d = await mxray(['presence', 'report', ...db, '--from', '2026-02-30']);
    assert.equal(d.code, 2);
    assert.match(d.stderr, /--from: expected a day as YYYY-MM-DD/);
  });
}

describe('presence on DuckDB', () => {
  suite((name) => ['--db', join(dir, `${name}.duckdb`)]);
});

describeClickhouse('presence on ClickHouse', () => {
  let server: ClickhouseServer | undefined;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  suite((name) => ['--store', `clickhouse://127.0.0.1:${server?.httpPort}/presence_${process.pid}_${name}`]);
});
