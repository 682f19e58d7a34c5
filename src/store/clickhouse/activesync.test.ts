// The ActiveSync reports on ClickHouse: the same generated IIS logs ingested into DuckDB and into
// ClickHouse (a single server and a two-shard cluster) give identical results from every report of
// capabilities/activesync/reports.ts and from every ActiveSync query (capabilities/activesync), with and without --user,
// --device and time ranges; and the reports on ClickHouse equal the generator's truth.json. Logs:
// Exchange 2013 (front end + back end, each request logged twice), the same with the back-end logs
// only (the back-end lines count), and Exchange 2010 (no back end).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIis, generatedLogs, RUNAWAY_HITS_PER_HOUR, type IisTruth, type IisVersion } from '../../generate/iis/index.js';
import { ingest } from '../../ingest/ingest.js';
import { easCommandsReport, easDevicesReport, easExport, easHourlyReport, easRunawayReport, easUsersReport } from '../../capabilities/activesync/reports.js';
import { describeClickhouse, startClickhouse, startCluster, type ClickhouseCluster, type ClickhouseServer } from '../../testing/clickhouse.js';
import * as eas from '../../capabilities/activesync/queries.js';
import type { EasQuery } from '../../capabilities/activesync/types.js';
import { compile, raw, type Sql, type Target } from '../../sql/sql.js';
import { DuckdbStore } from '../duckdb/store.js';
import type { QueryOptions, Store } from '../types.js';
import { openClickhouse } from './open.js';
import { clusterUrl } from './urls.fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-ch-eas-'));
let dbNo = 0;
const freshDb = (prefix: string) => `${prefix}_${process.pid}_${++dbNo}`;

interface Dataset {
  logs: string;
  truth: IisTruth;
  queries: EasQuery[];
  /** DuckDB's answers (computed once) */
  want?: Record<string, unknown>;
}

const datasets = new Map<string, Promise<Dataset>>();

/** the queries asked of a dataset: everything; one user by bare name in upper case; one device in
 *  lower case; a time range; a range and a user as logged; a range without lines */
function queriesOf(truth: IisTruth): EasQuery[] {
  const counts = new Map<string, number>();
  for (const d of truth.devices) counts.set(d.user, (counts.get(d.user) ?? 0) + 1);
  const multi = truth.devices.find((d) => counts.get(d.user)! > 1) ?? truth.devices[0]!;
  const bare = multi.user.replace(/^.*\\/, '').replace(/@.*$/, '').toUpperCase();
  const dev = truth.devices.find((d) => d.runaway) ?? truth.devices[1]!;
  return [
    {},
    { user: bare },
    { device: dev.deviceId.toLowerCase() },
    { from: '2024-03-04 09:30:00', to: '2024-03-04 17:00:00' },
    { from: '2024-03-04 12:00:00', user: multi.user },
    { from: '2030-01-01 00:00:00' },
  ];
}

function dataset(name: '2013' | '2013-backend' | '2010'): Promise<Dataset> {
  let d = datasets.get(name);
  if (!d) {
    d = (async () => {
      let logs: string, truth: IisTruth;
      if (name === '2013-backend') {
        // the back-end logs alone (W3SVC2 of every server)
        const full = await dataset('2013');
        logs = join(dir, 'backend');
        truth = full.truth;
        for (const server of readdirSync(full.logs)) cpSync(join(full.logs, server, 'W3SVC2'), join(logs, server), { recursive: true });
      } else {
        const version: IisVersion = name;
        logs = generatedLogs(join(dir, version));
        truth = await generateIis({ users: version === '2013' ? 10 : 8, days: version === '2013' ? 2 : 1, version, out: join(dir, version), seed: 17 });
      }
      // every query on the full 2013 logs; the everything, user, device and range ones on the others
      const queries = queriesOf(truth);
      const ds: Dataset = { logs, truth, queries: name === '2013' ? queries : queries.slice(0, 4) };
      const duck = await DuckdbStore.open(join(dir, `${name}.duckdb`));
      try {
        await ingest([logs], { store: duck });
        ds.want = await everyAnswer(duck, ds.queries);
      } finally {
        await duck.close();
      }
      return ds;
    })();
    datasets.set(name, d);
  }
  return d;
}

const key = (x: { user: string; deviceId: string }) => `${x.user}\u0000${x.deviceId}`;
/** rows in a fixed order (the store does not order most of them) */
function sorted<T>(rows: T[]): T[] {
  return [...rows].sort((a, b) => {
    const x = JSON.stringify(a),
      y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** the store with its answers kept: the reports (which ask a store the same questions again and
 *  again) read them from the calls made here, so each statement reaches the backend once. A
 *  statement is known by its text and values as compiled for the store's dialect. */
function remembering(s: Store): Store {
  const answers = new Map<string, Promise<unknown>>();
  const keyTarget: Target = { dialect: s.dialect, table: (kind) => raw(`<table ${kind}>`), live: (kind) => raw(`<live ${kind}>`) };
  return new Proxy(s, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      if (prop !== 'query') return v.bind(target);
      return <T>(what: string, statement: Sql, options?: QueryOptions): Promise<T[]> => {
        const c = compile(statement, keyTarget);
        const k = JSON.stringify([c.text, c.params, options ?? {}]);
        if (!answers.has(k)) answers.set(k, target.query<T>(what, statement, options));
        return answers.get(k) as Promise<T[]>;
      };
    },
  });
}

const byDevice = <T extends { user: string; deviceId: string }>(rows: T[]) => [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

/** every report of capabilities/activesync/reports.ts, and every ActiveSync query, for each query
 *  (the calls of one query at once, as the CLI's reports make them) */
async function everyAnswer(store: Store, queries: readonly EasQuery[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const s = remembering(store);
  for (const [i, q] of queries.entries()) {
    const calls: Record<string, Promise<unknown>> = {
      // the queries' own answers (rows in a fixed order where the query gives none)
      [`store logsSeen ${i}`]: eas.logsSeen(s, q),
      [`store devices ${i}`]: eas.devices(s, q).then(sorted),
      [`store counts command ${i}`]: eas.deviceCounts(s, q, 'command').then(sorted),
      [`store counts httpStatus ${i}`]: eas.deviceCounts(s, q, 'httpStatus').then(sorted),
      [`store counts error ${i}`]: eas.deviceCounts(s, q, 'error').then(sorted),
      [`store folder types ${i}`]: eas.folderTypeItems(s, q).then(sorted),
      [`store hourly ${i}`]: eas.hourly(s, q),
      [`store week ${i}`]: eas.weekHours(s, q),
      [`store statuses ${i}`]: eas.statusCodes(s, q),
      [`store agents ${i}`]: eas.userAgents(s, q).then(sorted),
      [`store servers ${i}`]: eas.servers(s, q).then(sorted),
      [`store runaway 40 per hour ${i}`]: eas.runaway(s, q, 40, 'hour').then(byDevice),
      // the reports, over those answers
      [`users ${i}`]: easUsersReport(s, q),
      [`users by hits, limit 3 ${i}`]: easUsersReport(s, q, 'hits', 3),
      [`devices ${i}`]: easDevicesReport(s, q),
      [`commands ${i}`]: easCommandsReport(s, q),
      [`hourly ${i}`]: easHourlyReport(s, q),
      [`export ${i}`]: easExport(s, q),
      [`runaway ${RUNAWAY_HITS_PER_HOUR} per hour ${i}`]: easRunawayReport(s, q, RUNAWAY_HITS_PER_HOUR, 'hour'),
      [`runaway 40 per hour ${i}`]: easRunawayReport(s, q, 40, 'hour'),
      [`runaway 500 per day ${i}`]: easRunawayReport(s, q, 500, 'day'),
    };
    const answers = await Promise.all(Object.values(calls));
    Object.keys(calls).forEach((k, j) => {
      out[k] = answers[j];
    });
  }
  return out;
}

/** the answers, compared one by one (a difference names the report and the query) */
function assertSameAnswers(got: Record<string, unknown>, want: Record<string, unknown>): void {
  assert.deepEqual(Object.keys(got), Object.keys(want));
  for (const k of Object.keys(want)) assert.deepEqual(got[k], want[k], k);
}

/** the reports on a store equal the generator's truth (as the DuckDB e2e test requires) */
async function assertTruth(s: Store, truth: IisTruth): Promise<void> {
  const users = await easUsersReport(s, {});
  assert.deepEqual(
    users.rows.map((u) => ({
      user: u.user,
      deviceId: u.deviceId,
      deviceType: u.deviceType,
      hits: u.hits,
      commands: u.commands,
      emailsSent: u.emailsSent,
      httpStatus: u.httpStatus,
      bytesSent: u.bytesSent,
      bytesReceived: u.bytesReceived,
    })),
    truth.devices.map(({ runaway: _, ...d }) => d),
  );
  assert.equal(
    users.rows.reduce((a, u) => a + u.hits, 0),
    truth.totals.easRequests,
  );
  assert.deepEqual(
    { fe: users.logs.frontEndLines, be: users.logs.backEndLines, counted: users.logs.counted },
    { fe: truth.totals.easRequests, be: truth.totals.backendDuplicates, counted: 'front-end' },
  );
  const hourly = await easHourlyReport(s, {});
  assert.deepEqual(Object.fromEntries(hourly.rows.map((h) => [h.period, h.hits])), truth.hourly);
  const runaway = await easRunawayReport(s, {}, RUNAWAY_HITS_PER_HOUR, 'hour');
  assert.deepEqual(
    runaway.rows.map(key).sort(),
    truth.devices
      .filter((d) => d.runaway)
      .map(key)
      .sort(),
  );
  const commands = await easCommandsReport(s, {});
  assert.deepEqual(
    commands.rows.map((c) => [key(c), c.hits]),
    truth.devices.map((d) => [key(d), d.hits]),
  );
}

async function ingestInto(url: string, logs: string): Promise<Store> {
  const s = await openClickhouse(url);
  await ingest([logs], { store: s, batchBytes: 4 << 20 });
  return s;
}

describeClickhouse('ClickHouse ActiveSync queries: single server', () => {
  let server: ClickhouseServer;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  const url = (db: string) => `clickhouse://127.0.0.1:${server.httpPort}/${db}`;

  test('2013 (front end + back end): every report and query as DuckDB; the reports equal truth.json', async () => {
    const ds = await dataset('2013');
    assert.ok(
      ds.truth.devices.some((d) => d.runaway),
      'the sample has a runaway device',
    );
    // the queries select something (and not everything), so that equal answers mean something
    const w = ds.want!;
    const rows = (k: string) => (w[k] as { rows: { user: string; hits: number }[] }).rows;
    const hits = (k: string) => rows(k).reduce((a, r) => a + r.hits, 0);
    assert.ok(rows('users 1').length > 1 && new Set(rows('users 1').map((r) => r.user)).size === 1, "the user query selects one user's devices");
    assert.equal((w['store devices 2'] as unknown[]).length, 1, 'the device query selects one device');
    assert.ok(hits('users 3') > 0 && hits('users 3') < hits('users 0'), 'the range selects a part');
    assert.ok(rows('runaway 40 per hour 0').length > 1 && rows('runaway 500 per day 0').length > 0, 'runaway devices at both thresholds');
    assert.ok((w['store folder types 0'] as unknown[]).length > 0 && (w['store counts error 0'] as unknown[]).length > 0);
    assert.equal((w['store logsSeen 5'] as { counted: string }).counted, 'none');
    const s = await ingestInto(url(freshDb('eas2013')), ds.logs);
    try {
      assertSameAnswers(await everyAnswer(s, ds.queries), ds.want!);
      await assertTruth(s, ds.truth);
    } finally {
      await s.close();
    }
  });

  test('2013, the back-end logs only: the back-end lines count, as in DuckDB', async () => {
    const ds = await dataset('2013-backend');
    const s = await ingestInto(url(freshDb('easbackend')), ds.logs);
    try {
      const got = await everyAnswer(s, ds.queries);
      assert.equal((got['store logsSeen 0'] as { counted: string }).counted, 'back-end');
      assertSameAnswers(got, ds.want!);
    } finally {
      await s.close();
    }
  });

  test('2010 (no back end): every report and query as DuckDB; the reports equal truth.json', async () => {
    const ds = await dataset('2010');
    const s = await ingestInto(url(freshDb('eas2010')), ds.logs);
    try {
      assertSameAnswers(await everyAnswer(s, ds.queries), ds.want!);
      await assertTruth(s, ds.truth);
    } finally {
      await s.close();
    }
  });

  test('an empty store: no EAS lines, empty reports', async () => {
    const s = await openClickhouse(url(freshDb('easempty')));
    try {
      assert.deepEqual(await eas.logsSeen(s, {}), { frontEndLines: 0, backEndLines: 0, logLines: 0, counted: 'none' });
      assert.deepEqual((await easUsersReport(s, {})).rows, []);
      assert.deepEqual(await eas.runaway(s, {}, 1, 'hour'), []);
      assert.equal((await easExport(s, {})).files.find((f) => f.name === 'Hourly.csv')!.rows.length, 7 * 24);
    } finally {
      await s.close();
    }
  });
});

describeClickhouse('ClickHouse ActiveSync queries: two-shard cluster', () => {
  let cluster: ClickhouseCluster;
  before(async () => {
    cluster = await startCluster(2);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('2013 on a cluster: every report and query as DuckDB, the truth, and both shards hold requests', async () => {
    const ds = await dataset('2013');
    const db = freshDb('eascluster');
    const s = await ingestInto(clusterUrl(cluster, db), ds.logs);
    try {
      assertSameAnswers(await everyAnswer(s, ds.queries), ds.want!);
      await assertTruth(s, ds.truth);
      for (const server of cluster.servers) {
        const res = await fetch(`${server.url}/?database=${db}`, {
          method: 'POST',
          body: 'SELECT count() FROM iis_requests_local WHERE eas_backend IS NOT NULL',
        });
        assert.ok(Number(await res.text()) > 0, `shard ${server.httpPort} holds no ActiveSync rows`);
      }
    } finally {
      await s.close();
    }
  });
});
