// The IIS / ActiveSync generator: determinism, the W3C layout, the 2013+ back-end twins, and the
// truth checked against a count made here, independently, from the written front-end files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { generateIis, RUNAWAY_HITS_PER_HOUR, type IisGenOptions, type IisTruth, type IisVersion } from './index.js';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'mxray-iisgen-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const runs = new Map<string, Promise<{ dir: string; truth: IisTruth }>>();
/** one generated site per option set, shared by the tests */
function generated(o: Omit<IisGenOptions, 'out'>): Promise<{ dir: string; truth: IisTruth }> {
  const key = JSON.stringify(o);
  let p = runs.get(key);
  if (!p) {
    const dir = join(root, `run${runs.size}`);
    p = generateIis({ ...o, out: dir }).then((truth) => ({ dir, truth }));
    runs.set(key, p);
  }
  return p;
}
const small = (version: IisVersion) => generated({ version, users: 14, days: 2, seed: 7 });

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}
const logFiles = async (dir: string, site: 'W3SVC1' | 'W3SVC2') => (await files(dir)).filter((f) => f.includes(`/${site}/`) && /u_ex\d{6}\.log$/.test(f));

interface Line {
  file: string;
  line: number;
  at: number;
  v: Record<string, string>;
  headerBlocks: number;
}

/** every data line of a W3C file, as field name → value, read through its own #Fields headers */
async function readW3c(file: string): Promise<{ lines: Line[]; errors: string[]; headerBlocks: number }> {
  const text = await readFile(file, 'latin1');
  const lines: Line[] = [];
  const errors: string[] = [];
  let fields: string[] | undefined;
  let blocks = 0;
  text.split('\r\n').forEach((raw, i) => {
    if (raw === '') return;
    if (raw.startsWith('#')) {
      if (raw.startsWith('#Software:')) blocks++;
      if (raw.startsWith('#Fields: ')) fields = raw.slice(9).split(' ');
      return;
    }
    const parts = raw.split(' ');
    if (!fields) {
      errors.push(`${file}:${i + 1}: data before #Fields`);
      return;
    }
    if (parts.length !== fields.length) {
      errors.push(`${file}:${i + 1}: ${parts.length} fields, header has ${fields.length}`);
      return;
    }
    const v: Record<string, string> = {};
    fields.forEach((f, k) => {
      v[f] = parts[k]!;
    });
    lines.push({ file, line: i + 1, at: Date.parse(`${v.date}T${v.time}Z`), v, headerBlocks: blocks });
  });
  return { lines, errors, headerBlocks: blocks };
}

function query(q: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const kv of q.split('&')) {
    const i = kv.indexOf('=');
    if (i > 0) o[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return o;
}

const isEas = (stem: string) => stem.toLowerCase().startsWith('/microsoft-server-activesync');

/** the truth, recounted from the front-end files with nothing but the definitions in truth.ts */
async function recount(dir: string): Promise<Pick<IisTruth, 'devices' | 'totals' | 'hourly'>> {
  const devices = new Map<string, IisTruth['devices'][number]>();
  const hourly: Record<string, number> = {};
  let eas = 0;
  let other = 0;
  const sends = new Set(['SendMail', 'SmartReply', 'SmartForward']);
  for (const f of await logFiles(dir, 'W3SVC1')) {
    for (const { v } of (await readW3c(f)).lines) {
      if (!isEas(v['cs-uri-stem']!)) {
        other++;
        continue;
      }
      assert.ok(!v['cs-uri-stem']!.includes('/Proxy/'), 'no back-end line in a front-end file');
      eas++;
      const q = query(v['cs-uri-query']!);
      const user = decodeURIComponent(v['cs-username'] === '-' ? q.User! : v['cs-username']!).toLowerCase();
      const key = `${user}|${q.DeviceId}`;
      let d = devices.get(key);
      if (!d) {
        d = {
          user,
          deviceId: q.DeviceId!,
          deviceType: q.DeviceType!,
          hits: 0,
          commands: {},
          emailsSent: 0,
          httpStatus: {},
          bytesSent: 0,
          bytesReceived: 0,
          runaway: false,
        };
        devices.set(key, d);
      }
      d.hits++;
      d.commands[q.Cmd!] = (d.commands[q.Cmd!] ?? 0) + 1;
      d.httpStatus[v['sc-status']!] = (d.httpStatus[v['sc-status']!] ?? 0) + 1;
      if (sends.has(q.Cmd!) && v['sc-status'] === '200') d.emailsSent++;
      d.bytesSent += Number(v['cs-bytes'] ?? 0);
      d.bytesReceived += Number(v['sc-bytes'] ?? 0);
      const h = `${v.date}T${v.time!.slice(0, 2)}`;
      hourly[h] = (hourly[h] ?? 0) + 1;
    }
  }
  return {
    devices: [...devices.values()].sort((a, b) => (a.user !== b.user ? (a.user < b.user ? -1 : 1) : a.deviceId < b.deviceId ? -1 : 1)),
    totals: { easRequests: eas, nonEasRequests: other, backendDuplicates: 0 },
    hourly: Object.fromEntries(Object.entries(hourly).sort()),
  };
}

function comparable(t: IisTruth) {
  return {
    devices: t.devices.map((d) => ({ ...d, runaway: false, commands: sorted(d.commands), httpStatus: sorted(d.httpStatus) })),
    totals: { ...t.totals, backendDuplicates: 0 },
    hourly: Object.fromEntries(Object.entries(t.hourly).sort()),
  };
}
const sorted = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort());

for (const version of ['2013', '2010', '2003'] as const) {
  test(`${version}: every data line has exactly the fields of the #Fields header before it`, async () => {
    const { dir } = await small(version);
    let n = 0;
    for (const f of [...(await logFiles(dir, 'W3SVC1')), ...(await logFiles(dir, 'W3SVC2'))]) {
      const r = await readW3c(f);
      assert.deepEqual(r.errors.slice(0, 5), [], relative(dir, f));
      n += r.lines.length;
      assert.match(
        await readFile(f, 'latin1'),
        /^#Software: Microsoft Internet Information Services [\d.]+\r\n#Version: 1\.0\r\n#Date: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\r\n#Fields: date time /,
      );
    }
    assert.ok(n > 1000, `only ${n} lines`);
  });

  test(`${version}: the truth equals a count of the written front-end files`, async () => {
    const { dir, truth } = await small(version);
    const counted = await recount(dir);
    assert.deepEqual(counted, comparable(truth));
    assert.equal(truth.version, version);
    assert.equal(truth.days, 2);
    assert.equal(truth.from, '2024-03-04');
    assert.equal(truth.to, '2024-03-05');
    // the run exercises what the reports must get right
    const status = new Set(truth.devices.flatMap((d) => Object.keys(d.httpStatus)));
    const expected = { 2013: ['200', '401', '451', '503', '507'], 2010: ['200', '401', '449', '451', '503', '507'], 2003: ['200', '401', '449', '503'] }[
      version
    ];
    for (const s of expected) assert.ok(status.has(s), `no HTTP ${s}`);
    assert.ok(truth.devices.some((d) => d.emailsSent > 0));
    assert.ok(truth.totals.nonEasRequests > 0);
    const withBytes = version === '2013';
    assert.equal(
      truth.devices.every((d) => d.bytesSent > 0 && d.bytesReceived > 0),
      withBytes,
    );
    // users with more than one device are told apart from their devices
    const perUser = new Map<string, number>();
    for (const d of truth.devices) perUser.set(d.user, (perUser.get(d.user) ?? 0) + 1);
    assert.ok([...perUser.values()].some((n) => n > 1));
  });

  test(`${version}: runaway devices pass ${RUNAWAY_HITS_PER_HOUR} hits in an hour, no other device does`, async () => {
    const { dir, truth } = await small(version);
    const perHour = new Map<string, Map<string, number>>();
    for (const f of await logFiles(dir, 'W3SVC1')) {
      for (const { v } of (await readW3c(f)).lines) {
        if (!isEas(v['cs-uri-stem']!)) continue;
        const id = query(v['cs-uri-query']!).DeviceId!;
        const m = perHour.get(id) ?? new Map<string, number>();
        perHour.set(id, m);
        const h = v.date! + v.time!.slice(0, 2);
        m.set(h, (m.get(h) ?? 0) + 1);
      }
    }
    const peak = (id: string) => Math.max(...perHour.get(id)!.values());
    const runaways = truth.devices.filter((d) => d.runaway);
    assert.ok(runaways.length >= 1);
    for (const d of truth.devices) {
      if (d.runaway) assert.ok(peak(d.deviceId) > RUNAWAY_HITS_PER_HOUR, `${d.deviceId} peaks at ${peak(d.deviceId)}`);
      else assert.ok(peak(d.deviceId) < RUNAWAY_HITS_PER_HOUR / 2, `${d.deviceId} (not runaway) peaks at ${peak(d.deviceId)}`);
    }
  });
}

test('2013: every proxied front-end EAS request has exactly one back-end twin within a second', async () => {
  const { dir, truth } = await small('2013');
  const key = (v: Record<string, string>) => {
    const q = query(v['cs-uri-query']!);
    return `${q.Cmd}|${q.User}|${q.DeviceId}`;
  };
  const fe = new Map<string, number[]>();
  const be = new Map<string, number[]>();
  let anonymous = 0;
  let backEnd = 0;
  for (const f of await logFiles(dir, 'W3SVC1')) {
    for (const { v, at } of (await readW3c(f)).lines) {
      if (!isEas(v['cs-uri-stem']!)) continue;
      assert.equal(v['cs-uri-stem'], '/Microsoft-Server-ActiveSync/default.eas');
      assert.equal(v['s-port'], '443');
      assert.match(v['cs-uri-query']!, /&CorrelationID=<empty>;&cafeReqId=[0-9a-f-]{36};$/);
      // the anonymous leg of an authentication is refused by the front end and never proxied
      if (v['cs-username'] === '-') {
        anonymous++;
        continue;
      }
      fe.set(key(v), [...(fe.get(key(v)) ?? []), at]);
    }
  }
  for (const f of await logFiles(dir, 'W3SVC2')) {
    for (const { v, at } of (await readW3c(f)).lines) {
      if (!isEas(v['cs-uri-stem']!)) continue;
      backEnd++;
      assert.equal(v['cs-uri-stem'], '/Microsoft-Server-ActiveSync/Proxy/default.eas');
      assert.equal(v['s-port'], '444');
      assert.match(query(v['cs-uri-query']!).Log!, /^PrxFrom:[^_]+_/);
      be.set(key(v), [...(be.get(key(v)) ?? []), at]);
    }
  }
  assert.ok(anonymous > 0, 'the run has 401 challenges');
  assert.equal(backEnd, truth.totals.backendDuplicates);
  assert.equal(truth.totals.easRequests, backEnd + anonymous);
  assert.deepEqual([...be.keys()].sort(), [...fe.keys()].sort());
  for (const [k, times] of fe) {
    const twins = be.get(k)!;
    assert.equal(twins.length, times.length, k);
    const a = [...times].sort((x, y) => x - y);
    const b = [...twins].sort((x, y) => x - y);
    for (const [i, t] of a.entries())
      assert.ok(Math.abs(t - b[i]!) <= 1000, `${k}: front end ${new Date(t).toISOString()}, back end ${new Date(b[i]!).toISOString()}`);
  }
});

test('2013: IIS restarts leave a second header block in the middle of a file', async () => {
  const { dir } = await small('2013');
  const blocks = await Promise.all((await logFiles(dir, 'W3SVC1')).map(async (f) => (await readW3c(f)).headerBlocks));
  assert.ok(
    blocks.some((n) => n >= 2),
    `header blocks per file: ${blocks}`,
  );
});

test('the same seed writes the same bytes; another seed does not', async () => {
  const o = { version: '2013' as const, users: 8, days: 1, start: '2024-06-01' };
  const a = await generated({ ...o, seed: 42 });
  const b = await generateIis({ ...o, seed: 42, out: join(root, 'again') });
  const c = await generated({ ...o, seed: 43 });
  const fa = await files(a.dir);
  const fb = await files(join(root, 'again'));
  assert.deepEqual(
    fa.map((f) => relative(a.dir, f)),
    fb.map((f) => relative(join(root, 'again'), f)),
  );
  assert.ok(fa.length >= 3);
  for (let i = 0; i < fa.length; i++) assert.ok((await readFile(fa[i]!)).equals(await readFile(fb[i]!)), relative(a.dir, fa[i]!));
  assert.deepEqual(b, a.truth);
  assert.notDeepEqual(c.truth.devices, a.truth.devices);
  assert.equal(a.truth.from, '2024-06-01');
});

test('front-end files are in time order and named after their UTC day', async () => {
  const { dir } = await small('2010');
  for (const f of await logFiles(dir, 'W3SVC1')) {
    const { lines } = await readW3c(f);
    const day = f.match(/u_ex(\d\d)(\d\d)(\d\d)\.log$/)!;
    for (let i = 0; i < lines.length; i++) {
      assert.equal(lines[i]!.v.date, `20${day[1]}-${day[2]}-${day[3]}`);
      if (i) assert.ok(lines[i]!.at >= lines[i - 1]!.at, `${f}:${lines[i]!.line} goes back in time`);
    }
  }
});

test('targetBytes adds days until about that many bytes are written', async () => {
  const { dir, truth } = await generated({ version: '2010', users: 3, days: 1, seed: 3, targetBytes: 3_000_000 });
  let size = 0;
  for (const f of await logFiles(dir, 'W3SVC1')) size += (await readFile(f)).length;
  assert.ok(size >= 3_000_000, `${size} bytes`);
  assert.ok(truth.days > 1);
  assert.equal(Object.keys(truth.hourly)[0]!.slice(0, 10), truth.from);
});

test('bad options are refused with a message that names the option', async () => {
  const out = join(root, 'bad');
  await assert.rejects(generateIis({ version: '2007' as IisVersion, users: 1, days: 1, out }), /version must be one of 2003, 2010, 2013, got "2007"/);
  await assert.rejects(generateIis({ version: '2013', users: 0, days: 1, out }), /users must be a whole number/);
  await assert.rejects(generateIis({ version: '2013', users: 1, days: 1.5, out }), /days must be a whole number/);
  await assert.rejects(generateIis({ version: '2013', users: 1, days: 1, out, start: '2024-02-30' }), /start must be a date as YYYY-MM-DD/);
});
