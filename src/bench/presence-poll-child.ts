// The poller process of `npm run bench -- presence-poll` (presence-poll-run.ts starts it): the
// config it is given (MXRAY_BENCH_POLL_CONFIG, the passwords in the variables it names), a DuckDB store
// at MXRAY_BENCH_POLL_DB with the store's recorder, as `mxray presence poll` opens them; then
// presence-poll.ts's cycles. Prints its measures as one JSON line.
import { preparePollerProcess } from '../capabilities/presence/gc.js';

// as `mxray presence poll` does (cli/main.ts): before DuckDB and the rest are loaded
preparePollerProcess();
const { parseConfig } = await import('../config/load.js');
const { sections } = await import('../config/sections.js');
const { openStoreRecorder } = await import('../cli/presence.js');
const { DuckdbStore } = await import('../store/duckdb/store.js');
const { pollCycles } = await import('./presence-poll.js');

const db = process.env.MXRAY_BENCH_POLL_DB!;
const text = process.env.MXRAY_BENCH_POLL_CONFIG!;
const cycles = Number(process.env.MXRAY_BENCH_POLL_CYCLES ?? 3);
const idleMs = Number(process.env.MXRAY_BENCH_POLL_IDLE_MS ?? 5000);
const c = parseConfig(text, { path: `${db}.yaml`, shown: 'bench mxray.yaml', via: '--config' }, sections, { env: process.env });
const store = await DuckdbStore.open(db);
try {
  await store.longRunningWriter?.({ alone: true });
  // experiments: statements after the store's own settings (MXRAY_BENCH_POLL_SQL) and after each
  // cycle's recording (MXRAY_BENCH_POLL_AFTER_SQL), separated by ;
  for (const st of (process.env.MXRAY_BENCH_POLL_SQL ?? '').split(';').filter((x) => x.trim())) await store.run(st);
  const after = (process.env.MXRAY_BENCH_POLL_AFTER_SQL ?? '').split(';').filter((x) => x.trim());
  // the store's checkpoints (the recorder asks for one after each cycle): their time and the
  // process's CPU meanwhile (DuckDB works on a thread of Node's pool, the main thread waits)
  const spent = { ms: 0, cpuMs: 0, n: 0 };
  const checkpoint = store.checkpoint.bind(store);
  store.checkpoint = async () => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      await checkpoint();
    } finally {
      const c = process.cpuUsage(c0);
      spent.ms += performance.now() - t0;
      spent.cpuMs += (c.user + c.system) / 1000;
      spent.n++;
    }
  };
  const presence = c.section('presence')!;
  const recorder = await openStoreRecorder(store, presence);
  const engineMemory = async () =>
    Object.fromEntries(
      (await store.rows<{ tag: string; b: number }>('SELECT tag, memory_usage_bytes AS b FROM duckdb_memory() WHERE memory_usage_bytes > 0')).map((r) => [
        r.tag,
        Number(r.b),
      ]),
    );
  const m = await pollCycles({
    presence,
    directory: c.section('directory')!,
    recorder,
    cycles,
    idleMs,
    engineMemory,
    checkpoints: () => {
      const r = { ...spent };
      Object.assign(spent, { ms: 0, cpuMs: 0, n: 0 });
      return r;
    },
    afterCycle: async () => {
      for (const st of after) await store.run(st);
    },
  });
  process.stdout.write(`${JSON.stringify(m)}\n`);
} finally {
  await store.close();
}
