// Before a store loads a whole file with its own CSV reader (schema/bulk.ts), one fast pass over
// its bytes (memchr-speed Buffer.indexOf, about 3 GB/s) says whether the file is plain enough for
// that: the line count the store's rows must match, and none of what the framer treats specially
// (framer.ts): gzip, NUL bytes (binary or UTF-16), bytes that are not UTF-8, a CR that does not
// end a line, a TAB (the row
// writer turns it into a space), a blank line, a line over the framer's limit, a last line
// without its line end (a log still being written: its tail is provisional). Such a file goes
// through the parser, which handles each of those line by line.
import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';
import { MAX_LINE_BYTES } from './framer.js';

const LF = 10, CR = 13, TAB = 9, NUL = 0;

export type Prescan = { plain: true; lines: number } | { plain: false; why: string };

export async function prescan(path: string, size: number, chunkBytes = MAX_LINE_BYTES + 2): Promise<Prescan> {
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
