// Reading a .gz that may be damaged: every member of it (`cat a.gz b.gz` makes a valid file of two),
// and, where the data goes wrong, everything before that point and a sentence saying what went
// wrong instead of an exception that sinks the run. The usual damage is a file cut short (a rotated
// log copied while it was being compressed), then bytes that are not gzip after the last member, or
// a member whose data or checksum is corrupt.
//
// Node's Gunzip reads members one after the other but, when one fails, throws away the text it
// inflated in the same step (all of a small file), so members are read here one by one: the header
// parsed by hand (RFC 1952), the deflate data by an InflateRaw stream, which stops where the data
// ends (its bytesWritten then says where the trailer is), the trailer's CRC-32 and length checked.
// Memory: one input chunk and the text it inflates to.
import { createInflateRaw } from 'node:zlib';
import * as zlib from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';

/** what went wrong, once the readable text has been handed out */
export interface GzipProblem {
  /** the sentence for the user, with the bytes of text read before it */
  message: string;
  /** the file was cut (more may come when it is complete), as opposed to damaged */
  cut: boolean;
}

const INPUT_CHUNK = 64 * 1024;
const FTEXT_MASK = 0xe0; // reserved flag bits: must be 0
const FHCRC = 2,
  FEXTRA = 4,
  FNAME = 8,
  FCOMMENT = 16;

/** CRC-32 (zlib.crc32 from Node 20.15 and 22.2; a table otherwise) */
const crc32: (data: Buffer, prev: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (zlib as unknown as { crc32: (d: Buffer, p: number) => number }).crc32
    : (() => {
        const table = new Int32Array(256);
        for (let n = 0; n < 256; n++) {
          let c = n;
          for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
          table[n] = c;
        }
        return (data: Buffer, prev: number) => {
          let c = ~prev;
          for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
          return ~c >>> 0;
        };
      })();

/** The input: chunks of the file read on demand, with the bytes not used yet kept in front. */
class Input {
  private buf = Buffer.alloc(0);
  /** file offset of buf[0] */
  at = 0;
  private eof = false;
  constructor(
    private readonly fh: FileHandle,
    private readonly progress?: (read: number) => void,
  ) {}

  /** at least n bytes buffered (fewer at the end of the file) */
  async need(n: number): Promise<Buffer> {
    while (this.buf.length < n && !this.eof) {
      const b = Buffer.allocUnsafe(INPUT_CHUNK);
      const { bytesRead } = await this.fh.read(b, 0, INPUT_CHUNK, this.at + this.buf.length);
      if (bytesRead === 0) this.eof = true;
      else {
        this.buf = this.buf.length ? Buffer.concat([this.buf, b.subarray(0, bytesRead)]) : b.subarray(0, bytesRead);
        this.progress?.(this.at + this.buf.length);
      }
    }
    return this.buf;
  }

  /** the buffered bytes, or the next chunk when none are (empty at the end of the file) */
  async some(): Promise<Buffer> {
    return this.buf.length ? this.buf : this.need(1);
  }

  skip(n: number): void {
    this.buf = this.buf.subarray(n);
    this.at += n;
  }
}

/** the length of the member header at the start of b, 0 when b does not hold all of it yet, -1 when it is not a gzip header */
function headerLength(b: Buffer, complete: boolean): number {
  if (b.length < 10) return complete ? -1 : 0;
  if (b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8 || (b[3]! & FTEXT_MASK) !== 0) return -1;
  const flags = b[3]!;
  let p = 10;
  if (flags & FEXTRA) {
    if (b.length < p + 2) return complete ? -1 : 0;
    p += 2 + b.readUInt16LE(p);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    const z = b.indexOf(0, p);
    if (z < 0) return complete ? -1 : 0;
    p = z + 1;
  }
  if (flags & FHCRC) p += 2;
  if (b.length < p) return complete ? -1 : 0;
  return p;
}

/**
 * The text of a .gz file, member after member. Ends without throwing when the data goes wrong:
 * `problem()` then says what happened (after the generator is done); the text handed out is all
 * that could be read before that point. File errors (EACCES …) still throw.
 */
export function gunzipFile(fh: FileHandle, progress?: (read: number) => void): { chunks: AsyncGenerator<Buffer>; problem(): GzipProblem | undefined } {
  let problem: GzipProblem | undefined;
  let text = 0; // bytes of text handed out
  const input = new Input(fh, progress);

  async function* members(): AsyncGenerator<Buffer> {
    for (let member = 1; ; member++) {
      // the header (or the end of the file, or what follows the last member)
      let b = await input.need(10);
      if (b.length === 0) {
        if (member === 1) problem = { message: 'the gzip file is empty', cut: true };
        return;
      }
      let hl = headerLength(b, false);
      while (hl === 0) {
        const more = await input.need(b.length + 1);
        const complete = more.length === b.length;
        b = more;
        hl = headerLength(b, complete);
      }
      if (hl < 0) {
        if (member > 1 && b[0] === 0 && (await allZero(input))) return; // padding, as gzip allows
        if (member > 1 && b.length < 10 && b[0] === 0x1f && (b.length < 2 || b[1] === 0x8b)) {
          problem = { message: cutMessage(text), cut: true };
          return;
        }
        problem = {
          message:
            member === 1
              ? 'not gzip data (a damaged gzip header)'
              : `bytes that are not gzip data follow the gzip data, at byte ${input.at} of the file (after ${text} bytes of text): the ${member - 1} member(s) before them were read, the rest ignored`,
          cut: false,
        };
        return;
      }
      input.skip(hl);

      // the deflate data: InflateRaw stops at its end; then bytesWritten is its length
      const inf = createInflateRaw();
      const out: Buffer[] = [];
      let error: Error | undefined;
      let ended = false;
      let crc = 0;
      let size = 0;
      /** resolves the step being awaited (a write, or the end), also when the data turns out bad */
      let wake = () => {};
      const step = (start: () => void) =>
        new Promise<void>((resolve) => {
          wake = resolve;
          start();
        });
      inf.on('data', (c: Buffer) => out.push(c));
      inf.on('error', (e) => {
        error = e;
        wake();
      });
      inf.on('end', () => {
        ended = true;
        wake();
      });
      try {
        for (;;) {
          const chunk = await input.some();
          // the end of the file inside the deflate data: the file was cut (zlib says so when asked to finish)
          let unused = 0;
          if (chunk.length === 0) await step(() => inf.end());
          else {
            const before = inf.bytesWritten;
            await step(() => inf.write(chunk, () => wake()));
            const used = inf.bytesWritten - before;
            unused = chunk.length - used;
            input.skip(used);
          }
          for (const c of out.splice(0)) {
            crc = crc32(c, crc);
            size = (size + c.length) >>> 0;
            text += c.length;
            yield c;
          }
          if (error) {
            problem = /unexpected end/i.test(error.message)
              ? { message: cutMessage(text), cut: true }
              : { message: corruptMessage(text, error.message), cut: false };
            return;
          }
          if (chunk.length === 0) {
            problem = { message: cutMessage(text), cut: true };
            return;
          }
          // the data ended inside this chunk (or right at its end: then the next write uses nothing)
          if (ended || unused > 0) break;
        }
      } finally {
        inf.destroy();
      }

      // the trailer: CRC-32 and length of the member's text
      const t = await input.need(8);
      if (t.length < 8) {
        problem = { message: cutMessage(text), cut: true };
        return;
      }
      if (t.readUInt32LE(0) !== crc >>> 0 || t.readUInt32LE(4) !== size) {
        problem = { message: corruptMessage(text, `member ${member} fails its checksum`), cut: false };
        return;
      }
      input.skip(8);
    }
  }

  return { chunks: members(), problem: () => problem };
}

/** nothing but NUL bytes up to the end of the file (consumes them) */
async function allZero(input: Input): Promise<boolean> {
  for (;;) {
    const b = await input.some();
    if (b.length === 0) return true;
    for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
    input.skip(b.length);
  }
}

function cutMessage(text: number): string {
  return `gzip data ends early after ${text} bytes of text: the file was cut, e.g. copied while being compressed`;
}

function corruptMessage(text: number, why: string): string {
  return `gzip data is damaged after ${text} bytes of text (${why}): read up to there, the rest ignored`;
}
