// Hostile inputs, one row each with its asserted outcome, through the real command line in this
// process (testing/run-cli.ts) on DuckDB; where a race cannot be made to happen on cue, the change
// is made by a hook at a known point of the read (ingest()'s onProgress) or between two runs. The
// expected counts come from how the inputs are made (lines written, gzip's own decompression of a
// prefix), never from mxray's output. Two ingests at once on ClickHouse are at the end.
//
// | input                                   | outcome                                                            |
// | truncated .gz among good files          | per-file error naming it, its complete lines and the others stored, exit 1; the next run skips it (exit 0); completed, it is continued: no line twice |
// | truncated .gz shorter than 4 KiB        | the same (found again by its short fingerprint)                    |
// | concatenated .gz members                | every member read                                                  |
// | garbage after the members               | the members stored, the garbage an error naming the file, exit 1   |
// | a member failing its checksum / corrupt  | what came before stored, an error naming the file, exit 1         |
// | a FIFO and a device in a folder          | a note each, never opened (an open FIFO would hang the test)       |
// | a 0-byte file                           | skipped as "empty file", exit 0                                    |
// | deleted between listing and reading     | error "no such file or folder" naming it, the rest stored, exit 1  |
// | shrinks while read                      | what was there stored, a note; next run: unchanged, then grown     |
// | replaced (renamed over) while read      | the opened file stored, a note; the next run reads the new one     |
// | 4 GiB sparse file of NULs               | skipped by sniffing; with --as, one too-long reject, bounded memory |
// | names with a newline, not UTF-8         | ingested, the names escaped in the text output                     |
// | two ingests on one DuckDB file          | the second exits 1 naming the lock and the process holding it     |
// | two ingests on one ClickHouse database  | the second waits for the first; both finish, nothing counted twice |
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gzipSync, gunzipSync } from 'node:zlib';
import { mxrayInProcess } from '../testing/run-cli.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../testing/clickhouse.js';
import { ingest } from './ingest.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import type { Store } from '../store/types.js';
import { sql } from '../sql/sql.js';
import { live, table } from '../sql/dialect.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => {
  const d = join(dir, `${++n}-${name}`);
  mkdirSync(join(d, 'in'), { recursive: true });
  return { in: join(d, 'in'), db: join(d, 'db.duckdb') };
};

const HEADER_LINES = 4;
/** an IIS log of `lines` requests (one per second from `start` s after midnight), each a stored event */
function iisLog(lines: number, start = 0, agent = 'Apple-iPhone14C2/2102.55'): Buffer {
  let s =
    '#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2024-03-09 00:00:00\r\n' +
    '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n';
  for (let i = 0; i < lines; i++) {
    const t = start + i;
    const hh = String(Math.floor(t / 3600) % 24).padStart(2, '0');
    const mm = String(Math.floor(t / 60) % 60).padStart(2, '0');
    const ss = String(t % 60).padStart(2, '0');
    s += `2024-03-09 ${hh}:${mm}:${ss} 10.0.0.21 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Sync&User=u${i % 97}&DeviceId=D${i % 89}&DeviceType=iPhone&Log=V160_Sk${i}_S1 443 CONTOSO\\u${i % 97} 203.0.113.${i % 250} ${agent} - 200 0 0 ${i % 1000}\r\n`;
  }
  return Buffer.from(s);
}

interface Summary {
  files: number;
  events: number;
  lines: number;
  rejects: number;
  rejectsByReason: Record<string, number>;
  examples: { file: string; line: number; reason: string }[];
  errors: { path: string; message: string }[];
  notes: { file: string; message: string }[];
  skipped: { file: string; why: string }[];
  resumed: { file: string; why: string }[];
}

async function ingestJson(
  db: string,
  paths: string[],
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<{ code: number; s: Summary; stderr: string }> {
  const r = await mxrayInProcess(['ingest', '--db', db, '--json', ...extra, ...paths], { env });
  return { code: r.code, s: r.stdout ? (JSON.parse(r.stdout) as Summary) : (undefined as unknown as Summary), stderr: r.stderr };
}

/** events stored, counted by the store */
async function stored(db: string): Promise<number> {
  const store = await DuckdbStore.open(db);
  try {
    const [r] = await store.query<{ n: number }>('count', sql`SELECT count(*) AS n FROM ${table('iis')}`);
    return Number(r!.n);
  } finally {
    await store.close();
  }
}

/** complete lines gzip itself gets out of a cut .gz (zlib told to give what it has instead of failing) */
function completeLines(cutGz: Buffer): number {
  const text = gunzipSync(cutGz, { finishFlush: constants.Z_SYNC_FLUSH });
  let lines = 0;
  for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) lines++;
  return lines;
}

for (const [what, cutAt] of [
  ['a truncated .gz among good files', 0.5],
  ['a truncated .gz shorter than 4 KiB', 3000],
] as const) {
  test(`${what}: its complete lines and the other files stored, an error naming it, exit 1; re-run skips it; completed, it is continued`, async () => {
    const p = fresh('cut');
    const good = iisLog(300, 0);
    const whole = gzipSync(iisLog(8000, 1000));
    const cut = whole.subarray(0, cutAt < 1 ? Math.floor(whole.length * cutAt) : cutAt);
    writeFileSync(join(p.in, 'a-good.log'), good);
    writeFileSync(join(p.in, 'b-cut.log.gz'), cut);
    writeFileSync(join(p.in, 'c-good.log'), iisLog(200, 500));
    const readable = completeLines(cut) - HEADER_LINES;
    assert.ok(readable > 10);
    assert.ok(cutAt < 1 ? cut.length > 4096 : cut.length < 4096, 'cut after / before the 4 KiB fingerprint');

    const first = await ingestJson(p.db, [p.in]);
    assert.equal(first.code, 1, first.stderr);
    assert.equal(first.s.errors.length, 1);
    assert.equal(first.s.errors[0]!.path, join(p.in, 'b-cut.log.gz'));
    assert.match(first.s.errors[0]!.message, /^gzip data ends early after \d+ bytes of text: the file was cut, e\.g\. copied while being compressed$/);
    assert.ok(first.s.notes.some((x) => x.file === join(p.in, 'b-cut.log.gz') && /^read to line \d+, the last complete line/.test(x.message)));
    assert.equal(first.s.events, 300 + 200 + readable);
    assert.equal(await stored(p.db), 300 + 200 + readable);

    const again = await ingestJson(p.db, [p.in]);
    assert.equal(again.code, 0, 'the same bytes do not fail again');
    assert.equal(again.s.events, 0);
    assert.deepEqual(
      again.s.skipped.map((x) => x.file),
      ['a-good.log', 'b-cut.log.gz', 'c-good.log'].map((f) => join(p.in, f)),
    );

    writeFileSync(join(p.in, 'b-cut.log.gz'), whole);
    const completed = await ingestJson(p.db, [p.in]);
    assert.equal(completed.code, 0, completed.stderr);
    assert.equal(completed.s.resumed.length, 1);
    assert.equal(completed.s.events, 8000 - readable);
    assert.equal(await stored(p.db), 300 + 200 + 8000, 'no line counted twice');
  });
}

test('concatenated .gz members are all read; bytes after them, or a member that fails its checksum, keep what came before', async () => {
  const a = gzipSync(iisLog(1000, 0)),
    b = gzipSync(iisLog(700, 2000));
  const badCrc = Buffer.from(b);
  badCrc[badCrc.length - 8]! ^= 0xff; // the member's CRC-32
  const corrupt = Buffer.from(b);
  for (let i = 40; i < corrupt.length - 40; i += 7) corrupt[i] = 0xff - corrupt[i]!; // deflate data
  const cases = [
    { name: 'members.log.gz', bytes: Buffer.concat([a, b]), code: 0, events: 1700, error: undefined },
    {
      name: 'garbage.log.gz',
      bytes: Buffer.concat([a, b, Buffer.from('this is not gzip\n')]),
      code: 1,
      events: 1700,
      error: /^bytes that are not gzip data follow the gzip data, at byte \d+ of the file \(after \d+ bytes of text\): the 2 member\(s\) before them were read/,
    },
    { name: 'zeros.log.gz', bytes: Buffer.concat([a, Buffer.alloc(512)]), code: 0, events: 1000, error: undefined },
    {
      name: 'crc.log.gz',
      bytes: Buffer.concat([a, badCrc, a]),
      code: 1,
      events: 1700,
      error: /^gzip data is damaged after \d+ bytes of text \(member 2 fails its checksum\)/,
    },
    { name: 'corrupt.log.gz', bytes: Buffer.concat([a, corrupt, b]), code: 1, events: -1, error: /^gzip data is damaged after \d+ bytes of text \(/ },
  ];
  for (const c of cases) {
    const p = fresh('members');
    writeFileSync(join(p.in, c.name), c.bytes);
    const r = await ingestJson(p.db, [p.in]);
    assert.equal(r.code, c.code, `${c.name}: ${r.stderr}`);
    if (c.error) {
      assert.equal(r.s.errors.length, 1, c.name);
      assert.equal(r.s.errors[0]!.path, join(p.in, c.name));
      assert.match(r.s.errors[0]!.message, c.error);
    } else assert.deepEqual(r.s.errors, [], c.name);
    // a corrupt member: the first member whole, at most the lines of the corrupt one before its damage
    if (c.events < 0) assert.ok(r.s.events >= 1000 && r.s.events < 1700 + 1000, `${c.name}: ${r.s.events}`);
    else assert.equal(r.s.events, c.events, c.name);
  }
});

test('a FIFO and a device in a folder: noted, never opened; named on the command line, an error', async (t) => {
  if (process.platform === 'win32') return t.skip('no FIFOs on Windows');
  const p = fresh('fifo');
  writeFileSync(join(p.in, 'good.log'), iisLog(50));
  execFileSync('mkfifo', [join(p.in, 'pipe.log')]);
  symlinkSync('/dev/null', join(p.in, 'null.log'));
  let device: string | undefined;
  if (process.getuid?.() === 0) {
    device = join(p.in, 'zero.log');
    execFileSync('mknod', [device, 'c', '1', '5']);
  }
  const r = await ingestJson(p.db, [p.in]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.s.events, 50);
  assert.deepEqual(
    r.s.notes.filter((x) => !x.file.endsWith('good.log')),
    [
      { file: join(p.in, 'null.log'), message: 'a character device: skipped, not read' },
      { file: join(p.in, 'pipe.log'), message: 'a named pipe (FIFO): skipped, not read' },
      ...(device ? [{ file: device, message: 'a character device: skipped, not read' }] : []),
    ],
  );
  const named = await ingestJson(p.db, [join(p.in, 'pipe.log')]);
  assert.equal(named.code, 1);
  assert.deepEqual(named.s.errors, [{ path: join(p.in, 'pipe.log'), message: 'a named pipe (FIFO), not a file or folder: not read' }]);
});

test('a 0-byte file is skipped as empty, without an error', async () => {
  const p = fresh('empty');
  writeFileSync(join(p.in, 'empty.log'), '');
  writeFileSync(join(p.in, 'good.log'), iisLog(20));
  const r = await ingestJson(p.db, [p.in]);
  assert.equal(r.code, 0);
  assert.deepEqual(r.s.skipped, [{ file: join(p.in, 'empty.log'), why: 'empty file' }]);
  assert.equal(r.s.events, 20);
});

/** ingest() with a hook called once, at the first progress report of the file named `during` */
async function withHook(db: string, paths: string[], during: string, hook: () => void) {
  const store = await DuckdbStore.open(db);
  let done = false;
  try {
    return await ingest(paths, {
      store,
      batchBytes: 64 * 1024, // 64 KiB chunks: the hook runs after the first one
      onProgress: (pr) => {
        if (!done && pr.file.endsWith(during)) {
          done = true;
          hook();
        }
      },
    });
  } finally {
    await store.close();
  }
}

test('a file deleted between listing and reading: an error naming it, the rest stored', async () => {
  const p = fresh('deleted');
  writeFileSync(join(p.in, 'a.log'), iisLog(2000));
  writeFileSync(join(p.in, 'b.log'), iisLog(100, 5000));
  const s = await withHook(p.db, [p.in], 'a.log', () => unlinkSync(join(p.in, 'b.log')));
  assert.deepEqual(s.errors, [{ path: join(p.in, 'b.log'), message: 'no such file or folder' }]);
  assert.equal(s.events, 2000);
  assert.equal(await stored(p.db), 2000);
});

/** byte length of the first `lines` lines of a log */
const upToLine = (b: Buffer, lines: number) => {
  let at = 0;
  for (let i = 0; i < lines; i++) at = b.indexOf(10, at) + 1;
  return at;
};

test('a file that shrinks while read: what was there stored, noted; the next run finds it unchanged, then continues it', async () => {
  const p = fresh('shrink');
  const file = join(p.in, 'shrink.log');
  const content = iisLog(3000);
  writeFileSync(file, content);
  const keep = upToLine(content, HEADER_LINES + 1000);
  assert.ok(keep > 128 * 1024, 'more than the first two chunks are kept');
  const s = await withHook(p.db, [p.in], 'shrink.log', () => truncateSync(file, keep));
  assert.deepEqual(s.errors, []);
  assert.equal(s.events, 1000);
  assert.match(s.details[0]!.notes.join('\n'), new RegExp(`shrank while being read \\(listed with ${content.length} bytes, ended at ${keep}\\)`));
  const again = await ingestJson(p.db, [p.in]);
  assert.equal(again.s.events, 0);
  assert.equal(again.s.skipped[0]!.why, 'already ingested, unchanged');
  appendFileSync(file, content.subarray(keep));
  const grown = await ingestJson(p.db, [p.in]);
  assert.equal(grown.s.events, 2000);
  assert.equal(await stored(p.db), 3000);
});

test('a file replaced (renamed over) while read: the opened one stored, noted; the next run reads the new one, nothing twice', async () => {
  const p = fresh('replaced');
  const file = join(p.in, 'replaced.log');
  writeFileSync(file, iisLog(3000));
  const next = join(p.in, '..', 'next.log');
  writeFileSync(next, iisLog(1200, 9000, 'Outlook-iOS/2.0'));
  const s = await withHook(p.db, [p.in], 'replaced.log', () => renameSync(next, file));
  assert.equal(s.events, 3000);
  assert.match(
    s.details[0]!.notes.join('\n'),
    /replaced \(renamed over\) while being read: the file that was there when reading began was read; the new one is read by the next run/,
  );
  const again = await ingestJson(p.db, [p.in]);
  assert.equal(again.code, 0);
  assert.equal(again.s.events, 1200);
  assert.equal(await stored(p.db), 4200);
  const third = await ingestJson(p.db, [p.in]);
  assert.equal(third.s.events, 0);
});

test('a 4 GiB sparse file of NULs: skipped by sniffing; read with --as, one over-long line rejected in bounded memory', async (t) => {
  const p = fresh('sparse');
  // on tmpfs when there is one: a disk file system fills the page cache with 4 GiB of zeroed pages
  // on the first read of the holes (~20 s of kernel time here), tmpfs maps its zero page
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/mxray-sparse-') : undefined;
  const folder = shm ?? p.in;
  t.after(() => {
    if (shm) rmSync(shm, { recursive: true, force: true });
  });
  const file = join(folder, 'zeros.log');
  const fd = openSync(file, 'w');
  ftruncateSync(fd, 4 * 2 ** 30);
  closeSync(fd);
  const sniffed = await ingestJson(p.db, [folder]);
  assert.equal(sniffed.code, 0);
  assert.deepEqual(sniffed.s.skipped, [{ file, why: 'no text lines in the first 256 KiB' }]);

  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const forced = await ingestJson(p.db, [file], ['--as', 'iis']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.s.rejects, 1);
    assert.deepEqual(forced.s.rejectsByReason, { 'too-long': 1 });
    assert.deepEqual(
      forced.s.examples.map(({ file, line, reason }) => ({ file, line, reason })),
      [{ file, line: 1, reason: 'too-long' }],
    );
  } finally {
    clearInterval(sample);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  assert.ok(peak - before < 256 * 2 ** 20, `RSS grew by ${Math.round((peak - before) / 2 ** 20)} MiB reading 4 GiB`);
});

test('names with a line break and with bytes that are not UTF-8: ingested, shown escaped', async (t) => {
  if (process.platform !== 'linux') return t.skip('names as bytes: Linux');
  const p = fresh('names');
  writeFileSync(join(p.in, 'line\nbreak.log'), iisLog(30));
  writeFileSync(Buffer.concat([Buffer.from(`${p.in}/u_ex`), Buffer.from([0xff, 0xfe]), Buffer.from('.log')]), iisLog(40, 100));
  const r = await ingestJson(p.db, [p.in]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.s.files, 2);
  assert.equal(r.s.events, 70);
  const text = await mxrayInProcess(['ingest', '--db', p.db, p.in]);
  assert.equal(text.code, 0);
  const skipped = text.stdout.split('\n').find((l) => l.startsWith('skipped 2 file(s)'));
  assert.equal(skipped, `skipped 2 file(s), already ingested, unchanged: ${p.in}/line\\nbreak.log, ${p.in}/u_ex\\xFF\\xFE.log`);
});

test('two ingests at once on one DuckDB file: the second exits 1 naming the lock and who holds it', async () => {
  const p = fresh('lock');
  writeFileSync(join(p.in, 'a.log'), iisLog(10));
  // the first ingest: another process holding the file open (DuckDB locks per process)
  const holder = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { DuckDBInstance } = await import('@duckdb/node-api'); await DuckDBInstance.create(${JSON.stringify(p.db)}); console.log('open'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the lock holder did not start in 30 s')), 30_000);
      holder.stdout.on('data', () => {
        clearTimeout(timer);
        resolve();
      });
      holder.on('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
    });
    const r = await mxrayInProcess(['ingest', '--db', p.db, p.in], { env: { MXRAY_LOCK_WAIT_MS: '300' } });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^mxray: the database ${p.db} is in use by another process \\(.*node.*, PID ${holder.pid}\\): DuckDB lets one process open its file at a time`,
      ),
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack');
  } finally {
    holder.kill('SIGKILL');
  }
});

describeClickhouse('two ingests at once on one ClickHouse database', () => {
  let server: ClickhouseServer | undefined;
  after(async () => {
    await server?.stop();
  });
  // Decided (store/clickhouse/claim.ts): one ingest at a time per database; the second waits for the
  // first to finish, then reads the ingest state afresh: both finish, nothing is counted twice.
  test('both finish and nothing is counted twice; with no time to wait, the second refuses naming the first', async () => {
    server = await startClickhouse();
    const { openClickhouse } = await import('../store/clickhouse/open.js');
    const url = `clickhouse://127.0.0.1:${server.httpPort}/${server.database}`;
    const p = fresh('ch');
    for (let i = 0; i < 6; i++) writeFileSync(join(p.in, `u_ex${i}.log`), iisLog(2000, i * 2000));
    const stores: Store[] = [await openClickhouse(url), await openClickhouse(url)];
    try {
      const waits: string[] = [];
      const runs = await Promise.all(stores.map((store) => ingest([p.in], { store, onWait: (m) => waits.push(m) })));
      for (const s of runs) assert.deepEqual(s.errors, []);
      assert.equal(runs[0]!.events + runs[1]!.events, 12_000, 'the second found every file already stored');
      // one waited for the other (both may have, when they claimed at the same moment: claim.ts)
      assert.ok(waits.length >= 1);
      assert.match(waits[0]!, /^waiting for the ingest by .* pid \d+ \(since .* UTC\) to finish$/);
      const [c] = await stores[0]!.query<{ n: number }>('count', sql`SELECT count() AS n FROM ${table('iis')} WHERE ${live('iis')}`);
      assert.equal(Number(c!.n), 12_000);

      // one holding the database (an ingest under way), the other not willing to wait
      await stores[0]!.ingestStarting!();
      const prev = process.env.MXRAY_INGEST_WAIT_S;
      process.env.MXRAY_INGEST_WAIT_S = '0';
      try {
        await assert.rejects(
          ingest([p.in], { store: stores[1]! }),
          /^Error: another ingest into .* is running \(.* pid \d+, since .* UTC\): one ingest at a time writes to a store/,
        );
      } finally {
        if (prev === undefined) delete process.env.MXRAY_INGEST_WAIT_S;
        else process.env.MXRAY_INGEST_WAIT_S = prev;
      }
      await stores[0]!.ingestFinished!();
      const after = await ingest([p.in], { store: stores[1]! });
      assert.equal(after.events, 0);
    } finally {
      for (const s of stores) await s.close();
    }
  });
});
