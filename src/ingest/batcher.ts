// Batches across files: rows of many small files share one batch, a large file spans several.
// Each file's resume point travels in the same batch as its rows. One batch loads while the next
// is being parsed (at most one in flight), so parsing and the store's bulk load overlap. A batch
// commits alone, or, on a lane (store/types.ts BatchLane), together with the batches before it
// once they hold `txnBytes`.
import { recordTables, type RecordKind } from '../schema/tables.js';
import type { Batch, BatchLane, IngestedFile, RejectExample, Store } from '../store/types.js';
import { TsvWriter } from '../schema/tsv.js';

export interface BatchMark {
  /** flushes done when the mark was taken: a flush since then already sent the earlier rows */
  readonly flushes: number;
  readonly writers: Map<RecordKind, { pos: number; rows: number }>;
  readonly rejects: number;
  readonly replace: number;
  readonly files: ReadonlySet<number>;
}

export class Batcher {
  private readonly writers = new Map<RecordKind, TsvWriter>();
  private files = new Map<number, IngestedFile>();
  private rejects: RejectExample[] = [];
  private replace: { fileId: number; fromLine: number }[] = [];
  private inflight: Promise<void> | undefined;
  /** rows handed to the store so far */
  committedRows = 0;
  private flushes = 0;
  /** batches applied on the lane and not committed yet (without their rows), and their bytes */
  private held: Batch[] = [];
  private heldBytes = 0;

  constructor(
    private readonly store: Store,
    readonly maxBytes: number,
    private readonly onCommit?: (b: Batch) => void,
    private readonly lane?: BatchLane,
    private readonly txnBytes = maxBytes,
  ) {}

  /** the shared row writer of a table, set to write rows of `fileId` */
  writer(kind: RecordKind, fileId: number): TsvWriter {
    let w = this.writers.get(kind);
    if (!w) {
      w = new TsvWriter(recordTables[kind], fileId, this.store.capabilities.tsvBackslashEscapes, Math.min(this.maxBytes + (1 << 20), 64 << 20));
      this.writers.set(kind, w);
    }
    w.fileId = fileId;
    return w;
  }

  get size(): number {
    let n = 0;
    for (const w of this.writers.values()) n += w.size;
    return n;
  }

  /** a point to roll back to if the current file fails half-way */
  mark(): BatchMark {
    return {
      flushes: this.flushes,
      writers: new Map([...this.writers].map(([k, w]) => [k, w.mark()])),
      rejects: this.rejects.length,
      replace: this.replace.length,
      files: new Set(this.files.keys()),
    };
  }

  /** drop what was added since the mark (rows, rejects, replacements, checkpoints). When a batch was flushed in
   *  between, that batch held everything older, so all that is buffered now came after the mark. */
  rollback(m: BatchMark): void {
    const same = m.flushes === this.flushes;
    for (const [k, w] of this.writers) w.truncate(same ? (m.writers.get(k) ?? { pos: 0, rows: 0 }) : { pos: 0, rows: 0 });
    this.rejects.length = same ? m.rejects : 0;
    this.replace.length = same ? m.replace : 0;
    for (const id of [...this.files.keys()]) if (!same || !m.files.has(id)) this.files.delete(id);
  }

  /** the file's resume point, valid for the rows written so far */
  checkpoint(f: IngestedFile): void {
    this.files.set(f.id, f);
  }

  reject(r: RejectExample): void {
    this.rejects.push(r);
  }

  /** delete the file's rows from `fromLine` on, before this batch's rows go in */
  replaceFrom(fileId: number, fromLine: number): void {
    this.replace.push({ fileId, fromLine });
  }

  async flushIfFull(): Promise<void> {
    if (this.size >= this.maxBytes) await this.flush();
  }

  /** hand the batch to the store (waiting for the previous one first) */
  async flush(): Promise<void> {
    if (this.inflight) await this.inflight;
    if (this.files.size === 0 && this.size === 0) return;
    const rows: Batch['rows'] = {};
    const rowCounts: Batch['rowCounts'] = {};
    for (const [k, w] of this.writers) {
      if (w.rows === 0) continue;
      rowCounts[k] = w.rows;
      this.committedRows += w.rows;
      rows[k] = w.take();
    }
    const batch: Batch = { files: [...this.files.values()], rows, rowCounts, rejects: this.rejects, replace: this.replace };
    this.files = new Map();
    this.rejects = [];
    this.replace = [];
    this.flushes++;
    const p = this.send(
      batch,
      Object.values(rows).reduce((a, r) => a + (r?.length ?? 0), 0),
    );
    // a failure is rethrown by the next await of `inflight`; until then it is not "unhandled"
    p.catch(() => {});
    this.inflight = p;
  }

  private async send(batch: Batch, bytes: number): Promise<void> {
    if (!this.lane) {
      await this.store.appendBatch(batch);
      this.onCommit?.(batch);
      return;
    }
    await this.lane.append(batch);
    // kept for onCommit without its rows (their buffers are freed now)
    this.held.push({ ...batch, rows: {} });
    this.heldBytes += bytes;
    if (this.heldBytes >= this.txnBytes) await this.commit();
  }

  private async commit(): Promise<void> {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    await this.lane?.commit();
    for (const b of held) this.onCommit?.(b);
  }

  /** wait until no batch is in flight, whatever its outcome (before the lane is closed after a failure) */
  async quiesce(): Promise<void> {
    await this.inflight?.catch(() => {});
  }

  /** everything handed to the store and committed */
  async finish(): Promise<void> {
    await this.flush();
    if (this.inflight) await this.inflight;
    this.inflight = undefined;
    await this.commit();
  }
}
