// The ActiveSync reports against the IIS generator's truth, for each layout it writes (2013 front
// + back end, 2010, 2003), through the CLI run in this process on a DuckDB file:
// - every Log=-derived figure per device exactly as the generator wrote it (truth.json `logValues`):
//   items from and to the device, items per collection type, Error: values, the latest policy
//   acknowledgement, out-of-office Set/Get, attachments and their bytes, SharePoint and UNC, in
//   `eas users|devices|commands --json` and in the export's Users.csv and PolicyCompliance.csv;
// - the reports agree with each other (invariants), on the same sets and on the 2013 back-end
//   logs alone: hourly hits add up to the total, `eas devices` and `eas users` give a device the
//   same hits, a --from/--to split adds up to the whole, and a day's items are those of the
//   requests counted that day.
// Each set gets a few extra lines the generator does not write: anonymous OPTIONS requests with
// neither a user nor a DeviceId, which count as requests but belong to no device (rule 4 of the
// counting rules in store/duckdb/activesync.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIis, generatedLogs, type IisTruth, type IisVersion } from '../generate/iis/index.js';
import { splitCsvLine } from '../generate/tracking/logs.fixture.js';
import { mxrayInProcess } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'mxray-eas-truth-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function cli(args: string[]): Promise<string> {
  const r = await mxrayInProcess(args);
  assert.equal(r.code, 0, `mxray ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const json = async <T>(args: string[]): Promise<T> => JSON.parse(await cli([...args, '--json'])) as T;
/** a report's JSON rows; a store is not changed once ingested, so each question is asked once */
const answers = new Map<string, Promise<unknown>>();
function report<T>(args: string[]): Promise<T> {
  const k = args.join('\u0000');
  if (!answers.has(k)) answers.set(k, json<T>(args));
  return answers.get(k) as Promise<T>;
}

type Counts = Record<string, number>;
interface UserRow {
  user: string;
  deviceId: string;
  hits: number;
  itemsSent: number;
  itemsReceived: number;
  commands: Counts;
  httpStatus: Counts;
  emailsSent: number;
  bytesSent: number;
  bytesReceived: number;
  logs: { counted: string };
}
interface DeviceRow {
  user: string;
  deviceId: string;
  hits: number;
  policy: string;
}
interface CommandsRow {
  user: string;
  deviceId: string;
  hits: number;
  commands: Counts;
  errors: Counts;
  httpErrors: Counts;
}
interface HourRow {
  period: string;
  hits: number;
}

const key = (d: { user: string; deviceId: string }) => `${d.user} ${d.deviceId}`;
/** Export-ActiveSyncLog's compliance names for Pa 1, 2, 3; no acknowledgement is Unknown */
const policyName = (pa: number | null) => (pa === 1 ? 'Compliant' : pa === 2 ? 'Partially Compliant' : pa === 3 ? 'Not Compliant' : 'Unknown');

interface EasSet {
  truth: IisTruth;
  logs: string;
  db: string;
  anonymous: number;
}

/** OPTIONS lines with no user, no DeviceId (an anonymous probe), in the layout of the set's own
 *  front-end files, on its first day */
function anonymousOptions(logs: string, into: string, n: number): void {
  const server = readdirSync(logs)[0]!;
  const dir = join(logs, server, 'W3SVC1');
  const file = readdirSync(dir).sort()[0]!;
  const text = readFileSync(join(dir, file), 'latin1').split('\r\n');
  const header = text.slice(
    0,
    text.findIndex((l) => !l.startsWith('#')),
  );
  const fields = header
    .find((l) => l.startsWith('#Fields: '))!
    .slice(9)
    .split(' ');
  const easLine = text.find((l) => !l.startsWith('#') && / \/Microsoft-Server-ActiveSync\S* /.test(l))!.split(' ');
  const values = (i: number): Record<string, string> => ({
    date: easLine[fields.indexOf('date')]!,
    time: `13:0${i}:00`,
    's-sitename': 'W3SVC1',
    's-ip': '10.0.9.9',
    'cs-method': 'OPTIONS',
    'cs-uri-stem': easLine[fields.indexOf('cs-uri-stem')]!,
    'cs-uri-query': '-',
    's-port': '443',
    'cs-username': '-',
    'c-ip': '192.0.2.99',
    'cs(User-Agent)': 'probe/1.0',
    'cs(Referer)': '-',
    'sc-status': '401',
    'sc-substatus': '2',
    'sc-win32-status': '5',
    'sc-bytes': '120',
    'cs-bytes': '80',
    'time-taken': '2',
  });
  const lines = Array.from({ length: n }, (_, i) => fields.map((f) => values(i)[f]!).join(' '));
  mkdirSync(join(into, 'PROBE', 'W3SVC1'), { recursive: true });
  writeFileSync(join(into, 'PROBE', 'W3SVC1', file), [...header, ...lines, ''].join('\r\n'));
}

const seeds: Record<IisVersion, number> = { '2013': 11, '2010': 3, '2003': 3 };
const sets = new Map<string, Promise<EasSet>>();

/** a generated set ingested into its own DuckDB file (once per file run) */
function easSet(version: IisVersion): Promise<EasSet> {
  let p = sets.get(version);
  if (!p) {
    p = (async () => {
      const out = join(root, version);
      const truth = await generateIis({ version, users: 10, days: 2, seed: seeds[version], out });
      const extra = join(root, `${version}-probe`);
      const anonymous = 3;
      anonymousOptions(generatedLogs(out), extra, anonymous);
      const db = join(root, `${version}.duckdb`);
      const ing = await json<{ rejects: number; skipped: unknown[] }>(['ingest', generatedLogs(out), extra, '--db', db]);
      assert.equal(ing.rejects, 0);
      assert.deepEqual(ing.skipped, [], 'the logs folder holds nothing but logs');
      return { truth, logs: generatedLogs(out), db, anonymous };
    })();
    sets.set(version, p);
  }
  return p;
}

/** the 2013 set's back-end logs (W3SVC2, /Proxy/) alone, in a DuckDB file of their own */
function backEndSet(): Promise<EasSet> {
  let p = sets.get('2013-backend');
  if (!p) {
    p = (async () => {
      const full = await easSet('2013');
      const logs = join(root, '2013-backend');
      for (const server of readdirSync(full.logs)) cpSync(join(full.logs, server, 'W3SVC2'), join(logs, server, 'W3SVC2'), { recursive: true });
      const db = join(root, '2013-backend.duckdb');
      assert.equal((await json<{ rejects: number }>(['ingest', logs, '--db', db])).rejects, 0);
      return { truth: full.truth, logs, db, anonymous: 0 };
    })();
    sets.set('2013-backend', p);
  }
  return p;
}

function csv(path: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(path, 'utf8')
    .replace(/^\ufeff/, '')
    .trimEnd()
    .split('\r\n')
    .map(splitCsvLine);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);
function addCounts(into: Counts, c: Counts): Counts {
  for (const [k, v] of Object.entries(c)) into[k] = (into[k] ?? 0) + v;
  return into;
}

for (const version of ['2013', '2010', '2003'] as const) {
  test(`${version}: eas users, devices, commands and export give every device its Log= figures as the generator wrote them`, async () => {
    const { truth, db } = await easSet(version);
    const logs = new Map(truth.logValues.devices.map((l) => [key(l), l]));
    const log = (d: { user: string; deviceId: string }) => logs.get(key(d))!;

    const users = await report<UserRow[]>(['eas', 'users', '--db', db]);
    assert.deepEqual(
      users.map((u) => ({ device: key(u), hits: u.hits, itemsSent: u.itemsSent, itemsReceived: u.itemsReceived })),
      truth.devices.map((d) => ({ device: key(d), hits: d.hits, itemsSent: log(d).itemsSent, itemsReceived: log(d).itemsReceived })),
    );

    const devices = await report<DeviceRow[]>(['eas', 'devices', '--db', db]);
    assert.deepEqual(
      devices.map((d) => [key(d), d.hits, d.policy]),
      truth.devices.map((d) => [key(d), d.hits, policyName(log(d).policyAck)]),
    );

    const commands = await report<CommandsRow[]>(['eas', 'commands', '--db', db]);
    assert.deepEqual(
      commands.map((c) => [key(c), c.hits, c.errors]),
      truth.devices.map((d) => [key(d), d.hits, log(d).errors]),
    );

    // Export-ActiveSyncLog's Users.csv: the cmdlet's headers, whose "Sent" is the server's side
    const out = join(root, `${version}-export`);
    await cli(['eas', 'export', '--out', out, '--db', db]);
    const rows = csv(join(out, 'Users.csv'));
    const types = [
      ['Em', 'Emails'],
      ['Ca', 'Calendar'],
      ['Co', 'Contacts'],
      ['Ta', 'Tasks'],
      ['Nt', 'Notes'],
    ] as const;
    const want = truth.devices.map((d) => {
      const l = log(d);
      const row: Record<string, number | string> = {
        'User Name': d.user,
        'Device ID': d.deviceId,
        'Device Type': d.deviceType,
        'Items Sent': l.itemsReceived,
        'Items Received': l.itemsSent,
        Hits: d.hits,
        'Total Bytes Sent': d.bytesReceived,
        'Total Bytes Received': d.bytesSent,
      };
      for (const [t, name] of types) {
        row[`Total ${name} Sent`] = l.itemsByType[t]?.received ?? 0;
        // the cmdlet's "Emails Received" are the mails the device sent, not Cli: items
        row[`Total ${name} Received`] = t === 'Em' ? d.emailsSent : (l.itemsByType[t]?.sent ?? 0);
      }
      Object.assign(row, {
        'Total OOF Messages Set by Client': l.oofSet,
        'Total OOF Messages Retrieved from Server': l.oofGet,
        'Total Searches requested': d.commands.Search ?? 0,
        'Total SharePoint Access': l.sharePointDocs,
        'Total UNC Access': l.uncFiles,
        'Total Attachment Downloads': l.attachments,
        'Total Attachment Size': l.attachmentBytes,
        'Currently Compliant with Policy': policyName(l.policyAck),
      });
      return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)]));
    });
    assert.deepEqual(rows.slice(0, -1), want);
    const total = rows.at(-1)!;
    assert.equal(total['User Name'], '*** Total ***');
    for (const h of Object.keys(want[0]!).slice(3, -1))
      assert.equal(
        Number(total[h]),
        sum(want, (r) => Number(r[h])),
        h,
      );
    // the set has what those columns are about
    assert.ok(sum(want, (r) => Number(r['Total Calendar Sent'])) > 0 && sum(want, (r) => Number(r['Items Received'])) > 0);
    if (version === '2003') assert.ok(sum(want, (r) => Number(r['Total Contacts Sent'])) > 0);
    else assert.ok(sum(want, (r) => Number(r['Total Attachment Size']) * Number(r['Total OOF Messages Retrieved from Server'])) > 0);

    const policy = csv(join(out, 'PolicyCompliance.csv'));
    const perName = (n: string) => truth.devices.filter((d) => policyName(log(d).policyAck) === n).length;
    assert.deepEqual(
      policy.map((r) => [r['Compliance Type'], Number(r['Total'])]),
      ['Unknown', 'Compliant', 'Partially Compliant', 'Not Compliant'].map((n) => [n, perName(n)]),
    );
    if (version === '2013') assert.ok(perName('Partially Compliant') > 0, 'the set has a partially compliant device');
  });
}

/** hits per device of `eas users` and `eas devices` for a range: the same (a device listed by
 *  `eas devices` with no request in the range has 0 hits and no `eas users` row) */
async function sameHits(db: string, range: string[]): Promise<Map<string, UserRow>> {
  const users = await report<UserRow[]>(['eas', 'users', '--db', db, ...range]);
  const devices = await report<DeviceRow[]>(['eas', 'devices', '--db', db, ...range]);
  assert.deepEqual(
    Object.fromEntries(devices.filter((d) => d.hits > 0).map((d) => [key(d), d.hits])),
    Object.fromEntries(users.map((u) => [key(u), u.hits])),
    `devices and users ${range.join(' ')}`,
  );
  return new Map(users.map((u) => [key(u), u]));
}

/** per device: hits, items, commands, HTTP statuses and errors of a range (and, unless told
 *  not to, the same hits in `eas devices` as in `eas users`) */
async function figures(db: string, range: string[], checkDevices = true) {
  const users = checkDevices ? await sameHits(db, range) : new Map((await report<UserRow[]>(['eas', 'users', '--db', db, ...range])).map((u) => [key(u), u]));
  const commands = await report<CommandsRow[]>(['eas', 'commands', '--db', db, ...range]);
  const out = new Map<string, { hits: number; itemsSent: number; itemsReceived: number; commands: Counts; httpStatus: Counts; errors: Counts }>();
  for (const c of commands) {
    const u = users.get(key(c))!;
    out.set(key(c), { hits: u.hits, itemsSent: u.itemsSent, itemsReceived: u.itemsReceived, commands: u.commands, httpStatus: u.httpStatus, errors: c.errors });
  }
  return out;
}

/** the per-device figures of several ranges added up */
function added(parts: Awaited<ReturnType<typeof figures>>[]) {
  const all = new Map<string, { hits: number; itemsSent: number; itemsReceived: number; commands: Counts; httpStatus: Counts; errors: Counts }>();
  for (const part of parts) {
    for (const [k, f] of part) {
      const a = all.get(k) ?? { hits: 0, itemsSent: 0, itemsReceived: 0, commands: {}, httpStatus: {}, errors: {} };
      all.set(k, {
        hits: a.hits + f.hits,
        itemsSent: a.itemsSent + f.itemsSent,
        itemsReceived: a.itemsReceived + f.itemsReceived,
        commands: addCounts(a.commands, f.commands),
        httpStatus: addCounts(a.httpStatus, f.httpStatus),
        errors: addCounts(a.errors, f.errors),
      });
    }
  }
  return all;
}

const sortedMap = <V>(m: Map<string, V>) => Object.fromEntries([...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)));

/** the invariants on one ingested set. Where front-end and back-end lines both exist (2013), which
 *  lines count and which carry the Log= differ: there every part is also checked for `eas devices`
 *  (a device whose only line in a range is a Log= line would show there with 0 hits) and the first
 *  day is split at noon as well; elsewhere the day split alone (each report call costs ~0.2 s) */
async function invariants(s: EasSet, counted: 'front-end' | 'back-end', twoSides: boolean): Promise<void> {
  const { truth, db } = s;
  const whole = await figures(db, []);
  const users = await report<UserRow[]>(['eas', 'users', '--db', db]);
  assert.equal(users[0]!.logs.counted, counted);
  const hours = await report<HourRow[]>(['eas', 'hourly', '--db', db]);
  // rule 4: every counted line is in `eas hourly`; a line with neither a user nor a DeviceId
  // belongs to no device, so the devices' hits are the hourly hits minus those lines
  assert.equal(
    sum(hours, (h) => h.hits) - s.anonymous,
    sum(users, (u) => u.hits),
  );

  // a split into UTC days, and the first day split at noon, add up to the whole; a device listed
  // by `eas devices` has the hits `eas users` gives it in every part
  const dates = [...new Set(truth.deviceDays.map((d) => d.date))];
  assert.ok(dates.length >= 2);
  const perDay = await Promise.all(dates.map((d) => figures(db, ['--from', d, '--to', d], twoSides)));
  assert.deepEqual(sortedMap(added(perDay)), sortedMap(whole), 'the days add up to the whole');
  if (twoSides) {
    const noon = `${dates[0]}T12:00Z`;
    const halves = [await figures(db, ['--from', dates[0]!, '--to', noon]), await figures(db, ['--from', noon, '--to', dates[0]!])];
    assert.deepEqual(sortedMap(added(halves)), sortedMap(perDay[0]!), 'the halves of the first day add up to the day');
  }
  const hourParts = await Promise.all(dates.map((d) => report<HourRow[]>(['eas', 'hourly', '--db', db, '--from', d, '--to', d])));
  const hourOnly = ({ logs: _, ...h }: HourRow & { logs?: unknown }) => h;
  assert.deepEqual(hourParts.flat().map(hourOnly), hours.map(hourOnly), 'the hours of the days are the hours of the whole');

  // items are counted for exactly the requests counted: a day's items per device are the items
  // of the Log= values of the requests counted that day (the generator writes a 2013 back-end
  // twin on the same UTC day as its front-end line)
  const items = (m: Map<string, { itemsSent: number; itemsReceived: number }>) =>
    Object.fromEntries([...m].filter(([, f]) => f.itemsSent + f.itemsReceived > 0).map(([k, f]) => [k, [f.itemsSent, f.itemsReceived]]));
  dates.forEach((date, i) => {
    const want = truth.deviceDays.filter((d) => d.date === date && d.itemsSent + d.itemsReceived > 0);
    assert.deepEqual(items(perDay[i]!), Object.fromEntries(want.map((d) => [key(d), [d.itemsSent, d.itemsReceived]])), date);
    if (counted === 'front-end') {
      assert.deepEqual(
        Object.fromEntries([...perDay[i]!].map(([k, f]) => [k, f.hits])),
        Object.fromEntries(truth.deviceDays.filter((d) => d.date === date).map((d) => [key(d), d.hits])),
        `${date} hits`,
      );
    }
  });
}

for (const version of ['2013', '2010', '2003'] as const) {
  test(`${version}: the reports agree: hours and days add up (2013: and half days), devices and users agree, items go with the requests counted`, async () => {
    const s = await easSet(version);
    await invariants(s, 'front-end', version === '2013');
    const hours = await report<HourRow[]>(['eas', 'hourly', '--db', s.db]);
    assert.equal(
      sum(hours, (h) => h.hits),
      s.truth.totals.easRequests + s.anonymous,
    );
  });
}

test('2013, the back-end logs alone: the invariants hold; every request but the anonymous 401s is counted, with all its items', async () => {
  const s = await backEndSet();
  await invariants(s, 'back-end', false);
  const users = await report<UserRow[]>(['eas', 'users', '--db', s.db]);
  const logs = new Map(s.truth.logValues.devices.map((l) => [key(l), l]));
  assert.deepEqual(
    users.map((u) => [key(u), u.hits, u.itemsSent, u.itemsReceived]),
    s.truth.devices
      .filter((d) => d.hits > (d.httpStatus['401'] ?? 0))
      .map((d) => [key(d), d.hits - (d.httpStatus['401'] ?? 0), logs.get(key(d))!.itemsSent, logs.get(key(d))!.itemsReceived]),
  );
});
