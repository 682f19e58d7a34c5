// The generator's Log= truth (truth.json `logValues` and `deviceDays`), held against a count made here
// from the written files with plain regular expressions: the truth is the generator's own
// bookkeeping of the numbers it chose, this count reads the text back, and neither uses the
// product's decoder (summarizeLog is what the report tests check against this truth). Also the
// layout of a generated set: the logs in OUT/logs/, truth.json beside them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIis, generatedLogs, generatedTruth, type IisTruth, type IisVersion } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'mxray-iistruth-'));
after(() => rmSync(root, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

interface W3cLine {
  date: string;
  stem: string;
  query: string;
  username: string;
}

/** the data lines of one W3C file, read through its own #Fields lines */
function w3cLines(file: string): W3cLine[] {
  const out: W3cLine[] = [];
  let fields: string[] = [];
  for (const raw of readFileSync(file, 'latin1').split('\r\n')) {
    if (raw === '') continue;
    if (raw.startsWith('#Fields: ')) {
      fields = raw.slice(9).split(' ');
      continue;
    }
    if (raw.startsWith('#')) continue;
    const v = raw.split(' ');
    const at = (f: string) => v[fields.indexOf(f)]!;
    out.push({ date: at('date'), stem: at('cs-uri-stem'), query: at('cs-uri-query'), username: at('cs-username') });
  }
  return out;
}

const param = (q: string, k: string) => new RegExp(`(?:^|&)${k}=([^&]*)`).exec(q)?.[1];

type LogCount = IisTruth['logValues']['devices'][number] & { pa: Set<number> };

/** the truth's `logValues` and `deviceDays`, counted from the files (definitions in truth.ts) */
function recount(logs: string) {
  const devices = new Map<string, LogCount>();
  const days = new Map<string, { hits: number; itemsSent: number; itemsReceived: number }>();
  const day = (date: string, user: string, id: string) => {
    const k = `${date} ${user} ${id}`;
    let d = days.get(k);
    if (!d) days.set(k, (d = { hits: 0, itemsSent: 0, itemsReceived: 0 }));
    return d;
  };
  let lines = 0;
  for (const f of files(logs)) {
    for (const l of w3cLines(f)) {
      if (!l.stem.toLowerCase().startsWith('/microsoft-server-activesync')) continue;
      const user = decodeURIComponent(param(l.query, 'User')!).toLowerCase();
      const id = param(l.query, 'DeviceId')!;
      if (!l.stem.includes('/Proxy/')) day(l.date, user, id).hits++;
      const log = param(l.query, 'Log');
      if (log === undefined) continue;
      lines++;
      let d = devices.get(`${user} ${id}`);
      if (!d) {
        devices.set(
          `${user} ${id}`,
          (d = {
            user,
            deviceId: id,
            logLines: 0,
            itemsSent: 0,
            itemsReceived: 0,
            itemsByType: {},
            errors: {},
            policyAck: null,
            oofSet: 0,
            oofGet: 0,
            attachments: 0,
            attachmentBytes: 0,
            sharePointDocs: 0,
            uncFiles: 0,
            pa: new Set(),
          }),
        );
      }
      d.logLines++;
      // [collection type or '', items from the device, items to the device] of each part of the Log
      const parts: [string, number, number][] = [];
      const v2003 = /^V\w+?T([A-Za-z]{2})S[A-Z]C:(\d+)A(\d+)C\d+D\d+FS:(\d+)A(\d+)C/.exec(log);
      if (v2003) {
        parts.push([v2003[1] === 'NA' ? '' : v2003[1]!, Number(v2003[2]) + Number(v2003[3]), Number(v2003[4]) + Number(v2003[5])]);
      } else {
        // 2007+: a collection is a Ty: element and what follows it up to the next Ty:
        for (const [i, seg] of log.split('_Ty:').entries()) {
          const sum = (re: RegExp) => [...seg.matchAll(re)].reduce((a, m) => a + Number(m[1]) + Number(m[2]), 0);
          parts.push([i === 0 ? '' : /^[A-Za-z]+/.exec(seg)![0], sum(/_Cli:(\d+)a(\d+)c/g), sum(/_Srv:(\d+)a(\d+)c/g)]);
        }
        for (const m of log.matchAll(/_Error:([A-Za-z]+)/g)) d.errors[m[1]!] = (d.errors[m[1]!] ?? 0) + 1;
        for (const m of log.matchAll(/_Pa(\d+)/g)) d.pa.add(Number(m[1]));
        for (const m of log.matchAll(/_Oof:(Get|Set)/g)) d[m[1] === 'Get' ? 'oofGet' : 'oofSet']++;
        for (const m of log.matchAll(/_Att(\d+)/g)) d.attachments += Number(m[1]);
        for (const m of log.matchAll(/_Attb(\d+)/g)) d.attachmentBytes += Number(m[1]);
        for (const m of log.matchAll(/_Ssp(\d+)/g)) d.sharePointDocs += Number(m[1]);
        for (const m of log.matchAll(/_Unc(\d+)/g)) d.uncFiles += Number(m[1]);
      }
      const dd = day(l.date, user, id);
      for (const [type, sent, received] of parts) {
        d.itemsSent += sent;
        d.itemsReceived += received;
        dd.itemsSent += sent;
        dd.itemsReceived += received;
        if (type && (sent || received)) {
          const t = (d.itemsByType[type as 'Em'] ??= { sent: 0, received: 0 });
          t.sent += sent;
          t.received += received;
        }
      }
    }
  }
  return { lines, devices, days };
}

const sets = new Map<IisVersion, Promise<{ out: string; truth: IisTruth }>>();
function generated(version: IisVersion) {
  let p = sets.get(version);
  if (!p) {
    const out = join(root, version);
    sets.set(version, (p = generateIis({ version, users: 14, days: 2, seed: 7, out }).then((truth) => ({ out, truth }))));
  }
  return p;
}

for (const version of ['2013', '2010', '2003'] as const) {
  test(`${version}: the Log= truth equals a plain count of the written Log= values`, async () => {
    const { out, truth } = await generated(version);
    const c = recount(generatedLogs(out));
    assert.equal(truth.logValues.lines, c.lines);
    assert.deepEqual(
      truth.logValues.devices.map((d) => `${d.user} ${d.deviceId}`),
      truth.devices.map((d) => `${d.user} ${d.deviceId}`),
    );
    for (const d of truth.logValues.devices) {
      const { pa, ...counted } = c.devices.get(`${d.user} ${d.deviceId}`)!;
      // the generator gives each device one way of acknowledging the policy: the latest Pa is that one
      assert.ok(pa.size <= 1, `${d.deviceId}: Pa ${[...pa]}`);
      assert.deepEqual(d, { ...counted, policyAck: pa.size ? [...pa][0]! : null }, `${d.user} ${d.deviceId}`);
    }
    assert.deepEqual(
      Object.fromEntries(
        truth.deviceDays.map((x) => [`${x.date} ${x.user} ${x.deviceId}`, { hits: x.hits, itemsSent: x.itemsSent, itemsReceived: x.itemsReceived }]),
      ),
      Object.fromEntries(c.days),
    );
    assert.equal(
      truth.deviceDays.reduce((a, x) => a + x.hits, 0),
      truth.totals.easRequests,
    );

    // the set exercises each figure the reports must get right
    const all = truth.logValues.devices;
    const some = (f: (d: (typeof all)[number]) => boolean, what: string) => assert.ok(all.some(f), `${version}: no device with ${what}`);
    some((d) => d.itemsSent > 0, 'items from the device');
    some((d) => d.itemsReceived > 0, 'items to the device');
    const types = new Set(all.flatMap((d) => Object.keys(d.itemsByType)));
    assert.deepEqual([...types].sort(), version === '2003' ? ['Ca', 'Co', 'Em'] : ['Ca', 'Em']);
    if (version === '2003') {
      // the 2003 Log has no Error:, Pa, Oof or Att elements
      assert.ok(all.every((d) => Object.keys(d.errors).length === 0 && d.policyAck === null && d.oofGet === 0 && d.attachments === 0));
    } else {
      some((d) => Object.keys(d.errors).length > 0, 'Error: values');
      some((d) => d.policyAck !== null, 'a policy acknowledgement');
      some((d) => d.oofGet > 0, 'Oof:Get');
      some((d) => d.attachments > 0 && d.attachmentBytes > d.attachments * 1024, 'attachments');
    }
    if (version === '2013') assert.equal(truth.logValues.lines, truth.totals.backendDuplicates, 'every back-end line has a Log=, no front-end line has one');
  });
}

test('a generated set: the logs in OUT/logs/, truth.json beside them, never among them', async () => {
  const { out, truth } = await generated('2010');
  assert.deepEqual(readdirSync(out).sort(), ['logs', 'truth.json']);
  assert.equal(generatedLogs(out), join(out, 'logs'));
  assert.deepEqual(JSON.parse(readFileSync(generatedTruth(out), 'utf8')), truth);
  assert.ok(files(generatedLogs(out)).every((f) => /[\\/]W3SVC1[\\/]u_ex\d{6}\.log$/.test(f)));
});
