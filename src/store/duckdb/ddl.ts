// DuckDB types and DDL for the record tables described in schema/tables.ts.
import type { ColumnType, RecordTable } from '../../schema/tables.js';

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

/** INSERT … SELECT from a TSV file written by schema/tsv.ts (no backslash escapes; \N is NULL) */
export function loadTsvSql(t: RecordTable, path: string): string {
  const cols = t.columns.map((c) => `${literal(c.name)}: ${literal(duckType[c.type])}`).join(', ');
  // `lower` columns arrive lowercased already (schema/tsv.ts)
  return `INSERT INTO ${ident(t.name)} SELECT * FROM read_csv(${literal(path)}, delim = '\t', header = false, quote = '', escape = '', nullstr = '\\N', auto_detect = false, columns = {${cols}})`;
}
