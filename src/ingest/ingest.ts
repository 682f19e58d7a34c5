// The ingest pipeline: paths -> files -> identity (already seen? grown? new?) -> format -> rows
// (framed lines through a text format's parser, or a binary format's own record reader: read.ts)
// -> row batches -> store. Each batch commits its rows together with the file's new resume point,
// so re-running never doubles a row and an interrupted run continues where the last committed batch
// ended. While the store loads one batch, the next is being parsed.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { formatList } from '../formats/registry.js';
import type { Format } from '../formats/types.js';
import { recordTables } from '../schema/tables.js';
import type { Batch, BatchLane, IngestedFile, Store } from '../store/types.js';
import { expandPaths, describeFsError, type FoundFile } from './files.js';
import type { Position } from './framer.js';
import { sniffFile } from './sniff.js';
import { Batcher } from './batcher.js';
import { BulkRounds } from './bulk.js';
import { readFile } from './read.js';
import { isFsError, type FileOutcome, type IngestSummary, type Prepared } from './types.js';

export type { FileOutcome, IngestProgress, IngestSummary } from './types.js';
import type { IngestProgress } from './types.js';

export const FINGERPRINT_BYTES = 4096;
/** files of a format identified by their whole content are hashed whole up to this size */
const WHOLE_IDENTITY_BYTES = 64 << 20;
const BATCH_BYTES = 16 << 20;
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
  /** the formats to sniff, force and resume with (default: every format of formats/registry.ts;
   *  tests pass formats of their own) */
  formats?: readonly Format[];
  /** the store waits for another ingest to finish (ClickHouse): the CLI says so on stderr */
  onWait?(message: string): void;
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
  /** what the user says about the files, for formats that cannot tell from the files alone
   *  (`mailbox`: whose calendar export they are, `mxray ingest --mailbox`); RowContext.hints */
  hints?: Readonly<Record<string, string>>;
}

/** a format some of whose tables have a record key (schema/tables.ts): its rows are checked against
 *  the rows stored before them, so all its files go through one lane (below) */
function writesKeyedRows(format: Format): boolean {
  return format.tables.some((k) => (recordTables[k].recordKey?.length ?? 0) > 0);
}

/** the first `len` bytes of a file (fewer if it is shorter) */
async function head(path: string | Buffer, len: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(len);
    const { bytesRead } = await fh.read(b, 0, len, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function fingerprint(path: string | Buffer, len: number): Promise<string> {
  return createHash('sha1')
    .update(await head(path, len))
    .digest('hex');
}

/** what identify() remembers during one run: the short fingerprints in the store by length (asked
 *  once, then kept up to date as files are recorded) */
interface Known {
  short?: Map<number, Set<string>>;
}

/** the stored file with the same content at its start, if any (a re-run, a copy, or a grown log).
 *  A file recorded while it was shorter than the fingerprint has a short fingerprint: this file's
 *  hash over each such length is worked out in one pass over its first bytes (a SHA-1 state copied
 *  at each length), and the store is asked only where a stored fingerprint has that hash — not once
 *  per stored length and file, which made a folder of small files quadratic (90 calendar exports:
 *  2,015 lookups). */
async function identify(store: Store, f: FoundFile, run: Known): Promise<{ known?: IngestedFile; fpLen: number; fpHash: string }> {
  const fpLen = Math.min(f.size, FINGERPRINT_BYTES);
  const first = await head(f.fsPath, fpLen);
  const fpHash = createHash('sha1').update(first).digest('hex');
  const [known] = await store.filesByFingerprint(fpLen, fpHash);
  if (known) return { known, fpLen, fpHash };
  if (!run.short) {
    run.short = new Map();
    for (const s of await store.shortFingerprints()) addShort(run, s.fpLen, s.fpHash);
  }
  const hash = createHash('sha1');
  let at = 0;
  for (const len of [...run.short.keys()].sort((a, b) => a - b)) {
    if (len >= first.length) break;
    hash.update(first.subarray(at, len));
    at = len;
    const prefix = hash.copy().digest('hex');
    if (!run.short.get(len)!.has(prefix)) continue;
    const [k] = await store.filesByFingerprint(len, prefix);
    if (k) return { known: k, fpLen, fpHash };
  }
  return { fpLen, fpHash };
}

function addShort(run: Known, fpLen: number, fpHash: string): void {
  let hashes = run.short?.get(fpLen);
  if (!hashes) {
    hashes = new Set();
    run.short?.set(fpLen, hashes);
  }
  hashes.add(fpHash);
}

export async function ingest(paths: readonly string[], opts: IngestOptions): Promise<IngestSummary> {
  const t0 = performance.now();
  const { store } = opts;
  const { files, errors, notes } = await expandPaths(paths);
  const summary: IngestSummary = {
    files: 0,
    skippedFiles: 0,
    lines: 0,
    events: 0,
    rejects: 0,
    rejectsByReason: {},
    examples: [],
    formats: {},
    wholeFiles: 0,
    errors: [...errors],
    notes: [...notes],
    bytes: 0,
    seconds: 0,
    details: [],
  };
  const formats = opts.formats ?? formatList;
  let forced: Format | undefined;
  if (opts.format !== undefined) {
    forced = formats.find((f) => f.name === opts.format);
    if (!forced) throw new Error(`unknown format "${opts.format}"; known formats: ${formats.map((f) => f.name).join(', ')}`);
  }

  // MXRAY_TRACE_BATCHES=1 tells (on stderr) when each batch is committed: tests use it to kill an
  // ingest at a known point
  const trace = process.env.MXRAY_TRACE_BATCHES ? (b: Batch) => process.stderr.write(`mxray-trace: batch committed (${b.files.length} file(s))\n`) : undefined;
  const batchBytes = opts.batchBytes ?? envBytes('MXRAY_BATCH_BYTES', BATCH_BYTES);
  const txnBytes = opts.txnBytes ?? envBytes('MXRAY_TXN_BYTES', TXN_BYTES);
  const roundBytes = opts.bulkRoundBytes ?? envBytes('MXRAY_BULK_ROUND_BYTES', BULK_ROUND_BYTES);
  await store.ingestStarting?.((m) => opts.onWait?.(m));
  const lanes: BatchLane[] = [];
  let batchers: Batcher[] = [];
  let finished = false;
  try {
    if (store.openLane) for (let i = 0; i < LANES; i++) lanes.push(await store.openLane());
    batchers = lanes.length ? lanes.map((l) => new Batcher(store, batchBytes, trace, l, txnBytes)) : [new Batcher(store, batchBytes, trace)];
    await run(files, summary, batchers, roundBytes, opts, formats, forced, t0);
    finished = true;
  } finally {
    // after a failure another lane may still be loading: let it end before its connection closes
    for (const b of batchers) await b.quiesce();
    for (const l of lanes) await l.close();
    // and only then may the next ingest go
    if (!finished) await store.ingestAborted?.();
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
  files: FoundFile[],
  summary: IngestSummary,
  batchers: Batcher[],
  roundBytes: number,
  opts: IngestOptions,
  formats: readonly Format[],
  forced: Format | undefined,
  t0: number,
): Promise<void> {
  const { store } = opts;
  const bytesTotal = files.reduce((a, f) => a + f.size, 0);
  let bytesBefore = 0;
  // files are dealt to the batchers (lanes) in turn; readFile keeps a file's batches on its one.
  // Files of formats with keyed rows all go to the first: a lane's transaction does not see what
  // another lane has not committed yet, so two lanes could each store the same record.
  let dealt = 0;
  const settle = async () => {
    for (const b of batchers) await b.finish();
  };

  const outcomes: (FileOutcome | undefined)[] = new Array(files.length);
  const failed = (f: FoundFile, e: unknown): FileOutcome => {
    const why = describeFsError(e);
    summary.errors.push({ path: f.path, message: why });
    return { path: f.path, action: 'failed', why, lines: 0, events: 0, rejects: 0, notes: [] };
  };
  const parse = async (p: Prepared): Promise<FileOutcome> => {
    const batcher = writesKeyedRows(p.format) ? batchers[0]! : batchers[dealt++ % batchers.length]!;
    const mark = batcher.mark();
    try {
      return await readFile(opts.hints ? { ...p, hints: opts.hints } : p, batcher, summary, (done, lines, rejects) =>
        opts.onProgress?.({ file: p.f.path, fileIndex: p.index, fileCount: files.length, bytesDone: bytesBefore + done, bytesTotal, lines, rejects }),
      );
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
  const bulk = new BulkRounds(
    wholeFiles ? store : undefined,
    roundBytes,
    (p, o) => {
      outcomes[p.index] = o;
      bytesBefore += p.f.size;
    },
    failed,
    (p) => {
      opts.onProgress?.({ file: p.f.path, fileIndex: p.index, fileCount: files.length, bytesDone: bytesBefore, bytesTotal, lines: 0, rejects: 0 });
    },
  );

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
        p = await prepare(f, i, store, formats, forced, known, waitFor);
      } catch (e) {
        if (!isFsError(e)) throw e;
        p = failed(f, e);
      }
      if (p === 'later') later.push(i);
      else if ('action' in p) {
        if (p.action === 'failed' && !summary.errors.some((e) => e.path === f.path)) summary.errors.push({ path: f.path, message: p.why ?? 'failed' });
        outcomes[i] = p;
        bytesBefore += f.size;
      } else {
        if (!p.known) addedNow.add(p.file.id);
        if (!(await bulk.offer(p))) toParse.push(p);
      }
    }
    for (const p of toParse) outcomes[p.index] = await parse(p);
    for (const p of await bulk.finish()) outcomes[p.index] = await parse(p);
    return later;
  };
  const later = await pass(
    files.map((_, i) => i),
    addedNow,
  );
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

/** identify the file (new, grown, interrupted, already read) and record it; a FileOutcome when
 *  there is nothing to read */
async function prepare(
  f: FoundFile,
  index: number,
  store: Store,
  formats: readonly Format[],
  forced: Format | undefined,
  run: Known,
  waitFor?: ReadonlySet<number>,
): Promise<Prepared | FileOutcome | 'later'> {
  const outcome: FileOutcome = { path: f.path, action: 'ingested', lines: 0, events: 0, rejects: 0, notes: [] };
  if (f.size === 0) return { ...outcome, action: 'skipped', why: 'empty file' };

  const found = await identify(store, f, run);
  const { fpLen, fpHash } = found;
  let known = found.known;
  // a file of a format whose files never grow (a .msg) is another file when its size differs, even
  // where its first bytes equal a stored one's: a cut copy read before the complete one, two items
  // that share their compound-file header. Resuming it "from record 2" would lose its one record.
  if (known && f.size !== known.size) {
    const was = formats.find((x) => x.name === known!.format);
    if (was?.binary && was.wholeFileIdentity) known = undefined;
  }
  if (known && waitFor?.has(known.id)) return 'later';
  let file: IngestedFile;
  let format: Format | undefined;
  let from: Position | undefined;
  let sample: readonly string[] | undefined;

  if (known) {
    const same = known.path === f.path ? '' : ` (same content as ${known.path})`;
    if (known.complete && f.size === known.size) return { ...outcome, action: 'skipped', why: `already ingested, unchanged${same}` };
    if (f.size < known.size)
      return { ...outcome, action: 'skipped', why: `smaller than when it was ingested (${known.size} bytes): rotated or truncated? not read again${same}` };
    format = formats.find((x) => x.name === known.format);
    if (!format) return { ...outcome, action: 'skipped', why: `ingested earlier as format "${known.format}", which this version does not know` };
    file = { ...known, path: f.path, size: f.size, fpLen, fpHash };
    from = { offset: known.offset, nextLine: known.provisionalFrom ?? known.nextLine };
    outcome.action = 'resumed';
    const at = `${format.binary ? 'record' : 'line'} ${from.nextLine}`;
    outcome.why = known.complete ? `grew from ${known.size} to ${f.size} bytes: reading from ${at}` : `continuing an interrupted ingest at ${at}`;
  } else {
    if (forced) format = forced;
    else {
      const s = await sniffFile(f.fsPath, formats, basename(f.path));
      // a damaged .gz with no readable line is an error (a file with lines of no known format is skipped)
      if (!s.format) return { ...outcome, action: s.problem ? 'failed' : 'skipped', why: s.reason };
      format = s.format;
      sample = s.lines;
    }
    // a format whose files never grow and may share their first 4 KiB (.msg files: the compound
    // file's header and tables) is identified by its whole content (formats/types.ts)
    let id = { fpLen, fpHash };
    if (format.binary && format.wholeFileIdentity && f.size > fpLen && f.size <= WHOLE_IDENTITY_BYTES) {
      id = { fpLen: f.size, fpHash: await fingerprint(f.path, f.size) };
      const [same] = await store.filesByFingerprint(id.fpLen, id.fpHash);
      if (same?.complete)
        return { ...outcome, action: 'skipped', why: `already ingested, unchanged${same.path === f.path ? '' : ` (same content as ${same.path})`}` };
    }
    file = await store.addFile({
      path: f.path,
      size: f.size,
      ...id,
      format: format.name,
      offset: 0,
      nextLine: 1,
      seekable: true,
      state: undefined,
      provisionalFrom: null,
      complete: false,
      lines: 0,
      rejects: 0,
    });
    if (run.short && id.fpLen < FINGERPRINT_BYTES) addShort(run, id.fpLen, id.fpHash);
  }
  outcome.format = format.name;
  return { f, index, outcome, file, format, ...(from ? { from } : {}), ...(known ? { known } : {}), ...(sample ? { sample } : {}) };
}
