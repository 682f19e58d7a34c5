// What binary and multi-table formats may do, through the real ingest into DuckDB and ClickHouse:
// the made-up binary record file of testing/record-file.ts (sniffed by its magic bytes, read by its
// own reader, record numbers as the rows' origin, damaged and cut-off records rejected while the
// rest is read, resume after an interrupted ingest and when the file grows, and a record key that
// stores each record of overlapping files once) and the two-table format of
// testing/presence-file.ts (ctx.out(kind); an entry read again replaces its rows in both tables).
// Truth comes from the records the test writes, never from what the code read.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest, type IngestOptions } from './ingest.js';
import { sniffFile } from './sniff.js';
import { formatList } from '../formats/registry.js';
import type { TextFormat } from '../formats/types.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import type { Store } from '../store/types.js';
import { openClickhouse } from '../store/clickhouse/open.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../testing/clickhouse.js';
import { HEADER_BYTES, recordBytes, recordFile, recordFormat, registerTestTables, testKinds, testRecords, type TestRecord } from '../testing/record-file.js';
import { presenceFormat, presenceTables } from '../testing/presence-file.js';
import { TsvWriter } from '../schema/tsv.js';
import { f, live, table } from '../sql/dialect.js';
import { ident, sql } from '../sql/sql.js';

registerTestTables(presenceTables);

const dir = mkdtempSync(join(tmpdir(), 'mxray-record-formats-'));
let fileNo = 0;
/** a new folder for one test's files */
const folder = () => {
  const d = join(dir, `t${++fileNo}`);
  mkdirSync(d);
  return d;
};

const formats = [recordFormat, presenceFormat];
const records = (from: number, to: number, source = 'ex01/Security'): TestRecord[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i, source, message: `event ${from + i} of ${source}`, value: (from + i) * 7 }));

/** the stored records: [source, record_id, message, value] sorted, and origins by key */
async function stored(s: Store): Promise<{ rows: [string, number, string, number][]; origin: Map<string, [string, number]> }> {
  const rows = await s.query<{ file_id: number; line: number; source: string; record_id: number; message: string; value: number }>(
    'test records',
    sql`
    SELECT file_id, line, source, record_id, message, value FROM ${table(testKinds.records)} WHERE ${live(testKinds.records)}`,
  );
  const files = new Map((await s.query<{ id: number; path: string }>('files', sql`SELECT id, path FROM ingested_files`)).map((r) => [Number(r.id), r.path]));
  const out = rows
    .map((r) => [r.source, Number(r.record_id), r.message, Number(r.value)] as [string, number, string, number])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  const origin = new Map(rows.map((r) => [`${r.source}#${Number(r.record_id)}`, [files.get(Number(r.file_id))!, Number(r.line)] as [string, number]]));
  return { rows: out, origin };
}

const truth = (rs: readonly TestRecord[]) =>
  rs.map((r) => [r.source, r.id, r.message, r.value] as [string, number, string, number]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));

async function rejectsOf(s: Store, path: string): Promise<[number, string][]> {
  const rows = await s.query<{ line: number; reason: string }>(
    'test rejects',
    sql`
    SELECT line, reason FROM ingest_rejects WHERE file_id IN (SELECT id FROM ingested_files WHERE path = ${path}) ORDER BY line`,
  );
  return rows.map((r) => [Number(r.line), r.reason]);
}

/** the store, failing on its nth batch (through appendBatch or its lanes) */
function failingOn(s: Store, n: number): Store {
  let calls = 0;
  const failing = Object.create(s) as Store;
  const fail = () => {
    if (++calls === n) throw new Error('simulated crash');
  };
  failing.appendBatch = async (b) => {
    fail();
    return s.appendBatch(b);
  };
  if (s.openLane) {
    failing.openLane = async () => {
      const lane = await s.openLane!();
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

function suite(open: () => Promise<Store>): void {
  const withStore = async (fn: (s: Store) => Promise<void>) => {
    const s = await open();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  };
  const run = (s: Store, paths: string[], more: Partial<IngestOptions> = {}) => ingest(paths, { store: s, formats, ...more });

  test('binary: sniffed by its magic bytes, record numbers as origin, re-ingest adds nothing', async () => {
    const d = folder();
    const p = join(d, 'a.mxrec');
    const rs = records(1, 120);
    writeFileSync(p, recordFile(rs));
    await withStore(async (s) => {
      const r = await run(s, [p]);
      assert.equal(r.details[0]!.format, 'test-mxrec');
      assert.equal(r.lines, 120);
      assert.equal(r.events, 120);
      const got = await stored(s);
      assert.deepEqual(got.rows, truth(rs));
      // the k-th record of the file has origin line k
      for (const x of rs) assert.deepEqual(got.origin.get(`${x.source}#${x.id}`), [p, x.id]);
      const again = await run(s, [p]);
      assert.equal(again.details[0]!.action, 'skipped');
      assert.deepEqual((await stored(s)).rows, truth(rs));
    });
  });

  test('binary: a damaged record and a cut-off end are rejects with their record numbers; the rest is read, and the cut-off block again when the file grows', async () => {
    const d = folder();
    const p = join(d, 'cut.mxrec');
    const rs = records(1, 60);
    const whole = recordFile(rs);
    // record 20: its magic overwritten; the file cut 5 bytes into record 50
    const offsets: number[] = [];
    let o = HEADER_BYTES;
    for (const r of rs) {
      offsets.push(o);
      o += recordBytes(r).length;
    }
    const damaged = Buffer.from(whole);
    damaged.write('XXXX', offsets[19]!, 'latin1');
    writeFileSync(p, damaged.subarray(0, offsets[49]! + 5));
    await withStore(async (s) => {
      const r = await run(s, [p]);
      assert.deepEqual(
        r.examples.map((e) => [e.line, e.reason]),
        [
          [20, 'malformed'],
          [50, 'truncated'],
        ],
      );
      assert.deepEqual((await stored(s)).rows, truth(rs.filter((x) => x.id !== 20 && x.id < 50)));
      assert.deepEqual(await rejectsOf(s, p), [
        [20, 'malformed'],
        [50, 'truncated'],
      ]);
      // the writer finishes record 50 and adds ten more: its block (records 49–56, record 49 stored
      // already) is read again, replacing record 49's row, and the reject is withdrawn
      appendFileSync(p, damaged.subarray(offsets[49]! + 5));
      const grown = await run(s, [p]);
      assert.equal(grown.details[0]!.action, 'resumed');
      assert.match(grown.details[0]!.why ?? '', /reading from record 49$/);
      assert.deepEqual((await stored(s)).rows, truth(rs.filter((x) => x.id !== 20)));
      assert.deepEqual(await rejectsOf(s, p), [[20, 'malformed']]);
    });
  });

  test('binary: an ingest that fails between batches resumes at a record without losing or doubling one', async () => {
    const d = folder();
    const rs = records(1, 3000);
    const p = join(d, 'big.mxrec');
    writeFileSync(p, recordFile(rs));
    await withStore(async (s) => {
      const opts = { batchBytes: 8192, txnBytes: 16384 };
      await assert.rejects(run(failingOn(s, 6), [p], opts), /simulated crash/);
      const partial = (await stored(s)).rows.length;
      assert.ok(partial > 0 && partial < rs.length, `some records were committed before the crash (${partial})`);
      const again = await run(s, [p], opts);
      assert.match(again.details[0]!.why ?? '', /continuing an interrupted ingest at record [1-9]\d+/);
      // exactly the records not committed were read again (the key would hide a re-read of the rest)
      assert.equal(again.events, rs.length - partial);
      const got = await stored(s);
      assert.deepEqual(got.rows, truth(rs));
      for (const x of rs) assert.equal(got.origin.get(`${x.source}#${x.id}`)![1], x.id);
    });
  });

  test('record key: overlapping files store each record once, in one run and across runs', async () => {
    const d = folder();
    const a = records(1, 300),
      b = records(201, 500),
      c = records(1, 100, 'ex02/Security');
    const [pa, pb, pc] = ['a.mxrec', 'b.mxrec', 'c.mxrec'].map((n) => join(d, n)) as [string, string, string];
    writeFileSync(pa, recordFile(a));
    writeFileSync(pb, recordFile(b));
    writeFileSync(pc, recordFile(c));
    const all = truth([...records(1, 500), ...c]);
    // one run, one batch holding both files; then small batches and lane transactions spanning them
    for (const opts of [{}, { batchBytes: 2048, txnBytes: 8192 }]) {
      await withStore(async (s) => {
        await run(s, [pa, pb, pc], opts);
        const got = await stored(s);
        assert.deepEqual(got.rows, all);
        assert.equal(new Set(got.rows.map((r) => `${r[0]}#${r[1]}`)).size, got.rows.length);
        // ex02's ids 1..100 are other records than ex01's
        assert.deepEqual(got.origin.get('ex02/Security#7'), [pc, 7]);
      });
    }
    // two runs: the records of b that a has are already stored
    await withStore(async (s) => {
      await run(s, [pa]);
      const second = await run(s, [pb]);
      assert.equal(second.details[0]!.action, 'ingested');
      const got = await stored(s);
      assert.deepEqual(got.rows, truth(records(1, 500)));
      assert.deepEqual(got.origin.get('ex01/Security#250'), [pa, 250]);
      assert.deepEqual(got.origin.get('ex01/Security#301'), [pb, 101]);
    });
  });

  test('two tables: ctx.out(kind) writes each; an entry read again when the file grows replaces its rows in both', async () => {
    const d = folder();
    const p = join(d, 'presence.txt');
    const head = [
      '#TESTPRESENCE',
      'USER jdoe Sales',
      '  2024-03-04 10:00:00 online',
      '  2024-03-04 10:05:00 away',
      'garbage',
      'USER asmith IT',
      '  2024-03-04 11:00:00 online',
    ];
    const tail = ['  2024-03-04 11:30:00 busy', 'USER bnew HR', '  bad time', '  2024-03-04 12:00:00 online'];
    writeFileSync(p, head.join('\n') + '\n');
    const users = (s: Store) =>
      s.query<{ line: number; user: string; dept: string }>(
        'users',
        sql`
      SELECT line, ${ident('user')}, dept FROM ${table(testKinds.users)} WHERE ${live(testKinds.users)} ORDER BY line`,
      );
    const samples = (s: Store) =>
      s.query<{ line: number; user: string; state: string; ts: string }>(
        'samples',
        sql`
      SELECT line, ${ident('user')}, state, ${f.toText(ident('ts'))} AS ts FROM ${table(testKinds.samples)} WHERE ${live(testKinds.samples)} ORDER BY line`,
      );
    const norm = <T extends { line: number }>(rows: T[]) => rows.map((r) => ({ ...r, line: Number(r.line) }));
    await withStore(async (s) => {
      const first = await run(s, [p]);
      assert.equal(first.details[0]!.format, 'test-presence');
      assert.equal(first.events, 2 + 3);
      assert.deepEqual(norm(await users(s)), [
        { line: 2, user: 'jdoe', dept: 'Sales' },
        { line: 6, user: 'asmith', dept: 'IT' },
      ]);
      appendFileSync(p, tail.join('\n') + '\n');
      const grown = await run(s, [p]);
      assert.match(grown.details[0]!.why ?? '', /reading from line 6$/);
      assert.deepEqual(norm(await users(s)), [
        { line: 2, user: 'jdoe', dept: 'Sales' },
        { line: 6, user: 'asmith', dept: 'IT' },
        { line: 9, user: 'bnew', dept: 'HR' },
      ]);
      assert.deepEqual(norm(await samples(s)), [
        { line: 3, user: 'jdoe', state: 'online', ts: '2024-03-04 10:00:00' },
        { line: 4, user: 'jdoe', state: 'away', ts: '2024-03-04 10:05:00' },
        { line: 7, user: 'asmith', state: 'online', ts: '2024-03-04 11:00:00' },
        { line: 8, user: 'asmith', state: 'busy', ts: '2024-03-04 11:30:00' },
        { line: 11, user: 'bnew', state: 'online', ts: '2024-03-04 12:00:00' },
      ]);
      assert.deepEqual(await rejectsOf(s, p), [
        [5, 'malformed'],
        [10, 'bad-time'],
      ]);
    });
  });
}

describe('binary and multi-table formats on DuckDB', () => {
  let n = 0;
  suite(() => DuckdbStore.open(join(dir, `db${++n}.duckdb`)));
});

describeClickhouse('binary and multi-table formats on ClickHouse', () => {
  let server: ClickhouseServer;
  let n = 0;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  suite(() => openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/formats_${process.pid}_${++n}`));
});

test('sniffing: byte sniffers first, then text; a text log is sniffed as before', async () => {
  const d = folder();
  const bin = join(d, 'x.log');
  writeFileSync(bin, recordFile(records(1, 3)));
  const all = [recordFormat, presenceFormat, ...formatList];
  const s = await sniffFile(bin, all);
  assert.equal(s.format?.name, 'test-mxrec');
  assert.match(s.reason, /magic/);
  // the magic mangled by a text-mode copy (CR LF -> LF): a low-confidence guess, not a match
  const mangled = join(d, 'mangled.bin');
  writeFileSync(mangled, Buffer.concat([Buffer.from('MXREC\0\n'), Buffer.alloc(40, 0x41)]));
  const m = await sniffFile(mangled, all);
  assert.equal(m.format, undefined);
  assert.deepEqual(m.candidates.find((c) => c.name === 'test-mxrec')?.confidence, 20);
  const text = join(d, 'MSGTRK20240304-1.LOG');
  writeFileSync(
    text,
    '#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n#Log-type: Message Tracking Log\n#Date: 2024-03-04T00:00:00.000Z\n#Fields: date-time,event-id,source,message-id\n2024-03-04T10:00:00.000Z,RECEIVE,SMTP,<a@b>\n',
  );
  const t = await sniffFile(text, all);
  const before = await sniffFile(text);
  assert.equal(t.format?.name, 'msgtrk');
  assert.deepEqual(t.candidates, before.candidates);
});

test('a format writing to a table its `tables` do not list, or NULL into a record key, is a programming error', async () => {
  const d = folder();
  const p = join(d, 'p.txt');
  writeFileSync(p, '#TESTPRESENCE\nUSER a b\n');
  const wrong: TextFormat = { ...presenceFormat, name: 'test-wrong', tables: [testKinds.users] };
  const s = await DuckdbStore.open(join(dir, 'wrong.duckdb'));
  try {
    await assert.rejects(ingest([p], { store: s, formats: [wrong] }), /wrote a row to table test_samples, which its `tables` do not list/);
  } finally {
    await s.close();
  }
  const w = new TsvWriter(testRecords, 1, false);
  w.begin(1);
  assert.throws(() => w.nul(), /NULL in source, a column of its record key/);
});
