// Writing W3C extended log files the way IIS does: a #Software/#Version/#Date/#Fields block when the
// file is created and again after a restart, CRLF line ends, space-separated fields built from the
// #Fields list (one accessor per field name), streamed to disk in chunks.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** one request's values, by W3C field */
export interface Row {
  date: string;
  time: string;
  site: string;
  sIp: string;
  method: string;
  stem: string;
  query: string;
  port: number;
  username: string;
  cIp: string;
  userAgent: string;
  status: number;
  substatus: number;
  win32: number;
  scBytes: number;
  csBytes: number;
  timeTaken: number;
}

const fieldValues: Record<string, (r: Row) => string | number> = {
  date: (r) => r.date,
  time: (r) => r.time,
  's-sitename': (r) => r.site,
  's-ip': (r) => r.sIp,
  'cs-method': (r) => r.method,
  'cs-uri-stem': (r) => r.stem,
  'cs-uri-query': (r) => r.query,
  's-port': (r) => r.port,
  'cs-username': (r) => r.username,
  'c-ip': (r) => r.cIp,
  'cs(User-Agent)': (r) => r.userAgent,
  'cs(Referer)': () => '-',
  'sc-status': (r) => r.status,
  'sc-substatus': (r) => r.substatus,
  'sc-win32-status': (r) => r.win32,
  'sc-bytes': (r) => r.scBytes,
  'cs-bytes': (r) => r.csBytes,
  'time-taken': (r) => r.timeTaken,
};

/** a function that writes a Row as one line with exactly the given fields */
export function lineFormatter(fields: readonly string[]): (r: Row) => string {
  const get = fields.map((f) => {
    const g = fieldValues[f];
    if (!g) throw new Error(`no value for W3C field ${f}`);
    return g;
  });
  const n = get.length;
  return (r) => {
    let s = String(get[0]!(r));
    for (let i = 1; i < n; i++) s += ' ' + get[i]!(r);
    return s;
  };
}

let hms: string[] | undefined;
/** HH:MM:SS of a time in ms since midnight */
export function clock(ms: number): string {
  if (!hms) {
    hms = new Array<string>(86400);
    const p = (n: number) => (n < 10 ? '0' : '') + n;
    for (let s = 0; s < 86400; s++) hms[s] = `${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}`;
  }
  return hms[Math.floor(ms / 1000)]!;
}

const CHUNK = 1 << 20;
/** room for one chunk plus the longest line that can push it over */
const ROOM = CHUNK + (1 << 20);

/** one u_exYYMMDD.log; lines arrive in time order (ms since midnight), or through the reorder
 *  buffer (add/drain) when their times may be slightly out of order. Lines are copied into a
 *  byte buffer at once (all ASCII), so no long strings pile up for the garbage collector. */
export class W3cFile {
  /** bytes written (or buffered) so far */
  bytes = 0;
  lines = 0;
  private buf: Buffer | undefined;
  private used = 0;
  private fh: FileHandle | undefined;
  private headed = false;
  private restarted = false;
  private pending: { t: number; s: string }[] = [];

  constructor(
    readonly path: string,
    private readonly header: { software: string; fields: readonly string[]; date: string },
    /** ms since midnight of an IIS restart (a new header block), or -1 */
    private readonly restartAt: number,
    /** a log that was not collected: its lines are made (the truth sees them) but never written */
    readonly leftOut = false,
  ) {}

  private block(t: number): void {
    this.append(
      `#Software: ${this.header.software}\r\n#Version: 1.0\r\n#Date: ${this.header.date} ${clock(t)}\r\n` + `#Fields: ${this.header.fields.join(' ')}\r\n`,
    );
  }

  /** s, then CRLF when `line` */
  private append(s: string, line = false): void {
    const need = s.length + 2;
    if (!this.buf) this.buf = Buffer.allocUnsafe(ROOM);
    if (this.used + need > this.buf.length) this.buf = Buffer.concat([this.buf.subarray(0, this.used), Buffer.allocUnsafe(need + ROOM)]);
    this.used += this.buf.write(s, this.used, 'latin1');
    if (line) {
      this.buf[this.used++] = 13;
      this.buf[this.used++] = 10;
    }
    this.bytes += line ? need : s.length;
  }

  write(t: number, line: string): void {
    if (!this.headed) {
      this.headed = true;
      this.block(t);
    } else if (!this.restarted && this.restartAt >= 0 && t >= this.restartAt) {
      this.restarted = true;
      this.block(t);
    }
    this.append(line, true);
    this.lines++;
  }

  /** a line whose time may be up to a second earlier than lines already added */
  add(t: number, line: string): void {
    const p = this.pending;
    let i = p.length;
    while (i > 0 && p[i - 1]!.t > t) i--;
    if (i === p.length) p.push({ t, s: line });
    else p.splice(i, 0, { t, s: line });
  }

  /** write the added lines older than `before` (all of them when omitted) */
  drain(before = Infinity): void {
    const p = this.pending;
    let k = 0;
    while (k < p.length && p[k]!.t < before) {
      this.write(p[k]!.t, p[k]!.s);
      k++;
    }
    if (k > 0) p.splice(0, k);
  }

  get full(): boolean {
    return this.used >= CHUNK;
  }

  async flush(): Promise<void> {
    if (!this.used) return;
    if (this.leftOut) {
      this.used = 0;
      return;
    }
    if (!this.fh) {
      await mkdir(dirname(this.path), { recursive: true });
      this.fh = await open(this.path, 'w');
    }
    await this.fh.write(this.buf!, 0, this.used);
    this.used = 0;
  }

  async close(): Promise<void> {
    this.drain();
    await this.flush();
    await this.fh?.close();
    this.fh = undefined;
    this.buf = undefined;
  }
}
