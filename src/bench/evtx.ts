// npm run bench -- evtx: ~200 MB (MXRAY_BENCH_EVTX_MB) of distinct EVTX files made from the corpus
// in fixtures/corpus/windows_evtx/ (copies whose record ids are renumbered: each record header, the
// chunk headers' first/last record numbers and ids, the file header's next record id; the CRCs
// written again with the reader's crc32, zero CRCs left zero, broken chunks left as they are). Then,
// over the same files in the same run: the EVTX reader alone, libevtx's evtxexport (-f xml, to
// /dev/null, one process per file as it takes one file) and an ingest into a fresh DuckDB; each
// job in a process of its own, so its peak RSS is its own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../formats/evtx/crc32.js';
import { CHUNK_MAGIC, CHUNK_SIZE, FILE_MAGIC, HEADER_SIZE } from '../formats/evtx/reader.js';
import { humanBytes } from '../render/render.js';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const corpus = join(root, 'fixtures', 'corpus', 'windows_evtx');
const RECORD_MAGIC = Buffer.from([0x2a, 0x2a, 0, 0]);

export interface ChildResult {
  seconds: number;
  maxRssMB: number;
  rows: number;
  extra: Record<string, number>;
}

/** one measured job of evtx-child.ts, in a process of its own */
export function child(args: string[]): ChildResult {
  const r = spawnSync(process.execPath, [join(root, 'dist', 'bench', 'evtx-child.js'), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`evtx-child ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

const addU64 = (b: Buffer, at: number, delta: bigint) => {
  const v = b.readBigUInt64LE(at);
  if (v !== 0n) b.writeBigUInt64LE(v + delta, at);
};

/** a copy of an EVTX file with every record id moved by `delta`, CRCs written again */
export function renumberEvtx(src: Buffer, delta: bigint): Buffer {
  const b = Buffer.from(src);
  if (!b.subarray(0, 8).equals(FILE_MAGIC)) throw new Error('not an EVTX file');
  const headerOk = b.readUInt32LE(124) === crc32(b, 0, 120);
  addU64(b, 24, delta);
  if (headerOk) b.writeUInt32LE(crc32(b, 0, 120), 124);
  for (let off = HEADER_SIZE; off + CHUNK_SIZE <= b.length; off += CHUNK_SIZE) {
    const c = b.subarray(off, off + CHUNK_SIZE);
    if (!c.subarray(0, 8).equals(CHUNK_MAGIC)) continue;
    // a CRC is written again only where it was right: a wrong or zero one stays so
    const headOk = c.readUInt32LE(124) === crc32(c, 128, 512, crc32(c, 0, 120));
    const free = c.readUInt32LE(48);
    const dataOk = free >= 512 && free <= CHUNK_SIZE && c.readUInt32LE(52) === crc32(c, 512, free);
    for (const at of [8, 16, 24, 32]) addU64(c, at, delta);
    if (free >= 512 && free <= CHUNK_SIZE) {
      // the live records, each header whole with its size copy; past a broken one, the next such
      for (let p = 512; p + 28 <= free; ) {
        const size = c.readUInt32LE(p) === 0x2a2a ? c.readUInt32LE(p + 4) : 0;
        if (size >= 28 && p + size <= free && c.readUInt32LE(p + size - 4) === size) {
          addU64(c, p + 8, delta);
          p += size;
        } else {
          p = c.indexOf(RECORD_MAGIC, p + 1);
          if (p < 0) break;
        }
      }
    }
    if (dataOk) c.writeUInt32LE(crc32(c, 512, free), 52);
    if (headOk) c.writeUInt32LE(crc32(c, 128, 512, crc32(c, 0, 120)), 124);
  }
  return b;
}

/** the bench's files, made once and cached */
function makeFiles(dir: string, targetBytes: number): string[] {
  const done = join(dir, 'done');
  if (!existsSync(done)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const sources = readdirSync(corpus)
      .filter((n) => /\.evtx$/i.test(n))
      .sort()
      .map((n) => ({ name: n.replace(/\.evtx$/i, ''), buf: readFileSync(join(corpus, n)) }));
    let bytes = 0;
    for (let k = 1; bytes < targetBytes; k++) {
      for (const s of sources) {
        writeFileSync(join(dir, `${s.name}-${String(k).padStart(4, '0')}.evtx`), renumberEvtx(s.buf, BigInt(k) * 10_000_000n));
        bytes += s.buf.length;
      }
    }
    writeFileSync(done, '');
  }
  return readdirSync(dir)
    .filter((n) => n.endsWith('.evtx'))
    .sort()
    .map((n) => join(dir, n));
}

/** evtxexport over every file; peak RSS by GNU time where it is there */
function evtxexport(files: string[]): { seconds: number; maxRssMB: number | undefined; failed: number } {
  const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  let maxRssKB: number | undefined;
  let failed = 0;
  const t = performance.now();
  for (const f of files) {
    const argv = ['evtxexport', '-f', 'xml', f];
    const r = time
      ? spawnSync(time, ['-f', 'MAXRSS %M', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000 })
      : spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 600_000 });
    if (r.error) throw new Error(`evtxexport could not run (${r.error.message}); on Debian: apt-get install libevtx-utils`);
    if (r.status !== 0) failed++;
    const m = time ? /MAXRSS (\d+)/.exec(String(r.stderr ?? '')) : null;
    if (m) maxRssKB = Math.max(maxRssKB ?? 0, Number(m[1]));
  }
  return { seconds: (performance.now() - t) / 1000, maxRssMB: maxRssKB === undefined ? undefined : maxRssKB / 1024, failed };
}

export async function benchEvtx(cache: string): Promise<string> {
  const mb = Number(process.env.MXRAY_BENCH_EVTX_MB ?? 200);
  const dir = join(cache, `evtx-${mb}mb`);
  const files = makeFiles(dir, mb * 1e6);
  const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
  const originals = child([
    'reader',
    ...readdirSync(corpus)
      .filter((n) => /\.evtx$/i.test(n))
      .map((n) => join(corpus, n)),
  ]);
  const reader = child(['reader', ...files]);
  const lib = evtxexport(files);
  const db = join(cache, 'evtx-bench.duckdb');
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  const ing = child(['ingest', db, dir]);
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });

  let text = `input: ${files.length} files, ${humanBytes(bytes)} of EVTX (the ${readdirSync(corpus).filter((n) => /\.evtx$/i.test(n)).length} corpus files, record ids renumbered in each copy)\n\n`;
  const rows: [string, number, number | undefined, number | undefined][] = [
    ['mxray EVTX reader', reader.seconds, reader.maxRssMB, reader.rows],
    ['evtxexport -f xml (libevtx)', lib.seconds, lib.maxRssMB, undefined],
    ['mxray ingest (fresh DuckDB)', ing.seconds, ing.maxRssMB, ing.rows],
  ];
  const pad = (s: string, n: number) => s.padEnd(n);
  text += `${pad('job', 30)} ${'seconds'.padStart(8)} ${'MB/s'.padStart(8)} ${'records/s'.padStart(11)} ${'peak RSS'.padStart(9)} ${'vs evtxexport'.padStart(13)}\n`;
  for (const [name, s, rss, n] of rows) {
    text += `${pad(name, 30)} ${s.toFixed(2).padStart(8)} ${(bytes / 1e6 / s).toFixed(1).padStart(8)} ${(n ? Math.round(n / s).toLocaleString('en-US') : '').padStart(11)} ${(rss ? `${rss.toFixed(0)} MB` : '').padStart(9)} ${`${(lib.seconds / s).toFixed(2)}×`.padStart(13)}\n`;
  }
  const perCopy = Math.round(files.length / Math.max(1, readdirSync(corpus).filter((n) => /\.evtx$/i.test(n)).length));
  text += `\nreader: ${reader.rows.toLocaleString('en-US')} events, ${reader.extra.rejects} rejects, ${reader.extra.wrongCrc} wrong CRCs (the corpus itself: ${originals.rows.toLocaleString('en-US')} events, ${originals.extra.rejects} rejects, ${originals.extra.wrongCrc} wrong CRCs, × ${perCopy} copies = ${(originals.rows * perCopy).toLocaleString('en-US')} events)\n`;
  text += `ingest: ${ing.rows.toLocaleString('en-US')} events stored from ${ing.extra.files} files, ${ing.extra.rejects} rejects\n`;
  text += `evtxexport: one process per file (it reads one file), ${lib.failed} failed; peak RSS is the largest of them\n`;
  text += `goal: reader ≥ 5× evtxexport (${(lib.seconds / reader.seconds).toFixed(2)}×)\n`;
  return text;
}
