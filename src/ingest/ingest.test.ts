// The ingest guarantees, on real generated Exchange logs: re-running adds nothing, a copy under
// another name adds nothing, a log that grew continues where the last run stopped (also from the
// middle of a line being written), an ingest killed between batches resumes without losing or
// doubling a row, bad lines are counted with file and line while the rest is read, and paths that
// cannot be read are clear errors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, copyFileSync, mkdirSync, appendFileSync, chmodSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedTrackingSet } from '../testing/shared-sets.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import type { Store } from '../store/types.js';
import type { UserTotals } from '../capabilities/tracking/types.js';
import { ingest } from './ingest.js';
import { mxray, type CliResult } from '../testing/cli.js';
import { mxrayInProcess } from '../testing/run-cli.js';
import { repoPath } from '../testing/paths.js';
import * as tracking from '../capabilities/tracking/queries.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-ingest-'));
/** the generated logs: the same set as store/clickhouse/store.test.ts's, made once per run (testing/shared-sets.ts) */
let logs = join(dir, 'logs');
let biggest = '';
let content = Buffer.alloc(0);

function allFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(join(d, e.name)) : /\.log$/i.test(e.name) ? [join(d, e.name)] : [],
  );
}

before(async () => {
  logs = await sharedTrackingSet({ users: 30, days: 3, servers: 2, version: '2013', seed: 5 }, logs);
  const files = allFiles(logs)
    .map((p) => ({ p, n: readFileSync(p).length }))
    .sort((a, b) => b.n - a.n);
  biggest = files[0]!.p;
  content = readFileSync(biggest);
});

let dbNo = 0;
async function withDb<T>(fn: (s: DuckdbStore, path: string) => Promise<T>): Promise<T> {
  const path = join(dir, `db${++dbNo}.duckdb`);
  const s = await DuckdbStore.open(path);
  try {
    return await fn(s, path);
  } finally {
    await s.close();
  }
}

async function totals(s: Store): Promise<{ events: number; users: UserTotals[] }> {
  return { events: await tracking.eventCount(s, {}), users: await tracking.userTotals(s, {}, 'once') };
}

async function fresh(path: string): Promise<{ events: number; users: UserTotals[] }> {
  return withDb(async (s) => {
    await ingest([path], { store: s });
    return totals(s);
  });
}

test('re-ingesting the same files adds nothing; a copy under another name adds nothing', async () => {
  await withDb(async (s) => {
    const first = await ingest([logs], { store: s });
    assert.ok(first.events > 1000);
    assert.equal(first.rejects, 0);
    const before = await totals(s);
    const again = await ingest([logs], { store: s });
    assert.equal(again.events, 0);
    assert.equal(again.skippedFiles, first.files + first.skippedFiles);
    const copy = join(dir, 'copy-of-biggest.log');
    copyFileSync(biggest, copy);
    const c = await ingest([copy], { store: s });
    assert.equal(c.events, 0);
    assert.match(c.details[0]!.why ?? '', /same content as/);
    assert.deepEqual(await totals(s), before);
  });
});

test('a log that grew is continued from where the last run stopped', async () => {
  const expected = await fresh(biggest);
  const growing = join(dir, 'growing', 'MSGTRK2024030401-1.LOG');
  mkdirSync(join(dir, 'growing'), { recursive: true });
  // cut at line boundaries: one third, then two thirds, then everything
  const cut = (frac: number) => content.indexOf(10, Math.floor(content.length * frac)) + 1;
  await withDb(async (s) => {
    writeFileSync(growing, content.subarray(0, cut(0.33)));
    await ingest([growing], { store: s });
    appendFileSync(growing, content.subarray(cut(0.33), cut(0.66)));
    const r2 = await ingest([growing], { store: s });
    assert.equal(r2.details[0]!.action, 'resumed');
    appendFileSync(growing, content.subarray(cut(0.66)));
    await ingest([growing], { store: s });
    assert.deepEqual(await totals(s), expected);
  });
});

test('a log caught in the middle of writing a line: the partial line is read again when complete', async () => {
  const expected = await fresh(biggest);
  const p = join(dir, 'partial.log');
  const mid = content.indexOf(10, Math.floor(content.length / 2)) + 40; // 40 bytes into a line
  await withDb(async (s) => {
    writeFileSync(p, content.subarray(0, mid));
    await ingest([p], { store: s });
    appendFileSync(p, content.subarray(mid));
    const r = await ingest([p], { store: s });
    assert.equal(r.details[0]!.action, 'resumed');
    assert.deepEqual(await totals(s), expected);
  });
});

/** the store, failing on the nth batch: through appendBatch (no lanes), or through its lanes,
 *  whose transactions then hold `txnBytes` of batches */
function failingOn(s: DuckdbStore, n: number, lanes: boolean): Store {
  let calls = 0;
  const failing = Object.create(s) as Store;
  const fail = () => {
    if (++calls === n) throw new Error('simulated crash');
  };
  failing.appendBatch = async (b) => {
    fail();
    return s.appendBatch(b);
  };
  if (!lanes) failing.openLane = undefined;
  else {
    failing.openLane = async () => {
      const lane = await s.openLane();
      return {
        ...lane,
        append: async (b) => {
          fail();
          return lane.append(b);
        },
      };
    };
  }
  return failing;
}

for (const lanes of [false, true]) {
  test(`an ingest that fails between batches resumes without losing or doubling rows (${lanes ? 'two lanes, 3 batches per transaction' : 'a transaction per batch'})`, async () => {
    const expected = await fresh(logs);
    await withDb(async (s) => {
      const opts = { batchBytes: 64 * 1024, txnBytes: 3 * 64 * 1024, wholeFiles: false };
      await assert.rejects(ingest([logs], { store: failingOn(s, 8, lanes), ...opts }), /simulated crash/);
      const partial = await tracking.eventCount(s, {});
      assert.ok(partial > 0 && partial < expected.events, `some rows were committed before the crash (${partial})`);
      const again = await ingest([logs], { store: s, ...opts });
      assert.ok(
        again.details.some((d) => d.action === 'resumed' && /continuing an interrupted ingest at line [1-9]\d+/.test(d.why ?? '')),
        'a file was continued from the middle',
      );
      assert.deepEqual(await totals(s), expected);
    });
  });
}

// A lane's transaction spans files: it must still update the records of files recorded after it
// began (a DuckDB transaction sees only what existed when it began), at a crash as at the end.
for (const txn of ['196608', '268435456']) {
  test(`an ingest killed with SIGKILL resumes without losing or doubling rows (lane transactions of ${txn} bytes)`, async () => {
    const expected = await fresh(logs);
    const db = join(dir, `killed-${txn}.duckdb`);
    let batches = 0;
    const killed = await mxray(['ingest', logs, '--db', db], {
      env: { MXRAY_BATCH_BYTES: '65536', MXRAY_TXN_BYTES: txn, MXRAY_TRACE_BATCHES: '1', MXRAY_WHOLE_FILES: '0' },
      onStderr: (chunk, kill) => {
        batches += chunk.split('batch committed').length - 1;
        if (batches >= 3) kill();
      },
    });
    assert.notEqual(killed.code, 0, 'the first run was killed');
    // the kill needs a process of its own; the resume does not
    const resumed = await mxrayInProcess(['ingest', logs, '--db', db, '--json'], { env: { MXRAY_WHOLE_FILES: '0' } });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(JSON.parse(resumed.stdout).resumed.length >= 1, 'the interrupted files were continued');
    const s = await DuckdbStore.open(db);
    try {
      assert.deepEqual(await totals(s), expected);
    } finally {
      await s.close();
    }
  });
}

test('a copy and a grown version of a file in the same run: the copy adds nothing, the grown one only its new lines', async () => {
  const expected = await fresh(biggest);
  const same = join(dir, 'same-run');
  mkdirSync(same, { recursive: true });
  const half = content.indexOf(10, Math.floor(content.length / 2)) + 1;
  writeFileSync(join(same, 'a-half.log'), content.subarray(0, half));
  writeFileSync(join(same, 'b-copy-of-half.log'), content.subarray(0, half));
  writeFileSync(join(same, 'c-whole.log'), content);
  for (const wholeFiles of [true, false]) {
    await withDb(async (s) => {
      const r = await ingest([same], { store: s, wholeFiles });
      assert.deepEqual(
        r.details.map((d) => d.action),
        ['ingested', 'skipped', 'resumed'],
      );
      assert.match(r.details[1]!.why ?? '', /already ingested, unchanged \(same content as .*a-half\.log\)/);
      assert.match(r.details[2]!.why ?? '', /^grew from \d+ to \d+ bytes/);
      assert.deepEqual(await totals(s), expected);
    });
  }
});

test('bad lines are counted with file and line, a line in the wrong encoding is read, the rest of the file is read', async () => {
  const lines = content
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split('\r\n');
  const firstData = lines.findIndex((l) => !l.startsWith('#'));
  const bad = [...lines];
  bad.splice(firstData + 3, 0, '2024-03-04T10:00:00.000Z,truncated');
  bad.splice(firstData + 6, 0, '\u0000\u0001\u0002garbage');
  bad.splice(firstData + 9, 0, 'x'.repeat(1_100_000));
  // a good line written in Windows-1252 instead of UTF-8 (wrong encoding): read, not lost
  const good = new Array<string>(30).fill(''); // the 30-field 2013+ layout of the generated file
  Object.assign(good, {
    0: '2024-03-04T10:00:00.000Z',
    4: 'EX01',
    7: 'STOREDRIVER',
    8: 'DELIVER',
    10: '<latin1-line@contoso.com>',
    12: 'someone@contoso.com',
    14: '100',
    15: '1',
    18: 'R\u00e9union \u00e0 Z\u00fcrich',
    19: 'x@contoso.com',
  });
  const p = join(dir, 'bad.log');
  writeFileSync(p, Buffer.concat([Buffer.from(bad.join('\r\n') + '\r\n'), Buffer.from(good.join(',') + '\r\n', 'latin1')]));
  const expectedEvents = (await fresh(biggest)).events + 1;
  await withDb(async (s) => {
    const r = await ingest([p], { store: s });
    assert.match(r.details[0]!.notes.join('\n'), /1 line\(s\) were not valid UTF-8 and were read as Windows-1252/);
    const [row] = await s.rows<{ subject: string }>(`SELECT subject FROM tracking_events WHERE message_id = '<latin1-line@contoso.com>'`);
    assert.equal(row!.subject, 'R\u00e9union \u00e0 Z\u00fcrich');
    assert.equal(r.rejects, 3);
    assert.deepEqual(r.rejectsByReason, { 'field-count': 1, binary: 1, 'too-long': 1 });
    assert.deepEqual(
      r.examples.map((e) => [e.file, e.line, e.reason]),
      [
        [p, firstData + 4, 'field-count'],
        [p, firstData + 7, 'binary'],
        [p, firstData + 10, 'too-long'],
      ],
    );
    assert.equal(r.events, expectedEvents);
  });
});

test('unreadable paths and empty files are reported, the other files are ingested', async () => {
  const empty = join(dir, 'empty.log');
  writeFileSync(empty, '');
  const r = await mxrayInProcess(['ingest', join(dir, 'does-not-exist'), empty, biggest, '--db', join(dir, 'paths.duckdb'), '--json']);
  assert.equal(r.code, 1);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(s.errors, [{ path: join(dir, 'does-not-exist'), message: 'no such file or folder' }]);
  assert.deepEqual(s.skipped, [{ file: empty, why: 'empty file' }]);
  assert.equal(s.files, 1);
  assert.ok(s.events > 0);
});

/** where setpriv is, if this system has it */
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** the CLI as the unprivileged user nobody (root reads through chmod 000), with a deadline */
function mxrayAsNobody(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(setpriv!, ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, repoPath('bin', 'mxray.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: tmpdir(),
    });
    let stdout = '',
      stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('mxray as nobody timed out'));
    }, 60_000);
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

test('an unreadable file and an unreadable folder, read by a user without privileges: each an error naming it, the rest ingested', async (t) => {
  if (process.platform === 'win32') {
    t.skip('file modes: POSIX only');
    return;
  }
  const root = process.getuid?.() === 0;
  if (root && !setpriv) {
    t.skip('running as root, which reads through chmod 000, and setpriv (util-linux) is missing to drop to nobody');
    return;
  }
  // a tree nobody may enter, with one file and one folder it may not read, and a database folder it may write
  const base = mkdtempSync(join(tmpdir(), 'mxray-unreadable-'));
  chmodSync(base, 0o755);
  const input = join(base, 'in');
  mkdirSync(join(input, 'locked'), { recursive: true });
  const good = join(input, 'good.log');
  const secret = join(input, 'secret.log');
  writeFileSync(good, content);
  writeFileSync(secret, content.subarray(0, content.indexOf(10, 3000) + 1));
  writeFileSync(join(input, 'locked', 'inner.log'), content);
  chmodSync(secret, 0o000);
  chmodSync(join(input, 'locked'), 0o000);
  mkdirSync(join(base, 'db'));
  chmodSync(join(base, 'db'), 0o777);
  const args = ['ingest', input, '--db', join(base, 'db', 'u.duckdb'), '--json'];
  const r = root ? await mxrayAsNobody(args) : await mxray(args);
  assert.equal(r.code, 1, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(
    [...s.errors].sort((a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1)),
    [
      { path: join(input, 'locked'), message: 'permission denied' },
      { path: secret, message: 'permission denied' },
    ],
  );
  assert.equal(s.files, 1, 'good.log is ingested');
  assert.ok(s.events > 0);
});

test('a file smaller than the fingerprint (4 KB) that grew is continued, in a later run and in the same run', async () => {
  // the header block and a few lines: under 4096 bytes, so its identity is the hash of all of it
  let small = content.indexOf(10, 3000) + 1;
  while (content.indexOf(10, small) + 1 <= 4096) small = content.indexOf(10, small) + 1;
  assert.ok(small < 4096);
  const expected = await fresh(biggest);
  const d = join(dir, 'short-fp');
  mkdirSync(d, { recursive: true });
  const grown = join(d, 'b-grown.log');
  await withDb(async (s) => {
    writeFileSync(grown, content.subarray(0, small));
    await ingest([grown], { store: s });
    writeFileSync(grown, content);
    const r = await ingest([grown], { store: s });
    assert.equal(r.details[0]!.action, 'resumed');
    assert.deepEqual(await totals(s), expected);
  });
  writeFileSync(join(d, 'a-small.log'), content.subarray(0, small));
  await withDb(async (s) => {
    const r = await ingest([d], { store: s });
    assert.deepEqual(
      r.details.map((x) => x.action),
      ['ingested', 'resumed'],
    );
    assert.deepEqual(await totals(s), expected);
  });
});

test('a folder of small files costs a few store lookups per file, not one per stored short size; a grown one among them is still found', async () => {
  // 40 small logs of 40 different sizes: the same first lines, then a comment line of its own length
  const cut = content.indexOf(10, 2000) + 1;
  assert.ok(cut > 0 && cut < 3000);
  const d = join(dir, 'many-small');
  mkdirSync(d, { recursive: true });
  const cuts = Array.from({ length: 40 }, (_, i) => i);
  const small = (i: number) => Buffer.concat([content.subarray(0, cut), Buffer.from(`#${'x'.repeat(i + 1)}\r\n`)]);
  for (const i of cuts) writeFileSync(join(d, `s${String(i).padStart(2, '0')}.log`), small(i));
  await withDb(async (s) => {
    let lookups = 0;
    const counted = new Proxy(s, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (key !== 'filesByFingerprint') return typeof v === 'function' ? v.bind(target) : v;
        return (...args: [number, string]) => {
          lookups++;
          return target.filesByFingerprint(...args);
        };
      },
    });
    await ingest([d], { store: counted });
    assert.ok(lookups <= 2 * cuts.length, `${lookups} lookups for ${cuts.length} new files`);
    // s05.log grows to its whole log: found by its short fingerprint among 40 others, resumed
    writeFileSync(join(d, 's05.log'), Buffer.concat([small(5), content.subarray(cut)]));
    lookups = 0;
    const r = await ingest([d], { store: counted });
    assert.deepEqual(
      r.details.filter((x) => x.action !== 'skipped').map((x) => [x.path.slice(-7), x.action]),
      [['s05.log', 'resumed']],
    );
    assert.ok(lookups <= 2 * cuts.length + 2, `${lookups} lookups for ${cuts.length} known files`);
  });
});

test('a byte size in the environment that is not a positive number is an error naming it', async () => {
  for (const [name, value] of [
    ['MXRAY_TXN_BYTES', 'abc'],
    ['MXRAY_BATCH_BYTES', '-5'],
    ['MXRAY_BULK_ROUND_BYTES', '1.5'],
  ] as const) {
    const before = process.env[name];
    process.env[name] = value;
    try {
      await withDb(async (s) => {
        await assert.rejects(ingest([biggest], { store: s }), { message: `${name}: expected a positive number of bytes, got "${value}"` });
      });
    } finally {
      if (before === undefined) delete process.env[name];
      else process.env[name] = before;
    }
  }
});
