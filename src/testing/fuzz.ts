// Fuzzing helpers (fast-check): random mutations of real samples, and a parse that counts what
// became of every line, for the property every format must hold (formats/fuzz.test.ts):
//   no crash, no hang, and every line of the file is blank, rejected by the framer, the origin of a
//   row, a counted reject, or a line the format may read silently (a header, a comment, a
//   continuation of a multi-line entry) -- and every row the parser writes is one a store can load.
// Bounded in `npm test` (a fixed seed, few runs); `npm run fuzz` (scripts/run.mjs fuzz) runs more,
// from a random seed it prints: MXRAY_FUZZ_RUNS and MXRAY_FUZZ_SEED replay a failure.
import { isUtf8 } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Format, RejectReason, TextFormat } from '../formats/types.js';
import { recordTables, type RecordKind, type RecordTable } from '../schema/tables.js';
import { TsvWriter, parseTsv } from '../schema/tsv.js';
import { frameFile, detectEncoding, MAX_LINE_BYTES, type FrameResult } from '../ingest/framer.js';

// ---- settings ----------------------------------------------------------------------------------

/** fast-check parameters of one property: `runs` and a fixed seed in `npm test`. MXRAY_FUZZ_RUNS
 *  (scripts/run.mjs fuzz) sets the runs of every property, `share` of it for a costly one (a real
 *  ingest per run); MXRAY_FUZZ_SEED the seed (the fuzz command picks a random one and prints it). */
export function fuzzParams(runs: number, share = 1): fc.Parameters<unknown> {
  const envRuns = Number(process.env.MXRAY_FUZZ_RUNS);
  const envSeed = Number(process.env.MXRAY_FUZZ_SEED);
  return {
    numRuns: Number.isSafeInteger(envRuns) && envRuns > 0 ? Math.max(1, Math.ceil(envRuns * share)) : runs,
    seed: Number.isSafeInteger(envSeed) ? envSeed : 15,
    // MXRAY_FUZZ_PATH (the `path` a failure prints, with its seed) replays just that counterexample
    ...(process.env.MXRAY_FUZZ_PATH ? { path: process.env.MXRAY_FUZZ_PATH } : {}),
    // a counterexample is shrunk to a small one before it is printed, with the seed and path that
    // replay it
    verbose: 1,
  };
}

// ---- mutations ---------------------------------------------------------------------------------

/** byte strings that break parsers: control bytes, broken UTF-8, numbers past every int type,
 *  impossible dates, quotes and separators, directive prefixes, over-long values */
const tokens: readonly Buffer[] = [
  '\0',
  '\r',
  '\n',
  '\r\n',
  '\t',
  ' ',
  '"',
  '""',
  ',',
  ';',
  '-',
  '#',
  '%',
  '%zz',
  '%00',
  '%C3',
  '+',
  '\\',
  '\\N',
  '2147483648',
  '4294967296',
  '9223372036854775808',
  '99999999999999999999',
  '-1',
  '-2147483649',
  '1e309',
  'NaN',
  '0x1F',
  '2024-02-30',
  '0000-00-00',
  '9999-12-31',
  '99999-01-01',
  '23:59:60',
  '24:00:00',
  '12/31/2024 11:59:59 PM',
  '31.12.2024 25:00:00',
  '1998.13.32 25:61:61',
  '/o=',
  'SMTP:',
  '#Fields: ',
  '#Software: Microsoft Exchange',
  '#Date: 2024-03-04 00:00:00',
  '#TYPE x',
  'Log=',
  'Log=V141_Hb999999999999_Att99999999999_S1',
  'Timestamp',
  'EventId',
  'date-time,',
  '\u2028',
  '😀',
  'é',
  'A'.repeat(300),
  'x'.repeat(70_000),
]
  .map((t) => Buffer.from(t, 'utf8'))
  .concat([
    Buffer.from([0xff]),
    Buffer.from([0xc3]),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from([0xff, 0xfe]),
    Buffer.from([0xf0, 0x9f]),
  ]);

/** a line over the framer's limit: rare (it costs a MiB per run) */
const overLong = Buffer.alloc(MAX_LINE_BYTES + 17, 0x61);

export type Mutation =
  | { op: 'flip'; at: number; xor: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; token: number }
  | { op: 'field'; line: number; field: number; token: number }
  | { op: 'dupLine'; line: number }
  | { op: 'delLine'; line: number }
  | { op: 'swapLines'; a: number; b: number }
  | { op: 'header'; line: number; how: 'dropField' | 'dupField' | 'swapFields' | 'upper' | 'cut'; field: number }
  | { op: 'overLong'; line: number };

const nat = fc.nat({ max: 1 << 20 });
const token = fc.nat({ max: tokens.length - 1 });

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ op: fc.constant('flip' as const), at: nat, xor: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 10, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: nat }) },
  { weight: 40, arbitrary: fc.record({ op: fc.constant('insert' as const), at: nat, token }) },
  { weight: 40, arbitrary: fc.record({ op: fc.constant('field' as const), line: nat, field: fc.nat({ max: 40 }), token }) },
  { weight: 20, arbitrary: fc.record({ op: fc.constant('dupLine' as const), line: nat }) },
  { weight: 20, arbitrary: fc.record({ op: fc.constant('delLine' as const), line: nat }) },
  { weight: 10, arbitrary: fc.record({ op: fc.constant('swapLines' as const), a: nat, b: nat }) },
  {
    weight: 30,
    arbitrary: fc.record({
      op: fc.constant('header' as const),
      line: nat,
      how: fc.constantFrom('dropField' as const, 'dupField' as const, 'swapFields' as const, 'upper' as const, 'cut' as const),
      field: fc.nat({ max: 40 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('overLong' as const), line: nat }) },
);

export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 6 });

/** lines with their terminators (the last may have none) */
function splitLines(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let s = 0;
  while (s < b.length) {
    const nl = b.indexOf(10, s);
    const e = nl < 0 ? b.length : nl + 1;
    out.push(b.subarray(s, e));
    s = e;
  }
  return out;
}

/** [start, end) of the separator-bounded segments of a line (TAB, comma and space separate) */
function segments(line: Buffer): [number, number][] {
  const out: [number, number][] = [];
  let s = 0;
  let end = line.length;
  while (end > 0 && (line[end - 1] === 10 || line[end - 1] === 13)) end--;
  for (let i = 0; i <= end; i++) {
    if (i === end || line[i] === 9 || line[i] === 44 || line[i] === 32) {
      out.push([s, i]);
      s = i + 1;
    }
  }
  return out;
}

/** a header line: a `#` directive, or the first line (CSV headers) */
function headerLines(lines: Buffer[]): number[] {
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (i === 0 || l[0] === 35) out.push(i);
  });
  return out;
}

function mutateHeader(line: Buffer, how: Extract<Mutation, { op: 'header' }>['how'], field: number): Buffer {
  const segs = segments(line);
  const tail = line.subarray(segs.length ? segs[segs.length - 1]![1] : 0);
  const parts = segs.map(([s, e]) => line.subarray(s, e));
  const seps = segs.slice(0, -1).map(([, e]) => line.subarray(e, e + 1));
  const k = parts.length ? field % parts.length : 0;
  switch (how) {
    case 'dropField':
      if (parts.length > 1) {
        parts.splice(k, 1);
        seps.splice(Math.min(k, seps.length - 1), 1);
      }
      break;
    case 'dupField':
      if (parts.length) {
        parts.splice(k, 0, parts[k]!);
        seps.splice(k, 0, seps[k] ?? Buffer.from(' '));
      }
      break;
    case 'swapFields': {
      const j = parts.length ? (k + 1) % parts.length : 0;
      if (parts.length > 1) [parts[k], parts[j]] = [parts[j]!, parts[k]!];
      break;
    }
    case 'upper':
      return Buffer.from(line.toString('latin1').toUpperCase(), 'latin1');
    case 'cut':
      return Buffer.concat([line.subarray(0, Math.floor(line.length / 2)), tail]);
  }
  const pieces: Buffer[] = [];
  parts.forEach((p, i) => {
    pieces.push(p);
    if (i < parts.length - 1) pieces.push(seps[i] ?? Buffer.from(' '));
  });
  pieces.push(tail);
  return Buffer.concat(pieces);
}

/** the sample with the mutations applied in order (positions taken modulo the current size) */
export function applyMutations(sample: Buffer, ms: readonly Mutation[]): Buffer {
  let b = sample;
  for (const m of ms) {
    const lines = splitLines(b);
    switch (m.op) {
      case 'flip':
        if (b.length) {
          b = Buffer.from(b);
          b[m.at % b.length] ^= m.xor;
        }
        break;
      case 'truncate':
        b = b.subarray(0, m.at % (b.length + 1));
        break;
      case 'insert': {
        const at = m.at % (b.length + 1);
        b = Buffer.concat([b.subarray(0, at), tokens[m.token]!, b.subarray(at)]);
        break;
      }
      case 'field': {
        if (!lines.length) break;
        const i = m.line % lines.length;
        const segs = segments(lines[i]!);
        if (!segs.length) break;
        const [s, e] = segs[m.field % segs.length]!;
        lines[i] = Buffer.concat([lines[i]!.subarray(0, s), tokens[m.token]!, lines[i]!.subarray(e)]);
        b = Buffer.concat(lines);
        break;
      }
      case 'dupLine':
        if (lines.length) {
          const i = m.line % lines.length;
          const l = lines[i]!;
          lines.splice(i, 0, l[l.length - 1] === 10 ? l : Buffer.concat([l, Buffer.from('\n')]));
          b = Buffer.concat(lines);
        }
        break;
      case 'delLine':
        if (lines.length) {
          lines.splice(m.line % lines.length, 1);
          b = Buffer.concat(lines);
        }
        break;
      case 'swapLines':
        if (lines.length > 1) {
          const i = m.a % lines.length,
            j = m.b % lines.length;
          [lines[i], lines[j]] = [lines[j]!, lines[i]!];
          b = Buffer.concat(lines);
        }
        break;
      case 'header': {
        const hs = headerLines(lines);
        if (!hs.length) break;
        const i = hs[m.line % hs.length]!;
        lines[i] = mutateHeader(lines[i]!, m.how, m.field);
        b = Buffer.concat(lines);
        break;
      }
      case 'overLong':
        lines.splice(m.line % (lines.length + 1), 0, overLong, Buffer.from('\n'));
        b = Buffer.concat(lines);
        break;
    }
  }
  return b;
}

// ---- the independent view of a file: its lines ------------------------------------------------

/** the file's lines as the framer must number them, worked out without the framer: decoded text
 *  split on LF, a CR before it dropped; a last line without LF counts too. Only the choice of
 *  decoding (UTF-16 by BOM or NUL pattern) is the framer's own (detectEncoding). */
export function expectedLines(b: Buffer): { blank: boolean; overLong: boolean }[] {
  const det = detectEncoding(b.subarray(0, 1024));
  let text: Buffer = b.subarray(det.skip);
  if (det.encoding === 'utf-16le' || det.encoding === 'utf-16be') {
    text = Buffer.from(new TextDecoder(det.encoding, { ignoreBOM: true }).decode(text), 'utf8');
  }
  const out: { blank: boolean; overLong: boolean }[] = [];
  for (const l of splitLines(text)) {
    let e = l.length;
    if (l[e - 1] === 10) e--;
    const overLong = e > MAX_LINE_BYTES;
    if (e > 0 && l[e - 1] === 13) e--;
    out.push({ blank: e === 0, overLong });
  }
  return out;
}

// ---- parsing with a counting context ----------------------------------------------------------

export interface Counted {
  frame: FrameResult;
  /** lines handed to the parser: line number -> text */
  handed: Map<number, string>;
  /** lines the framer rejected itself (binary, too-long) */
  framerRejects: Map<number, RejectReason>;
  /** rejects of the format: line -> reasons */
  rejects: Map<number, RejectReason[]>;
  /** rows written, per table: origin line -> number of rows */
  rowsByLine: Map<RecordKind, Map<number, number>>;
  /** the rows as stored values (TSV parsed back), per table */
  rows: Map<RecordKind, (string | null)[][]>;
  /** the raw TSV bytes per table */
  tsv: Map<RecordKind, Buffer>;
  state: unknown;
  ms: number;
}

/** frame `path` with the real framer and parse it with `format`, counting rows and rejects per line */
export async function parseCounting(format: TextFormat, path: string): Promise<Counted> {
  const t0 = performance.now();
  const handed = new Map<number, string>();
  const framerRejects = new Map<number, RejectReason>();
  const rejects = new Map<number, RejectReason[]>();
  const rowsByLine = new Map<RecordKind, Map<number, number>>();
  const writers = new Map<RecordKind, TsvWriter>();
  for (const k of format.tables) {
    // backslash escapes off: the TSV DuckDB loads (ClickHouse's escapes are checked by the store tests)
    const w = new TsvWriter(recordTables[k], 1, false, 1 << 12);
    const counts = new Map<number, number>();
    rowsByLine.set(k, counts);
    const begin = w.begin.bind(w);
    w.begin = (line: number) => {
      counts.set(line, (counts.get(line) ?? 0) + 1);
      begin(line);
    };
    writers.set(k, w);
  }
  const ctx = {
    file: path,
    out: (kind: RecordKind) => {
      const w = writers.get(kind);
      if (!w) throw new Error(`format ${format.name} wrote to table ${kind}, which its \`tables\` do not list`);
      return w;
    },
    reject: (line: number, reason: RejectReason) => {
      const r = rejects.get(line) ?? [];
      r.push(reason);
      rejects.set(line, r);
    },
    note: (_m: string) => {},
  };
  const parser = format.parser(ctx);
  const frame = await frameFile(path, {
    line: (buf, s, e, n, off) => {
      handed.set(n, buf.toString('utf8', s, e));
      parser.line(buf, s, e, n, off);
    },
    reject: (line, reason) => framerRejects.set(line, reason),
    note: () => {},
  });
  parser.end();
  const state = JSON.parse(JSON.stringify(parser.state() ?? null));
  const rows = new Map<RecordKind, (string | null)[][]>();
  const tsv = new Map<RecordKind, Buffer>();
  for (const [k, w] of writers) {
    // a begun row the parser never ended would be lost: the counts above must match the TSV
    const b = w.take();
    tsv.set(k, b);
    rows.set(k, parseTsv(b, false));
  }
  return { frame, handed, framerRejects, rejects, rowsByLine, rows, tsv, state, ms: performance.now() - t0 };
}

// ---- the properties ----------------------------------------------------------------------------

const int64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const storedTime = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.\d{3}$/;

/** why a stored value does not fit its column (what would make a store refuse the whole batch),
 *  or undefined */
export function badValue(table: RecordTable, col: number, v: string | null, nullable = true): string | undefined {
  const c = table.columns[col]!;
  if (v === null) return nullable && !table.recordKey?.includes(c.name) && c.type !== 'timestamp' ? undefined : `${c.name} is NULL`;
  switch (c.type) {
    case 'int':
    case 'bigint':
    case 'tinyint': {
      if (!/^-?\d{1,20}$/.test(v)) return `${c.name} '${v.slice(0, 40)}' is not a whole number`;
      const n = BigInt(v);
      const [lo, hi] = c.type === 'int' ? [-(2n ** 31n), 2n ** 31n - 1n] : c.type === 'tinyint' ? [0n, 127n] : int64;
      return n < lo || n > hi ? `${c.name} ${v} is outside ${c.type}` : undefined;
    }
    case 'double':
      return Number.isFinite(Number(v)) && v.trim() !== '' ? undefined : `${c.name} '${v.slice(0, 40)}' is not a number`;
    case 'timestamp': {
      const m = storedTime.exec(v);
      if (!m) return `${c.name} '${v.slice(0, 40)}' is not YYYY-MM-DD HH:MM:SS.fff`;
      const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
      const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
      const ok = t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && t.getUTCHours() === h && t.getUTCMinutes() === mi;
      return ok && s < 60 ? undefined : `${c.name} '${v}' is not a real time`;
    }
    case 'text':
      return undefined;
  }
}

/** a description of every way `c` breaks the property, empty when it holds. `silent(text)` says
 *  whether the format may read a line without a row or a reject (headers, comments, continuation
 *  lines: worked out by the caller from the text, not by the format); `skip(table, column, value)`
 *  says which bad values are a known issue left to another fix (with the reason at the caller). */
export function violations(
  input: Buffer,
  c: Counted,
  silent: (text: string, line: number, handed: ReadonlyMap<number, string>) => boolean,
  skip: (table: RecordKind, column: string, value: string | null) => boolean = () => false,
): string[] {
  const out: string[] = [];
  const want = expectedLines(input);
  if (c.frame.lines !== want.length) out.push(`the framer counted ${c.frame.lines} lines, the file has ${want.length}`);
  const rowLines = new Map<number, number>();
  for (const counts of c.rowsByLine.values()) for (const [l, n] of counts) rowLines.set(l, (rowLines.get(l) ?? 0) + n);
  want.forEach((w, i) => {
    const n = i + 1;
    const handed = c.handed.has(n);
    const framed = c.framerRejects.has(n);
    const rows = rowLines.get(n) ?? 0;
    const rejects = c.rejects.get(n)?.length ?? 0;
    if (w.blank) {
      if (handed || framed) out.push(`line ${n} is blank but was handed on`);
      if (rows || rejects) out.push(`blank line ${n} has ${rows} rows and ${rejects} rejects`);
      return;
    }
    if (w.overLong && c.framerRejects.get(n) !== 'too-long') out.push(`line ${n} is over-long and not rejected too-long`);
    if (handed === framed)
      out.push(`line ${n}: ${handed ? 'both handed to the parser and rejected by the framer' : 'neither handed to the parser nor rejected'}`);
    if (framed && (rows || rejects)) out.push(`line ${n} was rejected by the framer, yet has ${rows} rows and ${rejects} parser rejects`);
    if (!handed) return;
    if (rows + rejects > 1) out.push(`line ${n} counted ${rows + rejects} times (${rows} rows, rejects: ${c.rejects.get(n)?.join(', ') ?? 'none'})`);
    if (rows + rejects === 0 && !silent(c.handed.get(n)!, n, c.handed))
      out.push(`line ${n} is neither a row nor a reject: ${JSON.stringify(c.handed.get(n)!.slice(0, 80))}`);
  });
  for (const [l] of rowLines) if (!c.handed.has(l)) out.push(`a row has origin line ${l}, which the parser was not given`);
  for (const [l] of c.rejects) if (!c.handed.has(l)) out.push(`a reject names line ${l}, which the parser was not given`);
  for (const [k, rows] of c.rows) {
    const table = recordTables[k];
    const tsv = c.tsv.get(k)!;
    if (!isUtf8(tsv)) out.push(`${k}: the rows are not valid UTF-8`);
    const begun = [...c.rowsByLine.get(k)!.values()].reduce((a, b) => a + b, 0);
    if (rows.length !== begun) out.push(`${k}: ${begun} rows begun, ${rows.length} written`);
    for (const r of rows) {
      if (r.length !== table.columns.length) {
        out.push(`${k}: a row of ${r.length} values, the table has ${table.columns.length}`);
        continue;
      }
      for (let i = 0; i < r.length; i++) {
        const bad = badValue(table, i, r[i]!);
        if (bad && !skip(k, table.columns[i]!.name, r[i]!)) out.push(`${k} line ${r[1]}: ${bad}`);
      }
    }
  }
  return [...new Set(out)].slice(0, 20);
}

/** write `bytes` to `path` (a helper so that tests read as steps) */
export function writeSample(path: string, bytes: Buffer): void {
  writeFileSync(path, bytes);
}

export type { Format };
