// Where a process's resident memory is (Linux: /proc/self/smaps), for the benchmarks that look for
// it: the resident bytes of the V8 heap's and glibc's anonymous mappings together (anonymous), the
// brk heap (glibc's main arena), each mapped file by name, and the mapping count. Elsewhere: {}.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface ProcMemory {
  rss?: number;
  anon?: number;
  brk?: number;
  files?: Record<string, number>;
  /** anonymous mappings that start on a 64 MB boundary (glibc's arenas of threads, HEAP_MAX_SIZE
   *  aligned): resident */
  arenas?: { count: number; rss: number };
  mappings?: number;
}

export function procMemory(): ProcMemory {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return {};
  }
  const out: Required<ProcMemory> = { rss: 0, anon: 0, brk: 0, files: {}, arenas: { count: 0, rss: 0 }, mappings: 0 };
  let name = '';
  let start = 0;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      out.mappings++;
      name = head[3] ?? '';
      start = Number.parseInt(head[1]!, 16);
      continue;
    }
    const m = /^Rss:\s+(\d+) kB/.exec(line);
    if (!m) continue;
    const b = Number(m[1]) * 1024;
    out.rss += b;
    if (name === '[heap]') out.brk += b;
    else if (!name || name.startsWith('[')) {
      out.anon += b;
      if (start % (64 * 1048576) === 0) {
        out.arenas.count++;
        out.arenas.rss += b;
      }
    } else out.files[basename(name)] = (out.files[basename(name)] ?? 0) + b;
  }
  return out;
}
