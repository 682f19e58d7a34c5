// Batch ids on TSV rows. Every row the ClickHouse store inserts carries, as its last column, the id
// of the insert attempt that wrote it (tables.ts: `batch`); the ingest log commits ids, and only rows
// of committed ids count (store.ts). This file appends the ids to the rows TsvWriter wrote, in one
// pass over the buffer, and notes which lines each id covers.
//
// A batch whose file has provisional rows (Batch.file.provisionalFrom = P: rows from line P on are
// read again on the next run) gets two ids: one for the rows before P and one for the provisional
// rows, so that replacing them later is dropping one id from the live set instead of rewriting rows.
import { randomInt } from 'node:crypto';

export interface BatchPart {
  /** the file whose rows these are */
  readonly fileId: number;
  /** batch id written on the rows of this part */
  readonly id: number;
  /** first and last line (the `line` column) of its rows, and how many rows */
  readonly first: number;
  readonly last: number;
  readonly rows: number;
}

export interface TaggedRows {
  readonly body: Buffer;
  /** per file one part, or two when its rows straddle its provisional line (the provisional part
   *  second), in the order the files first appear */
  readonly parts: BatchPart[];
}

const TAB = 9,
  LF = 10,
  ZERO = 48;

/** A fresh batch id: random in [1, 2^53), so it is a safe JS number and two attempts (of any process,
 *  at any time) practically never share one (p ≈ n² / 2^54 over n batches). 0 is never used: it marks
 *  rows inserted without an id. */
export function newBatchId(): number {
  for (;;) {
    const id = randomInt(0, 2 ** 21) * 2 ** 32 + randomInt(0, 2 ** 32);
    if (id !== 0) return id;
  }
}

/** the unsigned number from buf[i] to the next TAB or LF; returns [value, index of that TAB/LF] */
function field(buf: Buffer, i: number, what: string): [number, number] {
  let n = 0;
  const start = i;
  for (; ; i++) {
    const c = buf[i]!;
    if (c === TAB || c === LF) break;
    const d = c - ZERO;
    if (d < 0 || d > 9) throw new Error(`TSV row whose ${what} column is not a number (byte ${c})`);
    n = n * 10 + d;
  }
  if (i === start) throw new Error(`TSV row with an empty ${what} column`);
  return [n, i];
}

interface Acc {
  id: number;
  text: Buffer;
  first: number;
  last: number;
  rows: number;
}

/**
 * Append `\t<batch id>` to every row of `tsv` (rows end with LF, and start with file_id TAB line, as
 * TsvWriter writes them). Each file gets its own id; rows whose line is >= the file's
 * `provisionalFrom(fileId)` get a second one. `nextId` makes the ids (a test may pass its own).
 */
export function tagRows(tsv: Buffer, provisionalFrom: (fileId: number) => number | null, nextId: () => number = newBatchId): TaggedRows {
  if (tsv.length === 0) return { body: tsv, parts: [] };
  if (tsv[tsv.length - 1] !== LF) throw new Error('TSV rows must end with a line feed');
  let rows = 0;
  for (let i = tsv.indexOf(LF); i >= 0; i = tsv.indexOf(LF, i + 1)) rows++;
  const width = 1 + 16; // TAB and at most 16 digits (ids < 2^53)
  const body = Buffer.allocUnsafe(tsv.length + rows * width);
  const used = new Set<number>();
  const byFile = new Map<number, { main?: Acc; provisional?: Acc; from: number | null }>();
  const acc = (): Acc => {
    let id = nextId();
    while (used.has(id)) id = nextId();
    used.add(id);
    return { id, text: Buffer.from('\t' + id), first: Infinity, last: -Infinity, rows: 0 };
  };
  let out = 0;
  for (let start = 0; start < tsv.length; ) {
    const end = tsv.indexOf(LF, start);
    const [fileId, tab] = field(tsv, start, 'file_id');
    if (tsv[tab] !== TAB) throw new Error('TSV row without a line column');
    const [line] = field(tsv, tab + 1, 'line');
    let f = byFile.get(fileId);
    if (!f) {
      f = { from: provisionalFrom(fileId) };
      byFile.set(fileId, f);
    }
    let a: Acc;
    if (f.from !== null && line >= f.from) a = f.provisional ??= acc();
    else a = f.main ??= acc();
    if (line < a.first) a.first = line;
    if (line > a.last) a.last = line;
    a.rows++;
    out += tsv.copy(body, out, start, end);
    out += a.text.copy(body, out);
    body[out++] = LF;
    start = end + 1;
  }
  // parts per file, the provisional part after the main one
  const parts: BatchPart[] = [];
  for (const [fileId, f] of byFile) {
    for (const a of [f.main, f.provisional]) if (a) parts.push({ fileId, id: a.id, first: a.first, last: a.last, rows: a.rows });
  }
  return { body: body.subarray(0, out), parts };
}
