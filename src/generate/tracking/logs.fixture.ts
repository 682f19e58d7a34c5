// Test support: reads the generated logs back with deliberately simple, independent code (its own
// CSV splitter, the counting rules of the spec written out plainly) so the tests can hold the
// generator's truth.json against what is really in the files.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Counts {
  users: Record<string, { sent: number; received: number; sentBytes: number; receivedBytes: number }>;
  traffic: Record<string, { messages: number; bytes: number; deliveries: number }>;
  /** every UTC date with an event */
  dates: Set<string>;
}

/** every file under `dir` but truth.json, relative paths with `/`, sorted */
export function logFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== 'truth.json') out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** RFC 4180 fields of one line; throws on a quote that is not closed or stray text after one */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error(`unterminated quote: ${line.slice(0, 80)}`);
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(v);
      if (i === line.length) return out;
      if (line[i] !== ',') throw new Error(`text after a closing quote at ${i}: ${line.slice(0, 80)}`);
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

/** the text of a log file split into lines; asserts nothing, returns what it finds */
export function readLines(path: string): { bom: boolean; lines: string[]; bareLf: number; endsWithCrlf: boolean } {
  let text = readFileSync(path, 'utf8');
  const bom = text.charCodeAt(0) === 0xfeff;
  if (bom) text = text.slice(1);
  const endsWithCrlf = text.endsWith('\r\n');
  const bareLf = (text.match(/(^|[^\r])\n/g) ?? []).length;
  const lines = text.split('\r\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return { bom, lines, bareLf, endsWithCrlf };
}

export interface CsvLog {
  file: string;
  header: string[];
  fields: string[];
  records: Record<string, string>[];
  /** data lines whose field count differs from the header's */
  badLines: string[];
}

export function readCsvLog(dir: string, file: string): CsvLog {
  const { lines } = readLines(join(dir, file));
  const header = lines.filter((l) => l.startsWith('#'));
  const fieldsLine = header.find((l) => l.startsWith('#Fields: '));
  const fields = fieldsLine ? fieldsLine.slice('#Fields: '.length).split(',') : [];
  const records: Record<string, string>[] = [];
  const badLines: string[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const values = splitCsvLine(line);
    if (values.length !== fields.length) {
      badLines.push(line);
      continue;
    }
    const r: Record<string, string> = {};
    fields.forEach((f, i) => {
      r[f] = values[i]!;
    });
    records.push(r);
  }
  return { file, header, fields, records, badLines };
}

export interface TabLine {
  file: string;
  fields: string[];
}

/** Exchange 2003: data lines (not `#`) split on tabs */
export function read2003(dir: string, file: string): { header: string[]; lines: TabLine[] } {
  const { lines } = readLines(join(dir, file));
  return {
    header: lines.filter((l) => l.startsWith('#')),
    lines: lines.filter((l) => !l.startsWith('#')).map((l) => ({ file, fields: l.split('\t') })),
  };
}

export interface Entry55 {
  file: string;
  first: string[];
  recipients: { name: string; status: string }[];
}

/** Exchange 5.5: entries of a first line and the continuation lines (starting with a tab) after it */
export function read55(dir: string, file: string): { entries: Entry55[]; orphans: number } {
  const { lines } = readLines(join(dir, file));
  const entries: Entry55[] = [];
  let orphans = 0;
  for (const line of lines) {
    if (line.startsWith('\t')) {
      const last = entries[entries.length - 1];
      if (!last) {
        orphans++;
        continue;
      }
      const [, name = '', status = ''] = line.split('\t');
      last.recipients.push({ name, status });
    } else {
      entries.push({ file, first: line.split('\t'), recipients: [] });
    }
  }
  return { entries, orphans };
}

/** UTC date of a 5.5 time `2024.3.4 10:12:09` */
export function date55(s: string): string {
  const [y, m, d] = s.split(' ')[0]!.split('.');
  return `${y}-${m!.padStart(2, '0')}-${d!.padStart(2, '0')}`;
}

class Counter {
  readonly c: Counts = { users: {}, traffic: {}, dates: new Set() };
  private readonly sentIds = new Set<string>();
  private readonly delivered = new Set<string>();

  sent(user: string, id: string, bytes: number, date: string): void {
    if (this.sentIds.has(id)) return;
    this.sentIds.add(id);
    const u = this.user(user);
    u.sent++;
    u.sentBytes += bytes;
    const d = this.day(date);
    d.messages++;
    d.bytes += bytes;
  }

  received(user: string, id: string, bytes: number, date: string): void {
    const key = `${id}\u0000${user}`;
    if (this.delivered.has(key)) return;
    this.delivered.add(key);
    const u = this.user(user);
    u.received++;
    u.receivedBytes += bytes;
    this.day(date).deliveries++;
  }

  private user(k: string) {
    return (this.c.users[k] ??= { sent: 0, received: 0, sentBytes: 0, receivedBytes: 0 });
  }

  private day(k: string) {
    return (this.c.traffic[k] ??= { messages: 0, bytes: 0, deliveries: 0 });
  }
}

/** 2007+: sent = RECEIVE/STOREDRIVER by sender-address, one per message-id; received =
 *  DELIVER/STOREDRIVER per address of recipient-address, one per (message-id, address) */
export function countCsv(logs: readonly CsvLog[]): Counts {
  const k = new Counter();
  for (const log of logs) {
    for (const r of log.records) {
      const date = r['date-time']!.slice(0, 10);
      k.c.dates.add(date);
      if (r['source'] !== 'STOREDRIVER') continue;
      if (r['event-id'] === 'RECEIVE') k.sent(r['sender-address']!.toLowerCase(), r['message-id']!, Number(r['total-bytes']), date);
      if (r['event-id'] === 'DELIVER') {
        for (const a of r['recipient-address']!.split(';')) k.received(a.toLowerCase(), r['message-id']!, Number(r['total-bytes']), date);
      }
    }
  }
  return k.c;
}

/** 2003: sent = 1027 by field 20, one per Linked-MSGID; received = 1028 by field 8, one per
 *  (Linked-MSGID, recipient) */
export function count2003(lines: readonly TabLine[]): Counts {
  const k = new Counter();
  for (const { fields: f } of lines) {
    const date = f[0]!;
    k.c.dates.add(date);
    if (f[8] === '1027') k.sent(f[19]!.toLowerCase(), f[17]!, Number(f[12]), date);
    if (f[8] === '1028') k.received(f[7]!.toLowerCase(), f[17]!, Number(f[12]), date);
  }
  return k.c;
}

/** 5.5: sent = events 4 and 1000 by originator, one per message id; received = every recipient
 *  line of events 9 and 1000, one per (message id, recipient) */
export function count55(entries: readonly Entry55[]): Counts {
  const k = new Counter();
  for (const e of entries) {
    const [id, event, time, , , , originator, , length] = e.first;
    const date = date55(time!);
    k.c.dates.add(date);
    if (event === '4' || event === '1000') k.sent(originator!.toLowerCase(), id!, Number(length), date);
    if (event === '9' || event === '1000') for (const r of e.recipients) k.received(r.name.toLowerCase(), id!, Number(length), date);
  }
  return k.c;
}
