// Row writer of the ingest hot path: formats copy field bytes straight into a growing buffer of
// tab-separated rows, which a store loads in one bulk statement (DuckDB read_csv, ClickHouse
// TabSeparated). One encoding for every backend:
//   - fields are separated by TAB, rows end with LF;
//   - TAB, CR and LF inside a value become a space (log fields never legitimately hold them);
//   - NULL is \N; a backslash is written as \\ when the store reads backslash escapes
//     (ClickHouse's TabSeparated), as it is otherwise (DuckDB's read_csv has no escapes outside
//     quotes);
//   - columns the schema marks `lower` are lowercased here (ASCII in the byte loop; a value with
//     other characters goes through String.toLowerCase), so no backend spends time on it;
//   - every row starts with (file_id, line) and must then give exactly the table's other columns;
//   - a number given to int() that its integer column cannot hold (a Log= counter of 12 digits in
//     an INTEGER column) is written as NULL and counted (`clamped`, the first one kept): one bad
//     value must not make the store refuse the whole batch.
// Hot path: bytes() rewrites byte by byte. A format that has checked a whole line once with plain()
// (native searches) may write the values inside it with raw(), which gives the same output with a
// native copy for long values: byte loops cost several ns per byte, a native copy ~150 ns per call.
import { intRanges, type RecordTable } from './tables.js';

const TAB = 9,
  LF = 10,
  CR = 13,
  QUOTE = 34,
  BACKSLASH = 92,
  SPACE = 32;
/** raw(): values up to this length are copied by a loop, longer ones natively (measured crossover) */
const RAW_LOOP_MAX = 40;

export class TsvWriter {
  private buf: Buffer;
  private pos = 0;
  private rowStart = 0;
  private col = 0;
  /** rows completed since the last take() */
  rows = 0;
  readonly width: number;

  private readonly bs: number;
  /** lowerCol[i] = 1 when column i is stored lowercased */
  private readonly lowerCol: Uint8Array;
  /** keyCol[i] = 1 when column i is part of the table's record key (never NULL) */
  private readonly keyCol: Uint8Array;
  /** the whole numbers int() may write in column i (±Infinity for a column that is not an integer) */
  private readonly intMin: Float64Array;
  private readonly intMax: Float64Array;
  /** the line of the row being written (for the example of a clamped value) */
  private line = 0;
  /** numbers written as NULL because their column cannot hold them, since the writer was made */
  clamped = 0;
  /** the first of them since `clampedExample` was last cleared */
  clampedExample: { line: number; column: string; value: number } | undefined;

  /** file_id written at the start of each row; the ingest pipeline switches it between files that
   *  share one batch */
  fileId: number;

  constructor(
    readonly table: RecordTable,
    fileId: number,
    backslashEscapes: boolean,
    initialBytes = 1 << 20,
  ) {
    this.fileId = fileId;
    this.bs = backslashEscapes ? BACKSLASH : -1;
    this.buf = Buffer.allocUnsafe(initialBytes);
    this.width = table.columns.length;
    this.lowerCol = Uint8Array.from(table.columns.map((c) => (c.lower ? 1 : 0)));
    const key = new Set(table.recordKey ?? []);
    this.keyCol = Uint8Array.from(table.columns.map((c) => (key.has(c.name) ? 1 : 0)));
    const range = (c: RecordTable['columns'][number]) => (c.type === 'int' || c.type === 'bigint' || c.type === 'tinyint' ? intRanges[c.type] : undefined);
    this.intMin = Float64Array.from(table.columns.map((c) => range(c)?.[0] ?? -Infinity));
    this.intMax = Float64Array.from(table.columns.map((c) => range(c)?.[1] ?? Infinity));
  }

  /** bytes buffered */
  get size(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private sep(): void {
    if (this.col++ > 0) this.buf[this.pos++] = TAB;
  }

  /** start a row for the record that begins on `line` */
  begin(line: number): void {
    this.rowStart = this.pos;
    this.col = 0;
    this.line = line;
    this.int(this.fileId);
    this.int(line);
  }

  /** a value copied from bytes src[start, end) */
  bytes(src: Buffer, start: number, end: number): void {
    if (this.lowerCol[this.col]) {
      this.lowered(src, start, end, false);
      return;
    }
    this.ensure(2 * (end - start) + 1);
    this.sep();
    this.pos = this.rewrite(src, start, end, this.pos);
  }

  /** true when src[start, end) holds no byte bytes() would rewrite (TAB, LF, CR, and a backslash
   *  when escaping): the values inside it may then be written with raw() */
  plain(src: Buffer, start: number, end: number): boolean {
    if (end <= start) return true;
    const v = src.subarray(start, end);
    return v.indexOf(TAB) < 0 && v.indexOf(CR) < 0 && v.indexOf(LF) < 0 && (this.bs < 0 || v.indexOf(BACKSLASH) < 0);
  }

  /** a value copied from bytes src[start, end) that lie inside a range plain() accepted: the same
   *  output as bytes(), copied without the byte-by-byte rewriting */
  raw(src: Buffer, start: number, end: number): void {
    if (this.lowerCol[this.col]) {
      this.lowered(src, start, end, false);
      return;
    }
    const n = end - start;
    this.ensure(n + 1);
    this.sep();
    if (n > RAW_LOOP_MAX) src.copy(this.buf, this.pos, start, end);
    else {
      const b = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) b[p++] = src[i]!;
    }
    this.pos += n;
  }

  /** one value made of src[start, cutStart) followed by src[cutEnd, end): the value with a part
   *  left out (start <= cutStart <= cutEnd <= end); rewritten as bytes() does, or copied as raw()
   *  does when `plain` (the range lies inside one plain() accepted) */
  bytesCut(src: Buffer, start: number, cutStart: number, cutEnd: number, end: number, plain: boolean): void {
    if (this.lowerCol[this.col]) {
      const v = Buffer.concat([src.subarray(start, cutStart), src.subarray(cutEnd, end)]);
      this.lowered(v, 0, v.length, false);
      return;
    }
    if (plain) {
      this.raw(src, start, cutStart);
      const n = end - cutEnd;
      this.ensure(n);
      if (n > RAW_LOOP_MAX) src.copy(this.buf, this.pos, cutEnd, end);
      else {
        const b = this.buf;
        let p = this.pos;
        for (let i = cutEnd; i < end; i++) b[p++] = src[i]!;
      }
      this.pos += n;
      return;
    }
    this.bytes(src, start, cutStart);
    this.ensure(2 * (end - cutEnd));
    this.pos = this.rewrite(src, cutEnd, end, this.pos);
  }

  /** src[start, end) into the buffer at p with TAB, CR, LF as spaces and backslashes escaped when
   *  escaping; returns the end (room for 2 bytes per byte ensured by the caller) */
  private rewrite(src: Buffer, start: number, end: number, p: number): number {
    const b = this.buf;
    for (let i = start; i < end; i++) {
      const c = src[i]!;
      if (c > CR && c !== this.bs) b[p++] = c;
      else if (c === BACKSLASH) {
        b[p++] = BACKSLASH;
        b[p++] = BACKSLASH;
      } else b[p++] = c === TAB || c === LF || c === CR ? SPACE : c;
    }
    return p;
  }

  /** a lowercased value: ASCII in place; anything else through String.toLowerCase */
  private lowered(src: Buffer, start: number, end: number, quoted: boolean): void {
    for (let i = start; i < end; i++) {
      if (src[i]! >= 0x80) {
        let s = src.toString('utf8', start, end);
        if (quoted) s = s.replace(/""/g, '"');
        this.text(s.toLowerCase());
        return;
      }
    }
    this.ensure(2 * (end - start) + 1);
    this.sep();
    const b = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) {
      let c = src[i]!;
      if (quoted && c === QUOTE && src[i + 1] === QUOTE) i++;
      if (c >= 65 && c <= 90) c += 32;
      if (c > CR && c !== this.bs) b[p++] = c;
      else if (c === BACKSLASH) {
        b[p++] = BACKSLASH;
        b[p++] = BACKSLASH;
      } else b[p++] = c === TAB || c === LF || c === CR ? SPACE : c;
    }
    this.pos = p;
  }

  /** a value from the inside of a CSV quoted field src[start, end): "" becomes " */
  quoted(src: Buffer, start: number, end: number): void {
    if (this.lowerCol[this.col]) {
      this.lowered(src, start, end, true);
      return;
    }
    this.ensure(2 * (end - start) + 1);
    this.sep();
    const b = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) {
      const c = src[i]!;
      if (c === QUOTE && src[i + 1] === QUOTE) {
        b[p++] = QUOTE;
        i++;
        continue;
      }
      if (c > CR && c !== this.bs) b[p++] = c;
      else if (c === BACKSLASH) {
        b[p++] = BACKSLASH;
        b[p++] = BACKSLASH;
      } else b[p++] = c === TAB || c === LF || c === CR ? SPACE : c;
    }
    this.pos = p;
  }

  /** a value from a string */
  text(s: string): void {
    if (this.lowerCol[this.col]) s = s.toLowerCase();
    if (/[\t\r\n]/.test(s)) s = s.replace(/[\t\r\n]/g, ' ');
    if (this.bs === BACKSLASH && s.includes('\\')) s = s.replace(/\\/g, '\\\\');
    this.ensure(3 * s.length + 1);
    this.sep();
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** an integer (or any finite number in a column that is not an integer); NULL when the column
   *  cannot hold it */
  int(n: number): void {
    const max = this.intMax[this.col]!;
    if (n >= 0 && n < 0x7fffffff && (n | 0) === n) {
      // the common case (line numbers, counts): only a tinyint column can be too small for it
      if (n > max) {
        this.clamp(n);
        return;
      }
      this.ensure(24);
      this.sep();
      // digits written directly: no string per value (line numbers, counts on every row)
      const b = this.buf;
      let digits = 1;
      for (let v = n; v >= 10; v = (v / 10) | 0) digits++;
      let p = this.pos + digits;
      this.pos = p;
      let v = n;
      do {
        b[--p] = 48 + (v % 10);
        v = (v / 10) | 0;
      } while (v > 0);
    } else if (!(n >= this.intMin[this.col]! && n <= max) || (max !== Infinity && !Number.isInteger(n))) this.clamp(n);
    else {
      this.ensure(24);
      this.sep();
      // beyond 2^53 String() rounds the digits (-2^63 would print as -9223372036854776000, out of range)
      this.pos += this.buf.write(max !== Infinity && !Number.isSafeInteger(n) ? BigInt(n).toString() : String(n), this.pos, 'latin1');
    }
  }

  /** a number its integer column cannot hold: NULL, counted */
  private clamp(n: number): void {
    this.clamped++;
    this.clampedExample ??= { line: this.line, column: this.table.columns[this.col]?.name ?? `#${this.col}`, value: n };
    this.nul();
  }

  /** a NULL (never in a record key column: a programming error of the format) */
  nul(): void {
    if (this.keyCol[this.col]) {
      const name = this.table.columns[this.col]?.name;
      this.abort();
      throw new Error(`row for ${this.table.name}: NULL in ${name}, a column of its record key`);
    }
    this.ensure(3);
    this.sep();
    this.buf[this.pos++] = BACKSLASH;
    this.buf[this.pos++] = 78; // N
  }

  /** finish the row; throws if the format wrote the wrong number of columns (a programming error) */
  end(): void {
    if (this.col !== this.width) {
      const n = this.col;
      this.abort();
      throw new Error(`row for ${this.table.name} has ${n} columns, the table has ${this.width}`);
    }
    this.ensure(1);
    this.buf[this.pos++] = LF;
    this.rows++;
  }

  /** drop the row being written (the line turned out to be bad half-way) */
  abort(): void {
    this.pos = this.rowStart;
    this.col = 0;
  }

  /** where the writer is: truncate(mark) drops every row written after it */
  mark(): { pos: number; rows: number } {
    return { pos: this.pos, rows: this.rows };
  }

  truncate(m: { pos: number; rows: number }): void {
    this.pos = m.pos;
    this.rowStart = m.pos;
    this.rows = m.rows;
    this.col = 0;
  }

  /** the rows written since the last take(), as one buffer the caller owns; the writer starts
   *  empty again in a new buffer of the same size (handing over the buffer instead of copying it
   *  saved ~4% of the main thread's time of an IIS ingest) */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafeSlow(this.buf.length);
    this.pos = 0;
    this.rowStart = 0;
    this.rows = 0;
    return out;
  }
}

/** Reads back rows written by TsvWriter (tests, golden files): NULL -> null, and \\ -> \ when
 *  the rows were written with backslash escapes */
export function parseTsv(data: Buffer | string, backslashEscapes: boolean): (string | null)[][] {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  const rows: (string | null)[][] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    rows.push(line.split('\t').map((v) => (v === '\\N' ? null : backslashEscapes ? v.replace(/\\\\/g, '\\') : v)));
  }
  return rows;
}
