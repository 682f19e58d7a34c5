// The measured jobs of the integrity benchmark (bench/integrity.ts), each run in its own process:
//   ingest DB DIR on|off   ingest a folder into a fresh DuckDB file with sealing on or off
//                          (MXRAY_SEAL), printing its time
//   widen DB N             copy the tracking rows under new file ids until there are >= N, and seal
//                          each copy as a batch (the row hashes by the same statement as addRows,
//                          over a range of file ids at once; the seal by BatchSeal.finish)
//   verify DB              time `verify` and this process's peak RSS
// Prints one JSON line.
import { DuckdbStore } from '../store/duckdb/store.js';
import { ingest } from '../ingest/ingest.js';
import { BatchSeal, rowHashSql } from '../store/duckdb/integrity.js';
import { recordTables } from '../schema/tables.js';
import { sealKey } from '../store/integrity/seal.js';

const [job, db, arg] = process.argv.slice(2) as [string, string, string];
const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

if (job === 'ingest') {
  process.env.MXRAY_SEAL = arg;
  const store = await DuckdbStore.open(db);
  const t = performance.now();
  const s = await ingest([process.argv[5]!], { store });
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  out({ seconds, rows: s.events, maxRssMB: process.resourceUsage().maxRSS / 1024 });
} else if (job === 'widen') {
  const store = await DuckdbStore.open(db);
  const t = recordTables.tracking;
  const target = Number(arg);
  let rows = Number((await store.rows<{ n: number }>('SELECT count(*) AS n FROM tracking_events'))[0]!.n);
  const conn = {
    run: (q: string, p?: Record<string, string | number | boolean | null>) => store.run(q, p),
    all: (q: string, p?: Record<string, string | number | boolean | null>) => store.rows(q, p),
  };
  for (let k = 1; rows < target && k < 200; k++) {
    const lo = k * 1_000_000;
    await store.run('BEGIN TRANSACTION');
    await store.run(`INSERT INTO tracking_events SELECT * REPLACE (file_id + ${lo} AS file_id) FROM tracking_events WHERE file_id < 1000000`);
    const seal = await BatchSeal.begin(conn, 'benchmark copy');
    await store.run(
      `INSERT INTO integrity_rows SELECT 'tracking_events', file_id, line, ${rowHashSql(t)}, ${seal.batch}, NULL FROM tracking_events WHERE file_id >= ${lo} AND file_id < ${lo + 1_000_000}`,
    );
    await seal.finish(0, sealKey());
    await store.run('COMMIT');
    rows = Number((await store.rows<{ n: number }>('SELECT count(*) AS n FROM tracking_events'))[0]!.n);
  }
  await store.run('CHECKPOINT');
  await store.close();
  out({ rows });
} else if (job === 'verify') {
  const store = await DuckdbStore.open(db);
  const t = performance.now();
  const r = await store.verify({});
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  out({ seconds, rows: r.rows, intact: r.intact, batches: r.batches, maxRssMB: process.resourceUsage().maxRSS / 1024 });
} else throw new Error(`integrity-child: unknown job ${job}`);
