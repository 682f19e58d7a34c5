// CSV rows across lines, shared by the CSV formats (csv-data.ts, evtx-csv/): the framer hands over one
// line at a time, but RFC 4180 lets a quoted field hold line breaks, so a row may span lines.
//   - a line that leaves a quoted field open starts an open row; the next lines are added to it (the
//     lines the framer skipped as blank come back as empty lines inside the field) until a line with
//     a quote closes it; the row's origin (line, offset) is its first line;
//   - an open row longer than 1 MiB is rejected at its first line ('unterminated-quote') and its other
//     lines are read again as rows of their own, so one stray quote costs one row, not the file;
//   - a row still open at the end of the file is rejected there; pending() names its first line, so a
//     file that grows is read again from it (the row may close in the new part);
//   - more fields than the format allows: rejected ('field-count');
//   - a `#TYPE …` first line (Export-Csv without -NoTypeInformation) is skipped.
import { Fields, splitCsv } from './fields.js';
import type { ParseContext } from './types.js';

/** an open row (a quoted line break) longer than this is rejected */
export const MAX_ROW_BYTES = 1 << 20;

const COMMA = 44;

/** the fields of one CSV text as strings, or 'open' when a quoted field runs past its end */
export function fieldsOf(text: string, f: Fields, sep = COMMA): string[] | 'open' | 'too-many' {
  const b = Buffer.from(text, 'utf8');
  const n = splitCsv(b, 0, b.length, f, sep);
  if (f.unterminated) return 'open';
  if (n > f.max) return 'too-many';
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(f.text(b, i));
  return out;
}

interface Line {
  text: string;
  line: number;
  offset: number;
}

/** the lines of a row still open, with its first line's number and offset */
interface OpenRow extends Line {
  bytes: number;
  last: number;
  lines: Line[];
}

export class CsvRows {
  private readonly f: Fields;
  private open: OpenRow | undefined;

  /** `row` gets each complete row's fields with its first line's number and offset */
  constructor(
    private readonly ctx: Pick<ParseContext, 'reject'>,
    private readonly row: (fields: string[], line: number, offset: number) => void,
    maxFields: number,
    private readonly sep = COMMA,
  ) {
    this.f = new Fields(maxFields);
  }

  line(buf: Buffer, s: number, e: number, lineNo: number, offset: number): void {
    const text = buf.toString('utf8', s, e);
    if (lineNo === 1 && !this.open && text.startsWith('#TYPE')) return;
    this.feed({ text, line: lineNo, offset }, true);
  }

  /** the end of the file: a row still open is rejected */
  end(): void {
    const o = this.open;
    this.open = undefined;
    if (o) this.ctx.reject(o.line, 'unterminated-quote', 'a quoted field opened on this line is not closed before the end of the file');
  }

  /** where an open row starts (to be read again when the file grows) */
  pending(): { line: number; offset: number } | undefined {
    return this.open ? { line: this.open.line, offset: this.open.offset } : undefined;
  }

  /** one line: a row of its own, or the next line of the open row */
  private feed(l: Line, bounded: boolean): void {
    const o = this.open;
    if (!o) {
      this.split(l.text, l.line, l.offset);
      return;
    }
    o.text += '\n'.repeat(l.line - o.last) + l.text;
    o.bytes += l.line - o.last + Buffer.byteLength(l.text);
    o.last = l.line;
    o.lines.push(l);
    if (bounded && o.bytes > MAX_ROW_BYTES) {
      this.open = undefined;
      this.ctx.reject(o.line, 'unterminated-quote', `a quoted field opened on this line is not closed within ${MAX_ROW_BYTES} bytes`);
      for (const x of o.lines.slice(1)) this.feed(x, false);
      return;
    }
    // an open quoted field can only close on a line with a quote: others need no new split
    if (l.text.includes('"')) this.split(o.text, o.line, o.offset);
  }

  /** one row's text (complete lines from `line` on): hand it on, or keep it open for more lines */
  private split(text: string, line: number, offset: number): void {
    const fields = fieldsOf(text, this.f, this.sep);
    if (fields === 'open') {
      this.open ??= { text, bytes: Buffer.byteLength(text), line, offset, last: line, lines: [{ text, line, offset }] };
      return;
    }
    this.open = undefined;
    if (fields === 'too-many') this.ctx.reject(line, 'field-count', `more than ${this.f.max} fields`);
    else this.row(fields, line, offset);
  }
}
