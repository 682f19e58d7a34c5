// The daily totals (presence_days, hours.ts) and their completeness marks (marks.ts) on DuckDB and
// ClickHouse: after recorder cycles, a log import, the import's step run again (no double count) and
// a prune, the daily totals equal the sums of the stored pieces per user and UTC day (pieceTotals,
// an independent GROUP BY over the pieces) and their tails equal each user's latest sample
// (latestSamples over the samples); a store without the daily totals (older mxray) and an import cut
// off between its pieces and their totals report the same numbers from the hourly totals, with a note.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import type { PresenceTruth } from '../../generate/presence/index.js';
import { openStore } from '../../store/open.js';
import { LiveLog } from '../../store/live.js';
import type { Store } from '../../store/types.js';
import { live, table } from '../../sql/dialect.js';
import { join as joinSql, raw, sql } from '../../sql/sql.js';
import { openPresenceRecorder } from './recorder.js';
import { updatePresenceSpans, type NumberedAppender } from './ingest-step.js';
import { ingest } from '../../ingest/ingest.js';
import { hourColumns } from './hours.js';
import { dayTotals, latestSamples, latestTails, offsetSteps, pieceTotals, type PieceDay, type Tail } from './queries.js';
import { daysIncomplete } from './marks.js';
import { presenceReport } from './report.js';
import { prunePresence } from './prune.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-presence-days-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400;
const order = (a: PieceDay, b: PieceDay) => a.user.localeCompare(b.user) || a.day - b.day;
const byUser = (a: Tail, b: Tail) => a.user.localeCompare(b.user);

/** daily totals = sums of the pieces over [lo, hi), tails = latest samples; returns the user-days */
async function assertEqualToPieces(store: Store, lo: number, hi: number, what: string): Promise<number> {
  const days = (await dayTotals(store, lo, hi)).sort(order);
  const pieces = (await pieceTotals(store, lo, hi, offsetSteps('UTC', lo, hi))).sort(order);
  assert.deepEqual(days, pieces, `${what}: daily totals = sums of the pieces`);
  assert.deepEqual((await latestTails(store, lo - 2 * DAY)).sort(byUser), (await latestSamples(store, lo - 2 * DAY)).sort(byUser), `${what}: tails`);
  return pieces.length;
}

async function count(store: Store, kind: 'presenceDays' | 'presenceMarks'): Promise<number> {
  const [r] = await store.query<{ n: number }>('rows', sql`SELECT count(*) AS n FROM ${table(kind)} WHERE ${live(kind)}`);
  return Number(r?.n ?? 0);
}

function suite(storeArgs: (name: string) => string[]) {
  const open = (name: string) => {
    const a = storeArgs(name);
    return openStore(a[0] === '--db' ? { db: a[1] } : { store: a[1] });
  };

  test('recorder cycles: daily totals and tails written in the same batches equal the pieces and samples', async () => {
    const store = await open('rec');
    try {
      // two users per batch: each cycle is two batches
      const rec = await openPresenceRecorder(store, await LiveLog.open(store, 'presence-poll'), { intervalS: 900, batchUsers: 2 });
      const users = ['a@example.org', 'b@example.org', 'c@example.org'].map((u) => ({ imAddress: u, username: u, dn: `uid=${u}` }));
      const states = ['online', 'away', 'busy', 'offline', 'online'] as const;
      // 23:00 to 01:00 UTC over two days, c missing one cycle, a pushed change between cycles
      const start = Date.UTC(2026, 10, 3, 23, 0) / 1000;
      for (let i = 0; i < 9; i++) {
        const at = new Date((start + i * 900) * 1000);
        const seen = users.filter((_u, k) => !(k === 2 && i === 4));
        await rec.recordCycle(
          at,
          users,
          seen.map((u, k) => ({ imAddress: u.imAddress, username: u.username, at, state: states[(i + k) % 5]!, raw: 'x', source: 'xmpp', pushed: false })),
        );
        if (i === 3)
          await rec.recordPush({
            imAddress: 'a@example.org',
            username: 'a',
            at: new Date((start + i * 900 + 420) * 1000),
            state: 'busy',
            raw: 'dnd',
            source: 'xmpp',
            pushed: true,
          });
      }
      await rec.close(new Date((start + 9 * 900) * 1000));
      const lo = Date.UTC(2026, 10, 3) / 1000;
      const n = await assertEqualToPieces(store, lo, lo + 2 * DAY, 'recorder');
      assert.equal(n, 6, 'three users on two days');
      assert.equal(await daysIncomplete(store, lo, lo + 2 * DAY), undefined);
      const r = await presenceReport(store, { from: '2026-11-03', to: '2026-11-04', tz: 'UTC' });
      assert.deepEqual(r.notes, []);
      for (const row of r.rows) assert.equal(presenceStatesSum(row), DAY, `${row.user} ${row.day} adds up to the day`);
      // 2026-11-03 was over at the 00:30 cycle: its rows (one per user and batch) became one per user;
      // 2026-11-04's rows of 00:00 to 00:30 became one per user too, and the later batches add theirs
      const perDay = await rowsPerUserDay(store);
      assert.deepEqual(perDay['2026-11-03'], [1, 1, 1]);
      assert.ok(
        perDay['2026-11-04']!.every((k) => k >= 2 && k <= 4),
        `open day: ${perDay['2026-11-04']}`,
      );
      // a restart: the next day is merged by the next recorder, from where the first left off
      const rec2 = await openPresenceRecorder(store, await LiveLog.open(store, 'presence-poll'), { intervalS: 900, batchUsers: 2 });
      const start2 = Date.UTC(2026, 10, 4, 23, 30) / 1000;
      for (let i = 0; i < 5; i++) {
        const at = new Date((start2 + i * 900) * 1000);
        await rec2.recordCycle(
          at,
          users,
          users.map((u, k) => ({ imAddress: u.imAddress, username: u.username, at, state: states[(i + k) % 5]!, raw: 'x', source: 'xmpp', pushed: false })),
        );
      }
      await rec2.close(new Date((start2 + 5 * 900) * 1000));
      assert.equal(await assertEqualToPieces(store, lo, lo + 3 * DAY, 'recorder after a restart'), 9, 'three users on three days');
      const perDay2 = await rowsPerUserDay(store);
      assert.deepEqual(
        [perDay2['2026-11-03'], perDay2['2026-11-04']],
        [
          [1, 1, 1],
          [1, 1, 1],
        ],
        'one row per user for each day over',
      );
      const r2 = await presenceReport(store, { from: '2026-11-03', to: '2026-11-05', tz: 'UTC' });
      assert.deepEqual(r2.notes, []);
      assert.deepEqual(
        r2.rows.filter((row) => row.day === '2026-11-03'),
        r.rows.filter((row) => row.day === '2026-11-03'),
        'a day merged earlier reports the same',
      );
      for (const row of r2.rows) assert.equal(presenceStatesSum(row), DAY, `${row.user} ${row.day} adds up to the day`);
      // the rows replaced were sealed retractions: the store verifies intact
      if (store.verify) {
        const v = await store.verify({});
        assert.equal(v.intact, true, JSON.stringify(v.findings));
        assert.ok(v.retractions > 0);
      }
    } finally {
      await store.close();
    }
  });

  test('import, the step again (no double count), prune; an older store and a cut-off import fall back with the same numbers', async () => {
    const out = join(
      dir,
      `gen-${storeArgs('x')
        .join('')
        .replace(/[^a-z0-9]/gi, '_')}`,
    );
    const g = await mxray(['generate', 'presence', '--users', '5', '--days', '3', '--start', '2026-06-01', '--tz', 'UTC', '--seed', '11', '--out', out]);
    assert.equal(g.code, 0, g.stderr);
    const truth = JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8')) as PresenceTruth;
    const db = storeArgs('imp');
    const ing = await mxray(['ingest', join(out, 'logs'), ...db, '--tz', 'UTC']);
    assert.equal(ing.code, 0, ing.stderr);
    const lo = Date.UTC(2026, 5, 1) / 1000;
    const hi = lo + 3 * DAY;
    const report = async (store: Store) => presenceReport(store, { from: '2026-06-01', to: '2026-06-03', tz: 'UTC' });
    const store = await open('imp');
    try {
      assert.equal(await assertEqualToPieces(store, lo, hi, 'import'), 15);
      const first = await report(store);
      assert.deepEqual(first.notes, []);
      assert.deepEqual(first.rows, truth.rows, 'the report from the daily totals equals the generator truth');
      // the step again: every piece sent again, the store keeps none, the totals add nothing
      const daysBefore = await count(store, 'presenceDays');
      const paths = await store.query<{ path: string }>('the logs', sql`SELECT DISTINCT path FROM ingested_files WHERE format = 'presence-log'`);
      const step = await updatePresenceSpans(
        store,
        await LiveLog.open(store, 'presence-import'),
        paths.map((r) => r.path),
      );
      assert.ok(step.pieces > 1000);
      await assertEqualToPieces(store, lo, hi, 'the step again');
      assert.ok((await count(store, 'presenceDays')) <= daysBefore + 5, 'only the five tails again');
      assert.deepEqual((await report(store)).rows, truth.rows);
      // local days of a zone of whole hours: with complete marks from the hourly totals and the
      // daily totals' tails (no note)
      const zoned = () => presenceReport(store, { from: '2026-06-01', to: '2026-06-03', tz: 'America/New_York' });
      const fast = await zoned();
      assert.deepEqual(fast.notes, []);
      for (const r of fast.rows) assert.equal(presenceStatesSum(r), DAY, `${r.user} ${r.day} adds up to the day`);
      // an import cut off between its pieces and their totals: an open chunk without its close
      const cutOff = await LiveLog.open(store, 'presence-import');
      await cutOff.append({ presenceMarks: [['open', 'test:cut', lo + 3600, lo + 7200]] });
      const fallback = await report(store);
      assert.deepEqual(fallback.rows, truth.rows);
      assert.match(fallback.notes.join('\n'), /daily totals are incomplete over these days \(an import was cut off/);
      // the zone's days the slower way (the hours checked against the pieces, the latest samples):
      // the same rows
      const slow = await zoned();
      assert.match(slow.notes.join('\n'), /daily totals are incomplete over these days/);
      assert.deepEqual(slow.rows, fast.rows);
      assert.ok(
        fast.rows.some((r) => r.online > 0),
        'the zoned report has online time',
      );
      // a day the open chunk does not touch still reads the daily totals
      const later = await presenceReport(store, { from: '2026-06-03', to: '2026-06-03', tz: 'UTC' });
      assert.deepEqual(later.notes, []);
      await cutOff.append({ presenceMarks: [['close', 'test:cut', lo + 3600, lo + 7200]] });
      assert.deepEqual((await report(store)).notes, []);
      // prune at a day: the totals kept still equal the pieces kept
      const pruned = await prunePresence(store, lo + DAY + 5000);
      assert.equal(pruned.before, '2026-06-02T00:00:00.000Z');
      assert.ok(pruned.deleted.presence_days! > 0);
      await assertEqualToPieces(store, lo, hi, 'after prune');
      assert.deepEqual(
        (await report(store)).rows.filter((r) => r.day !== '2026-06-01'),
        truth.rows.filter((r) => r.day !== '2026-06-01'),
      );
      // a store written by an older mxray: no marks, no daily totals
      await store.deleteRows!('presenceMarks', sql`1 = 1`);
      await store.deleteRows!('presenceDays', sql`1 = 1`);
      assert.equal(await count(store, 'presenceDays'), 0);
      const old = await presenceReport(store, { from: '2026-06-02', to: '2026-06-03', tz: 'UTC' });
      assert.deepEqual(
        old.rows,
        truth.rows.filter((r) => r.day !== '2026-06-01'),
      );
      assert.match(old.notes.join('\n'), /daily totals are incomplete over these days \(a store written before mxray kept them\)/);
      // the next writer marks the older pieces as legacy: still the fallback over them (the step
      // finds the logs without its marks and steps over them again: the pieces are there already)
      await updatePresenceSpans(store, await LiveLog.open(store, 'presence-import'), []);
      const rec = await openPresenceRecorder(store, await LiveLog.open(store, 'presence-poll'), { intervalS: 900 });
      await rec.close(new Date(hi * 1000));
      const kinds = await store.query<{ kind: string; n: number }>(
        'marks per kind',
        sql`SELECT kind, count(*) AS n FROM ${table('presenceMarks')} WHERE ${live('presenceMarks')} AND kind IN ('epoch', 'legacy') GROUP BY kind ORDER BY kind`,
      );
      assert.deepEqual(
        kinds.map((k) => [k.kind, Number(k.n)]),
        [
          ['epoch', 1],
          ['legacy', 1],
        ],
        'one epoch and one legacy mark',
      );
      const legacy = await presenceReport(store, { from: '2026-06-02', to: '2026-06-03', tz: 'UTC' });
      assert.deepEqual(legacy.rows, old.rows);
      assert.match(legacy.notes.join('\n'), /\(durations stored before mxray kept them\)/);
    } finally {
      await store.close();
    }
  });

  test('an import step cut off at each of its appends in turn, then the next ingest: the store of an uninterrupted import', async () => {
    const name = storeArgs('x')
      .join('')
      .replace(/[^a-z0-9]/gi, '_');
    const out = join(dir, `cut-${name}`);
    const g = await mxray(['generate', 'presence', '--users', '4', '--days', '4', '--start', '2026-06-01', '--tz', 'UTC', '--seed', '7', '--out', out]);
    assert.equal(g.code, 0, g.stderr);
    const truth = JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8')) as PresenceTruth;
    const log = (day: string) => join(out, 'logs', `202606${day}.log`);
    // two imports out of order: the first leaves a gap after 06-01 (its successor is on 06-03), the
    // second fills it (its step takes that gap sample out of the gaps' pseudo-file and writes it again)
    const imports = [
      [log('01'), log('03')],
      [log('02'), log('04')],
    ];
    const other = join(dir, `cut-${name}-other`);
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'notes.txt'), 'not a log of any format\n');
    const lo = Date.UTC(2026, 5, 1) / 1000;
    const hi = lo + 4 * DAY;
    const report = (store: Store) => presenceReport(store, { from: '2026-06-01', to: '2026-06-04', tz: 'UTC' });

    // the truth: the logs imported in time order, uninterrupted
    const inOrder = storeArgs('cut_ref');
    assert.equal((await mxray(['ingest', join(out, 'logs'), ...inOrder, '--tz', 'UTC'])).code, 0);
    const ref = await open('cut_ref');
    let expected: Awaited<ReturnType<typeof snapshot>>;
    try {
      expected = await snapshot(ref);
      assert.ok(expected.pieces.length > 1000 && expected.hours.length > 300, 'pieces and hours to compare');
      assert.deepEqual((await report(ref)).rows, truth.rows);
    } finally {
      await ref.close();
    }

    // cut off at the k-th append of the two steps, k = 0, 1, … until the two steps run uncut
    let cuts = 0;
    for (let k = 0; k < 60; k++) {
      const db = storeArgs(`cut_${k}`);
      const budget = { left: k };
      let cut = -1;
      const store = await open(`cut_${k}`);
      try {
        for (let i = 0; i < imports.length && cut < 0; i++) {
          const s = await ingest(imports[i]!, { store, hints: { tz: 'UTC' } });
          assert.deepEqual(s.errors, []);
          try {
            await updatePresenceSpans(store, cutAfter(await LiveLog.open(store, 'presence-import'), budget), imports[i]!);
          } catch (e) {
            if (!(e instanceof CutOff)) throw e;
            cut = i;
          }
        }
      } finally {
        await store.close();
      }
      if (cut < 0) break;
      cuts++;
      // the next ingest: of the same files, of other files, or of the logs still to import
      const what = `cut off at append ${k} (import ${cut + 1})`;
      const next = k % 3 === 0 ? [imports[cut]!] : k % 3 === 1 ? [[other]] : [];
      for (let i = cut + 1; i < imports.length; i++) next.push(imports[i]!);
      if (!next.length) next.push([other]);
      for (const paths of next) {
        const r = await mxray(['ingest', ...paths, ...db, '--tz', 'UTC']);
        assert.ok(r.code === 0 || paths[0] === other, `${what}: ${r.stderr}`);
      }
      const after = await open(`cut_${k}`);
      try {
        const got = await snapshot(after);
        assert.deepEqual(got.pieces, expected.pieces, `${what}: the pieces`);
        assert.deepEqual(got.hours, expected.hours, `${what}: the hourly totals`);
        assert.deepEqual(got.gaps, expected.gaps, `${what}: the gap samples`);
        await assertEqualToPieces(after, lo, hi, what);
        assert.equal(await daysIncomplete(after, lo - DAY, hi + DAY), undefined, `${what}: every mark closed`);
        const r = await report(after);
        assert.deepEqual(r.notes, [], what);
        assert.deepEqual(r.rows, truth.rows, `${what}: the report`);
        if (after.verify) {
          const v = await after.verify({});
          assert.equal(v.intact, true, `${what}: ${JSON.stringify(v.findings)}`);
        }
      } finally {
        await after.close();
      }
    }
    assert.ok(cuts >= 8, `cut off at ${cuts} appends`);
  });
}

/** the cut-off of a process: thrown by cutAfter's appender instead of its (k+1)-th append */
class CutOff extends Error {}

/** the import's pseudo-file, whose appends after the first `budget.left` throw (the process was
 *  cut off there: the batches before it are committed, none after) */
function cutAfter(log: LiveLog, budget: { left: number }): NumberedAppender {
  return {
    get fileId() {
      return log.fileId;
    },
    get count() {
      return log.count;
    },
    sibling: (source: string) => log.sibling(source),
    append: async (rows, tail) => {
      if (budget.left <= 0) throw new CutOff('cut off');
      budget.left--;
      await log.append(rows, tail);
    },
  };
}

/** what an import leaves in the store, in an order of its own (not the rows' lines, which differ
 *  between a run that was cut off and one that was not) */
async function snapshot(store: Store) {
  const num = (rows: Record<string, unknown>[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' || /^-?\d+$/.test(String(v)) ? Number(v) : v])));
  return {
    pieces: num(
      await store.query(
        'pieces',
        sql`SELECT user, start_s, seconds, state FROM ${table('presenceSpans')} WHERE ${live('presenceSpans')} ORDER BY user, start_s`,
      ),
    ),
    hours: num(
      await store.query(
        'hours',
        sql`SELECT user, hour_s, ${joinSql(
          hourColumns.map((c) => sql`sum(${raw(c)}) AS ${raw(c)}`),
          ', ',
        )} FROM ${table('presenceHours')} WHERE ${live('presenceHours')} GROUP BY user, hour_s ORDER BY user, hour_s`,
      ),
    ),
    gaps: num(
      await store.query(
        'gap marks',
        sql`SELECT chunk, lo_s, hi_s FROM ${table('presenceMarks')} WHERE ${live('presenceMarks')} AND kind = 'gap' ORDER BY chunk, lo_s`,
      ),
    ),
  };
}

/** per UTC day, the number of presence_days rows of each user (sorted by user) */
async function rowsPerUserDay(store: Store): Promise<Record<string, number[]>> {
  const rows = await store.query<{ user: string; day_s: number; n: number }>(
    'rows per user and day',
    sql`SELECT user, day_s, count(*) AS n FROM ${table('presenceDays')} WHERE ${live('presenceDays')} GROUP BY user, day_s ORDER BY day_s, user`,
  );
  const out: Record<string, number[]> = {};
  for (const r of rows) (out[new Date(Number(r.day_s) * 1000).toISOString().slice(0, 10)] ??= []).push(Number(r.n));
  return out;
}

function presenceStatesSum(r: Record<string, unknown>): number {
  return Object.values(r)
    .filter((v): v is number => typeof v === 'number')
    .reduce((a, b) => a + b, 0);
}

describe('presence daily totals on DuckDB', () => {
  suite((name) => ['--db', join(dir, `${name}.duckdb`)]);
});

describeClickhouse('presence daily totals on ClickHouse', () => {
  let server: ClickhouseServer | undefined;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  suite((name) => ['--store', `clickhouse://127.0.0.1:${server?.httpPort}/presdays_${process.pid}_${name}`]);
});
