// Framing: a file's bytes -> complete lines of valid UTF-8, with line numbers and byte offsets.
// Handles gzip, UTF-8 with or without BOM, UTF-16 LE/BE (Export-Csv -Encoding Unicode), lines
// that are not valid UTF-8 (read as Windows-1252 and counted), binary lines (rejected), over-long
// lines (rejected without being held in memory) and an unterminated last line (a log still being
// written). Memory is bounded by the chunk size plus the longest accepted line.
// A damaged .gz (cut short, bytes that are not gzip after its members, a corrupt member: gunzip.ts)
// gives its readable lines, complete ones only, and the result says what was wrong. The file is
// opened once: what was listed is what is read (FrameOptions.expect), and a file that shrinks or is
// replaced while it is read is noted.
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { PathLike } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { RejectReason } from '../formats/types.js';
import { gunzipFile } from './gunzip.js';

export interface LineSink {
  line(buf: Buffer, start: number, end: number, lineNo: number, offset: number): void;
  reject(line: number, reason: RejectReason, detail?: string): void;
  note(message: string): void;
  /** called between chunks with the position after the last complete line; may flush batches */
  afterChunk?(at: Position): Promise<void> | void;
}

export interface Position {
  /** byte offset just after the last line handed out (in source bytes when seekable) */
  offset: number;
  /** number of the next line */
  nextLine: number;
  /** (reported by the framer) offsets are source byte offsets a later run may seek to */
  seekable?: boolean;
}

export interface FrameOptions {
  /** resume: the line to start at (1-based) and, for seekable files, its byte offset */
  from?: Position;
  maxLineBytes?: number;
  chunkBytes?: number;
  /** bytes of the source read so far (compressed bytes for .gz), for progress */
  progress?(sourceBytes: number): void;
  /** the file as it was listed: when another file is at the path now (replaced between listing and
   *  reading), framing fails with an ECHANGED error instead of reading it under the old one's
   *  identity; a file found shorter than its size, or replaced while read, is noted */
  expect?: { dev: bigint; ino: bigint; size: number };
}

/** the file at the path is not the one that was listed */
export class FileChangedError extends Error {
  readonly code = 'ECHANGED';
}

export type Encoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be';

export interface FrameResult {
  encoding: Encoding;
  gzip: boolean;
  /** offsets are source byte offsets, so a later run may seek to them */
  seekable: boolean;
  /** lines handed out or rejected in this run */
  lines: number;
  /** position after the last line */
  end: Position;
  /** the last line had no line terminator: a writer may still be appending to it */
  unterminatedTail?: Position;
  /** bytes of the file read (compressed bytes for .gz): where its readable end was */
  sourceBytes: number;
  /** a .gz whose data goes wrong: what was wrong (its lines before that point were handed out) */
  gzipProblem?: { message: string; cut: boolean };
}

const LF = 10,
  CR = 13;
export const MAX_LINE_BYTES = 1 << 20;

/** magic bytes of the start of a file */
async function head(fh: FileHandle, n: number): Promise<Buffer> {
  const b = Buffer.alloc(n);
  const { bytesRead } = await fh.read(b, 0, n, 0);
  return b.subarray(0, bytesRead);
}

export function detectEncoding(b: Buffer): { encoding: Encoding; skip: number } {
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf-8-bom', skip: 3 };
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 };
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', skip: 2 };
  // UTF-16 without BOM: text whose every other byte is NUL
  if (b.length >= 16) {
    let evenNul = 0,
      oddNul = 0;
    const n = Math.min(b.length, 512) & ~1;
    for (let i = 0; i < n; i += 2) {
      if (b[i] === 0) evenNul++;
      if (b[i + 1] === 0) oddNul++;
    }
    if (oddNul > n * 0.4 && evenNul < n * 0.05) return { encoding: 'utf-16le', skip: 0 };
    if (evenNul > n * 0.4 && oddNul < n * 0.05) return { encoding: 'utf-16be', skip: 0 };
  }
  return { encoding: 'utf-8', skip: 0 };
}

/** source chunks: raw bytes of a plain file, read from an offset to the end (`end.at` then says
 *  where that was). A chunk the framer dropped whole (inside an over-long line) is handed back in
 *  `spare` and read into again: a fresh 4 MiB buffer costs ~8 ms of page faults, which made a 4 GiB
 *  file of NULs take 20 s instead of 1. */
async function* plainChunks(fh: FileHandle, from: number, size: number, end: { at: number }, spare?: { buf?: Buffer }): AsyncGenerator<Buffer> {
  let pos = from;
  for (;;) {
    const b = spare?.buf?.length === size ? spare.buf : Buffer.allocUnsafe(size);
    if (spare) spare.buf = undefined;
    const { bytesRead } = await fh.read(b, 0, size, pos);
    end.at = pos + bytesRead;
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield b.subarray(0, bytesRead);
  }
}

/** UTF-16 chunks -> UTF-8 chunks (a code unit split across chunks is carried over) */
async function* utf16ToUtf8(src: AsyncGenerator<Buffer>, bigEndian: boolean, skip: number): AsyncGenerator<Buffer> {
  const dec = new TextDecoder(bigEndian ? 'utf-16be' : 'utf-16le', { fatal: false, ignoreBOM: true });
  let first = true;
  for await (let c of src) {
    if (first && skip) c = c.subarray(skip);
    first = false;
    yield Buffer.from(dec.decode(c, { stream: true }), 'utf8');
  }
  const rest = dec.decode();
  if (rest) yield Buffer.from(rest, 'utf8');
}

/** Windows-1252 is what Exchange 5.5/2000 era tools wrote; latin1 is its close superset for decoding */
function recodeLatin1(buf: Buffer, s: number, e: number): Buffer {
  return Buffer.from(buf.toString('latin1', s, e), 'utf8');
}

export async function frameFile(path: PathLike, sink: LineSink, opts: FrameOptions = {}): Promise<FrameResult> {
  const fh = await open(path, 'r');
  try {
    const opened = opts.expect ? await fh.stat({ bigint: true }) : undefined;
    if (opts.expect && opened && (opened.ino !== opts.expect.ino || opened.dev !== opts.expect.dev))
      throw new FileChangedError('replaced between listing and reading (another file is at this path now): not read; the next run reads it');
    const result = await frameOpen(fh, sink, opts);
    if (opts.expect && opened) {
      const now = await stat(path, { bigint: true }).catch(() => undefined);
      if (!now || now.ino !== opened.ino || now.dev !== opened.dev)
        sink.note(
          `${now ? 'replaced (renamed over)' : 'deleted'} while being read: the file that was there when reading began was read${now ? '; the new one is read by the next run' : ''}`,
        );
      else if (!result.gzip && result.seekable && result.sourceBytes < opts.expect.size)
        sink.note(`shrank while being read (listed with ${opts.expect.size} bytes, ended at ${result.sourceBytes}): read what was there`);
    }
    return result;
  } finally {
    await fh.close();
  }
}

async function frameOpen(fh: FileHandle, sink: LineSink, opts: FrameOptions): Promise<FrameResult> {
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const chunkBytes = opts.chunkBytes ?? 4 << 20;
  const magic = await head(fh, 1024);
  const gzip = magic.length >= 2 && magic[0] === 0x1f && magic[1] === 0x8b;

  let encoding: Encoding;
  let source: AsyncGenerator<Buffer>;
  let seekable: boolean;
  let sourceRead = 0;
  const plainEnd = { at: 0 };
  const spare: { buf?: Buffer } = {};
  let gz: ReturnType<typeof gunzipFile> | undefined;
  let gzRead = 0;
  const countRead = async function* (g: AsyncGenerator<Buffer>) {
    for await (const c of g) {
      sourceRead += c.length;
      opts.progress?.(sourceRead);
      yield c;
    }
  };

  let startOffset = 0;
  if (gzip) {
    gz = gunzipFile(fh, (read) => {
      gzRead = read;
    });
    const raw = gz.chunks;
    // peek the first decompressed chunk for the encoding
    const first = await raw.next();
    const firstBuf = first.done ? Buffer.alloc(0) : (first.value as Buffer);
    const det = detectEncoding(firstBuf);
    encoding = det.encoding;
    const all = (async function* () {
      if (firstBuf.length) yield firstBuf;
      yield* raw;
    })();
    const counted = (async function* () {
      // progress for gzip counts decompressed bytes
      for await (const c of all) {
        sourceRead += c.length;
        opts.progress?.(sourceRead);
        yield c;
      }
    })();
    if (encoding === 'utf-16le' || encoding === 'utf-16be') source = utf16ToUtf8(counted, encoding === 'utf-16be', det.skip);
    else
      source = (async function* () {
        let f = true;
        for await (const c of counted) {
          yield f && det.skip ? c.subarray(det.skip) : c;
          f = false;
        }
      })();
    seekable = false;
    startOffset = encoding === 'utf-8-bom' ? 3 : 0;
  } else {
    const det = detectEncoding(magic);
    encoding = det.encoding;
    if (encoding === 'utf-16le' || encoding === 'utf-16be') {
      source = utf16ToUtf8(countRead(plainChunks(fh, 0, chunkBytes, plainEnd)), encoding === 'utf-16be', det.skip);
      seekable = false;
    } else {
      seekable = true;
      startOffset = opts.from && opts.from.offset > det.skip ? opts.from.offset : det.skip;
      sourceRead = startOffset;
      source = countRead(plainChunks(fh, startOffset, chunkBytes, plainEnd, spare));
    }
  }

  // resume: seekable files start at the saved offset; others skip lines until the saved line
  let lineNo = seekable && opts.from ? opts.from.nextLine : 1;
  const skipBefore = !seekable && opts.from ? opts.from.nextLine : 0;
  let offset = startOffset; // offset of the next line start (decoded stream for non-seekable)
  let lines = 0;
  let carry: Buffer | null = null;
  let skippingLong = false; // inside an over-long line: drop bytes until its end
  let longStart = 0;
  let recoded = 0;

  const handle = (buf: Buffer, s: number, e: number, checked: boolean) => {
    // one line buf[s, e) without LF; strips CR
    let end = e;
    if (end > s && buf[end - 1] === CR) end--;
    const n = lineNo++;
    const lineOffset = offset;
    offset += e - s + 1;
    if (n < skipBefore) return;
    lines++;
    if (end === s) return; // blank line
    if (!checked) {
      if (buf.indexOf(0, s) !== -1 && buf.indexOf(0, s) < end) {
        sink.reject(n, 'binary', 'NUL byte');
        return;
      }
      if (!isUtf8(buf.subarray(s, end))) {
        recoded++;
        const r = recodeLatin1(buf, s, end);
        sink.line(r, 0, r.length, n, lineOffset);
        return;
      }
    }
    sink.line(buf, s, end, n, lineOffset);
  };

  const processChunk = (buf: Buffer) => {
    // buf holds whole lines up to its last LF (which the caller guaranteed)
    const last = buf.lastIndexOf(LF);
    const clean = buf.indexOf(0) === -1 && isUtf8(buf.subarray(0, last + 1));
    let s = 0;
    while (s <= last) {
      const e = buf.indexOf(LF, s);
      handle(buf, s, e, clean);
      s = e + 1;
    }
  };

  for await (let chunk of source) {
    if (skippingLong) {
      const nl = chunk.indexOf(LF);
      if (nl === -1) {
        offset += chunk.length;
        spare.buf = chunk; // nothing of it is kept: the source may read into it again
        continue;
      }
      sink.reject(lineNo, 'too-long', `longer than ${maxLine} bytes`);
      lineNo++;
      lines++;
      offset += nl + 1;
      chunk = chunk.subarray(nl + 1);
      skippingLong = false;
    }
    const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = null;
    const last = buf.lastIndexOf(LF);
    if (last === -1) {
      if (buf.length > maxLine) {
        skippingLong = true;
        longStart = lineNo;
        offset += buf.length;
        continue;
      }
      carry = Buffer.from(buf);
      continue;
    }
    if (last + 1 < buf.length) carry = Buffer.from(buf.subarray(last + 1));
    // over-long lines inside the chunk
    let s = 0;
    let from = 0;
    const parts: [number, number][] = [];
    while (s <= last) {
      const e = buf.indexOf(LF, s);
      if (e - s > maxLine) {
        parts.push([from, s]);
        parts.push([-1, e]);
        from = e + 1;
      }
      s = e + 1;
    }
    if (parts.length === 0) processChunk(buf.subarray(0, last + 1));
    else {
      for (let i = 0; i < parts.length; i += 2) {
        const [a, b] = parts[i]!;
        if (b > a) processChunk(buf.subarray(a, b));
        const e = parts[i + 1]![1];
        const n = lineNo++;
        lines++;
        offset += e - b + 1;
        if (n >= skipBefore) sink.reject(n, 'too-long', `longer than ${maxLine} bytes`);
      }
      if (last + 1 > from) processChunk(buf.subarray(from, last + 1));
    }
    if (carry && carry.length > maxLine) {
      skippingLong = true;
      longStart = lineNo;
      offset += carry.length;
      carry = null;
    }
    await sink.afterChunk?.({ offset, nextLine: lineNo, seekable });
  }
  void longStart;

  let unterminatedTail: Position | undefined;
  const gzipProblem = gz?.problem();
  if (gzipProblem) {
    // complete lines only: the text after the last line end stops where the data went wrong. It is
    // not counted, so a later run over the completed file reads that line from its start.
    const partial = skippingLong ? 'an over-long line' : carry?.length ? `${carry.length} bytes of a line` : '';
    sink.note(
      `read to line ${lineNo - 1}, the last complete line before the gzip data ${gzipProblem.cut ? 'ends' : 'goes wrong'}${partial ? ` (${partial} after it not read)` : ''}`,
    );
  } else if (skippingLong) {
    sink.reject(lineNo, 'too-long', `longer than ${maxLine} bytes`);
    lineNo++;
    lines++;
  } else if (carry?.length) {
    unterminatedTail = { offset, nextLine: lineNo };
    handle(carry, 0, carry.length, false);
    offset -= 1; // no LF was there
  }
  if (recoded) sink.note(`${recoded} line(s) were not valid UTF-8 and were read as Windows-1252`);
  if (encoding === 'utf-16le' || encoding === 'utf-16be') sink.note(`file is ${encoding.toUpperCase()}`);
  return {
    encoding,
    gzip,
    seekable,
    lines,
    end: { offset, nextLine: lineNo },
    ...(unterminatedTail ? { unterminatedTail } : {}),
    sourceBytes: gzip ? gzRead : plainEnd.at,
    ...(gzipProblem ? { gzipProblem } : {}),
  };
}

/** sampleLines() stops after this many bytes even without 40 text lines (a binary file no format
 *  recognised: its "lines" are rejected as binary, and framing all of it would take long) */
const SAMPLE_SOURCE_BYTES = 16 << 20;

/** the first lines of a file as text, for sniffing (BOM removed, decoded like frameFile does);
 *  `problem.message` says what was wrong with a damaged .gz that ended before them */
export async function sampleLines(path: PathLike, max = 40, problem?: { message?: string }): Promise<string[]> {
  const out: string[] = [];
  let bytes = 0;
  const stop = new Error('enough');
  try {
    const r = await frameFile(
      path,
      {
        line(buf, s, e) {
          out.push(buf.toString('utf8', s, e));
          bytes += e - s;
          if (out.length >= max || bytes > 256 * 1024) throw stop;
        },
        reject() {},
        note() {},
      },
      {
        chunkBytes: 64 * 1024,
        progress(read) {
          if (read > SAMPLE_SOURCE_BYTES) throw stop;
        },
      },
    );
    if (problem && r.gzipProblem) problem.message = r.gzipProblem.message;
  } catch (e) {
    if (e !== stop) throw e;
  }
  return out;
}
