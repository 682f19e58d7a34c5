// End to end, for every Exchange generation the IIS generator writes (2013 front + back end, 2010,
// 2003): generate a site's IIS logs with the generator's truth.json, ingest them through the CLI
// (run in this process, testing/run-cli.ts), and require the ActiveSync reports to equal the truth
// exactly: per user + device hits, commands, HTTP statuses, mails sent, bytes; requests per hour;
// the runaway devices; each 2013 request counted once although front end and back end both log it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIis, generatedLogs, RUNAWAY_HITS_PER_HOUR, type IisTruth, type IisVersion } from '../../generate/iis/index.js';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';
import type { EasUserRow, EasRunawayRow, EasHourlyRow, EasCommandsRow, EasDeviceRow } from './reports.js';

const json = async <T>(args: string[]): Promise<T> => {
  const r = await mxray([...args, '--json']);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** the truth's fields of a users row */
function truthView(u: EasUserRow) {
  return {
    user: u.user,
    deviceId: u.deviceId,
    deviceType: u.deviceType,
    hits: u.hits,
    commands: u.commands,
    emailsSent: u.emailsSent,
    httpStatus: u.httpStatus,
    bytesSent: u.bytesSent,
    bytesReceived: u.bytesReceived,
  };
}

const versions: IisVersion[] = ['2013', '2010', '2003'];

for (const version of versions) {
  test(`Exchange ${version}: the ActiveSync reports equal the generator's truth`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `mxray-eas-e2e-${version}-`));
    const logs = generatedLogs(dir);
    const db = join(dir, 'e.duckdb');
    const truth: IisTruth = await generateIis({ users: 30, days: 2, version, out: dir, seed: 21 });
    assert.ok(
      truth.devices.some((d) => d.runaway),
      'the sample has a runaway device',
    );

    const ing = await json<{ rejects: number; formats: Record<string, number> }>(['ingest', logs, '--db', db]);
    assert.equal(ing.rejects, 0);
    assert.ok(ing.formats.iis! > 0);

    // per user + device: exactly the truth (runaway is the truth's own flag)
    const users = await json<EasUserRow[]>(['eas', 'users', '--db', db]);
    assert.deepEqual(
      users.map(truthView),
      truth.devices.map(({ runaway: _, ...d }) => d),
    );
    if (version === '2013')
      assert.ok(
        truth.devices.some((d) => d.bytesSent > 0),
        '2013 logs bytes',
      );
    else
      assert.ok(
        truth.devices.every((d) => d.bytesSent === 0 && d.bytesReceived === 0),
        `${version} logs no bytes`,
      );

    // each request once, and the reports say which logs they were counted from
    const total = users.reduce((a, u) => a + u.hits, 0);
    assert.equal(total, truth.totals.easRequests);
    // logLines: the lines the generator wrote a Log= into (2013: the back-end twins; before: the
    // front-end lines but the anonymous 401s)
    assert.deepEqual(users[0]!.logs, {
      frontEndLines: truth.totals.easRequests,
      backEndLines: truth.totals.backendDuplicates,
      logLines: truth.logValues.lines,
      counted: 'front-end',
    });
    if (version === '2013') assert.ok(truth.totals.backendDuplicates > 0.9 * truth.totals.easRequests, 'most 2013 requests are logged twice');
    else assert.equal(truth.totals.backendDuplicates, 0);
    const table = await mxray(['eas', 'users', '--db', db]);
    assert.match(
      table.stdout.split('\n')[0]!,
      new RegExp(
        `^logs seen: ${truth.totals.easRequests.toLocaleString('en-US')} front-end EAS lines, ${truth.totals.backendDuplicates.toLocaleString('en-US')} back-end`,
      ),
    );

    // requests per UTC hour
    const hours = await json<EasHourlyRow[]>(['eas', 'hourly', '--db', db]);
    assert.deepEqual(Object.fromEntries(hours.map((h) => [h.period, h.hits])), truth.hourly);

    // runaway devices: the ones the generator made loop, and no other
    const runaway = await json<EasRunawayRow[]>(['eas', 'runaway', '--min-hits', String(RUNAWAY_HITS_PER_HOUR), '--per', 'hour', '--db', db]);
    const key = (d: { user: string; deviceId: string }) => `${d.user} ${d.deviceId}`;
    assert.deepEqual(
      runaway.map(key).sort(),
      truth.devices
        .filter((d) => d.runaway)
        .map(key)
        .sort(),
    );
    for (const r of runaway) {
      assert.ok(r.peakHits >= RUNAWAY_HITS_PER_HOUR && r.periods >= 1);
      assert.equal(
        Object.values(r.commands).reduce((a, n) => a + n, 0),
        r.hits,
        'the commands of the runaway hours add up to their hits',
      );
      assert.ok(Object.keys(r.errors).length + Object.keys(r.httpStatus).filter((s) => s !== '200').length > 0, 'a loop shows its errors');
    }

    // commands report: hits and HTTP errors per device as the truth has them
    const commands = await json<EasCommandsRow[]>(['eas', 'commands', '--db', db]);
    assert.deepEqual(
      commands.map((c) => [key(c), c.hits, c.httpErrors]),
      truth.devices.map((d) => [key(d), d.hits, Object.fromEntries(Object.entries(d.httpStatus).filter(([s]) => Number(s) >= 400))]),
    );

    // device inventory: every device, its type, and where the Log carries them its model and OS
    const devices = await json<EasDeviceRow[]>(['eas', 'devices', '--db', db]);
    assert.deepEqual(
      devices.map((d) => [key(d), d.deviceType, d.hits]),
      truth.devices.map((d) => [key(d), d.deviceType, d.hits]),
    );
    // Settings (and its DevModel) came with protocol 12.0: not in Exchange 2003
    if (version !== '2003') assert.ok(devices.filter((d) => d.model !== '').length > devices.length / 2, 'most devices sent Settings with DevModel');
    else assert.ok(devices.every((d) => d.model === ''));
    assert.ok(
      devices.every((d) => d.protocol !== ''),
      'every device has a protocol version',
    );

    // export: the cmdlet's files, whose totals are the same counts
    const out = join(dir, 'export');
    const ex = await mxray(['eas', 'export', '--out', out, '--db', db]);
    assert.equal(ex.code, 0, ex.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['Hourly.csv', 'PolicyCompliance.csv', 'Servers.csv', 'StatusCodes.csv', 'UserAgents.csv', 'Users.csv']);
    const csv = (name: string) =>
      readFileSync(join(out, name), 'utf8')
        .replace(/^\ufeff/, '')
        .trimEnd()
        .split('\r\n')
        .map((l) => l.split(','));
    const usersCsv = csv('Users.csv');
    const hitsAt = usersCsv[0]!.indexOf('Hits');
    assert.deepEqual(usersCsv.at(-1)!.slice(0, 1), ['*** Total ***']);
    assert.equal(Number(usersCsv.at(-1)![hitsAt]), truth.totals.easRequests);
    const hourly = csv('Hourly.csv');
    assert.equal(hourly.length, 1 + 7 * 24);
    const syncs = truth.devices.reduce((a, d) => a + (d.commands.Sync ?? 0) + (d.commands.GetItemEstimate ?? 0), 0);
    assert.equal(
      hourly.slice(1).reduce((a, r) => a + Number(r[3]), 0),
      syncs,
    );
    const statuses = csv('StatusCodes.csv').slice(1);
    assert.equal(
      statuses.reduce((a, r) => a + Number(r[2]), 0),
      truth.totals.easRequests,
    );
    assert.ok(Math.abs(statuses.reduce((a, r) => a + Number(r[3]), 0) - 1) < 1e-4, 'the ratios are fractions that add up to 1');
    assert.ok(
      statuses.some((r) => Number(r[3]) > 0 && Number(r[3]) < 1),
      'no integer division',
    );
  });
}

test('2013: only the back-end logs ingested: the back-end lines are counted, anonymous 401s (front end only) are missing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-eas-backend-'));
  const logs = generatedLogs(dir);
  const truth: IisTruth = await generateIis({ users: 12, days: 1, version: '2013', out: dir, seed: 5 });
  const backend = join(dir, 'backend');
  for (const server of readdirSync(logs)) cpSync(join(logs, server, 'W3SVC2'), join(backend, server), { recursive: true });
  const db = join(dir, 'b.duckdb');
  assert.equal((await mxray(['ingest', backend, '--db', db])).code, 0);
  const users = await json<EasUserRow[]>(['eas', 'users', '--db', db]);
  assert.deepEqual(users[0]!.logs, {
    frontEndLines: 0,
    backEndLines: truth.totals.backendDuplicates,
    logLines: truth.totals.backendDuplicates,
    counted: 'back-end',
  });
  const got = Object.fromEntries(users.map((u) => [`${u.user} ${u.deviceId}`, u.hits]));
  const want = Object.fromEntries(truth.devices.map((d) => [`${d.user} ${d.deviceId}`, d.hits - (d.httpStatus['401'] ?? 0)]).filter(([, n]) => Number(n) > 0));
  assert.deepEqual(got, want);
  const table = await mxray(['eas', 'users', '--db', db]);
  assert.match(table.stdout, /counted: the back-end lines \(no front-end logs in the range\)/);
});
