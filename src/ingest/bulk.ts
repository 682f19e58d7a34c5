// Before a store loads a whole file with its own CSV reader (schema/bulk.ts), one fast pass over
// its bytes (memchr-speed Buffer.indexOf, about 3 GB/s) says whether the file is plain enough for
// that: the line count the store's rows must match, and none of what the framer treats specially
// (framer.ts): gzip, NUL bytes (binary or UTF-16), bytes that are not UTF-8, a CR that does not
// end a line, a TAB (the row
// writer turns it into a space), a blank line, a line over the framer's limit, a last line
// without its line end (a log still being written: its tail is provisional). Such a file goes
// through the parser, which handles each of those line by line.
//
// BulkRounds (below) gathers the files a store may load whole into rounds and hands them over.
import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';
import { recordTables } from '../schema/tables.js';
import type { BulkPlan } from '../schema/bulk.js';
import type { BulkFile, Store } from '../store/types.js';
import type { FoundFile } from './files.js';
import { MAX_LINE_BYTES } from './framer.js';
import { isFsError, type FileOutcome, type Prepared } from './types.js';

const LF = 10,
  CR = 13,
  TAB = 9,
  NUL = 0;

export type Prescan = { plain: true; lines: number } | { plain: false; why: string };

export async function prescan(path: string | Buffer, size: number, chunkBytes = MAX_LINE_BYTES + 2): Promise<Prescan> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    let pos = 0; // file offset of the next line's first byte
    let lines = 0;
    while (pos < size) {
      // whole lines only: the next read starts after the last LF of this one
      const { bytesRead } = await fh.read(buf, 0, Math.min(chunkBytes, size - pos), pos);
      if (bytesRead === 0) return { plain: false, why: 'shorter than expected (truncated while reading?)' };
      const last = buf.lastIndexOf(LF, bytesRead - 1);
      if (last < 0) return pos + bytesRead < size ? { plain: false, why: 'an over-long line' } : { plain: false, why: 'the last line has no line end yet' };
      const b = buf.subarray(0, last + 1);
      if (pos === 0 && b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return { plain: false, why: 'gzip' };
      if (b.indexOf(NUL) >= 0) return { plain: false, why: 'NUL bytes' };
      if (b.indexOf(TAB) >= 0) return { plain: false, why: 'a TAB inside a line' };
      // DuckDB's CSV reader must never see bytes that are not UTF-8 (one of its versions fails
      // with an internal error that invalidates the database); the framer reads such lines as
      // Windows-1252
      if (!isUtf8(b)) return { plain: false, why: 'bytes that are not UTF-8' };
      for (let i = b.indexOf(CR); i >= 0; i = b.indexOf(CR, i + 1)) {
        if (b[i + 1] !== LF) return { plain: false, why: 'a CR that does not end a line' };
      }
      let start = 0;
      for (let i = b.indexOf(LF); i >= 0; i = b.indexOf(LF, i + 1)) {
        const len = i - start;
        if (len === 0 || (len === 1 && b[i - 1] === CR)) return { plain: false, why: 'a blank line' };
        if (len > MAX_LINE_BYTES) return { plain: false, why: 'an over-long line' };
        lines++;
        start = i + 1;
      }
      pos += b.length;
    }
    return { plain: true, lines };
  } finally {
    await fh.close();
  }
}

/** Rounds of whole-file loads (see the comment where ingest() uses it). */
export class BulkRounds {
  private round: { p: Prepared; plan: BulkPlan }[] = [];
  private bytes = 0;
  private inflight: Promise<void> | undefined;
  private readonly fallback: Prepared[] = [];

  constructor(
    private readonly store: Store | undefined,
    private readonly roundBytes: number,
    private readonly done: (p: Prepared, o: FileOutcome) => void,
    private readonly failed: (f: FoundFile, e: unknown) => FileOutcome,
    private readonly progress: (p: Prepared) => void,
  ) {}

  /** take the file if the store can load it whole (true), else the caller parses it now */
  async offer(p: Prepared): Promise<boolean> {
    const spec = p.format.binary ? undefined : p.format.bulk;
    if (!this.store?.bulkLoad || !spec || !p.sample || p.known) return false;
    // the store opens the file by its name: not one that is not UTF-8 (it has only the bytes) nor
    // one its reader would take for a pattern of names
    if (typeof p.f.fsPath !== 'string' || /[*?[\]{}]/.test(p.f.fsPath)) return false;
    // rows with a record key are checked against the stored ones on the batch path only
    if (recordTables[spec.table].recordKey?.length) return false;
    const plan = spec.plan(p.sample);
    if ('refused' in plan) return false;
    this.round.push({ p, plan });
    this.bytes += p.f.size;
    if (this.bytes >= this.roundBytes) await this.send();
    return true;
  }

  /** check the round's files and hand the plain ones to the store (after the previous round) */
  private async send(): Promise<void> {
    const round = this.round;
    this.round = [];
    this.bytes = 0;
    const ready: { p: Prepared; plan: BulkPlan; lines: number }[] = [];
    for (const r of round) {
      try {
        const s = await prescan(r.p.f.fsPath, r.p.f.size);
        if (s.plain) ready.push({ ...r, lines: s.lines });
        else this.fallback.push(r.p);
      } catch (e) {
        if (!isFsError(e)) throw e;
        this.done(r.p, this.failed(r.p.f, e));
      }
    }
    if (this.inflight) await this.inflight;
    this.inflight = undefined;
    if (ready.length === 0) return;
    const load = this.load(ready);
    load.catch(() => {}); // rethrown where it is awaited
    this.inflight = load;
  }

  private async load(ready: readonly { p: Prepared; plan: BulkPlan; lines: number }[]): Promise<void> {
    for (const name of new Set(ready.map((r) => r.p.format.name))) {
      const group = ready.filter((r) => r.p.format.name === name);
      const files: BulkFile[] = group.map(({ p, plan, lines }) => ({
        file: { ...p.file, offset: p.f.size, nextLine: lines + 1, seekable: true, state: plan.state, provisionalFrom: null, complete: true, lines, rejects: 0 },
        plan,
        dataLines: lines - plan.headerLines,
      }));
      const spec = group[0]!.p.format;
      if (spec.binary || !spec.bulk) continue; // offer() took only files with a bulk spec
      const results = await this.store!.bulkLoad!(spec.bulk, files);
      results.forEach((res, k) => {
        const { p, lines } = group[k]!;
        if (!res.loaded) {
          this.fallback.push(p);
          return;
        }
        this.done(p, { ...p.outcome, lines, events: res.rows, whole: true });
        this.progress(p);
      });
      if (process.env.MXRAY_TRACE_BATCHES) process.stderr.write(`mxray-trace: whole-file load committed (${results.filter((r) => r.loaded).length} file(s))\n`);
    }
  }

  /** the last round loaded; the files the store did not take, in their order, for the parser */
  async finish(): Promise<Prepared[]> {
    await this.send();
    if (this.inflight) await this.inflight;
    return this.fallback.sort((a, b) => a.index - b.index);
  }
}
