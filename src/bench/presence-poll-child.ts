// The poller process of `npm run bench -- presence-poll` (presence-poll-run.ts starts it): the
// config it is given (MXRAY_BENCH_POLL_CONFIG, the passwords in the variables it names), a DuckDB store
// at MXRAY_BENCH_POLL_DB with the store's recorder, as `mxray presence poll` opens them; then
// presence-poll.ts's cycles. Prints its measures as one JSON line.
import { parseConfig } from '../config/load.js';
import { sections } from '../config/sections.js';
import { openStoreRecorder } from '../cli/presence.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import { pollCycles } from './presence-poll.js';

const db = process.env.MXRAY_BENCH_POLL_DB!;
const text = process.env.MXRAY_BENCH_POLL_CONFIG!;
const cycles = Number(process.env.MXRAY_BENCH_POLL_CYCLES ?? 3);
const idleMs = Number(process.env.MXRAY_BENCH_POLL_IDLE_MS ?? 5000);
const c = parseConfig(text, { path: `${db}.yaml`, shown: 'bench mxray.yaml', via: '--config' }, sections, { env: process.env });
const store = await DuckdbStore.open(db);
try {
  await store.longRunningWriter?.({ alone: true });
  const presence = c.section('presence')!;
  const recorder = await openStoreRecorder(store, presence);
  const engineMemory = async () =>
    Object.fromEntries(
      (await store.rows<{ tag: string; b: number }>('SELECT tag, memory_usage_bytes AS b FROM duckdb_memory() WHERE memory_usage_bytes > 0')).map((r) => [
        r.tag,
        Number(r.b),
      ]),
    );
  const m = await pollCycles({ presence, directory: c.section('directory')!, recorder, cycles, idleMs, engineMemory });
  process.stdout.write(`${JSON.stringify(m)}\n`);
} finally {
  await store.close();
}
