// Versioned schema of the DuckDB store. Record tables are created from their descriptions in
// schema/tables.ts and widened automatically when a description gains a column; anything else
// (renames, new indexes, data fixes) is a numbered migration below, applied once, in order.
import { iisRequests, recordTables } from '../../schema/tables.js';
import { createTableSql, duckType, ident } from './ddl.js';
import { integrityDdl } from './integrity.js';

type Run = (sql: string, params?: Record<string, string | number | boolean | null>) => Promise<void>;
type Rows = <T = Record<string, unknown>>(sql: string, params?: Record<string, string | number | boolean | null>) => Promise<T[]>;

const migrations: { version: number; what: string; sql: string[] }[] = [
  {
    version: 1,
    what: 'ingest state: files, their resume points, and rejected lines',
    sql: [
      `CREATE SEQUENCE IF NOT EXISTS ingested_files_id START 1`,
      `CREATE TABLE IF NOT EXISTS ingested_files (
        id INTEGER PRIMARY KEY, path VARCHAR NOT NULL, size BIGINT NOT NULL, fp_len INTEGER NOT NULL, fp_hash VARCHAR NOT NULL,
        format VARCHAR NOT NULL, resume_offset BIGINT NOT NULL, next_line BIGINT NOT NULL, seekable BOOLEAN NOT NULL, state VARCHAR,
        provisional_from BIGINT, complete BOOLEAN NOT NULL, lines BIGINT NOT NULL, rejects BIGINT NOT NULL,
        first_ingest TIMESTAMP, last_ingest TIMESTAMP)`,
      `CREATE TABLE IF NOT EXISTS ingest_rejects (file_id INTEGER, line BIGINT, reason VARCHAR, detail VARCHAR)`,
    ],
  },
  {
    version: 2,
    what: 'iis_requests: the Log= value stored once, in eas_log (cut out of uri_query, formats/iis/query.ts)',
    sql: [
      // a new database gets the table here (the loop below would make it after the migrations)
      createTableSql(iisRequests),
      // rows written before: the value of the first Log parameter cut out of uri_query, only where
      // it is eas_log (so fullUriQuery gives back exactly the query that was stored)
      `UPDATE iis_requests SET uri_query = regexp_replace(uri_query, '(^|&)([Ll][Oo][Gg]=)[^&]*', '\\1\\2')
       WHERE eas_log <> '' AND regexp_extract(uri_query, '(^|&)[Ll][Oo][Gg]=([^&]*)', 2) = eas_log`,
    ],
  },
  {
    version: 3,
    what: 'integrity: row hashes and the sealed chain of batches (integrity.ts)',
    sql: integrityDdl,
  },
];

export const schemaVersion = migrations[migrations.length - 1]!.version;

export async function migrate(run: Run, rows: Rows): Promise<void> {
  await run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied TIMESTAMP, what VARCHAR)');
  const [cur] = await rows<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
  const current = cur?.v === null || cur?.v === undefined ? 0 : Number(cur.v);
  if (current > schemaVersion) {
    throw new Error(`the database has schema version ${current}, newer than this mxray understands (${schemaVersion}); upgrade mxray`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    await run('BEGIN TRANSACTION');
    for (const s of m.sql) await run(s);
    await run('INSERT INTO schema_version VALUES ($v, now(), $what)', { v: m.version, what: m.what });
    await run('COMMIT');
  }
  for (const t of Object.values(recordTables)) {
    await run(createTableSql(t));
    const have = new Set(
      (await rows<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = $t`, { t: t.name })).map(
        (r) => r.column_name,
      ),
    );
    for (const c of t.columns) {
      if (!have.has(c.name)) await run(`ALTER TABLE ${ident(t.name)} ADD COLUMN ${ident(c.name)} ${duckType[c.type]}`);
    }
  }
}
