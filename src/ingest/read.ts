// Reading one file into batches: a text format's parser over the framed lines, or a binary format's
// own record reader. Either way the rows go to the batcher's writers (one per table the format
// writes), and the file's resume point travels in the batch that holds its rows: for text a line and
// its byte offset, for binary formats the next record number and the format's own offset and state.
import type { BinaryFormat, Format, RecordPosition, RejectReason, RowContext, TextFormat } from '../formats/types.js';
import type { RecordKind } from '../schema/tables.js';
import type { TsvWriter } from '../schema/tsv.js';
import type { Batcher } from './batcher.js';
import { frameFile, type Position } from './framer.js';
import type { FileOutcome, IngestSummary, Prepared } from './types.js';

const EXAMPLES_PER_FILE = 10;
const EXAMPLES_IN_SUMMARY = 20;

export type Progress = (bytes: number, lines: number, rejects: number) => void;

/** read the file with its format (its record is in the store already), returning what came of it */
export function readFile(p: Prepared, batcher: Batcher, summary: IngestSummary, progress: Progress): Promise<FileOutcome> {
  const f = p.format;
  return f.binary ? readRecords(p, f, batcher, summary, progress) : parseLines(p, f, batcher, summary, progress);
}

/** The writers of the tables a format writes, for one file, and the rows they received. */
class FileRows {
  private readonly writers: TsvWriter[];
  private before: number[];
  private readonly clampedBefore: number[];
  private total = 0;
  /** RowContext.out: the main table is one comparison away (it is called per row) */
  readonly out: (kind: RecordKind) => TsvWriter;

  constructor(format: Format, batcher: Batcher, fileId: number) {
    const kinds = format.tables;
    if (kinds.length === 0) throw new Error(`format ${format.name} declares no table`);
    this.writers = kinds.map((k) => batcher.writer(k, fileId));
    this.before = this.writers.map((w) => w.rows);
    this.clampedBefore = this.writers.map((w) => w.clamped);
    for (const w of this.writers) w.clampedExample = undefined;
    const main = kinds[0]!,
      mainWriter = this.writers[0]!;
    this.out = (kind) => {
      if (kind === main) return mainWriter;
      const i = kinds.indexOf(kind);
      if (i < 0) throw new Error(`format ${format.name} wrote a row to table ${kind}, which its \`tables\` do not list`);
      return this.writers[i]!;
    };
  }

  /** rows written since the file started (counted before each flush, which empties the writers) */
  count(): number {
    this.writers.forEach((w, i) => {
      this.total += w.rows - this.before[i]!;
      this.before[i] = w.rows;
    });
    return this.total;
  }

  /** a note on the numbers the writers stored as NULL for this file (too big for their column) */
  clampedNote(): string | undefined {
    let n = 0;
    let first: TsvWriter['clampedExample'];
    this.writers.forEach((w, i) => {
      n += w.clamped - this.clampedBefore[i]!;
      if (w.clampedExample && (!first || w.clampedExample.line < first.line)) first = w.clampedExample;
    });
    if (n === 0 || !first) return undefined;
    return `${n} number(s) too big for their column were stored as NULL (the rest of each line was kept), first at line ${first.line}: ${first.column} ${first.value}`;
  }

  /** after a flush: the writers start again from 0 rows */
  flushed(): void {
    this.before = this.writers.map((w) => w.rows);
  }
}

/** the file's reject and note callbacks: counted in the outcome and the summary, the first examples kept */
function callbacks(p: Prepared, batcher: Batcher, summary: IngestSummary): Pick<RowContext, 'reject' | 'note'> {
  const { f, outcome, file } = p;
  let examplesKept = 0;
  return {
    reject(line: number, reason: RejectReason, detail?: string) {
      outcome.rejects++;
      summary.rejectsByReason[reason] = (summary.rejectsByReason[reason] ?? 0) + 1;
      if (examplesKept < EXAMPLES_PER_FILE) {
        examplesKept++;
        batcher.reject({ fileId: file.id, line, reason, detail: detail ?? '' });
        if (summary.examples.length < EXAMPLES_IN_SUMMARY)
          summary.examples.push(detail ? { file: f.path, line, reason, detail } : { file: f.path, line, reason });
      }
    },
    note(m: string) {
      if (!outcome.notes.includes(m)) outcome.notes.push(m);
    },
  };
}

async function parseLines(p: Prepared, format: TextFormat, batcher: Batcher, summary: IngestSummary, progress: Progress): Promise<FileOutcome> {
  const { f, outcome, file, from, known } = p;
  if (known && known.provisionalFrom !== null) batcher.replaceFrom(file.id, known.provisionalFrom);

  const { reject, note } = callbacks(p, batcher, summary);
  const rows = new FileRows(format, batcher, file.id);
  const parser = format.parser({ file: f.path, out: rows.out, reject, note, ...(p.hints ? { hints: p.hints } : {}) }, from ? file.state : undefined);

  const linesAtStart = file.lines;
  const rejectsAtStart = known?.rejects ?? 0;
  const checkpoint = (at: Position, complete: boolean, provisionalFrom: number | null, seekable: boolean, size = file.size) => {
    batcher.checkpoint({
      ...file,
      size,
      offset: at.offset,
      nextLine: at.nextLine,
      state: parser.state(),
      seekable,
      provisionalFrom,
      complete,
      lines: linesAtStart + outcome.lines,
      rejects: rejectsAtStart + outcome.rejects,
    });
  };

  let lines = 0;
  let lastProgress = 0;
  const result = await frameFile(
    f.fsPath,
    {
      line(buf, s, e, n, off) {
        lines++;
        parser.line(buf, s, e, n, off);
      },
      reject,
      note,
      async afterChunk(at) {
        outcome.lines = lines;
        const now = performance.now();
        if (now - lastProgress > 200) {
          lastProgress = now;
          progress(at.offset, lines, outcome.rejects);
        }
        if (batcher.size >= batcher.maxBytes) {
          const pend = parser.pending?.();
          rows.count();
          checkpoint(pend ? { offset: pend.offset, nextLine: pend.line } : at, false, null, at.seekable ?? false);
          await batcher.flush();
          rows.flushed();
        }
      },
    },
    {
      ...(from ? { from } : {}),
      chunkBytes: Math.min(4 << 20, Math.max(64 * 1024, batcher.maxBytes)),
      expect: { dev: f.dev, ino: f.ino, size: f.size },
    },
  );
  if (result.gzipProblem) summary.errors.push({ path: f.path, message: result.gzipProblem.message });

  outcome.lines = result.lines;
  // an entry still open at the end of the file, or a last line without its line end, may still be
  // completed by the writer: its rows are provisional and are read again when the file grows
  const pending = parser.pending?.();
  parser.end();
  outcome.events = rows.count();
  const clamped = rows.clampedNote();
  if (clamped) note(clamped);
  let end = result.end;
  let provisional: number | null = null;
  if (pending) {
    provisional = pending.line;
    end = { offset: pending.offset, nextLine: pending.line };
  }
  if (result.unterminatedTail && (provisional === null || result.unterminatedTail.nextLine < provisional)) {
    provisional = result.unterminatedTail.nextLine;
    end = result.unterminatedTail;
  }
  // a plain file is remembered with the size it had where reading ended (it may have shrunk or grown
  // while it was read): the next run then finds it unchanged, or grown from there
  checkpoint(end, true, provisional, result.seekable, result.seekable && !result.gzip ? result.sourceBytes : file.size);
  await batcher.flushIfFull();
  progress(f.size, lines, outcome.rejects);
  return outcome;
}

/** A binary format reads the file itself; it says where it stands between records (ctx.checkpoint),
 *  and there the batch may be handed to the store with that position as the resume point. */
async function readRecords(p: Prepared, format: BinaryFormat, batcher: Batcher, summary: IngestSummary, progress: Progress): Promise<FileOutcome> {
  const { f, outcome, file, from, known } = p;
  if (known && known.provisionalFrom !== null) batcher.replaceFrom(file.id, known.provisionalFrom);

  const { reject, note } = callbacks(p, batcher, summary);
  const rows = new FileRows(format, batcher, file.id);
  const linesAtStart = file.lines;
  const rejectsAtStart = known?.rejects ?? 0;
  const first = from?.nextLine ?? 1;
  const checkpoint = (at: RecordPosition, complete: boolean, provisionalFrom: number | null) => {
    batcher.checkpoint({
      ...file,
      offset: at.offset,
      nextLine: at.record,
      state: at.state,
      seekable: true,
      provisionalFrom,
      complete,
      lines: linesAtStart + outcome.lines,
      rejects: rejectsAtStart + outcome.rejects,
    });
  };

  let lastProgress = 0;
  const res = await format.records(
    {
      file: f.path,
      out: rows.out,
      reject,
      note,
      ...(p.hints ? { hints: p.hints } : {}),
      async checkpoint(at) {
        outcome.lines = at.record - first;
        const now = performance.now();
        if (now - lastProgress > 200) {
          lastProgress = now;
          progress(at.offset, outcome.lines, outcome.rejects);
        }
        if (batcher.size >= batcher.maxBytes) {
          rows.count();
          checkpoint(at, false, null);
          await batcher.flush();
          rows.flushed();
        }
      },
    },
    { path: f.path, size: f.size, ...(from ? { from: { offset: from.offset, record: from.nextLine, state: file.state } } : {}) },
  );

  outcome.lines = res.records;
  outcome.events = rows.count();
  const clamped = rows.clampedNote();
  if (clamped) note(clamped);
  checkpoint(res.provisional ?? res.end, true, res.provisional ? res.provisional.record : null);
  await batcher.flushIfFull();
  progress(f.size, outcome.lines, outcome.rejects);
  return outcome;
}
