// Sealing and verifying a DuckDB store (the shared part is store/integrity/seal.ts).
//
// WHERE THE ROW HASH IS COMPUTED: by DuckDB, from the stored row, after it is in the table —
//   hash(file_id, line, <every column of the table, in order>) over the typed values (rowHashSql; a
//   column added since sealing began counts only where set: seal.ts, SCHEMA CHANGES),
//   in an INSERT … SELECT from the record table into `integrity_rows`, inside the transaction that
//   inserted the rows. So rows loaded from the parser's TSV, rows DuckDB reads whole with its CSV
//   reader (bulk.ts) and live rows are hashed the same way, and rows a keyed load left out are not
//   hashed. (Text would be the canonical form of a row too; hashing the typed values costs 0.4 s
//   per 2 M tracking rows on one thread against 1.5 s for their text and 6 s for an MD5.)
// WHAT A SEAL COVERS: per table and file, the lines, the row count and the sum of the row hashes of
//   the rows a batch added (a sum, so each is one streaming aggregate; a changed row cannot keep the
//   sum unless its new hash equals its old one), and the same of the rows it retracted; chained
//   per chain by SHA-256 or HMAC-SHA-256 (seal.ts). `integrity_rows` keeps every row hash with its
//   batch, so verify names the row: the data's hashes are compared with it per file, then per line
//   in the files that differ.
// CHAINS: chain 0 is the store's main connection (appendBatch, deleteRows, live rows); each lane and
//   each whole-file connection takes the lowest free chain number while it is open, so two loads seal
//   at once without waiting for each other. A chain's head is read in the transaction that extends it.
// RETRACTIONS: rows removed legitimately (Batch.replace: provisional rows read again; deleteRows:
//   presence prune) get `retracted` = the batch that removed them, and that batch's seal lists their
//   count and hash sum per table and file.
import { recordTables, type RecordTable } from '../../schema/tables.js';
import {
  type ChainHead,
  type Finding,
  type SealEntry,
  type SealMode,
  type SealedRange,
  type Retracted,
  type VerifyOptions,
  type VerifyResult,
  addedColumns,
  baseColumns,
  canonicalEntry,
  emptyCounts,
  sealOf,
  verifyResult,
} from '../integrity/seal.js';
import { ident, literal } from './ddl.js';

type Params = Record<string, string | number | boolean | null>;

/** a connection that can also read rows */
export interface SealConn {
  run(sql: string, params?: Params): Promise<void>;
  all(sql: string, params?: Params): Promise<Record<string, unknown>[]>;
}

export const integrityDdl = [
  `CREATE SEQUENCE IF NOT EXISTS integrity_batch START 1`,
  `CREATE TABLE IF NOT EXISTS integrity_rows (tbl VARCHAR NOT NULL, file_id INTEGER NOT NULL, line INTEGER NOT NULL, h UBIGINT NOT NULL, batch BIGINT NOT NULL, retracted BIGINT)`,
  `CREATE TABLE IF NOT EXISTS integrity_seals (batch BIGINT NOT NULL, chain INTEGER NOT NULL, seq INTEGER NOT NULL, entry VARCHAR NOT NULL, prev VARCHAR NOT NULL, seal VARCHAR NOT NULL, mode VARCHAR NOT NULL, sealed TIMESTAMP NOT NULL)`,
];

/** the row hash of a record table's row, computed by DuckDB (see the top of this file): its base
 *  columns' hash, XORed with a hash of each added column that is not NULL (seal.ts, SCHEMA CHANGES) */
export function rowHashSql(t: RecordTable, alias?: string): string {
  const p = alias ? `${alias}.` : '';
  let h = `hash(${baseColumns(t)
    .map((c) => p + ident(c.name))
    .join(', ')})`;
  for (const c of addedColumns(t)) {
    const v = p + ident(c.name);
    h = `xor(${h}, CASE WHEN ${v} IS NULL THEN 0::UBIGINT ELSE hash(${literal(c.name)}, ${v}) END)`;
  }
  return h;
}

function tableByName(name: string): RecordTable | undefined {
  return Object.values(recordTables).find((t) => t.name === name);
}

/** One batch being sealed on one connection, inside its transaction. */
export class BatchSeal {
  private constructor(
    private readonly c: SealConn,
    readonly batch: number,
    private readonly what: string,
  ) {}

  static async begin(c: SealConn, what: string): Promise<BatchSeal> {
    const [r] = await c.all(`SELECT nextval('integrity_batch') AS b`);
    return new BatchSeal(c, Number(r!.b), what);
  }

  /** a file's rows from `fromLine` on are about to be deleted to be read again */
  async retractLines(fileId: number, fromLine: number): Promise<void> {
    await this.c.run(`UPDATE integrity_rows SET retracted = $b WHERE file_id = $f AND line >= $l AND retracted IS NULL`, {
      b: this.batch,
      f: fileId,
      l: fromLine,
    });
  }

  /** rows of `t` that meet `where` (compiled SQL and its positional parameters) are about to be
   *  deleted; the batch number and the table name are the store's own, written as literals */
  async retractWhere(t: RecordTable, where: string, params: unknown): Promise<void> {
    await this.c.run(
      `UPDATE integrity_rows SET retracted = ${Number(this.batch)} FROM (SELECT file_id, line FROM ${ident(t.name)} WHERE ${where}) gone
       WHERE integrity_rows.tbl = ${literal(t.name)} AND integrity_rows.file_id = gone.file_id AND integrity_rows.line = gone.line AND integrity_rows.retracted IS NULL`,
      params as Params,
    );
  }

  /** the rows of `t` from file `fileId` (lines first..last, or all) were just inserted: hash them */
  async addRows(t: RecordTable, fileId: number, first?: number, last?: number): Promise<void> {
    const range = first === undefined ? '' : ' AND line BETWEEN $first AND $last';
    await this.c.run(
      `INSERT INTO integrity_rows SELECT $tbl, file_id, line, ${rowHashSql(t)}, $b, NULL FROM ${ident(t.name)} WHERE file_id = $f${range}`,
      first === undefined ? { tbl: t.name, b: this.batch, f: fileId } : { tbl: t.name, b: this.batch, f: fileId, first, last: last! },
    );
  }

  /** seal what this batch added and retracted on `chain`; nothing when it did neither */
  async finish(chain: number, key: Buffer | undefined): Promise<void> {
    const added = (
      await this.c.all(
        `SELECT r.tbl, r.file_id, coalesce(f.path, '') AS path, min(r.line) AS first, max(r.line) AS last, count(*) AS n, CAST(sum(r.h) AS VARCHAR) AS s
         FROM integrity_rows r LEFT JOIN ingested_files f ON f.id = r.file_id WHERE r.batch = $b GROUP BY r.tbl, r.file_id, f.path`,
        { b: this.batch },
      )
    ).map(
      (r): SealedRange => ({
        table: String(r.tbl),
        file: Number(r.file_id),
        path: String(r.path),
        first: Number(r.first),
        last: Number(r.last),
        rows: Number(r.n),
        sum: String(r.s),
      }),
    );
    const retracted = (
      await this.c.all(`SELECT tbl, file_id, count(*) AS n, CAST(sum(h) AS VARCHAR) AS s FROM integrity_rows WHERE retracted = $b GROUP BY tbl, file_id`, {
        b: this.batch,
      })
    ).map((r): Retracted => ({ table: String(r.tbl), file: Number(r.file_id), rows: Number(r.n), sum: String(r.s) }));
    if (added.length === 0 && retracted.length === 0) return;
    const [head] = await this.c.all(`SELECT seq, seal, mode FROM integrity_seals WHERE chain = $c ORDER BY seq DESC LIMIT 1`, { c: chain });
    if (head && String(head.mode) === 'hmac-sha256' && !key)
      throw new Error('this store is sealed with a key (HMAC-SHA-256): give it in MXRAY_SEAL_KEY or MXRAY_SEAL_KEY_FILE to add to it');
    const seq = head ? Number(head.seq) + 1 : 1;
    const prev = head ? String(head.seal) : '';
    const entry = canonicalEntry({ v: 1, batch: this.batch, chain, seq, what: this.what, added, retracted });
    await this.c.run(`INSERT INTO integrity_seals VALUES ($b, $c, $seq, $entry, $prev, $seal, $mode, now())`, {
      b: this.batch,
      c: chain,
      seq,
      entry,
      prev,
      seal: sealOf(prev, entry, key),
      mode: key ? 'hmac-sha256' : 'sha256',
    });
  }
}

/** line ranges per file of TSV rows (each row starts with file_id TAB line, schema/tsv.ts) */
export function tsvRanges(tsv: Buffer): Map<number, { first: number; last: number }> {
  const out = new Map<number, { first: number; last: number }>();
  const num = (i: number): [number, number] => {
    let n = 0;
    for (; ; i++) {
      const d = tsv[i]! - 48;
      if (d < 0 || d > 9) return [n, i];
      n = n * 10 + d;
    }
  };
  for (let start = 0; start < tsv.length; ) {
    const [file, tab] = num(start);
    const [line] = num(tab + 1);
    const r = out.get(file);
    if (!r) out.set(file, { first: line, last: line });
    else {
      if (line < r.first) r.first = line;
      if (line > r.last) r.last = line;
    }
    const end = tsv.indexOf(10, start);
    if (end < 0) break;
    start = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------- verify

const SEAL_PAGE = 1000;
/** files whose rows differ that are searched line by line (the first of them by file id) */
const FILES_SEARCHED = 5;

/**
 * Verify a DuckDB store: (1) every chain, seal by seal, and its heads against the anchor; (2) the row
 * hashes against the seals (per batch, table and file); (3) the rows against their hashes (per table
 * and file, then per line in the files that differ). Memory: the seals' ranges (one per batch, table
 * and file), never the rows; DuckDB aggregates within its memory limit.
 */
export async function verifyDuckdb(c: SealConn, location: string, o: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  const max = o.maxFindings ?? 20;
  const counts = emptyCounts();
  const findings: Finding[] = [];
  const found = (f: Finding, n = 1) => {
    counts[f.kind] += n;
    if (findings.length < max) findings.push(f);
  };
  const modes = new Set<SealMode>();
  const heads: ChainHead[] = [];
  /** expected hash groups: `batch|table|file` → rows and sum, for added and for retracted rows */
  const addedBy = new Map<string, SealedRange & { batch: number; chain: number; seq: number }>();
  const retractedBy = new Map<string, Retracted & { batch: number; chain: number; seq: number }>();
  const pathOf = new Map<number, string>();
  let batches = 0;
  let retractions = 0;

  // (1) the chains
  let cur: { chain: number; seq: number; seal: string } | undefined;
  let after = { chain: -1, seq: 0 };
  for (;;) {
    const page = await c.all(
      `SELECT batch, chain, seq, entry, prev, seal, mode FROM integrity_seals WHERE (chain, seq) > ($c, $s) ORDER BY chain, seq LIMIT ${SEAL_PAGE}`,
      { c: after.chain, s: after.seq },
    );
    for (const r of page) {
      const chain = Number(r.chain);
      const seq = Number(r.seq);
      const batch = Number(r.batch);
      const at = { batch, chain, seq };
      if (!cur || cur.chain !== chain) {
        if (cur) heads.push({ ...cur });
        cur = { chain, seq: 0, seal: '' };
      }
      const mode = String(r.mode) as SealMode;
      modes.add(mode);
      if (seq !== cur.seq + 1) found({ kind: 'seal', ...at, detail: `chain ${chain} jumps from seal ${cur.seq} to ${seq}: sealed batches were removed` });
      if (String(r.prev) !== cur.seal) found({ kind: 'seal', ...at, detail: `chain ${chain} seal ${seq} does not follow seal ${cur.seq}` });
      const entryText = String(r.entry);
      if (mode === 'hmac-sha256' && !o.key) {
        throw new Error(`the store ${location} is sealed with a key (HMAC-SHA-256): give it in MXRAY_SEAL_KEY or MXRAY_SEAL_KEY_FILE to verify`);
      }
      if (mode !== 'hmac-sha256' && o.key) {
        found({ kind: 'seal', ...at, detail: `chain ${chain} seal ${seq} is not keyed while a key is given: it was written without the key` });
      } else if (sealOf(String(r.prev), entryText, o.key) !== String(r.seal)) {
        found({ kind: 'seal', ...at, detail: `chain ${chain} seal ${seq} (batch ${batch}) does not match its entry: the entry or its seal was changed` });
      }
      let entry: SealEntry;
      try {
        entry = JSON.parse(entryText) as SealEntry;
        if (entry.batch !== batch || entry.chain !== chain || entry.seq !== seq) throw new Error('names another batch');
      } catch (e) {
        found({ kind: 'seal', ...at, detail: `chain ${chain} seal ${seq}: its entry is unreadable (${(e as Error).message})` });
        cur = { chain, seq, seal: String(r.seal) };
        continue;
      }
      batches++;
      for (const a of entry.added) {
        addedBy.set(`${batch}|${a.table}|${a.file}`, { ...a, ...at });
        if (a.path) pathOf.set(a.file, a.path);
      }
      if (entry.retracted.length) retractions++;
      for (const x of entry.retracted) retractedBy.set(`${batch}|${x.table}|${x.file}`, { ...x, ...at });
      cur = { chain, seq, seal: String(r.seal) };
    }
    if (page.length < SEAL_PAGE) break;
    const last = page[page.length - 1]!;
    after = { chain: Number(last.chain), seq: Number(last.seq) };
  }
  if (cur) heads.push({ ...cur });

  // the anchor: every chain it names reaches its head, through the same seal
  if (o.anchor) {
    for (const h of o.anchor.heads) {
      const [r] = await c.all(`SELECT seal, batch FROM integrity_seals WHERE chain = $c AND seq = $s`, { c: h.chain, s: h.seq });
      if (!r)
        found({
          kind: 'anchor',
          chain: h.chain,
          seq: h.seq,
          detail: `chain ${h.chain} has no seal ${h.seq}, which the anchor holds: sealed batches were removed`,
        });
      else if (String(r.seal) !== h.seal)
        found({
          kind: 'anchor',
          chain: h.chain,
          seq: h.seq,
          batch: Number(r.batch),
          detail: `chain ${h.chain} seal ${h.seq} differs from the anchor: the chain was rewritten (batch ${Number(r.batch)} or one before it)`,
        });
    }
  }

  // (2) the row hashes against the seals
  const groups = await c.all(
    `SELECT batch, tbl, file_id, count(*) AS n, CAST(sum(h) AS VARCHAR) AS s, min(line) AS first, max(line) AS last FROM integrity_rows GROUP BY batch, tbl, file_id`,
  );
  const seenAdded = new Set<string>();
  for (const g of groups) {
    const k = `${Number(g.batch)}|${String(g.tbl)}|${Number(g.file_id)}`;
    seenAdded.add(k);
    const e = addedBy.get(k);
    if (!e) {
      found({
        kind: 'hashes',
        table: String(g.tbl),
        file: Number(g.file_id),
        batch: Number(g.batch),
        detail: `row hashes of batch ${Number(g.batch)} that no seal covers`,
      });
    } else if (e.rows !== Number(g.n) || e.sum !== String(g.s) || e.first !== Number(g.first) || e.last !== Number(g.last)) {
      found({
        kind: 'hashes',
        table: e.table,
        file: e.file,
        path: e.path,
        batch: e.batch,
        chain: e.chain,
        seq: e.seq,
        detail: `the row hashes of batch ${e.batch} (${e.path || `file ${e.file}`} lines ${e.first}–${e.last}, ${e.rows} rows) were changed: ${Number(g.n)} rows, lines ${Number(g.first)}–${Number(g.last)}, another sum`,
      });
    }
  }
  for (const [k, e] of addedBy)
    if (!seenAdded.has(k))
      found({
        kind: 'hashes',
        table: e.table,
        file: e.file,
        path: e.path,
        batch: e.batch,
        detail: `the row hashes of batch ${e.batch} (${e.path} lines ${e.first}–${e.last}) are gone`,
      });
  const retractedGroups = await c.all(
    `SELECT retracted, tbl, file_id, count(*) AS n, CAST(sum(h) AS VARCHAR) AS s FROM integrity_rows WHERE retracted IS NOT NULL GROUP BY retracted, tbl, file_id`,
  );
  const seenRetracted = new Set<string>();
  for (const g of retractedGroups) {
    const k = `${Number(g.retracted)}|${String(g.tbl)}|${Number(g.file_id)}`;
    seenRetracted.add(k);
    const e = retractedBy.get(k);
    if (!e || e.rows !== Number(g.n) || e.sum !== String(g.s))
      found({
        kind: 'hashes',
        table: String(g.tbl),
        file: Number(g.file_id),
        path: pathOf.get(Number(g.file_id)),
        batch: Number(g.retracted),
        detail: `rows marked as retracted by batch ${Number(g.retracted)} that its seal does not list (${Number(g.n)} rows): deleted rows disguised as a retraction`,
      });
  }
  for (const [k, e] of retractedBy)
    if (!seenRetracted.has(k))
      found({
        kind: 'hashes',
        table: e.table,
        file: e.file,
        batch: e.batch,
        detail: `the rows retracted by batch ${e.batch} are no longer marked as retracted`,
      });

  // (3) the rows against their hashes: per file, then line by line where a file differs
  let rows = 0;
  const rowFindings: Finding[] = [];
  for (const t of Object.values(recordTables)) {
    const diff = await c.all(
      `WITH d AS (SELECT file_id, count(*) AS n, sum(${rowHashSql(t)}) AS s FROM ${ident(t.name)} GROUP BY file_id),
            r AS (SELECT file_id, count(*) AS n, sum(h) AS s FROM integrity_rows WHERE tbl = $t AND retracted IS NULL GROUP BY file_id)
       SELECT coalesce(d.file_id, r.file_id) AS file_id, coalesce(d.n, 0) AS dn, coalesce(r.n, 0) AS rn, d.s IS NOT DISTINCT FROM r.s AS same
       FROM d FULL JOIN r ON d.file_id = r.file_id ORDER BY file_id`,
      { t: t.name },
    );
    for (const f of diff) {
      rows += Number(f.dn);
      if (Number(f.dn) === Number(f.rn) && f.same === true) continue;
      const fileId = Number(f.file_id);
      const lines = await c.all(
        `WITH d AS (SELECT line, count(*) AS n, sum(${rowHashSql(t)}) AS s FROM ${ident(t.name)} WHERE file_id = $f GROUP BY line),
              r AS (SELECT line, count(*) AS n, sum(h) AS s, min(batch) AS batch FROM integrity_rows WHERE tbl = $t AND file_id = $f AND retracted IS NULL GROUP BY line)
         SELECT coalesce(d.line, r.line) AS line, coalesce(d.n, 0) AS dn, coalesce(r.n, 0) AS rn, r.batch
         FROM d FULL JOIN r ON d.line = r.line WHERE d.n IS DISTINCT FROM r.n OR d.s IS DISTINCT FROM r.s ORDER BY line LIMIT ${rowFindings.length < FILES_SEARCHED * max ? max : 1}`,
        { t: t.name, f: fileId },
      );
      const [tally] = await c.all(
        `WITH d AS (SELECT line, count(*) AS n, sum(${rowHashSql(t)}) AS s FROM ${ident(t.name)} WHERE file_id = $f GROUP BY line),
              r AS (SELECT line, count(*) AS n, sum(h) AS s FROM integrity_rows WHERE tbl = $t AND file_id = $f AND retracted IS NULL GROUP BY line)
         SELECT count(*) FILTER (WHERE d.n IS NOT NULL AND r.n IS NOT NULL AND d.n = r.n) AS modified,
                coalesce(sum(r.n - coalesce(d.n, 0)) FILTER (WHERE r.n > coalesce(d.n, 0)), 0) AS deleted,
                coalesce(sum(d.n - coalesce(r.n, 0)) FILTER (WHERE d.n > coalesce(r.n, 0)), 0) AS inserted
         FROM d FULL JOIN r ON d.line = r.line WHERE d.n IS DISTINCT FROM r.n OR d.s IS DISTINCT FROM r.s`,
        { t: t.name, f: fileId },
      );
      counts.modified += Number(tally?.modified ?? 0);
      counts.deleted += Number(tally?.deleted ?? 0);
      counts.inserted += Number(tally?.inserted ?? 0);
      const path = pathOf.get(fileId);
      const where = (line: number) => `${t.name} row of ${path ?? `file ${fileId}`} line ${line}`;
      for (const l of lines) {
        const dn = Number(l.dn);
        const rn = Number(l.rn);
        const line = Number(l.line);
        const batch = l.batch === null ? undefined : Number(l.batch);
        const sealed = batch === undefined ? 'sealed by no batch' : `sealed by batch ${batch}`;
        const kind: Finding['kind'] = dn === rn ? 'modified' : dn < rn ? 'deleted' : 'inserted';
        const detail =
          kind === 'modified'
            ? `modified: ${where(line)} (${sealed}) no longer has the values it was sealed with`
            : kind === 'deleted'
              ? `deleted: ${where(line)} (${sealed}) is gone${dn ? ` (${rn - dn} of ${rn} copies)` : ''}`
              : `inserted: ${where(line)} was added after sealing (${sealed}${rn ? `: ${dn - rn} more cop${dn - rn === 1 ? 'y' : 'ies'} of the sealed row` : ''})`;
        rowFindings.push({ kind, table: t.name, file: fileId, path, line, batch, detail });
      }
    }
  }
  // the rows first (the question is "which row"), in table, file, line order as found
  return verifyResult(o, { store: location, modes, rows, batches, retractions, heads, counts, findings, rowFindings, started });
}

export { tableByName };
