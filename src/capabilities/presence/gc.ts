// V8's full collection for the presence poller, where its cycle leaves its garbage (the directory's
// pages after the enrolment, a batch's rows after the recorder stored them, a cycle's observations).
// Left to itself V8 lets the heap grow to 3-4 times what is live (~40 MB for 20,000 users) before it
// collects: issue 18's bench measured the heap at 98-142 MB at a cycle's peak, 80 MB with these
// collections. One costs a few tens of milliseconds, a few times per cycle of 15 minutes.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;
let small = false;

/** V8's heap kept small for the poller's process. Its young generation at its initial size (two
 *  semi-spaces of 1 MB): V8 doubles a semi-space each time most of it survives a scavenge, up to 16 MB: a cycle's
 *  20,000 users (directory entries, observations, rows that live until their batch is stored)
 *  survive, so the young generation reached 32 MB resident and stayed there (issue 18's bench: 32
 *  of the heap's 77 MB). With a growth factor of 1 (read by V8 at each growth, so it acts when set
 *  at run time) what survives is promoted sooner and collected by the full collections below; the
 *  process-wide cost is more scavenges. V8 never gives a grown young generation back on demand, so
 *  this acts in full only before the process allocates much: preparePollerProcess(). */
export function keepHeapSmall(): void {
  if (small) return;
  small = true;
  setFlagsFromString('--semi-space-growth-factor=1');
  // and the old generation's next limit set at 1.2 times what a full collection left (V8 reads it
  // at each collection; by default it lets the heap grow to ~2 times): with the young generation
  // small, a cycle's short-lived objects are promoted and wait for a full collection there. Bench:
  // the heap at a cycle's peak 72-76 MB (38-50 used) -> 48-56 MB.
  setFlagsFromString('--heap-growing-percent=20');
}

/** A full collection now (gc() of --expose-gc, made available once at run time). `compact`: one
 *  that also moves every surviving object together, so that the pages they were spread over go back
 *  to the system. V8's own full collection compacts only the few pages it finds emptiest: after a
 *  cycle's enrolment (its directory pages garbage, the users kept scattered among them) the heap
 *  stayed at 1.5-3 times what was live. V8 reads --compact-on-every-full-gc when a collection
 *  starts, so it is set for this one only. Costs a copy of what is live (~30 MB for 20,000 users:
 *  a few hundred milliseconds), and for that moment the copy and the pages it leaves are both
 *  resident: issue 18's bench, compacting after the enrolment, peaked at 215 MB inside that pause;
 *  after the cycle's recording and checkpoint (poller.ts) the peaks were 191-199 MB, the heap at a
 *  cycle's peak 33-44 MB (41-47 without). */
export function collectGarbage(o: { compact?: boolean } = {}): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  if (!o.compact) {
    gc();
    return;
  }
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/** DuckDB's allocator settings for a poller's process (jemalloc's malloc_conf, read from
 *  DUCKDB_JE_MALLOC_CONF once, when DuckDB's native library loads): memory DuckDB frees goes back
 *  to the system at once. By default (dirty_decay_ms and muzzy_decay_ms 1000, no background thread)
 *  freed pages wait for the next allocation in their arena to be purged, and a poller allocates in
 *  bursts: issue 18's bench kept 25-50 MB of them resident between cycles (the RSS minus the V8
 *  heap, DuckDB's own account and glibc), 3 MB with these. DuckDB's Windows builds use the system's
 *  allocator and ignore the variable. */
export const POLLER_DUCKDB_ALLOCATOR = 'dirty_decay_ms:0,muzzy_decay_ms:0';

/** For a process that runs the poller (`mxray presence poll`), before it loads DuckDB or much else:
 *  the V8 heap kept small and DuckDB's allocator set to give memory back (an admin's own
 *  DUCKDB_JE_MALLOC_CONF wins). */
export function preparePollerProcess(env: NodeJS.ProcessEnv = process.env): void {
  keepHeapSmall();
  env.DUCKDB_JE_MALLOC_CONF ??= POLLER_DUCKDB_ALLOCATOR;
}
