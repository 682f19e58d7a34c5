// The ingest pipeline: paths -> files -> identity (already seen? grown? new?) -> format -> framed
// lines -> parser -> row batches -> store. Each batch commits its rows together with the file's new
// resume point, so re-running never doubles a row and an interrupted run continues where the last
// committed batch ended. While the store loads one batch, the next is being parsed.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { formats as registry } from '../formats/registry.js';
import type { Format, RejectReason } from '../formats/types.js';
import type { Batch, BatchLane, BulkFile, IngestedFile, Store } from '../store/types.js';
import type { BulkPlan } from '../schema/bulk.js';
import { expandPaths, describeFsError, type FoundFile } from './files.js';
import { frameFile, type Position } from './framer.js';
import { sniffFile } from './sniff.js';
import { Batcher } from './batcher.js';
import { prescan } from './bulk.js';

export const FINGERPRINT_BYTES = 4096;
const BATCH_BYTES = 16 << 20;
const EXAMPLES_PER_FILE = 10;
const EXAMPLES_IN_SUMMARY = 20;
/** files handed to a store's whole-file load at a time (the next round is checked meanwhile) */
const BULK_ROUND_BYTES = 512 << 20;
/** batch lanes, when the store has them (Store.openLane): files are dealt to them in turn */
const LANES = 2;
/** batch bytes a lane commits together (MXRAY_TXN_BYTES) */
const TXN_BYTES = 256 << 20;

export interface IngestOptions {
  store: Store;
  /** force a format instead of sniffing */
  format?: string;
  /** called often with progress (the CLI draws a bar when stderr is a terminal) */
  onProgress?(p: IngestProgress): void;
  batchBytes?: number;
  /** bytes of batches committed together on a store's lane (default 256 MiB; MXRAY_TXN_BYTES) */
  txnBytes?: number;
  /** let a store that can load whole files itself do so (default true; MXRAY_WHOLE_FILES=0 turns
   *  it off): the format's parser reads only the files it refuses */
  wholeFiles?: boolean;
  /** bytes of files per whole-file round (default 512 MiB; MXRAY_BULK_ROUND_BYTES) */
  bulkRoundBytes?: number;
}

export interface IngestProgress {
  file: string;
  fileIndex: number;
  fileCount: number;
  bytesDone: number;
  bytesTotal: number;
  lines: number;
  rejects: number;
}

export interface FileOutcome {
  path: string;
  action: 'ingested' | 'resumed' | 'skipped' | 'failed';
  why?: string;
  format?: string;
  lines: number;
  events: number;
  rejects: number;
  notes: string[];
  /** true when the store read the file whole with its own CSV reader (schema/bulk.ts) */
  whole?: boolean;
}

export interface IngestSummary {
  files: number;
  skippedFiles: number;
  lines: number;
  events: number;
  rejects: number;
  rejectsByReason: Partial<Record<RejectReason, number>>;
  examples: { file: string; line: number; reason: RejectReason; detail?: string }[];
  formats: Record<string, number>;
  /** files the store read whole itself (the rest of `files` went through the parsers) */
  wholeFiles: number;
  errors: { path: string; message: string }[];
  /** observations about the paths walked (a folder reached again through a link) */
  notes: { path: string; message: string }[];
  bytes: number;
  seconds: number;
  details: FileOutcome[];
}

/** a file-system error (ENOENT, EACCES …): that file's problem, not the ingest's */
function isFsError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

async function fingerprint(path: string, len: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(len);
    const { bytesRead } = await fh.read(b, 0, len, 0);
    return createHash('sha1').update(b.subarray(0, bytesRead)).digest('hex');
  } finally {
    await fh.close();
  }
}

/** what identify() remembers during one run: the short fingerprint lengths in the store (asked
 *  once, then kept up to date as files are recorded) */
interface Known { shortLens?: Set<number> }

/** the stored file with the same content at its start, if any (a re-run, a copy, or a grown log) */
async function identify(store: Store, f: FoundFile, run: Known): Promise<{ known?: IngestedFile; fpLen: number; fpHash: string }> {
  const fpLen = Math.min(f.size, FINGERPRINT_BYTES);
  const fpHash = await fingerprint(f.path, fpLen);
  const [known] = await store.filesByFingerprint(fpLen, fpHash);
  if (known) return { known, fpLen, fpHash };
  run.shortLens ??= new Set(await store.shortFingerprintLengths());
  for (const len of [...run.shortLens].sort((a, b) => a - b)) {
    if (len >= fpLen) break;
    const [k] = await store.filesByFingerprint(len, await fingerprint(f.path, len));
    if (k) return { known: k, fpLen, fpHash };
  }
  return { fpLen, fpHash };
}

export async function ingest(paths: readonly string[], opts: IngestOptions): Promise<IngestSummary> {
  const t0 = performance.now();
  const { store } = opts;
  const { files, errors, notes } = await expandPaths(paths);
  const summary: IngestSummary = {
    files: 0, skippedFiles: 0, lines: 0, events: 0, rejects: 0, rejectsByReason: {}, examples: [], formats: {}, wholeFiles: 0,
    errors: [...errors], notes: [...notes], bytes: 0, seconds: 0, details: [],
  };
  let forced: Format | undefined;
  if (opts.format !== undefined) {
    forced = (registry as Record<string, Format>)[opts.format];
    if (!forced) throw new Error(`unknown format "${opts.format}"; known formats: ${Object.keys(registry).join(', ')}`);
  }

  // MXRAY_TRACE_BATCHES=1 tells (on stderr) when each batch is committed: tests use it to kill an
  // ingest at a known point
  const trace = process.env.MXRAY_TRACE_BATCHES ? (b: Batch) => process.stderr.write(`mxray-trace: batch committed (${b.files.length} file(s))\n`) : undefined;
  const batchBytes = opts.batchBytes ?? envBytes('MXRAY_BATCH_BYTES', BATCH_BYTES);
  const txnBytes = opts.txnBytes ?? envBytes('MXRAY_TXN_BYTES', TXN_BYTES);
  const roundBytes = opts.bulkRoundBytes ?? envBytes('MXRAY_BULK_ROUND_BYTES', BULK_ROUND_BYTES);
  await store.ingestStarting?.();
  const lanes: BatchLane[] = [];
  let batchers: Batcher[] = [];
  try {
    if (store.openLane) for (let i = 0; i < LANES; i++) lanes.push(await store.openLane());
    batchers = lanes.length ? lanes.map((l) => new Batcher(store, batchBytes, trace, l, txnBytes)) : [new Batcher(store, batchBytes, trace)];
    await run(files, summary, batchers, roundBytes, opts, forced, t0);
  } finally {
    // after a failure another lane may still be loading: let it end before its connection closes
    for (const b of batchers) await b.quiesce();
    for (const l of lanes) await l.close();
  }
  return summary;
}

/** a size in bytes from the environment, else the default */
function envBytes(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: expected a positive number of bytes, got "${v}"`);
  return n;
}

async function run(
  files: FoundFile[], summary: IngestSummary, batchers: Batcher[], roundBytes: number, opts: IngestOptions, forced: Format | undefined, t0: number,
): Promise<void> {
  const { store } = opts;
  const bytesTotal = files.reduce((a, f) => a + f.size, 0);
  let bytesBefore = 0;
  // files are dealt to the batchers (lanes) in turn; parseFile keeps a file's batches on its one
  let dealt = 0;
  const settle = async () => { for (const b of batchers) await b.finish(); };

  const outcomes: (FileOutcome | undefined)[] = new Array(files.length);
  const failed = (f: FoundFile, e: unknown): FileOutcome => {
    const why = describeFsError(e);
    summary.errors.push({ path: f.path, message: why });
    return { path: f.path, action: 'failed', why, lines: 0, events: 0, rejects: 0, notes: [] };
  };
  const parse = async (p: Prepared): Promise<FileOutcome> => {
    const batcher = batchers[dealt++ % batchers.length]!;
    const mark = batcher.mark();
    try {
      return await parseFile(p, batcher, summary, (done, lines, rejects) =>
        opts.onProgress?.({ file: p.f.path, fileIndex: p.index, fileCount: files.length, bytesDone: bytesBefore + done, bytesTotal, lines, rejects }));
    } catch (e) {
      // a file that cannot be read is that file's problem (its rows not yet committed are dropped);
      // anything else (the store failing) stops the ingest, and a re-run continues from the last
      // committed batch
      if (!isFsError(e)) throw e;
      batcher.rollback(mark);
      return failed(p.f, e);
    } finally {
      bytesBefore += p.f.size;
    }
  };

  // Whole-file loads (schema/bulk.ts): files a store can read itself wait in `round`; when it is
  // big enough, their bytes are checked (prescan) and the store loads them while the next round
  // is gathered. Files it does not take are read by the parser at the end.
  const wholeFiles = (opts.wholeFiles ?? true) && process.env.MXRAY_WHOLE_FILES !== '0';
  const bulk = new BulkRounds(wholeFiles ? store : undefined, roundBytes, (p, o) => { outcomes[p.index] = o; bytesBefore += p.f.size; }, failed, (p) => {
    opts.onProgress?.({ file: p.f.path, fileIndex: p.index, fileCount: files.length, bytesDone: bytesBefore, bytesTotal, lines: 0, rejects: 0 });
  });

  // Every file is identified and recorded before the parser reads any: a lane's transaction sees
  // only the records that existed when it began (snapshot isolation), and it must update the
  // records of every file it is dealt. (A whole-file load begins its transactions after its files
  // are recorded, so those files are handed over as soon as they are.) A file whose start matches
  // a file recorded earlier in this same run (a copy, or a grown version of the same log) waits
  // until that one is committed, then is identified again: skipped as already ingested, or
  // continued from where the other one ended.
  const addedNow = new Set<number>();
  const known: Known = {};
  const pass = async (indexes: readonly number[], waitFor?: ReadonlySet<number>): Promise<number[]> => {
    const toParse: Prepared[] = [];
    const later: number[] = [];
    for (const i of indexes) {
      const f = files[i]!;
      let p: Prepared | FileOutcome | 'later';
      try {
        p = await prepare(f, i, store, forced, known, waitFor);
      } catch (e) {
        if (!isFsError(e)) throw e;
        p = failed(f, e);
      }
      if (p === 'later') later.push(i);
      else if ('action' in p) { outcomes[i] = p; bytesBefore += f.size; }
      else {
        if (!p.known) addedNow.add(p.file.id);
        if (!(await bulk.offer(p))) toParse.push(p);
      }
    }
    for (const p of toParse) outcomes[p.index] = await parse(p);
    for (const p of await bulk.finish()) outcomes[p.index] = await parse(p);
    return later;
  };
  const later = await pass(files.map((_, i) => i), addedNow);
  if (later.length) {
    await settle();
    await pass(later);
  }

  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    const outcome = outcomes[i]!;
    summary.details.push(outcome);
    if (outcome.action === 'skipped') summary.skippedFiles++;
    else if (outcome.action !== 'failed') {
      summary.files++;
      summary.bytes += f.size;
      if (outcome.format) summary.formats[outcome.format] = (summary.formats[outcome.format] ?? 0) + 1;
      if (outcome.whole) summary.wholeFiles++;
    }
    summary.lines += outcome.lines;
    summary.events += outcome.events;
    summary.rejects += outcome.rejects;
  }
  await settle();
  await store.ingestFinished?.();
  summary.seconds = (performance.now() - t0) / 1000;
}

/** a file to read: its record in the store, its format and where to start */
interface Prepared {
  f: FoundFile;
  index: number;
  outcome: FileOutcome;
  file: IngestedFile;
  format: Format;
  from?: Position;
  known?: IngestedFile;
  /** the first lines (when the format was sniffed now) */
  sample?: readonly string[];
}

/** identify the file (new, grown, interrupted, already read) and record it; a FileOutcome when
 *  there is nothing to read */
async function prepare(f: FoundFile, index: number, store: Store, forced: Format | undefined, run: Known, waitFor?: ReadonlySet<number>): Promise<Prepared | FileOutcome | 'later'> {
  const outcome: FileOutcome = { path: f.path, action: 'ingested', lines: 0, events: 0, rejects: 0, notes: [] };
  if (f.size === 0) return { ...outcome, action: 'skipped', why: 'empty file' };

  const { known, fpLen, fpHash } = await identify(store, f, run);
  if (known && waitFor?.has(known.id)) return 'later';
  let file: IngestedFile;
  let format: Format | undefined;
  let from: Position | undefined;
  let sample: readonly string[] | undefined;

  if (known) {
    const same = known.path === f.path ? '' : ` (same content as ${known.path})`;
    if (known.complete && f.size === known.size) return { ...outcome, action: 'skipped', why: `already ingested, unchanged${same}` };
    if (f.size < known.size) return { ...outcome, action: 'skipped', why: `smaller than when it was ingested (${known.size} bytes): rotated or truncated? not read again${same}` };
    format = (registry as Record<string, Format>)[known.format];
    if (!format) return { ...outcome, action: 'skipped', why: `ingested earlier as format "${known.format}", which this version does not know` };
    file = { ...known, path: f.path, size: f.size, fpLen, fpHash };
    from = { offset: known.offset, nextLine: known.provisionalFrom ?? known.nextLine };
    outcome.action = 'resumed';
    outcome.why = known.complete ? `grew from ${known.size} to ${f.size} bytes: reading from line ${from.nextLine}` : `continuing an interrupted ingest at line ${from.nextLine}`;
  } else {
    if (forced) format = forced;
    else {
      const s = await sniffFile(f.path);
      if (!s.format) return { ...outcome, action: 'skipped', why: s.reason };
      format = s.format;
      sample = s.lines;
    }
    file = await store.addFile({
      path: f.path, size: f.size, fpLen, fpHash, format: format.name, offset: 0, nextLine: 1, seekable: true,
      state: undefined, provisionalFrom: null, complete: false, lines: 0, rejects: 0,
    });
    if (fpLen < FINGERPRINT_BYTES) run.shortLens?.add(fpLen);
  }
  outcome.format = format.name;
  return { f, index, outcome, file, format, ...(from ? { from } : {}), ...(known ? { known } : {}), ...(sample ? { sample } : {}) };
}

async function parseFile(
  p: Prepared, batcher: Batcher, summary: IngestSummary,
  progress: (bytes: number, lines: number, rejects: number) => void,
): Promise<FileOutcome> {
  const { f, outcome, file, format, from, known } = p;
  if (known && known.provisionalFrom !== null) batcher.replaceFrom(file.id, known.provisionalFrom);
  const kind = format.kind;

  let examplesKept = 0;
  const reject = (line: number, reason: RejectReason, detail?: string) => {
    outcome.rejects++;
    summary.rejectsByReason[reason] = (summary.rejectsByReason[reason] ?? 0) + 1;
    if (examplesKept < EXAMPLES_PER_FILE) {
      examplesKept++;
      batcher.reject({ fileId: file.id, line, reason, detail: detail ?? '' });
      if (summary.examples.length < EXAMPLES_IN_SUMMARY) summary.examples.push(detail ? { file: f.path, line, reason, detail } : { file: f.path, line, reason });
    }
  };
  const note = (m: string) => { if (!outcome.notes.includes(m)) outcome.notes.push(m); };
  let out = batcher.writer(kind, file.id);
  const parser = format.parser({ file: f.path, get out() { return out; }, reject, note }, from ? file.state : undefined);

  const linesAtStart = file.lines;
  const rejectsAtStart = known?.rejects ?? 0;
  let rowsBefore = out.rows;
  let events = 0;
  const countRows = () => { events += out.rows - rowsBefore; rowsBefore = out.rows; };
  const checkpoint = (at: Position, complete: boolean, provisionalFrom: number | null, seekable: boolean) => {
    batcher.checkpoint({
      ...file, offset: at.offset, nextLine: at.nextLine, state: parser.state(), seekable, provisionalFrom, complete,
      lines: linesAtStart + outcome.lines, rejects: rejectsAtStart + outcome.rejects,
    });
  };

  let lines = 0;
  let lastProgress = 0;
  const result = await frameFile(f.path, {
    line(buf, s, e, n, off) { lines++; parser.line(buf, s, e, n, off); },
    reject,
    note,
    async afterChunk(at) {
      outcome.lines = lines;
      const now = performance.now();
      if (now - lastProgress > 200) { lastProgress = now; progress(at.offset, lines, outcome.rejects); }
      if (batcher.size >= batcher.maxBytes) {
        const p = parser.pending?.();
        countRows();
        checkpoint(p ? { offset: p.offset, nextLine: p.line } : at, false, null, at.seekable ?? false);
        await batcher.flush();
        out = batcher.writer(kind, file.id);
        rowsBefore = out.rows;
      }
    },
  }, { ...(from ? { from } : {}), chunkBytes: Math.min(4 << 20, Math.max(64 * 1024, batcher.maxBytes)) });

  outcome.lines = result.lines;
  // an entry still open at the end of the file, or a last line without its line end, may still be
  // completed by the writer: its rows are provisional and are read again when the file grows
  const pending = parser.pending?.();
  parser.end();
  countRows();
  outcome.events = events;
  let end = result.end;
  let provisional: number | null = null;
  if (pending) { provisional = pending.line; end = { offset: pending.offset, nextLine: pending.line }; }
  if (result.unterminatedTail && (provisional === null || result.unterminatedTail.nextLine < provisional)) {
    provisional = result.unterminatedTail.nextLine;
    end = result.unterminatedTail;
  }
  checkpoint(end, true, provisional, result.seekable);
  await batcher.flushIfFull();
  progress(f.size, lines, outcome.rejects);
  return outcome;
}

/** Rounds of whole-file loads (see the comment where ingest() uses it). */
class BulkRounds {
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
    const spec = p.format.bulk;
    if (!this.store?.bulkLoad || !spec || !p.sample || p.known) return false;
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
        const s = await prescan(r.p.f.path, r.p.f.size);
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
      const results = await this.store!.bulkLoad!(group[0]!.p.format.bulk!, files);
      results.forEach((res, k) => {
        const { p, lines } = group[k]!;
        if (!res.loaded) { this.fallback.push(p); return; }
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
