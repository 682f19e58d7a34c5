// Where rendered log lines go. Writers emit each event with its time into a per-server, per-stream
// slot; the sink keeps the events of the messages in flight in a heap and writes them in time
// order, so every file is sorted like a real log while nothing but the in-flight events is held in
// memory. Files roll over per UTC day and at a size limit, with the generation's header on top of
// each, through 1 MiB buffers written synchronously (no whole-log strings).
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DAY_MS } from './plan.js';
import type { Server } from './org.js';
import type { TruthBuilder } from './truth.js';

/** how a generation names and starts its files */
export interface LogLayout {
  /** path (relative to the output folder, `/`-separated, without the sequence part) of the file a
   *  slot opens at `t`: files with the same stem are told apart by `name`'s sequence number */
  stem(server: Server, stream: string, t: number): string;
  /** the file name of the `seq`-th file (1-based) with this stem */
  name(stem: string, seq: number): string;
  /** header lines at the top of every file (without line ends) */
  header(t: number): readonly string[];
  /** start every file with a UTF-8 byte order mark */
  readonly bom: boolean;
  /** roll over to a new file before a line would take the file past this many bytes */
  readonly maxBytes: number;
}

const BUFFER_BYTES = 1 << 20;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** the current file of one server's stream */
export class Slot {
  fd = -1;
  day = NaN;
  bytes = 0;
  lines = 0;
  pos = 0;
  readonly buf = Buffer.allocUnsafe(BUFFER_BYTES);
  constructor(
    readonly server: Server,
    readonly stream: string,
  ) {}
}

interface Pending {
  t: number;
  seq: number;
  slot: Slot;
  text: string;
}

export class LogSink {
  /** bytes written so far (headers included) */
  bytes = 0;
  /** relative paths of the files written, in the order they were opened */
  readonly files: string[] = [];
  private readonly heap: Pending[] = [];
  private seq = 0;
  private readonly slots = new Map<string, Slot>();
  private readonly stems = new Map<string, number>();
  private readonly dirs = new Set<string>();

  constructor(
    private readonly out: string,
    private readonly layout: LogLayout,
    private readonly truth: TruthBuilder,
  ) {}

  /** the slot of `server`'s `stream` (MSGTRK, MSGTRKMS …; one per generation for 2003 and 5.5) */
  slot(server: Server, stream: string): Slot {
    const key = `${server.index}\u0000${stream}`;
    let s = this.slots.get(key);
    if (!s) this.slots.set(key, (s = new Slot(server, stream)));
    return s;
  }

  /** queue one log entry (without its final line end) logged at `t` ms */
  emit(t: number, slot: Slot, text: string): void {
    const h = this.heap;
    const item: Pending = { t, seq: this.seq++, slot, text };
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(item, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = item;
  }

  /** write every queued entry logged before `t` */
  release(t: number): void {
    const h = this.heap;
    while (h.length && h[0]!.t < t) this.write(this.pop());
  }

  /** write everything queued and close the files */
  finish(): void {
    while (this.heap.length) this.write(this.pop());
    for (const s of this.slots.values()) this.close(s);
  }

  private pop(): Pending {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  private write(p: Pending): void {
    const s = p.slot;
    const day = Math.floor(p.t / DAY_MS);
    if (s.fd < 0 || day !== s.day) this.open(s, p.t, day);
    else if (s.bytes + p.text.length * 3 + 2 > this.layout.maxBytes && s.lines > 0 && s.bytes + Buffer.byteLength(p.text) + 2 > this.layout.maxBytes)
      this.open(s, p.t, day);
    this.truth.event(p.t);
    this.put(s, p.text);
    s.lines++;
  }

  private put(s: Slot, text: string): void {
    const worst = text.length * 3 + 2;
    if (s.pos + worst > s.buf.length) this.flush(s);
    let n: number;
    if (worst > s.buf.length) {
      const b = Buffer.from(text + '\r\n', 'utf8');
      writeSync(s.fd, b);
      n = b.length;
    } else {
      n = s.buf.write(text, s.pos, 'utf8');
      s.buf[s.pos + n] = 13;
      s.buf[s.pos + n + 1] = 10;
      n += 2;
      s.pos += n;
    }
    s.bytes += n;
    this.bytes += n;
  }

  private open(s: Slot, t: number, day: number): void {
    this.close(s);
    const stem = this.layout.stem(s.server, s.stream, t);
    const seq = (this.stems.get(stem) ?? 0) + 1;
    this.stems.set(stem, seq);
    const rel = this.layout.name(stem, seq);
    const path = join(this.out, rel);
    const dir = dirname(path);
    if (!this.dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.dirs.add(dir);
    }
    s.fd = openSync(path, 'w');
    s.day = day;
    s.bytes = 0;
    s.lines = 0;
    this.files.push(rel);
    if (this.layout.bom) {
      BOM.copy(s.buf, s.pos);
      s.pos += BOM.length;
      s.bytes += BOM.length;
      this.bytes += BOM.length;
    }
    for (const line of this.layout.header(t)) this.put(s, line);
  }

  private flush(s: Slot): void {
    if (s.pos) writeSync(s.fd, s.buf, 0, s.pos);
    s.pos = 0;
  }

  private close(s: Slot): void {
    if (s.fd < 0) return;
    this.flush(s);
    closeSync(s.fd);
    s.fd = -1;
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}
