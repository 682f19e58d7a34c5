// Records that come from a running part of mxray rather than from a file — a presence poller's
// samples, a monitor's probe results — are stored exactly like a file's: as the numbered lines of one
// pseudo-file per source (`live:presence-poll`, `live:monitor`), appended batch by batch through
// Store.appendBatch. So they get everything the ingest guarantees on both backends (atomic batches,
// ClickHouse's batch-id commits, a record key where the table has one) and an origin (file_id, line)
// like every row, which rules use to find what is new since their last run.
import { createHash } from 'node:crypto';
import { recordTables, type RecordKind } from '../schema/tables.js';
import { TsvWriter } from '../schema/tsv.js';
import type { IngestedFile, LiveAppender, LiveRows, LiveTail, LiveTailPart, LiveValue, Store } from './types.js';

export type { LiveValue } from './types.js';

/** fingerprint of a live source: length 0 with the hash of its path (a real file's hash over 0 bytes
 *  is the hash of nothing), so no file is mistaken for a live source or the other way round */
const LIVE_FP_LEN = 0;

const utc = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

export class LiveLog implements LiveAppender, LiveTail {
  private constructor(
    private readonly store: Store,
    private file: IngestedFile,
  ) {}

  /** the pseudo-file of `source` (created on first use) */
  static async open(store: Store, source: string): Promise<LiveLog> {
    if (!/^[a-z][a-z0-9-]*$/.test(source)) throw new Error(`a live source is named in lower case letters, digits and hyphens, not ${JSON.stringify(source)}`);
    const path = `live:${source}`;
    const fpHash = createHash('sha256').update(path).digest('hex');
    const [known] = (await store.filesByFingerprint(LIVE_FP_LEN, fpHash)).filter((f) => f.path === path);
    const file =
      known ??
      (await store.addFile({
        path,
        size: 0,
        fpLen: LIVE_FP_LEN,
        fpHash,
        format: `live-${source}`,
        offset: 0,
        nextLine: 1,
        seekable: false,
        state: undefined,
        provisionalFrom: null,
        complete: true,
        lines: 0,
        rejects: 0,
      }));
    return new LiveLog(store, file);
  }

  /** the store's id of the pseudo-file (the rows' file_id) */
  get fileId(): number {
    return this.file.id;
  }

  /** records appended so far (the next one gets line count + 1) */
  get count(): number {
    return this.file.nextLine - 1;
  }

  /** the first provisional line (LiveTail); null when none was ever set */
  get provisionalFrom(): number | null {
    return this.file.provisionalFrom;
  }

  /** another pseudo-file of the same store */
  sibling(source: string): Promise<LiveLog> {
    return LiveLog.open(this.store, source);
  }

  /** append rows to one or more tables in one atomic batch; rows are numbered on from the last one;
   *  `tail`: rows of a sibling pseudo-file in the same batch, replacing its rows from a line on */
  async append(rows: LiveRows, tail?: LiveTailPart): Promise<void> {
    const other = tail?.to;
    if (other !== undefined && (!(other instanceof LiveLog) || other.store !== this.store || other === this))
      throw new Error('a live tail is another LiveLog of the same store');
    const parts: { log: LiveLog; rows: LiveRows; from: number; provisionalFrom: number | null; replace: boolean }[] = [
      { log: this, rows, from: this.file.nextLine, provisionalFrom: this.file.provisionalFrom, replace: false },
    ];
    if (tail && other) {
      const from = tail.replaceFrom ?? other.file.nextLine;
      if (!(Number.isInteger(from) && from >= 1 && from <= other.file.nextLine)) throw new Error(`a live tail is replaced from a line it has, not ${from}`);
      parts.push({ log: other, rows: tail.rows, from, provisionalFrom: tail.provisionalFrom, replace: tail.replaceFrom !== undefined });
    }
    const writers = new Map<RecordKind, TsvWriter>();
    const counts: Partial<Record<RecordKind, number>> = {};
    const files: IngestedFile[] = [];
    for (const part of parts) {
      let line = part.from;
      for (const [kind, list] of Object.entries(part.rows) as [RecordKind, readonly (readonly LiveValue[])[]][]) {
        if (!list?.length) continue;
        const table = recordTables[kind];
        let w = writers.get(kind);
        if (!w) writers.set(kind, (w = new TsvWriter(table, part.log.file.id, this.store.capabilities.tsvBackslashEscapes, 64 << 10)));
        w.fileId = part.log.file.id;
        for (const values of list) {
          if (values.length !== table.columns.length - 2)
            throw new Error(`a row for ${table.name} has ${values.length} values, the table has ${table.columns.length - 2} columns after file_id and line`);
          w.begin(line++);
          // an index loop: entries() makes an iterator and a pair per value, and a presence poller's
          // cycle of 20,000 users writes about a million values
          for (let i = 0; i < values.length; i++) {
            const v = values[i] as LiveValue;
            if (v === null) w.nul();
            else if (v instanceof Date) w.text(utc(v));
            else if (typeof v === 'number') {
              if (table.columns[i + 2]!.type === 'text') w.text(String(v));
              else w.int(v);
            } else w.text(v);
          }
          w.end();
        }
        counts[kind] = (counts[kind] ?? 0) + list.length;
      }
      const f = part.log.file;
      if (line !== f.nextLine || part.replace || part.provisionalFrom !== f.provisionalFrom)
        files.push({ ...f, nextLine: line, lines: line - 1, complete: true, provisionalFrom: part.provisionalFrom });
    }
    if (!files.length) return;
    const out: Partial<Record<RecordKind, Buffer>> = {};
    for (const [kind, w] of writers) out[kind] = w.take();
    const replace = parts.filter((p) => p.replace).map((p) => ({ fileId: p.log.file.id, fromLine: p.from }));
    await this.store.appendBatch({ files, rows: out, rowCounts: counts, rejects: [], replace });
    for (const f of files) {
      const part = parts.find((p) => p.log.file.id === f.id)!;
      part.log.file = f;
    }
  }
}
