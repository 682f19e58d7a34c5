// The DuckDB backend of the Store: one embedded database file. Batches are bulk-loaded from a
// temporary TSV file with read_csv inside one transaction that also moves the file's resume point,
// so an interrupted ingest never leaves rows without their checkpoint (or the reverse).
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { recordTables, type RecordKind } from '../../schema/tables.js';
import type { Batch, BatchLane, BulkFile, BulkOutcome, IngestedFile, Store } from '../types.js';
import type { BulkCsv } from '../../schema/bulk.js';
import { bulkLoad, type Conn } from './bulk.js';
import { createTableSql, duckType, ident, loadTsvSql } from './ddl.js';
import { migrate } from './migrations.js';
import { compile, raw, sql, type Sql, type Target } from '../../sql/sql.js';
import { duckdb } from '../../sql/dialect.js';
import { BatchSeal, tsvRanges, verifyDuckdb } from './integrity.js';
import { sealingEnabled, sealKey, type VerifyOptions, type VerifyResult } from '../integrity/seal.js';

type Params = Record<string, string | number | boolean | null>;

/** how long opening waits for a database file another process holds (MXRAY_LOCK_WAIT_MS, default 2 s) */
function lockWaitMs(): number {
  const v = Number(process.env.MXRAY_LOCK_WAIT_MS);
  return Number.isFinite(v) && v >= 0 && process.env.MXRAY_LOCK_WAIT_MS !== '' ? v : 2000;
}

export class DuckdbStore implements Store {
  readonly kind = 'duckdb' as const;
  readonly capabilities = { tsvBackslashEscapes: false, transactions: true };
  readonly dialect = duckdb;
  /** what compile() needs: every row of a record table counts (a batch commits with its rows) */
  private readonly target: Target = {
    dialect: duckdb,
    table: (kind) => {
      const t = recordTables[kind as RecordKind];
      if (!t) throw new TypeError(`no record table of kind ${JSON.stringify(kind)}`);
      return raw(ident(t.name));
    },
    live: () => raw('TRUE'),
  };
  private tmp: string | undefined;
  private batchNo = 0;
  /** chains held by open lanes and whole-file connections (chain 0: the main connection) */
  private readonly chainsInUse = new Set<number>();
  /** the sealing key, read at the first seal (undefined: none; null: not read yet) */
  private key: Buffer | undefined | null = null;
  /** the key of the config's integrity section, used when the environment gives none */
  private configKey: Buffer | undefined;
  private readonly sealing = sealingEnabled();

  private constructor(
    readonly location: string,
    private readonly instance: DuckDBInstance,
    private readonly db: DuckDBConnection,
  ) {}

  static async open(path: string, opts: { readOnly?: boolean; sealKey?: Buffer | undefined } = {}): Promise<DuckdbStore> {
    let instance: DuckDBInstance | undefined;
    if (!opts.readOnly && path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    // DuckDB lets one process open a file (another one, even read-only, gets "Conflicting lock is
    // held"): wait a little for a command that is about to finish, then say who holds it
    const deadline = Date.now() + lockWaitMs();
    for (;;) {
      try {
        instance = await DuckDBInstance.create(path, opts.readOnly ? { access_mode: 'READ_ONLY' } : {});
        break;
      } catch (e) {
        const msg = (e as Error).message;
        const held = /Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(msg) ?? (/Could not set lock on file/.test(msg) ? ['', '', ''] : null);
        if (!held) throw new Error(`cannot open the database ${path}: ${msg}`);
        if (Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        const who = held[2] ? `another process (${held[1]}, PID ${held[2]})` : 'another process';
        throw new Error(
          `the database ${path} is in use by ${who}: DuckDB lets one process open its file at a time (lock on ${resolve(path)}). ` +
            'Wait until that process ends or stop it, or use ClickHouse (--store clickhouse://…) for several processes at once',
        );
      }
    }
    const db = await instance.connect();
    const store = new DuckdbStore(path, instance, db);
    // the environment's key wins over the config's (read at the first seal, as without a config)
    if (opts.sealKey) store.configKey = opts.sealKey;
    if (!opts.readOnly) await migrate(store.run.bind(store), store.rows.bind(store));
    return store;
  }

  /** run a statement (values bound by name: $name) */
  async run(sql: string, params?: Params): Promise<void> {
    await this.db.run(sql, params as never);
  }

  /** rows as plain objects; BIGINT/HUGEINT come back as numbers */
  async rows<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    const reader = await this.db.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJson().map((r) => {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r))
        o[k] = typeof v === 'string' && /^-?\d+$/.test(v) && v.length < 16 && k !== 'user' && k !== 'period' ? Number(v) : v;
      return o as T;
    });
  }

  /** rows of a sql`` statement, each row read as one JSON text (to_json), so text stays text: a
   *  DeviceId such as "0123456789" is not turned into a number */
  async query<T = Record<string, unknown>>(what: string, statement: Sql): Promise<T[]> {
    const c = compile(statement, this.target);
    try {
      const reader = await this.db.runAndReadAll(`SELECT CAST(to_json(r) AS VARCHAR) AS j FROM (${c.text}) r`, c.params as never);
      return reader.getRows().map((r) => JSON.parse(String(r[0])) as T);
    } catch (e) {
      throw new Error(`${what} in ${this.location}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** deletes and seals the deletion as a retraction (integrity.ts), in one transaction */
  async deleteRows(kind: RecordKind, where: Sql): Promise<void> {
    const c = compile(sql`DELETE FROM ${this.target.table(kind)} WHERE ${where}`, this.target);
    const conn = this.conn(this.db);
    await conn.run('BEGIN TRANSACTION');
    try {
      if (this.sealing) {
        const seal = await BatchSeal.begin(conn, `deleting ${recordTables[kind].name} rows`);
        const w = compile(where, this.target);
        await seal.retractWhere(recordTables[kind], w.text, w.params);
        await conn.run(c.text, c.params as never);
        await seal.finish(0, this.sealKey());
      } else await conn.run(c.text, c.params as never);
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  /** check the seals, the row hashes and the rows (integrity.ts) */
  async verify(o: VerifyOptions): Promise<VerifyResult> {
    // DuckDB's aggregates and joins spill to disk beyond its memory limit: verify's memory stays
    // bounded whatever the size of the store (as an ingest's: MXRAY_DUCKDB_MEMORY, default 300 MB)
    const mem = process.env.MXRAY_DUCKDB_MEMORY ?? '300MB';
    if (!/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i.test(mem)) throw new Error(`MXRAY_DUCKDB_MEMORY: expected a size like 300MB or 2GB, got "${mem}"`);
    await this.run(`SET memory_limit = '${mem}'`);
    try {
      return await verifyDuckdb(this.conn(this.db), this.location, o);
    } finally {
      await this.run('RESET memory_limit');
    }
  }

  private sealKey(): Buffer | undefined {
    if (this.key === null) this.key = sealKey() ?? this.configKey;
    return this.key;
  }

  /** the lowest chain number no open lane holds */
  private takeChain(): number {
    let n = 1;
    while (this.chainsInUse.has(n)) n++;
    this.chainsInUse.add(n);
    return n;
  }

  async close(): Promise<void> {
    this.db.closeSync();
    this.instance.closeSync();
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }

  // ---- ingest state ----

  private static fileFromRow(r: Record<string, unknown>): IngestedFile {
    return {
      id: Number(r.id),
      path: String(r.path),
      size: Number(r.size),
      fpLen: Number(r.fp_len),
      fpHash: String(r.fp_hash),
      format: String(r.format),
      offset: Number(r.resume_offset),
      nextLine: Number(r.next_line),
      seekable: Boolean(r.seekable),
      state: r.state ? JSON.parse(String(r.state)) : undefined,
      provisionalFrom: r.provisional_from === null || r.provisional_from === undefined ? null : Number(r.provisional_from),
      complete: Boolean(r.complete),
      lines: Number(r.lines),
      rejects: Number(r.rejects),
    };
  }

  async filesByFingerprint(fpLen: number, fpHash: string): Promise<IngestedFile[]> {
    const rows = await this.rows('SELECT * FROM ingested_files WHERE fp_len = $len AND fp_hash = $hash ORDER BY id', { len: fpLen, hash: fpHash });
    return rows.map(DuckdbStore.fileFromRow);
  }

  async shortFingerprints(): Promise<{ fpLen: number; fpHash: string }[]> {
    const rows = await this.rows<{ fp_len: number; fp_hash: string }>(
      'SELECT DISTINCT fp_len, fp_hash FROM ingested_files WHERE fp_len < 4096 ORDER BY fp_len, fp_hash',
    );
    return rows.map((r) => ({ fpLen: Number(r.fp_len), fpHash: r.fp_hash }));
  }

  async addFile(f: Omit<IngestedFile, 'id'>): Promise<IngestedFile> {
    const [row] = await this.rows<{ id: number }>(
      `INSERT INTO ingested_files (id, path, size, fp_len, fp_hash, format, resume_offset, next_line, seekable, state, provisional_from, complete, lines, rejects, first_ingest, last_ingest)
       VALUES (nextval('ingested_files_id'), $path, $size, $fp_len, $fp_hash, $format, $offset, $next_line, $seekable, $state, $prov, $complete, $lines, $rejects, now(), now()) RETURNING id`,
      this.fileParams(f),
    );
    return { ...f, id: Number(row!.id) };
  }

  private fileParams(f: Omit<IngestedFile, 'id'>): Params {
    return {
      path: f.path,
      size: f.size,
      fp_len: f.fpLen,
      fp_hash: f.fpHash,
      format: f.format,
      offset: f.offset,
      next_line: f.nextLine,
      seekable: f.seekable,
      state: f.state === undefined ? null : JSON.stringify(f.state),
      prov: f.provisionalFrom,
      complete: f.complete,
      lines: f.lines,
      rejects: f.rejects,
    };
  }

  async updateFile(f: IngestedFile): Promise<void> {
    await this.updateFileOn(this.conn(this.db), f);
  }

  private async updateFileOn(c: Conn, f: IngestedFile): Promise<void> {
    await c.run(
      `UPDATE ingested_files SET path = $path, size = $size, fp_len = $fp_len, fp_hash = $fp_hash, format = $format, resume_offset = $offset, next_line = $next_line,
        seekable = $seekable, state = $state, provisional_from = $prov, complete = $complete, lines = $lines, rejects = $rejects, last_ingest = now() WHERE id = $id`,
      { ...this.fileParams(f), id: f.id },
    );
  }

  private conn(db: DuckDBConnection): Conn {
    return {
      run: async (sql, params) => {
        await db.run(sql, params as never);
      },
      value: async (sql, params) => Number((await db.runAndReadAll(sql, params as never)).getRows()[0]?.[0] ?? 0),
      all: async (sql, params) => (await db.runAndReadAll(sql, params as never)).getRowObjectsJson() as Record<string, unknown>[],
    };
  }

  /** Whole files through DuckDB's CSV reader (./bulk.ts), on two connections: each file's rows are
   *  numbered by a sequential scan, so two files load at once. */
  async bulkLoad(spec: BulkCsv, files: readonly BulkFile[]): Promise<BulkOutcome[]> {
    if (files.length === 0) return [];
    // connections of their own: the ingest keeps using the main one meanwhile (parser batches of
    // other files, new file records)
    const conns = [await this.instance.connect(), await this.instance.connect()];
    const chains = new Map<Conn, number>();
    const seals = new Map<Conn, BatchSeal>();
    try {
      return await bulkLoad(
        conns.map((db) => {
          const c = this.conn(db);
          chains.set(c, this.takeChain());
          return c;
        }),
        spec,
        files,
        async (c, f) => {
          // the file's rows are in (this transaction): hash them; the group's files are sealed as
          // one batch before it commits (a batch number whose rows were rolled back is used again)
          if (this.sealing) {
            let seal = seals.get(c);
            if (!seal) seals.set(c, (seal = await BatchSeal.begin(c, 'whole-file load')));
            await seal.addRows(recordTables[spec.table], f.file.id);
          }
          await this.updateFileOn(c, f.file);
        },
        async (c) => {
          const seal = seals.get(c);
          if (!seal) return;
          seals.delete(c);
          await seal.finish(chains.get(c)!, this.sealKey());
        },
      );
    } finally {
      for (const c of conns) c.closeSync();
      for (const n of chains.values()) this.chainsInUse.delete(n);
    }
  }

  /** While ingesting: one DuckDB thread per statement (`threads = 1`), because a bulk load has no
   *  parallel work worth the threads' coordination on a small machine, and the ingest already runs
   *  its own concurrency (the parser beside the load, two whole-file connections): measured on 2
   *  cores, 953 MB of tracking logs 14.3 -> 8.3 s and half the CPU, 274 MB of IIS logs 17–28 ->
   *  16–17 s; checkpoint (write the WAL into the database file) at 256 MB instead of after nearly
   *  every batch (the 16 MB default halved the speed) or only at the end (a 1 GB WAL and a spill
   *  file); and DuckDB's memory capped (default 300 MB, MXRAY_DUCKDB_MEMORY) so that memory stays
   *  bounded whatever the input size. Freed memory goes back to the system as for a poller
   *  (giveMemoryBack): each keyed batch load frees tens of MB (its read buffer, hash table, window),
   *  which the allocator otherwise kept — measured on 191 MB of wevtutil XML (bench evtx-xml, load
   *  13–15) peak RSS 427–462 -> 372–375 MB, on 381 MB 497–505 -> 402 MB, no slower. */
  async ingestStarting(): Promise<void> {
    await this.run(`SET checkpoint_threshold = '256MB'`);
    await this.run('SET threads = 1');
    const mem = process.env.MXRAY_DUCKDB_MEMORY ?? '300MB';
    if (!/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i.test(mem)) throw new Error(`MXRAY_DUCKDB_MEMORY: expected a size like 300MB or 2GB, got "${mem}"`);
    await this.run(`SET memory_limit = '${mem}'`);
    await this.giveMemoryBack();
  }

  /** DuckDB's allocator purges the memory it freed in background threads, and gives it back to the
   *  system after each statement that used more than 8 MB (allocator_flush_threshold; by default it
   *  keeps up to 128 MB, 512 MB after a bulk free, of what a statement used). Global settings, left
   *  on: they only return memory. */
  private async giveMemoryBack(): Promise<void> {
    await this.run('SET allocator_background_threads = true');
    await this.run("SET allocator_flush_threshold = '8MB'");
    await this.run("SET allocator_bulk_deallocation_flush_threshold = '8MB'");
  }

  /** A poller's store (Store.longRunningWriter). Alone in its process (`mxray presence poll`): one
   *  thread (a poller's batches of a few MB gain nothing from more, and each keeps memory of its
   *  own); DuckDB's memory capped at 24 MB (MXRAY_DUCKDB_POLL_MEMORY), and a checkpoint whenever
   *  the log has 4 MB. Issue 18's
   *  bench (20,000 users a cycle) measured why: rows appended since the last checkpoint stay in
   *  memory (in_memory_table) in blocks of 256 KB per column of each table, so DuckDB held 41-56 MB
   *  between cycles with the 16 MB default threshold, and ~20 MB again after a checkpoint as soon
   *  as a pushed change appends a row; with the cap it holds 3-22 MB (what exceeds it goes to a
   *  temporary file) and the cycles store the same rows. The allocator settings ask DuckDB to
   *  give freed memory back; what actually did is jemalloc's decay (gc.ts, POLLER_DUCKDB_ALLOCATOR):
   *  the flush runs after tasks of DuckDB's own threads, and the poller's statements run on Node's.
   *  The cap cannot go much lower: a batch's appends keep a block per column pinned, and at 16 MB
   *  the bench's first batch failed ("Out of Memory Error: failed to pin block"). */
  async longRunningWriter(o: { alone: boolean }): Promise<void> {
    await this.giveMemoryBack();
    if (!o.alone) return;
    await this.run('SET threads = 1');
    const mem = process.env.MXRAY_DUCKDB_POLL_MEMORY || '24MB';
    if (!/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i.test(mem)) throw new Error(`MXRAY_DUCKDB_POLL_MEMORY: expected a size like 24MB or 1GB, got "${mem}"`);
    await this.run(`SET memory_limit = '${mem}'`);
    await this.run("SET checkpoint_threshold = '4MB'");
  }

  /** DuckDB keeps the rows appended since its last checkpoint in memory, a 256 KB block for each
   *  column they went to (a poller's cycle: ~20 MB, see longRunningWriter); a checkpoint writes them
   *  to the database file and frees the blocks. It is what DuckDB does by itself once the log has
   *  checkpoint_threshold, done here at a point the caller chooses. */
  async checkpoint(): Promise<void> {
    await this.run('CHECKPOINT');
  }

  async ingestFinished(): Promise<void> {
    await this.run('CHECKPOINT');
    await this.run('RESET checkpoint_threshold');
    await this.run('RESET threads');
    await this.run('RESET memory_limit');
  }

  async appendBatch(b: Batch): Promise<void> {
    const lane = this.lane(this.db, false, 0);
    await lane.append(b);
    await lane.commit();
  }

  /** A connection of its own whose transaction spans several batches: measured on the IIS TSV
   *  of 386 MB of logs, loading it in 16 MB transactions took 13.3 s (11.1 s of loads, then a
   *  2.2 s checkpoint of what had gone into the log), in transactions of ~220 MB on two
   *  connections 6.3 s: a big transaction's rows go straight into the database file. */
  async openLane(): Promise<BatchLane> {
    return this.lane(await this.instance.connect(), true, this.takeChain());
  }

  /** batches in one transaction on `db` (opened by the first, rolled back by a failure); `own`:
   *  close() also closes the connection */
  private lane(db: DuckDBConnection, own: boolean, chain: number): BatchLane {
    const c = this.conn(db);
    let open = false;
    return {
      append: async (b) => {
        if (!open) {
          await c.run('BEGIN TRANSACTION');
          open = true;
        }
        try {
          await this.applyBatch(c, b, chain);
        } catch (e) {
          open = false;
          await c.run('ROLLBACK').catch(() => {});
          throw e;
        }
      },
      commit: async () => {
        if (!open) return;
        open = false;
        await c.run('COMMIT');
      },
      close: async () => {
        if (open) {
          open = false;
          await c.run('ROLLBACK').catch(() => {});
        }
        if (own) {
          db.closeSync();
          this.chainsInUse.delete(chain);
        }
      },
    };
  }

  /** a batch's statements, inside the caller's transaction */
  private async applyBatch(c: Conn, b: Batch, chain: number): Promise<void> {
    if (!this.tmp) this.tmp = mkdtempSync(join(tmpdir(), 'mxray-'));
    const files: [RecordKind, string][] = [];
    try {
      for (const [kind, buf] of Object.entries(b.rows) as [RecordKind, Buffer][]) {
        if (!buf || buf.length === 0) continue;
        const p = join(this.tmp, `batch-${++this.batchNo}-${kind}.tsv`);
        files.push([kind, p]);
        // written and removed by libuv's threads: the main thread goes on parsing meanwhile
        await writeFile(p, buf);
      }
      const seal = this.sealing ? await BatchSeal.begin(c, 'ingest batch') : undefined;
      for (const r of b.replace) {
        // provisional rows read again: a sealed retraction, not a deletion
        await seal?.retractLines(r.fileId, r.fromLine);
        for (const t of Object.values(recordTables)) {
          await c.run(`DELETE FROM ${ident(t.name)} WHERE file_id = $id AND line >= $line`, { id: r.fileId, line: r.fromLine });
        }
        await c.run('DELETE FROM ingest_rejects WHERE file_id = $id AND line >= $line', { id: r.fileId, line: r.fromLine });
      }
      for (const [kind, p] of files) await c.run(loadTsvSql(recordTables[kind], p, b.rows[kind]!.length));
      if (seal) {
        for (const [kind] of files) for (const [fileId, r] of tsvRanges(b.rows[kind]!)) await seal.addRows(recordTables[kind], fileId, r.first, r.last);
        await seal.finish(chain, this.sealKey());
      }
      for (const r of b.rejects) {
        await c.run('INSERT INTO ingest_rejects VALUES ($file, $line, $reason, $detail)', { file: r.fileId, line: r.line, reason: r.reason, detail: r.detail });
      }
      for (const f of b.files) await this.updateFileOn(c, f);
    } finally {
      await Promise.all(files.map(([, p]) => rm(p, { force: true })));
    }
  }
}

export { createTableSql, duckType };
