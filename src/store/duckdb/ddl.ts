// DuckDB types and DDL for the record tables described in schema/tables.ts.
import { recordKeyColumns, type ColumnType, type RecordTable } from '../../schema/tables.js';

export const duckType: Record<ColumnType, string> = {
  int: 'INTEGER',
  bigint: 'BIGINT',
  tinyint: 'UTINYINT',
  double: 'DOUBLE',
  text: 'VARCHAR',
  timestamp: 'TIMESTAMP',
};

export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** a SQL string literal (only for values the store itself produces: paths of its own temp files) */
export function literal(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

export function createTableSql(t: RecordTable): string {
  return `CREATE TABLE IF NOT EXISTS ${ident(t.name)} (${t.columns.map((c) => `${ident(c.name)} ${duckType[c.type]}`).join(', ')})`;
}

/** INSERT … SELECT from a TSV file written by schema/tsv.ts (no backslash escapes; \N is NULL) of
 *  `bytes` bytes (when known); for a table with a record key, see loadTsvKeyedSql */
export function loadTsvSql(t: RecordTable, path: string, bytes?: number): string {
  if (t.recordKey?.length) return loadTsvKeyedSql(t, path, bytes);
  // `lower` columns arrive lowercased already (schema/tsv.ts)
  return `INSERT INTO ${ident(t.name)} SELECT * FROM ${readTsv(t, path, bytes)}`;
}

/** read_csv's default buffer is 32 MB (16 × its 2 MB max_line_size), allocated for every file read:
 *  a presence poller's batch of a few hundred KB made DuckDB take 30 MB for each load. A file smaller
 *  than that is read with a buffer of its own size (no line of it can be longer). */
const READ_CSV_DEFAULT_BUFFER = 32 << 20;

function readTsv(t: RecordTable, path: string, bytes?: number): string {
  const cols = t.columns.map((c) => `${literal(c.name)}: ${literal(duckType[c.type])}`).join(', ');
  const size = bytes !== undefined && bytes < READ_CSV_DEFAULT_BUFFER ? Math.max(bytes, 1024) : undefined;
  const buffer = size === undefined ? '' : `, buffer_size = ${size}, max_line_size = ${size}`;
  return `read_csv(${literal(path)}, delim = '\t', header = false, quote = '', escape = '', nullstr = '\\N', auto_detect = false, columns = {${cols}}${buffer})`;
}

/** The load of a table with a record key (schema/tables.ts): a row whose key is stored already, or
 *  that repeats a row of the same load with a smaller (file_id, line), is left out. The stored keys
 *  are narrowed to those of the load first (a semi join, whose build side is the load): measured
 *  with 50,000 rows against 10 M stored, about 50 ms more than a plain load, where an anti join
 *  straight against the table (NOT EXISTS) built a hash table of every stored key (~500 ms more). A
 *  transaction sees its own earlier loads, so the batches of one lane never store a record twice;
 *  the ingest keeps the files of such tables on one lane (ingest.ts). */
export function loadTsvKeyedSql(t: RecordTable, path: string, bytes?: number): string {
  const key = recordKeyColumns(t).map(ident);
  const same = (a: string, b: string) => key.map((k) => `${a}.${k} = ${b}.${k}`).join(' AND ');
  return `INSERT INTO ${ident(t.name)}
    WITH loaded AS MATERIALIZED (SELECT * FROM ${readTsv(t, path, bytes)})
    SELECT loaded.* FROM loaded
    ANTI JOIN (SELECT ${key.map((k) => `stored.${k}`).join(', ')} FROM ${ident(t.name)} stored SEMI JOIN loaded ON ${same('stored', 'loaded')}) known
      ON ${same('known', 'loaded')}
    QUALIFY row_number() OVER (PARTITION BY ${key.map((k) => `loaded.${k}`).join(', ')} ORDER BY loaded.file_id, loaded.line) = 1`;
}
