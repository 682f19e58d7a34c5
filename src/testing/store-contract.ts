// The Store contract: one suite every backend must pass (DuckDB, a ClickHouse server, a ClickHouse
// cluster). Each backend's test file calls storeContract() with a way to open a fresh, empty store.
// Results are compared with the generators' truth, so every backend is held to the same numbers
// (and the calendar timelines to the same sentences: DuckDB and ClickHouse give the same JSON).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTracking, type TrackingVersion } from '../generate/tracking/index.js';
import { ingest } from '../ingest/ingest.js';
import { classesReport, classifyDefaults, usersReport } from '../capabilities/tracking/reports.js';
import type { Store } from '../store/types.js';
import { recordTables } from '../schema/tables.js';
import { TsvWriter } from '../schema/tsv.js';
import * as tracking from '../capabilities/tracking/queries.js';
import { generateCalendar, generatedLogs, type CalendarTruth } from '../generate/calendar/index.js';
import { meetingsReport, timelineReport } from '../capabilities/calendar/timeline.js';

interface Truth {
  days: number;
  users: Record<string, { sent: number; received: number; sentBytes: number; receivedBytes: number }>;
  traffic: Record<string, { messages: number; bytes: number; deliveries: number }>;
  classes: { light: number; medium: number; heavy: number };
}

export interface ContractOptions {
  /** a fresh empty store; called once per test (every backend passes every test: none skips any) */
  open(): Promise<Store>;
}

const dataRoot = mkdtempSync(join(tmpdir(), 'mxray-contract-'));
const logs: Partial<Record<TrackingVersion, { dir: string; truth: Truth }>> = {};
let calendarTruth: CalendarTruth | undefined;

async function dataset(version: TrackingVersion) {
  if (!logs[version]) {
    const dir = join(dataRoot, version);
    await generateTracking({ users: 25, days: 3, servers: 2, version, out: dir, seed: 3 });
    logs[version] = { dir, truth: JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth };
  }
  return logs[version]!;
}

export function storeContract(name: string, o: ContractOptions): void {
  const opts = { range: {}, ...classifyDefaults, mode: 'combined' as const, recipients: 'once' as const };
  let stores: Store[] = [];
  const open = async () => {
    const s = await o.open();
    stores.push(s);
    return s;
  };
  after(async () => {
    for (const s of stores) await s.close().catch(() => {});
    stores = [];
  });
  before(async () => {
    await dataset('2013');
  });

  for (const version of ['2013', '2003', '55'] as TrackingVersion[]) {
    test(`${name}: tracking reports of Exchange ${version} logs equal the truth`, async () => {
      const { dir, truth } = await dataset(version);
      const s = await open();
      const r = await ingest([dir], { store: s });
      assert.equal(r.rejects, 0);
      const { days, rows } = await usersReport(s, opts);
      assert.equal(days, truth.days);
      assert.deepEqual(
        Object.fromEntries(rows.map((u) => [u.user, { sent: u.sent, received: u.received, sentBytes: u.sentBytes, receivedBytes: u.receivedBytes }])),
        truth.users,
      );
      const c = await classesReport(s, opts);
      assert.deepEqual({ light: c.classes.light.users, medium: c.classes.medium.users, heavy: c.classes.heavy.users }, truth.classes);
      const traffic = await tracking.traffic(s, {}, 'day');
      assert.deepEqual(Object.fromEntries(traffic.map((t) => [t.period, { messages: t.messages, bytes: t.bytes, deliveries: t.deliveries }])), truth.traffic);
    });
  }

  test(`${name}: time ranges select whole UTC days`, async () => {
    const { dir, truth } = await dataset('2013');
    const s = await open();
    await ingest([dir], { store: s });
    const day = Object.keys(truth.traffic).sort()[1]!;
    const next = new Date(Date.parse(day + 'T00:00:00Z') + 86400000).toISOString().slice(0, 10);
    const range = { from: `${day} 00:00:00`, to: `${next} 00:00:00` };
    assert.equal(await tracking.activeDays(s, range), 1);
    const t = await tracking.traffic(s, range, 'day');
    assert.deepEqual(
      t.map((x) => x.period),
      [day],
    );
    assert.equal(t[0]!.messages, truth.traffic[day]!.messages);
    const hours = await tracking.traffic(s, range, 'hour');
    assert.equal(
      hours.reduce((a, h) => a + h.deliveries, 0),
      truth.traffic[day]!.deliveries,
    );
    assert.ok(hours.every((h) => h.period.startsWith(day + 'T')));
  });

  test(`${name}: ingest state — fingerprints, resume points, replacing provisional rows`, async () => {
    const s = await open();
    const f = await s.addFile({
      path: '/x/a.log',
      size: 100,
      fpLen: 100,
      fpHash: 'abc',
      format: 'msgtrk',
      offset: 0,
      nextLine: 1,
      seekable: true,
      state: undefined,
      provisionalFrom: null,
      complete: false,
      lines: 0,
      rejects: 0,
    });
    assert.deepEqual(
      (await s.filesByFingerprint(100, 'abc')).map((x) => x.id),
      [f.id],
    );
    assert.deepEqual(await s.shortFingerprints(), [{ fpLen: 100, fpHash: 'abc' }]);
    const w = new TsvWriter(recordTables.tracking, f.id, s.capabilities.tsvBackslashEscapes);
    const row = (line: number, user: string) => {
      w.begin(line);
      w.text('2024-03-04 10:00:00.000');
      w.text('EX01');
      w.text('RECEIVE');
      w.text('STOREDRIVER');
      w.int(1);
      w.text(`<m${line}@x>`);
      w.text('1');
      w.text(user);
      w.text('b@x.com');
      w.int(1);
      w.int(100);
      w.text('Originating');
      w.text('s\\ubject \\N');
      w.nul();
      w.end();
    };
    row(1, 'A@X.COM');
    row(2, 'a@x.com');
    row(3, 'c@x.com');
    await s.appendBatch({
      files: [{ ...f, offset: 90, nextLine: 3, provisionalFrom: 3, state: { fields: ['a', 'b'] } }],
      rows: { tracking: w.take() },
      rowCounts: { tracking: 3 },
      rejects: [{ fileId: f.id, line: 2, reason: 'field-count', detail: 'x' }],
      replace: [],
    });
    const [again] = await s.filesByFingerprint(100, 'abc');
    assert.equal(again!.offset, 90);
    assert.equal(again!.provisionalFrom, 3);
    assert.deepEqual(again!.state, { fields: ['a', 'b'] });
    assert.deepEqual(
      (await tracking.userTotals(s, {}, 'once')).map((u) => [u.user, u.sent]),
      [
        ['a@x.com', 2],
        ['c@x.com', 1],
      ],
    );
    // resume: line 3 is provisional and read again (now with another sender)
    row(3, 'd@x.com');
    await s.appendBatch({
      files: [{ ...again!, provisionalFrom: null, complete: true, offset: 100, nextLine: 4 }],
      rows: { tracking: w.take() },
      rowCounts: { tracking: 1 },
      rejects: [],
      replace: [{ fileId: again!.id, fromLine: 3 }],
    });
    assert.deepEqual(
      (await tracking.userTotals(s, {}, 'once')).map((u) => [u.user, u.sent]),
      [
        ['a@x.com', 2],
        ['d@x.com', 1],
      ],
    );
    assert.equal(await tracking.eventCount(s, {}), 3);
  });

  test(`${name}: calendar meetings and every timeline equal the calendar generator's truth`, async () => {
    const dir = join(dataRoot, 'calendar');
    const truth = calendarTruth ?? (calendarTruth = await generateCalendar({ out: dir, seed: 5 }));
    const s = await open();
    const r = await ingest([generatedLogs(dir)], { store: s });
    assert.equal(r.rejects, 0);
    assert.deepEqual(await meetingsReport(s, {}), truth.meetings);
    for (const sc of truth.scenarios) {
      const t = await timelineReport(s, sc.meeting, {});
      const want = truth.timelines[sc.meeting]!;
      assert.deepEqual(
        {
          meeting: t.meeting,
          mailboxes: t.mailboxes.map((m) => m.mailbox).sort(),
          events: t.events.map(({ time, mailbox, actor, role, action, itemClass, client, changes, sentence }) => ({
            time,
            mailbox,
            actor,
            role,
            action,
            itemClass,
            client,
            changes,
            sentence,
          })),
          warnings: t.warnings,
        },
        { ...want, mailboxes: [...want.mailboxes].sort() },
        `scenario ${sc.n}: ${sc.title}`,
      );
    }
  });
}
