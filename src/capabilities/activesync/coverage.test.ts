// Each request once, whichever of its IIS lines was collected (issue 16 §1): an Exchange 2013 site
// of three multi-role servers (each a front end and a back end), generated for three days, collected
// four ways — (a) every log, (b) only the back ends' logs, (c) the front ends' logs of one day
// missing, (d) one front end's logs missing. The generator leaves the logs out itself and its truth
// counts what the written logs show (a request by its front-end line when that log was written, else
// by its back-end line; the anonymous 401s a front end answers alone are then lost). Per device
// hits, commands, HTTP statuses and bytes, and the requests per hour, must equal that truth exactly,
// on DuckDB, on one ClickHouse server and on a two-shard cluster; the header and `eas coverage` say
// what was collected.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIis, generatedLogs, type IisTruth, type LeftOut } from '../../generate/iis/index.js';
import { ingest } from '../../ingest/ingest.js';
import { DuckdbStore } from '../../store/duckdb/store.js';
import { openClickhouse } from '../../store/clickhouse/open.js';
import { clusterUrl } from '../../store/clickhouse/urls.fixture.js';
import type { Store } from '../../store/types.js';
import { describeClickhouse, startClickhouse, startCluster, type ClickhouseCluster, type ClickhouseServer } from '../../testing/clickhouse.js';
import { mxrayInProcess } from '../../testing/run-cli.js';
import { easHourlyReport, easUsersReport, coverageText } from './reports.js';
import * as eas from './queries.js';
import type { EasCountedLines } from './types.js';
import { hostsOf } from './coverage.js';
import { frontEndAddress, normalAddress } from './address.js';

const root = mkdtempSync(join(tmpdir(), 'mxray-eas-coverage-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Case {
  name: string;
  leftOut: LeftOut;
  counted: EasCountedLines;
}
const cases: Case[] = [
  { name: 'a: every log', leftOut: {}, counted: 'front-end' },
  { name: "b: only the back ends' logs", leftOut: { frontEnds: true }, counted: 'back-end' },
  { name: "c: the front ends' logs of the second day missing", leftOut: { frontEndDays: [1] }, counted: 'mixed' },
  { name: "d: the second front end's logs missing", leftOut: { frontEndServers: [1] }, counted: 'mixed' },
];

/** one generated site per case (the same seed: the same requests, other logs written) */
const sites = new Map<string, Promise<{ logs: string; truth: IisTruth }>>();
function site(c: Case): Promise<{ logs: string; truth: IisTruth }> {
  let s = sites.get(c.name);
  if (!s) {
    const out = join(root, c.name.slice(0, 1));
    s = generateIis({ users: 8, days: 3, servers: 3, version: '2013', out, seed: 16, leftOut: c.leftOut }).then((truth) => ({
      logs: generatedLogs(out),
      truth,
    }));
    sites.set(c.name, s);
  }
  return s;
}

/** the reports on a store equal the truth of the logs it holds */
async function assertTruth(s: Store, c: Case, truth: IisTruth): Promise<void> {
  const users = await easUsersReport(s, {});
  assert.deepEqual(
    users.rows.map((u) => ({
      user: u.user,
      deviceId: u.deviceId,
      hits: u.hits,
      commands: u.commands,
      httpStatus: u.httpStatus,
      emailsSent: u.emailsSent,
      bytesSent: u.bytesSent,
      bytesReceived: u.bytesReceived,
    })),
    truth.devices.map((d) => ({
      user: d.user,
      deviceId: d.deviceId,
      hits: d.hits,
      commands: d.commands,
      httpStatus: d.httpStatus,
      emailsSent: d.emailsSent,
      bytesSent: d.bytesSent,
      bytesReceived: d.bytesReceived,
    })),
    `${c.name}: per device`,
  );
  assert.equal(users.logs.counted, c.counted, `${c.name}: counted`);
  assert.equal(users.logs.backEndLines, truth.totals.backendDuplicates);
  const hourly = await easHourlyReport(s, {});
  assert.deepEqual(Object.fromEntries(hourly.rows.map((h) => [h.period, h.hits])), truth.hourly, `${c.name}: per hour`);
}

async function duck(c: Case): Promise<Store> {
  const { logs } = await site(c);
  const s = await DuckdbStore.open(join(root, `${c.name.slice(0, 1)}.duckdb`));
  await ingest([logs], { store: s });
  return s;
}

test('the generator leaves out logs and its truth counts what the written logs show', async () => {
  const [a, b, cc, d] = await Promise.all(cases.map(site));
  // the same requests are made in every case: the complete collection loses none
  assert.equal(a!.truth.totals.lostRequests, 0);
  // (b): only the 401s that no back end saw are lost, and every other request is still there
  const anonymous = a!.truth.devices.reduce((n, x) => n + (x.httpStatus['401'] ?? 0), 0);
  assert.ok(anonymous > 0, 'the site has anonymous 401s');
  assert.equal(b!.truth.totals.lostRequests, anonymous);
  assert.equal(b!.truth.totals.easRequests + anonymous, a!.truth.totals.easRequests);
  for (const x of [cc!, d!]) {
    assert.ok(x.truth.totals.lostRequests! > 0 && x.truth.totals.lostRequests! < anonymous);
    assert.equal(x.truth.totals.easRequests + x.truth.totals.lostRequests!, a!.truth.totals.easRequests);
  }
});

for (const c of cases) {
  test(`DuckDB, ${c.name}: each request once, exactly the truth`, async () => {
    const s = await duck(c);
    try {
      await assertTruth(s, c, (await site(c)).truth);
      // a time range is a part of the whole: the days add up
      const days = await Promise.all(
        ['2024-03-04', '2024-03-05', '2024-03-06'].map(async (day, i, all) => {
          const r = await easUsersReport(s, { from: `${day} 00:00:00`, ...(all[i + 1] ? { to: `${all[i + 1]} 00:00:00` } : {}) });
          return r.rows.reduce((n, u) => n + u.hits, 0);
        }),
      );
      assert.equal(
        days.reduce((x, y) => x + y, 0),
        (await site(c)).truth.totals.easRequests,
      );
    } finally {
      await s.close();
    }
  });
}

test('the coverage says what was collected: per day and front end, in the header and on stderr with --json', async () => {
  const rows = async (c: Case) => {
    const s = await duck(c);
    try {
      return await eas.coverage(s, {});
    } finally {
      await s.close();
    }
  };
  const [a, b, cc, d] = await Promise.all(cases.map(rows));
  // three front ends, three days
  const fronts = ['10.0.1.21', '10.0.1.22', '10.0.1.23'];
  assert.deepEqual(
    a!.map((r) => [r.day, r.frontEnd, r.countedFrom, r.backEndCounted]),
    ['2024-03-04', '2024-03-05', '2024-03-06'].flatMap((day) => fronts.map((f) => [day, f, 'front end', 0])),
  );
  // each front end's addresses: its own and the link-local one its back end saw it by
  assert.ok(
    a!.every((r) => /^10\.0\.1\.2\d fe80::[0-9a-f:]+$/.test(r.addresses)),
    a![0]!.addresses,
  );
  assert.ok(b!.every((r) => r.countedFrom === 'back end' && r.frontEndLines === 0 && r.backEndCounted === r.backEndLines));
  assert.deepEqual(
    cc!.filter((r) => r.countedFrom !== 'front end').map((r) => [r.day, r.countedFrom]),
    fronts.map(() => ['2024-03-05', 'back end']),
  );
  assert.deepEqual(
    d!.filter((r) => r.countedFrom !== 'front end').map((r) => [r.day, r.frontEnd]),
    ['2024-03-04', '2024-03-05', '2024-03-06'].map((day) => [day, '10.0.1.22']),
  );
  assert.equal(coverageText(a!), 'front end of 10.0.1.21, 10.0.1.22, 10.0.1.23 for 2024-03-04 to 03-06');
  const note = " (counted from the back-end lines where the front end's log is missing; 401s answered by the front end alone are not in those logs)";
  assert.equal(coverageText(b!), `back end only for 2024-03-04 to 03-06${note}`);
  assert.equal(
    coverageText(cc!),
    `front end of 10.0.1.21, 10.0.1.22, 10.0.1.23 for 2024-03-04; back end only for 03-05; front end of 10.0.1.21, 10.0.1.22, 10.0.1.23 for 03-06${note}`,
  );
  assert.equal(coverageText(d!), `front end of 10.0.1.21, 10.0.1.23 and back end only for 10.0.1.22 for 2024-03-04 to 03-06${note}`);

  // through the CLI: the table's header, stderr beside --json, and `eas coverage --json`
  const db = join(root, 'c-cli.duckdb');
  assert.equal((await mxrayInProcess(['ingest', (await site(cases[2]!)).logs, '--db', db])).code, 0);
  const table = await mxrayInProcess(['eas', 'users', '--db', db]);
  assert.deepEqual(table.stdout.split('\n').slice(1, 3), [
    "counted: the front-end lines, and the back-end lines whose front end's log was not collected; each request once; Log= values (items, errors, policy, OOF, model) from the lines that carry one",
    `coverage: ${coverageText(cc!)}`,
  ]);
  const json = await mxrayInProcess(['eas', 'users', '--db', db, '--json']);
  assert.equal(json.code, 0);
  assert.equal(json.stderr, table.stdout.slice(0, table.stdout.indexOf('\n\n') + 1));
  const report = await mxrayInProcess(['eas', 'coverage', '--db', db, '--json']);
  assert.deepEqual(JSON.parse(report.stdout), cc);
});

describeClickhouse('ClickHouse: each request once, whichever logs were collected', () => {
  let server: ClickhouseServer;
  let cluster: ClickhouseCluster;
  before(async () => {
    [server, cluster] = await Promise.all([startClickhouse(), startCluster(2)]);
  });
  after(async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
  });
  let n = 0;
  const db = (c: Case) => `eas_coverage_${c.name.slice(0, 1)}_${process.pid}_${++n}`;

  for (const c of cases) {
    test(`one server and a two-shard cluster, ${c.name}: exactly the truth`, async () => {
      const { logs, truth } = await site(c);
      for (const url of [`clickhouse://127.0.0.1:${server.httpPort}/${db(c)}`, clusterUrl(cluster, db(c))]) {
        const s = await openClickhouse(url);
        try {
          await ingest([logs], { store: s, batchBytes: 4 << 20 });
          await assertTruth(s, c, truth);
        } finally {
          await s.close();
        }
      }
    });
  }
});

// ---- the pieces, by hand -------------------------------------------------------------------------

test('addresses: one normal form for the spellings of one address; a loopback front end is the own server of the line', () => {
  assert.equal(normalAddress('FE80::2063:570A:9DA1:9B71%12'), 'fe80::2063:570a:9da1:9b71');
  assert.equal(normalAddress('[2001:db8::1]'), '2001:db8::1');
  assert.equal(normalAddress('::ffff:10.0.1.21'), '10.0.1.21');
  assert.equal(normalAddress('-'), '');
  // PrxFrom as the parser hands it over (URL-decoded), else c-ip; loopback: the line's own s-ip
  assert.equal(frontEndAddress('fe80::2063:570a:9da1:9b71%12', '10.9.9.9', 'fe80::1%12'), 'fe80::2063:570a:9da1:9b71');
  assert.equal(frontEndAddress(undefined, '10.0.1.22', '10.0.1.21'), '10.0.1.22');
  assert.equal(frontEndAddress('127.0.0.1', '127.0.0.1', '10.0.1.21'), '10.0.1.21');
});

test('hosts: files tied by their addresses and names; spans of consecutive days joined, reaching back a minute but not into the day before', () => {
  const row = (file: number, be: number, srv: string, ip: string, first: string, last: string) => ({ file, be, srv, ip, first, last });
  // two servers without s-computername: EX1's back end shows its routable and link-local addresses
  const { hosts, hostOf } = hostsOf([
    row(1, 0, '10.0.0.1', '10.0.0.1', '2024-03-04 00:00:30', '2024-03-04 23:59:00'),
    row(2, 0, '10.0.0.1', '10.0.0.1', '2024-03-05 00:10:00', '2024-03-05 22:00:00'),
    row(3, 0, '10.0.0.1', '10.0.0.1', '2024-03-07 09:00:00', '2024-03-07 10:00:00'),
    row(4, 1, '10.0.0.1', '10.0.0.1', '2024-03-04 08:00:00', '2024-03-04 09:00:00'),
    row(4, 1, 'fe80::1%12', 'fe80::1%12', '2024-03-04 08:00:00', '2024-03-04 09:00:00'),
    row(5, 1, '10.0.0.2', '10.0.0.2', '2024-03-04 08:00:00', '2024-03-04 09:00:00'),
  ]);
  assert.deepEqual(hosts, [
    {
      name: '10.0.0.1',
      addresses: ['10.0.0.1', 'fe80::1'],
      spans: [
        // the 4th and the 5th: one span; it reaches back to midnight only (not 23:59:30 the day before)
        { from: '2024-03-04 00:00:00', to: '2024-03-05 22:00:00' },
        // the 6th has no file: a new span, a minute before its first line
        { from: '2024-03-07 08:59:00', to: '2024-03-07 10:00:00' },
      ],
    },
    // EX2: its back end's log only
    { name: '10.0.0.2', addresses: ['10.0.0.2'], spans: [] },
  ]);
  assert.equal(hostOf('fe80::1')?.name, '10.0.0.1');
  assert.equal(hostOf('10.0.0.3'), undefined);

  // one multi-role server without s-computername: its back end knows its front end by link-local
  // only, and the two are one server
  const single = hostsOf([
    row(1, 0, '10.0.0.1', '10.0.0.1', '2024-03-04 01:00:00', '2024-03-04 02:00:00'),
    row(2, 1, 'fe80::1%12', 'fe80::1%12', '2024-03-04 01:00:00', '2024-03-04 02:00:00'),
  ]);
  assert.deepEqual(
    single.hosts.map((h) => h.addresses),
    [['10.0.0.1', 'fe80::1']],
  );
  // with s-computername the names tie them, and the host is named by it
  const named = hostsOf([
    row(1, 0, 'EX01', '10.0.0.1', '2024-03-04 01:00:00', '2024-03-04 02:00:00'),
    row(2, 1, 'EX01', 'fe80::1%12', '2024-03-04 01:00:00', '2024-03-04 02:00:00'),
    row(3, 1, 'EX02', '10.0.0.2', '2024-03-04 01:00:00', '2024-03-04 02:00:00'),
  ]);
  assert.deepEqual(
    named.hosts.map((h) => [h.name, h.addresses]),
    [
      ['EX01', ['10.0.0.1', 'fe80::1']],
      ['EX02', ['10.0.0.2']],
    ],
  );
});
