// What only the ClickHouse store has to prove, on a real single server: hostile values reach the
// reports exactly through every query path; re-ingest is idempotent; a growing log (cut in the middle
// of a line) continues exactly; no failure point — an insert attempt that half-landed, a crash between
// the rows and the commit, a killed process — ever counts a row twice or loses one; replacing from the
// middle of a committed batch; migrations and widening; credentials; the views for people.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedTrackingSet } from '../../testing/shared-sets.js';
import { ingest } from '../../ingest/ingest.js';
import { TsvWriter } from '../../schema/tsv.js';
import { describeClickhouse, freePorts, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import { recordTables } from '../../schema/tables.js';
import type { IngestedFile, Store } from '../types.js';
import type { UserTotals } from '../../capabilities/tracking/types.js';
import { ClickhouseError, ClickhouseHttp } from './http.js';
import { schemaVersion } from './migrations.js';
import { openClickhouse } from './open.js';
import type { ClickhouseStore } from './store.js';
import { sql } from '../../sql/sql.js';
import { fullUriQuery } from '../../formats/iis/query.js';
import * as tracking from '../../capabilities/tracking/queries.js';

const work = mkdtempSync(join(tmpdir(), 'mxray-ch-store-'));
/** the generated logs: the same set as ingest/ingest.test.ts's, made once per run (testing/shared-sets.ts) */
let logs = join(work, 'logs');
let dbNo = 0;

function allFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(join(d, e.name)) : /\.log$/i.test(e.name) ? [join(d, e.name)] : [],
  );
}

async function totals(s: Store): Promise<{ events: number; users: UserTotals[]; days: number }> {
  return { events: await tracking.eventCount(s, {}), users: await tracking.userTotals(s, {}, 'once'), days: await tracking.activeDays(s, {}) };
}

const newFile = (path: string): Omit<IngestedFile, 'id'> => ({
  path,
  size: 100,
  fpLen: 100,
  fpHash: `h-${path}`,
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

/** TSV rows of tracking events: [line, sender, recipients] */
function eventRows(fileId: number, rows: [number, string, string][]): Buffer {
  const w = new TsvWriter(recordTables.tracking, fileId, true);
  for (const [line, sender, rcpts] of rows) {
    w.begin(line);
    w.text('2024-03-04 10:00:00.123');
    w.text('EX01');
    w.text('RECEIVE');
    w.text('STOREDRIVER');
    w.int(3);
    w.text(`<m${fileId}-${line}@x>`);
    w.text('1');
    w.text(sender);
    w.text(rcpts);
    w.int(1);
    w.int(100);
    w.text('Originating');
    w.text('s');
    w.nul();
    w.end();
  }
  return w.take();
}

describeClickhouse('ClickHouse store on a real server', () => {
  let server: ClickhouseServer;
  let fresh: Awaited<ReturnType<typeof totals>>;
  const url = (db = `store_${process.pid}_${++dbNo}`) => `clickhouse://127.0.0.1:${server.httpPort}/${db}`;
  before(async () => {
    server = await startClickhouse({ users: [{ name: 'mx', password: "p'a\\ss w0rd" }] });
    logs = await sharedTrackingSet({ users: 30, days: 3, servers: 2, version: '2013', seed: 5 }, logs);
    const s = await openClickhouse(url());
    await ingest([logs], { store: s });
    fresh = await totals(s);
  });
  after(async () => {
    await server?.stop();
  });

  test('hostile values reach every query path exactly (quotes, backslashes, \\N, SQL, unicode)', async () => {
    const s = await openClickhouse(url("mxray-db.with 'quote"));
    const names = [
      "o'brien@x.org",
      'back\\slash@x.org',
      '\\N@x.org',
      '\\\\N@x.org',
      'q"uote@x.org',
      'tick`s@x.org',
      "x') OR 1=1 -- DROP TABLE tracking_events@x.org",
      'ends\\@x.org',
      'Grüße@Köln.de',
      'Дмитрий@Пример.РФ',
      'nul\0byte@x.org',
      '%_*@x.org',
    ];
    const path = '/logs/it\'s a \\ "file"\n.log';
    const state = { fields: ["a'b", 'c\\d', '"e"', '\\N'], nested: { q: "'; DROP TABLE ingest_log; --" } };
    const f = await s.addFile({ ...newFile(path), fpHash: "x'\\y", format: "msg'trk", state });
    const rows = eventRows(
      f.id,
      names.map((n, i) => [i + 1, n, `${names[(i + 1) % names.length]};${n}`]),
    );
    await s.appendBatch({
      files: [{ ...f, nextLine: names.length + 1, complete: true, state }],
      rows: { tracking: rows },
      rowCounts: { tracking: names.length },
      rejects: [{ fileId: f.id, line: 99, reason: 'field-count', detail: "it's \\ a\ttab\nnewline \\N" }],
      replace: [],
    });
    const [back] = await s.filesByFingerprint(100, "x'\\y");
    assert.equal(back!.path, path);
    assert.equal(back!.format, "msg'trk");
    assert.deepEqual(back!.state, state);
    const users = await tracking.userTotals(s, {}, 'each');
    const lower = names.map((n) => n.toLowerCase()).sort();
    assert.deepEqual(users.map((u) => u.user).sort(), lower);
    for (const u of users) {
      assert.equal(u.sent, 2, `${u.user} sent`);
      assert.equal(u.received, 2, `${u.user} received`);
    }
    assert.equal(await tracking.eventCount(s, {}), names.length);
    // a range value is checked, never pasted
    await assert.rejects(tracking.eventCount(s, { from: "2024-01-01 00:00:00' OR 1=1 --" }), /expected 'YYYY-MM-DD HH:MM:SS'/);
    assert.equal(await tracking.eventCount(s, { from: '2024-03-04 10:00:00.124' }), 0);
    assert.equal(await tracking.eventCount(s, { from: '2024-03-04 10:00:00.123', to: '2024-03-04 10:00:01' }), names.length);
    const ch = (s as ClickhouseStore).ch;
    assert.deepEqual(await ch.query(sql`SELECT line, detail FROM ingest_rejects`), [{ line: 99, detail: "it's \\ a\ttab\nnewline \\N" }]);
  });

  test('re-ingesting the same logs adds nothing; totals equal a clean ingest', async () => {
    const s = await openClickhouse(url());
    const first = await ingest([logs], { store: s, batchBytes: 200 << 10 });
    assert.ok(first.events > 1000);
    assert.deepEqual(await totals(s), fresh);
    const again = await ingest([logs], { store: s, batchBytes: 200 << 10 });
    assert.equal(again.events, 0);
    assert.equal(again.skippedFiles, first.files + first.skippedFiles);
    assert.deepEqual(await totals(s), fresh);
    // a second process (a fresh store object) sees the same state
    const other = await openClickhouse(s.location);
    const third = await ingest([logs], { store: other });
    assert.equal(third.events, 0);
  });

  test('a log that grows, cut in the middle of a line, continues exactly (provisional rows replaced)', async () => {
    const files = allFiles(logs)
      .map((p) => ({ p, n: readFileSync(p).length }))
      .sort((a, b) => b.n - a.n);
    const content = readFileSync(files[0]!.p);
    const s = await openClickhouse(url());
    await ingest([files[0]!.p], { store: s });
    const expected = await totals(s);
    const g = await openClickhouse(url());
    const dir = join(work, `growing-${dbNo}`);
    mkdirSync(dir);
    const growing = join(dir, 'MSGTRK2024030401-1.LOG');
    const cuts = [0.3, 0.55, 0.8].map((x) => Math.floor(content.length * x) + 7); // mid-line
    let at = 0;
    for (const c of [...cuts, content.length]) {
      if (at === 0) writeFileSync(growing, content.subarray(0, c));
      else appendFileSync(growing, content.subarray(at, c));
      at = c;
      await ingest([growing], { store: g, batchBytes: 64 << 10 });
    }
    assert.deepEqual(await totals(g), expected);
  });

  test('an insert attempt that half-landed and was retried never counts twice', async () => {
    const s = await openClickhouse(url() + '?backoff_ms=10');
    let failures = 0;
    s.hooks.afterRows = (_t, attempt) => {
      // the rows of this attempt are in the table: fail anyway, as a dropped answer would
      if (attempt === 1 && failures++ < 5) throw new ClickhouseError('simulated: connection reset after the rows arrived', 'network', 0, 'test');
    };
    await ingest([logs], { store: s, batchBytes: 256 << 10 });
    assert.ok(failures >= 2);
    assert.deepEqual(await totals(s), fresh);
    const [raw] = await s.ch.query<{ n: number }>(sql`SELECT count() AS n FROM tracking_events`);
    assert.ok(raw!.n > fresh.events, 'the failed attempts left rows behind, which do not count');
  });

  test('a crash between the rows and the commit: the rows do not count, the next run completes exactly', async () => {
    const s = await openClickhouse(url());
    let commits = 0;
    s.hooks.beforeCommit = () => {
      if (++commits === 3) throw new Error('simulated crash before the commit');
    };
    await assert.rejects(ingest([logs], { store: s, batchBytes: 128 << 10 }), /simulated crash/);
    const partial = await tracking.eventCount(s, {});
    assert.ok(partial > 0 && partial < fresh.events, `partial ${partial}`);
    const again = await openClickhouse(s.location);
    await ingest([logs], { store: again, batchBytes: 128 << 10 });
    assert.deepEqual(await totals(again), fresh);
  });

  test('a killed ingest process resumes without losing or doubling a row', async () => {
    const db = url();
    await (await openClickhouse(db)).close();
    const mod = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
    const code = `import { openClickhouse } from ${mod('./open.js')}; import { ingest } from ${mod('../../ingest/ingest.js')};
      const s = await openClickhouse(${JSON.stringify(db)}); await ingest([${JSON.stringify(logs)}], { store: s, batchBytes: 64 << 10 });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      env: { ...process.env, MXRAY_TRACE_BATCHES: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let commits = 0;
    const done = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    child.stderr.on('data', (d: Buffer) => {
      commits += String(d).split('batch committed').length - 1;
      if (commits >= 2) child.kill('SIGKILL');
    });
    const exit = await done;
    assert.notEqual(exit, 0, 'the child was killed before it finished');
    const s = await openClickhouse(db);
    const partial = await tracking.eventCount(s, {});
    assert.ok(partial > 0 && partial < fresh.events, `partial ${partial}`);
    await ingest([logs], { store: s });
    assert.deepEqual(await totals(s), fresh);
  });

  test('replacing from the middle of a committed batch keeps its earlier lines (server-side copy)', async () => {
    const s = await openClickhouse(url());
    const f = await s.addFile(newFile('/x/straddle.log'));
    const batch = eventRows(f.id, [
      [1, 'a@x', 'b@x'],
      [2, 'a@x', 'b@x'],
      [3, 'c@x', 'b@x'],
      [4, 'c@x', 'b@x'],
      [5, 'c@x', 'b@x'],
    ]);
    await s.appendBatch({
      files: [{ ...f, nextLine: 6 }],
      rows: { tracking: batch },
      rowCounts: { tracking: 5 },
      rejects: [{ fileId: f.id, line: 4, reason: 'field-count', detail: 'old' }],
      replace: [],
    });
    const again = await openClickhouse(s.location); // reads the file's batches back from the log
    await again.appendBatch({
      files: [{ ...f, nextLine: 5 }],
      rows: {
        tracking: eventRows(f.id, [
          [3, 'd@x', 'b@x'],
          [4, 'd@x', 'e@x'],
        ]),
      },
      rowCounts: { tracking: 2 },
      rejects: [],
      replace: [{ fileId: f.id, fromLine: 3 }],
    });
    assert.deepEqual(
      (await tracking.userTotals(again, {}, 'once')).map((u) => [u.user, u.sent, u.received]),
      [
        ['a@x', 2, 0],
        ['b@x', 0, 3],
        ['d@x', 2, 0],
        ['e@x', 0, 1],
      ],
    );
    assert.equal(await tracking.eventCount(again, {}), 4);
    assert.deepEqual(await again.ch.query(sql`SELECT line, detail FROM ingest_rejects`), [], 'the reject of a replaced line is gone');
    const [file] = await again.ch.query<{ next_line: number }>(sql`SELECT next_line FROM ingested_files WHERE id = ${f.id}`);
    assert.equal(file!.next_line, 5);
  });

  test('a file added is recorded with its first commit, or at close() when it has none', async () => {
    const s = await openClickhouse(url());
    const a = await s.addFile(newFile('/x/with-rows.log'));
    const b = await s.addFile(newFile('/x/no-rows.log'));
    const other = await openClickhouse(s.location);
    assert.deepEqual(await other.filesByFingerprint(100, a.fpHash), [], 'not recorded before a commit');
    await s.appendBatch({
      files: [{ ...a, nextLine: 2 }],
      rows: { tracking: eventRows(a.id, [[1, 'a@x', 'b@x']]) },
      rowCounts: { tracking: 1 },
      rejects: [],
      replace: [],
    });
    assert.deepEqual(
      (await (await openClickhouse(s.location)).filesByFingerprint(100, a.fpHash)).map((f) => [f.id, f.nextLine]),
      [[a.id, 2]],
    );
    await s.close();
    assert.deepEqual(
      (await (await openClickhouse(s.location)).filesByFingerprint(100, b.fpHash)).map((f) => [f.id, f.path]),
      [[b.id, '/x/no-rows.log']],
    );
  });

  test('schema versions: recorded once, a newer database is refused; a table missing a column is widened', async () => {
    const db = url();
    const s = await openClickhouse(db);
    await openClickhouse(db);
    const versions = await s.ch.query<{ version: number }>(sql`SELECT version FROM schema_version ORDER BY version`);
    assert.deepEqual(
      versions.map((v) => v.version),
      Array.from({ length: schemaVersion }, (_, i) => i + 1),
    );
    // an older mxray made the tables without client_ip: the next open adds it, and the load path works
    await s.ch.exec(sql`DROP TABLE tracking_events_load_mv`);
    await s.ch.exec(sql`ALTER TABLE tracking_events DROP COLUMN client_ip`);
    await s.ch.exec(sql`ALTER TABLE tracking_events_load DROP COLUMN client_ip`);
    await s.ch.exec(sql`TRUNCATE TABLE schema_layout`);
    const widened = await openClickhouse(db);
    const cols = await s.ch.query<{ name: string }>(
      sql`SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'tracking_events' AND name = 'client_ip'`,
    );
    assert.equal(cols.length, 1);
    const f = await widened.addFile(newFile('/x/w.log'));
    await widened.appendBatch({
      files: [{ ...f, nextLine: 2 }],
      rows: { tracking: eventRows(f.id, [[1, 'a@x', 'b@x']]) },
      rowCounts: { tracking: 1 },
      rejects: [],
      replace: [],
    });
    assert.equal(await tracking.eventCount(widened, {}), 1);
    await s.ch.exec(sql`INSERT INTO schema_version (version, what) VALUES (999, 'from the future')`);
    await assert.rejects(openClickhouse(db), /schema version 999, newer than this mxray understands/);
  });

  test('rows of an earlier layout: the Log= value is cut out of uri_query (eas_log keeps it)', async () => {
    const db = url();
    const s = await openClickhouse(db);
    const rows: [string, string | null][] = [
      ['Cmd=Sync&User=a&Log=V141_Ty:Em_S1&DeviceId=x', 'V141_Ty:Em_S1'],
      ['log=V2_S1', 'V2_S1'],
      ['Cmd=Ping&Log=', ''],
      ['a=1&Log=not-activesync', null],
      ['Cmd=Ping&Log=other', 'not the value in the query'],
    ];
    for (const [i, [q, log]] of rows.entries()) {
      await s.ch.exec(
        sql`INSERT INTO iis_requests (file_id, line, ts, ts_ms, uri_query, eas_log, batch) VALUES (1, ${i + 1}, toDateTime('2024-03-04 10:00:00', 'UTC'), 0, ${q}, ${log}, 0)`,
      );
    }
    await s.ch.exec(sql`TRUNCATE TABLE schema_layout`);
    await openClickhouse(db);
    const want = ['Cmd=Sync&User=a&Log=&DeviceId=x', 'log=', 'Cmd=Ping&Log=', 'a=1&Log=not-activesync', 'Cmd=Ping&Log=other'];
    let got: string[] = [];
    for (let i = 0; i < 100; i++) {
      // a mutation is applied in the background
      got = (await s.ch.query<{ q: string }>(sql`SELECT uri_query AS q FROM iis_requests ORDER BY line`)).map((r) => r.q);
      if (JSON.stringify(got) === JSON.stringify(want)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(got, want);
    assert.deepEqual(
      got.slice(0, 3).map((q, i) => fullUriQuery(q, rows[i]![1])),
      rows.slice(0, 3).map(([q]) => q),
    );
  });

  test('credentials: from the environment or a file, never in location or messages', async () => {
    const db = `creds_${process.pid}`;
    const password = "p'a\\ss w0rd";
    const base = `clickhouse://127.0.0.1:${server.httpPort}/${db}`;
    const s = await openClickhouse(base, { MXRAY_CLICKHOUSE_USER: 'mx', MXRAY_CLICKHOUSE_PASSWORD: password });
    assert.equal(s.location, base);
    const file = join(work, 'password');
    writeFileSync(file, password + '\n');
    const viaFile = await openClickhouse(base, { MXRAY_CLICKHOUSE_USER: 'mx', MXRAY_CLICKHOUSE_PASSWORD_FILE: file });
    assert.equal(await tracking.eventCount(viaFile, {}), 0);
    const inUrl = await openClickhouse(`clickhouse://mx:${encodeURIComponent(password)}@127.0.0.1:${server.httpPort}/${db}`, {});
    assert.equal(inUrl.location, base);
    await assert.rejects(openClickhouse(base, { MXRAY_CLICKHOUSE_USER: 'mx', MXRAY_CLICKHOUSE_PASSWORD: 'wrong' }), (e: Error) => {
      assert.match(e.message, /cannot open the store clickhouse:\/\/127\.0\.0\.1:\d+\/creds_\d+: creating the database: .*(password|Authentication)/i);
      assert.ok(!e.message.includes('wrong') && !e.message.includes(password));
      return true;
    });
  });

  test('an unreachable server is a clear error naming it', async () => {
    const [port] = await freePorts(1);
    assert.equal(await new ClickhouseHttp({ url: `http://127.0.0.1:${port}` }).ping(200), false);
    await assert.rejects(
      openClickhouse(`clickhouse://127.0.0.1:${port}/x?timeout=2`),
      new RegExp(
        `cannot open the store clickhouse://127\\.0\\.0\\.1:${port}/x\\?timeout=2: creating the database: cannot connect to ClickHouse at 127\\.0\\.0\\.1:${port}: connection refused`,
      ),
    );
  });
});
