// The measured jobs of the integrity benchmark (bench/integrity.ts), each run in its own process:
//   ingest DB DIR on|off   ingest a folder into a fresh DuckDB file with sealing on or off
//                          (MXRAY_SEAL), printing its time
//   widen DB N             copy the tracking rows under new file ids until there are >= N, and seal
//                          each copy as a batch (the row hashes by the same statement as addRows,
//                          over a range of file ids at once; the seal by BatchSeal.finish)
//   verify DB              time `verify` and this process's peak RSS
//   ch-ingest URL on|off DIR   the same on a ClickHouse store (a fresh database, single server or cluster)
//   ch-widen URL N         copy the tracking rows under new file ids until there are >= N, each copy
//                          appended through the store (appendBatch, in 32 MB batches: hashed where the
//                          rows land and sealed like an ingest's)
//   ch-verify URL          time `verify` on it and this process's peak RSS
// Prints one JSON line.
import { DuckdbStore } from '../store/duckdb/store.js';
import { ingest } from '../ingest/ingest.js';
import { BatchSeal, rowHashSql } from '../store/duckdb/integrity.js';
import { recordTables } from '../schema/tables.js';
import { sealKey } from '../store/integrity/seal.js';
import { openClickhouse } from '../store/clickhouse/open.js';
import { selectAsWritten } from '../store/clickhouse/tables.js';
import { ident, join, list, raw, sql } from '../sql/sql.js';
import { storeOnly } from './clickhouse.js';

const [job, db, arg] = process.argv.slice(2) as [string, string, string];
const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const rss = () => process.resourceUsage().maxRSS / 1024;
/** this process's CPU seconds (user + system) */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

if (job === 'ingest' || job === 'ch-ingest') {
  process.env.MXRAY_SEAL = arg;
  const store = job === 'ingest' ? await DuckdbStore.open(db) : await openClickhouse(db);
  const t = performance.now();
  const c = cpu();
  const s = await ingest([process.argv[5]!], { store });
  const seconds = (performance.now() - t) / 1000;
  const cpuSeconds = cpu() - c;
  await store.close();
  out({ seconds, cpuSeconds, rows: s.events, maxRssMB: rss() });
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
} else if (job === 'ch-widen') {
  const store = await openClickhouse(db);
  const target = Number(arg);
  const live = sql`batch GLOBAL IN (SELECT batch FROM live_batches)`;
  const count = async () => Number((await store.ch.query<{ n: number }>(sql`SELECT count() AS n FROM tracking_events WHERE ${live}`))[0]!.n);
  const originals = (await store.ch.query<{ f: number }>(sql`SELECT DISTINCT file_id AS f FROM tracking_events WHERE ${live} ORDER BY f`)).map((r) =>
    Number(r.f),
  );
  let rows = await count();
  // copy k of file i gets file id k * 100000 + i (the originals' ids are random, up to 2^31); the rows
  // as TsvWriter writes them (file_id first), read back from the server
  const t = recordTables.tracking;
  const rest = t.columns.filter((c) => c.name !== 'file_id').map((c) => ident(c.name));
  for (let k = 1; rows < target && k < 200; k++) {
    const ids = originals.map((_, i) => k * 100_000 + i);
    const q = sql`SELECT transform(orig, ${raw(`[${originals.join(',')}]`)}, ${raw(`[${ids.join(',')}]`)}, 0), ${join(rest)}
      FROM (SELECT file_id AS orig, ${selectAsWritten(t)} FROM tracking_events WHERE ${live} AND file_id IN ${list(originals)})
      ORDER BY orig, line FORMAT TabSeparated`;
    const res = await fetch(`${store.cfg.httpUrl}/?${new URLSearchParams({ database: store.cfg.database })}`, { method: 'POST', body: q.text });
    if (!res.ok) throw new Error(`exporting the rows failed: ${await res.text()}`);
    await storeOnly(store, Buffer.from(await res.arrayBuffer()));
    rows = await count();
  }
  await store.close();
  out({ rows });
} else if (job === 'ch-verify') {
  const store = await openClickhouse(db);
  const t = performance.now();
  const r = await store.verify({});
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  out({ seconds, rows: r.rows, intact: r.intact, batches: r.batches, maxRssMB: rss() });
} else if (job === 'verify') {
  const store = await DuckdbStore.open(db);
  const t = performance.now();
  const r = await store.verify({});
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  out({ seconds, rows: r.rows, intact: r.intact, batches: r.batches, maxRssMB: rss() });
} else throw new Error(`integrity-child: unknown job ${job}`);
