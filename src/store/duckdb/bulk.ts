// Whole-file loads for the DuckDB store (Store.bulkLoad; the contract is in schema/bulk.ts): DuckDB's
// own CSV reader parses the file and one INSERT … SELECT turns its fields into the table's row,
// the SQL compiled from the format's column description. Every check is in the statement: a line
// with the wrong number of fields, a quote left open, bytes that are not UTF-8 (read_csv's strict
// mode) or a value the description refuses (error()) fails it, and so does a row count other than
// the file's data lines (a blank line, a quoted line break). A failed file leaves nothing behind and
// the ingest reads it with the format's parser instead, which explains each bad line.
//
// Line numbers: `WITH ORDINALITY` numbers the rows of one file in order; row k is line
// headerLines + k because the count check guarantees one row per line. Ordinality makes a scan
// sequential, so files are loaded by two connections at once (one per core of the machines this
// was measured on), each committing its files in transactions of about BULK_TXN_BYTES.
import type { BulkCsv, BulkPlan, BulkValue } from '../../schema/bulk.js';
import { recordTables } from '../../schema/tables.js';
import type { BulkFile, BulkOutcome } from '../types.js';
import { ident, literal } from './ddl.js';

type Params = Record<string, string | number | boolean | null>;

/** one DuckDB connection: statements with named parameters */
export interface Conn {
  run(sql: string, params?: Params): Promise<void>;
  /** the first column of the first row (an INSERT's row count) */
  value(sql: string, params?: Params): Promise<number>;
  /** every row, as plain objects (integrity.ts) */
  all(sql: string, params?: Params): Promise<Record<string, unknown>[]>;
}

/** a null string no log holds (it has control bytes): every field is text, empty ones '' */
const NO_NULL = '\u0001mxray:no-null\u0001';

/** a refusal raised inside the statement, recognisable in DuckDB's error message */
const REFUSE = 'mxray-bulk-refused: ';

function refuse(what: string): string {
  return `error(${literal(REFUSE + what)})`;
}

/** the SQL value of one table column for rows of a file with this plan */
export function valueSql(v: BulkValue, plan: BulkPlan, fileId: number): string {
  const col = (field: string): string | undefined => {
    const i = plan.names.indexOf(field);
    return i < 0 ? undefined : `c${i}`;
  };
  const line = `(ordinality + ${plan.headerLines})`;
  switch (v.kind) {
    case 'file':
      return String(fileId);
    case 'line':
      return line;
    // read_csv gives empty fields as '' (NO_NULL below), so text needs no coalesce
    case 'text': {
      const c = col(v.field);
      if (!c) return v.absent === 'empty' ? `''` : 'NULL';
      return v.lower ? `lower(${c})` : c;
    }
    case 'key': {
      const c = col(v.field);
      const missing = `'~${fileId}:' || ${line}`;
      return c ? `CASE WHEN ${c} = '' THEN ${missing} ELSE ${c} END` : missing;
    }
    case 'count': {
      const c = col(v.field);
      if (!c) return '0';
      // digits only: nothing left once leading digits are trimmed (cheaper than a regular expression)
      return `CASE WHEN ${c} = '' THEN 0 WHEN ltrim(${c}, '0123456789') = '' THEN CAST(${c} AS BIGINT) ELSE ${refuse(`${v.field} is not a number`)} END`;
    }
    case 'iso-utc-ms': {
      const c = col(v.field);
      if (!c) return refuse(`no ${v.field} field`);
      // exactly the shape isoTs (formats/tracking-time.ts) reads fastest: the separators in place
      // (LIKE), a year from 0001 (strptime takes 0000 and a leading space), and strptime, which
      // refuses a non-digit, hour 24, 30 February… by failing the statement
      return `CASE WHEN ${c} LIKE '____-__-__T__:__:__.___Z' AND ${c} >= '0001' THEN strptime(${c}, '%Y-%m-%dT%H:%M:%S.%gZ') ELSE ${refuse(`${v.field} is not an ISO UTC time`)} END`;
    }
    case 'code': {
      const arms: string[] = [];
      for (const r of v.rules) {
        const tests = Object.entries(r.equals).map(([field, value]) => {
          const c = col(field);
          return c ? `${c} = ${literal(value)}` : 'false';
        });
        arms.push(`WHEN ${tests.join(' AND ')} THEN ${r.code}`);
      }
      return arms.length ? `CASE ${arms.join(' ')} ELSE 0 END` : '0';
    }
  }
}

/** INSERT … SELECT of one whole file */
export function bulkInsertSql(spec: BulkCsv, plan: BulkPlan, fileId: number, path: string): string {
  const table = recordTables[spec.table];
  const values = table.columns.map((c) => {
    const v = spec.columns[c.name];
    if (!v) throw new Error(`bulk description of ${table.name} has no value for column ${c.name}`);
    return `${valueSql(v, plan, fileId)} AS ${ident(c.name)}`;
  });
  const columns = plan.names.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  return `INSERT INTO ${ident(table.name)} SELECT ${values.join(', ')}
    FROM read_csv(${literal(path)}, skip = ${plan.headerLines}, header = false, delim = ${literal(spec.delimiter)}, quote = ${literal(spec.quote)},
      escape = ${literal(spec.quote)}, auto_detect = false, strict_mode = true, nullstr = ${literal(NO_NULL)}, allow_quoted_nulls = false,
      columns = {${columns}}) WITH ORDINALITY`;
}

/** the reason of a failed load, in words (DuckDB's first line, or the description's refusal) */
export function failureReason(e: unknown): string {
  const m = String((e as Error)?.message ?? e);
  const i = m.indexOf(REFUSE);
  if (i >= 0) return m.slice(i + REFUSE.length).split('\n')[0]!;
  return m.split('\n').slice(0, 2).join(' ').slice(0, 200);
}

export const BULK_TXN_BYTES = 256 << 20;

/**
 * Load the files over the given connections (each takes the next group of files, an equal share
 * of at most BULK_TXN_BYTES, in one transaction with their ingested_files records). A group that fails is
 * retried file by file, so one bad file only costs itself.
 */
export async function bulkLoad(
  conns: readonly Conn[],
  spec: BulkCsv,
  files: readonly BulkFile[],
  record: (c: Conn, f: BulkFile) => Promise<void>,
  /** called on a connection before it commits a group (the store seals the group there) */
  beforeCommit?: (c: Conn) => Promise<void>,
): Promise<BulkOutcome[]> {
  const out = new Map<number, BulkOutcome>();
  // at least one group per connection (so that both work), at most BULK_TXN_BYTES each
  const total = files.reduce((a, f) => a + f.file.size, 0);
  const target = total / Math.max(conns.length, Math.ceil(total / BULK_TXN_BYTES));
  const groups: BulkFile[][] = [];
  let cur: BulkFile[] = [];
  let bytes = 0;
  for (const f of files) {
    cur.push(f);
    bytes += f.file.size;
    if (bytes >= target) {
      groups.push(cur);
      cur = [];
      bytes = 0;
    }
  }
  if (cur.length) groups.push(cur);

  const loadGroup = async (c: Conn, group: readonly BulkFile[]): Promise<void> => {
    const done: BulkOutcome[] = [];
    await c.run('BEGIN TRANSACTION');
    try {
      for (const f of group) {
        const rows = await c.value(bulkInsertSql(spec, f.plan, f.file.id, f.file.path));
        if (rows !== f.dataLines) throw new Error(`${REFUSE}${rows} rows from ${f.dataLines} data lines (a blank line or a line break inside quotes)`);
        await record(c, f);
        done.push({ fileId: f.file.id, loaded: true, rows });
      }
      await beforeCommit?.(c);
      await c.run('COMMIT');
      for (const d of done) out.set(d.fileId, d);
    } catch (e) {
      await c.run('ROLLBACK').catch(() => {});
      if (group.length === 1) out.set(group[0]!.file.id, { fileId: group[0]!.file.id, loaded: false, rows: 0, why: failureReason(e) });
      else for (const f of group) await loadGroup(c, [f]);
    }
  };

  let next = 0;
  await Promise.all(
    conns.map(async (c) => {
      while (next < groups.length) await loadGroup(c, groups[next++]!);
    }),
  );
  return files.map((f) => out.get(f.file.id)!);
}
