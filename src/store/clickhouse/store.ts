// The ClickHouse backend of the Store, on one server or a sharded cluster, over HTTP (http.ts).
//
// ATOMICITY WITHOUT TRANSACTIONS: rows count only once their batch is committed.
//   ClickHouse has no transactions, and an INSERT is not all-or-nothing once it is big (it is cut into
//   blocks, each written on its own) or sharded (each shard's rows are written separately; with one
//   shard down the others keep theirs). So the store never relies on a rows insert being whole:
//   1. every insert attempt gets fresh random batch ids, one per file in it, written on each row
//      (the `batch` column, appended by batches.ts);
//   2. after the rows are in, the files' new resume points, the batch ids that now count and those
//      that stop counting are written to `ingest_log` (migrations.ts), one row per file, in ONE
//      insert: a single block, which ClickHouse applies whole or not at all. That insert is the commit;
//   3. every query reads only rows whose batch is live (committed, not retracted):
//      `WHERE batch GLOBAL IN (SELECT batch FROM live_batches)`.
//   A failed attempt is retried (bounded, exponential backoff) under NEW ids, so whatever part of it
//   the server kept never counts. A crash after the rows and before the commit leaves rows of
//   uncommitted ids: invisible, and the next run re-reads from the last commit. A retried commit
//   (timeout, answer lost) writes the same rows again: harmless, a file's state is its highest step
//   and the live set is a set. So a batch counts once or not at all, whatever fails when; reports
//   need no deduplication and count() is exact. Rows of failed attempts stay on disk as dead weight
//   (rare; `ALTER TABLE … DELETE WHERE batch NOT IN live_batches` reclaims them).
//   Why not ReplacingMergeTree + FINAL (or LIMIT 1 BY file_id, line): both deduplicate at read time,
//   a merge or a sort of every row (seconds on 10M rows on 18.16), FINAL only within a partition and
//   a sorting key, and neither can delete a replaced row. The live-set filter is a hash lookup per row.
// REPLACING PROVISIONAL ROWS (Batch.replace: "delete this file's rows with line >= N"): no mutation
//   (ALTER DELETE is asynchronous and rewrites whole parts). Rows of a file from its provisionalFrom
//   line on get their own batch id, so replacing from that line is retracting that id in the commit
//   that adds the re-read rows. For any other line, the file's live batches reaching past it are
//   retracted, and the earlier lines of one that straddles it are first copied server-side
//   (INSERT … SELECT) under a new id that the same commit adds.
// FILES: a new file gets a random id (ClickHouse has no sequences) and is written to the log by the
//   commit of its first batch — with its first rows — or by close(); the latest state of every file
//   is read once per store and kept up to date by its own commits, so an ingest makes no round trip
//   per file to look up fingerprints (it made five: most of the time of ingesting small files).
// CLUSTER MODE (?cluster=NAME): record tables are local MergeTree tables on every host with
//   Distributed tables over them (tables.ts, sharded by message id: why is explained there); rows go
//   in through the Distributed staging table with insert_distributed_sync=1, so an insert returns
//   only when every shard has its rows (or fails naming the shard). The ingest state lives unsharded
//   on the server in the URL: it is small, and on one server a commit stays a single insert. A report
//   with a shard down fails naming the shard, unless the URL says partial=1
//   (skip_unavailable_shards=1: the numbers then lack the data of the shards that are down).
// CONCURRENCY: one ingest at a time per database (claim.ts): a second one, of the same files or of
//   others, waits until the first has finished (MXRAY_INGEST_WAIT_S, default 300 s), then reads the
//   ingest state afresh and goes on: both finish and no file is counted twice. Reports read at any
//   time. (DuckDB refuses a second process outright: it locks its file.)
// SEALING (integrity.ts): every commit carries the seal of what it adds and retracts, on one or many
//   servers. A sealed write outside an ingest (serve's live rows, presence prune) takes the same claim
//   around reading the chain's head, sealing and committing (sealTurn), so the chain never forks.
import { randomInt } from 'node:crypto';
import { recordTables, type RecordKind, type RecordTable } from '../../schema/tables.js';
import type { Batch, QueryOptions, IngestedFile, RejectExample, Store } from '../types.js';
import { newBatchId, tagRows, type BatchPart } from './batches.js';
import { IngestClaim, ingestWaitMs } from './claim.js';
import { insertKeyedRows } from './keyed.js';
import { ClickhouseError, type ClickhouseHttp, type Settings } from './http.js';
import { logColumns } from './migrations.js';
import { type Sql, type Target, type Value, compile, ident, join, list, raw, sql } from '../../sql/sql.js';
import { clickhouse } from '../../sql/dialect.js';
import { BATCH_COLUMN, layoutNames, loadColumns, storedColumns } from './tables.js';
import { hostClients, shardsNamedIn, type Topology } from './topology.js';
import type { StoreUrl } from './url.js';
import { sealingEnabled, sealKey, type Retracted, type VerifyOptions, type VerifyResult } from '../integrity/seal.js';
import {
  type IntegrityNames,
  integrityNames,
  nextSeal,
  readHead,
  retractedBatches,
  rowHash,
  sealedRanges,
  verifyClickhouse,
  type SealRow,
} from './integrity.js';

/** a committed batch of a file: which table, which lines */
interface LiveBatch {
  readonly table: string;
  readonly first: number;
  readonly last: number;
}

/** what the store knows of a file's log: its last step, its state then, and its live batches */
interface FileLog {
  seq: number;
  latest: IngestedFile | undefined;
  batches: Map<number, LiveBatch>;
}

/** one ingest_log row: a step of one file */
interface Step {
  file: IngestedFile;
  seq: number;
  added?: Added[];
  retracted?: number[];
  rejects?: RejectExample[];
  rejectCut?: number;
}

type Added = BatchPart & { table: string };

/** the `step` column of ingest_log: the file's resume point and the lines of the batches it added */
interface StepJson {
  path: string;
  size: number;
  format: string;
  offset: number;
  nextLine: number;
  seekable: boolean;
  provisionalFrom: number | null;
  complete: boolean;
  lines: number;
  rejects: number;
  batches: { id: number; table: string; first: number; last: number; rows: number }[];
  /** the parser's state as JSON text, or null */
  parserState: string | null;
}

interface LogRow {
  file_id: number;
  fp_len: number;
  fp_hash: string;
  step: string;
}

/** server error codes worth another attempt: the network, a shard, or load, not the statement */
const RETRYABLE_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR (a shard refused the connection)
  252, // TOO_MANY_PARTS
  279, // ALL_CONNECTION_TRIES_FAILED
  319, // UNKNOWN_STATUS_OF_INSERT
]);

export function isRetryable(e: unknown): boolean {
  if (!(e instanceof ClickhouseError)) return false;
  if (e.kind === 'refused' || e.kind === 'timeout' || e.kind === 'network') return true;
  return e.kind === 'server' && e.code !== undefined && RETRYABLE_CODES.has(e.code);
}

/** an error of the store, with what it was doing; the ClickHouse error is its cause */
export class ClickhouseStoreError extends Error {
  override readonly name = 'ClickhouseStoreError';
}

/** Test hooks: called at the points where a crash or a failure matters. */
export interface StoreHooks {
  /** after the rows of one insert attempt are in, before it is accepted */
  afterRows?(table: string, attempt: number): void | Promise<void>;
  /** after every row of a batch is in, before the commit */
  beforeCommit?(b: Batch): void | Promise<void>;
}

/** "a batch of 3 files (/logs/a.log, …)" for messages */
function describeBatch(b: Batch): string {
  const paths = b.files.map((f) => f.path);
  if (paths.length === 1) return `a batch of ${paths[0]}`;
  return `a batch of ${paths.length} files (${paths.slice(0, 2).join(', ')}${paths.length > 2 ? ', …' : ''})`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class ClickhouseStore implements Store {
  readonly kind = 'clickhouse' as const;
  readonly capabilities = { tsvBackslashEscapes: true, transactions: false };
  readonly dialect = clickhouse;
  readonly location: string;
  /** for tests: see StoreHooks */
  hooks: StoreHooks = {};
  /** the logs of the files this store has touched */
  private readonly files = new Map<number, FileLog>();
  /** the latest state of every file (read once, then kept up to date by this store's commits) */
  private index: Map<number, IngestedFile> | undefined;
  /** files added by addFile() and not committed yet: they are recorded by their first commit */
  private readonly pending = new Set<number>();
  private readonly insertSettings: Settings;
  private readonly claim: IngestClaim;
  private readonly reportSettings: Settings;
  /** every commit is sealed (integrity.ts), unless MXRAY_SEAL=off */
  private readonly sealing: boolean;
  /** where the row hashes are (integrity.ts) */
  private readonly hashes: IntegrityNames;
  /** the end of the queue of sealed writes of this process (sealTurn) */
  private turns: Promise<void> = Promise.resolve();
  /** a cluster's hosts, one client each (deleteRows), made on first use */
  private hosts: Promise<ClickhouseHttp[]> | undefined;
  /** the chain's head (undefined: no seal yet; null: to be read from the server) */
  private head: SealRow | undefined | null = null;
  /** the sealing key, read at the first seal (undefined: none; null: not read yet) */
  private key: Buffer | undefined | null = null;

  constructor(
    readonly ch: ClickhouseHttp,
    readonly cfg: StoreUrl,
    readonly topology: Topology,
    /** the key of the config's integrity section, used when the environment gives none */
    private readonly configKey?: Buffer,
  ) {
    this.location = cfg.location;
    this.sealing = sealingEnabled();
    this.hashes = integrityNames(topology.cluster);
    this.claim = new IngestClaim(ch, cfg.location);
    const cluster = topology.cluster !== undefined;
    this.insertSettings = cluster ? { insert_distributed_sync: 1 } : {};
    this.reportSettings = cluster && cfg.partial ? { skip_unavailable_shards: 1 } : {};
  }

  /** hold the database for this ingest (claim.ts); the ingest state is then read afresh, since
   *  another process may have changed it while this one waited */
  async ingestStarting(onWait?: (message: string) => void): Promise<void> {
    // not while a sealed write of this process outside an ingest holds the claim (sealTurn)
    await this.inOrder(() => this.claim.acquire(ingestWaitMs(), onWait));
    this.head = null;
    if (this.pending.size === 0) {
      this.files.clear();
      this.index = undefined;
    }
  }

  /** let the next ingest go, once the sealed writes of this process under this ingest's claim are done */
  async ingestFinished(): Promise<void> {
    await this.inOrder(() => this.claim.release());
  }

  /** the ingest failed: let the next one go (its uncommitted rows never count); a claim that cannot
   *  be withdrawn (the server is gone) expires */
  async ingestAborted(): Promise<void> {
    await this.inOrder(() => this.claim.release()).catch(() => {});
  }

  async close(): Promise<void> {
    // a file added without any batch since (no rows, no checkpoint) is still recorded
    const steps = [...this.pending].map((id) => ({ file: this.files.get(id)!.latest!, seq: 1 }));
    this.pending.clear();
    if (steps.length) await this.commit(steps, 'recording the files added');
    this.files.clear();
    this.index = undefined;
    // an ingest that failed half-way lets the next one go (its uncommitted rows never count)
    await this.claim.release();
  }

  // ---------------------------------------------------------------- errors and retries

  private describe(e: unknown): string {
    const msg = e instanceof Error ? e.message : String(e);
    const shards = this.topology.cluster !== undefined ? shardsNamedIn(this.topology, msg) : undefined;
    return shards ? `${shards} of cluster "${this.topology.cluster}" failed: ${msg}` : msg;
  }

  /** run `fn` (attempt = 1, 2 …), again on a retryable error, at most 1 + retries times */
  private async withRetries<T>(what: string, fn: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (e) {
        if (!isRetryable(e) || attempt > this.cfg.retries) {
          const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
          throw new ClickhouseStoreError(`${what} in ClickHouse at ${this.ch.endpoint}${tries}: ${this.describe(e)}`, { cause: e });
        }
        await sleep(this.cfg.backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  /** a read, retried like an insert (a pooled connection to a restarted shard may fail once); a
   *  shard that stays down is named, with the way to get partial results */
  /** a statement written once for every store (sql/dialect.ts), compiled for this one */
  query<T = Record<string, unknown>>(what: string, statement: Sql, options: QueryOptions = {}): Promise<T[]> {
    return this.read<T>(what, raw(compile(statement, this.target).text), options.groupsWithinShard ? this.perMessage : {});
  }

  /** ALTER TABLE … DELETE on the table, or on every host's local table of a cluster: a mutation,
   *  which ClickHouse applies in the background; waited for here (up to 2 minutes a host). Sealed, the
   *  whole of it is one sealed write (sealTurn): the rows' hashes sealed as a retraction, then the
   *  delete, with no other sealed commit in between (whose rows the delete would take unsealed). */
  async deleteRows(kind: RecordKind, where: Sql): Promise<void> {
    const t = this.tableOf(kind);
    const name = layoutNames(t, this.topology.cluster).local;
    const run = async (): Promise<void> => {
      if (this.sealing) await this.sealDeletion(t, where);
      const hosts = this.topology.cluster === undefined ? [this.ch] : await this.hostClients();
      const statement = raw(compile(sql`ALTER TABLE ${ident(name)} DELETE WHERE ${where}`, this.target).text);
      for (const host of hosts) await host.exec(statement);
      for (const host of hosts) {
        const deadline = Date.now() + 120_000;
        for (;;) {
          const [p] = await host.query<{ n: number }>(
            sql`SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table = ${name} AND is_done = 0`,
          );
          if (!Number(p?.n)) break;
          if (Date.now() > deadline)
            throw new Error(`ClickHouse at ${host.endpoint} has not finished deleting from ${name} after 2 minutes; it goes on in the background`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    await (this.sealing ? this.sealTurn(run) : run());
  }

  /** a client per host of the cluster (topology.ts), made once */
  private hostClients(): Promise<ClickhouseHttp[]> {
    this.hosts ??= hostClients(this.topology, this.cfg, this.ch).catch((e) => {
      this.hosts = undefined;
      throw e;
    });
    return this.hosts;
  }

  // ---------------------------------------------------------------- integrity (integrity.ts)

  /** run `fn` once the sealed writes of this process queued before it are done (one at a time) */
  private inOrder<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turns.then(fn);
    this.turns = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** A sealed write: read the chain's head, seal, commit. Two writers doing it at once would both
   *  extend the same head (a fork, which verify reports), so it takes a turn: after the sealed writes
   *  of this process before it (serve's parts share one store), and, outside an ingest, holding the
   *  claim an ingest holds (claim.ts), so that no other process — an ingest, another serve, a prune —
   *  seals meanwhile; the head is then read afresh. Inside an ingest of this store the claim is held
   *  already and the head kept between commits. `outside`: the claim was taken for this write. */
  private sealTurn<T>(fn: (outside: boolean) => Promise<T>): Promise<T> {
    return this.inOrder(async () => {
      if (this.claim.held) return fn(false);
      await this.claim.acquire(ingestWaitMs());
      this.head = null;
      try {
        return await fn(true);
      } finally {
        this.head = null;
        await this.claim.release().catch(() => {}); // a claim not withdrawn expires
      }
    });
  }

  /** Steps numbered after their files' last steps in ingest_log, which another process may have added
   *  to since this one read them (a prune's step on a live source beside the serve that polls it). */
  private async renumber(steps: Iterable<Step>): Promise<void> {
    const all = [...steps];
    if (all.length === 0) return;
    const rows = await this.read<{ f: number; s: number }>(
      'reading the ingest state',
      sql`SELECT file_id AS f, max(seq) AS s FROM ingest_log WHERE file_id IN ${list(all.map((x) => x.file.id))} GROUP BY file_id`,
    );
    for (const step of all) step.seq = Math.max(step.seq, Number(rows.find((r) => Number(r.f) === step.file.id)?.s ?? 0) + 1);
  }

  private sealKey(): Buffer | undefined {
    if (this.key === null) this.key = sealKey() ?? this.configKey;
    return this.key;
  }

  /** the seal of a commit: the hashes of the batches its steps add, the batches it stops counting
   *  (`gone`) and the rows a prune retracted (`pruned`), after the chain's head */
  private async seal(
    what: string,
    steps: readonly (Step & { added?: Added[] })[],
    gone: readonly { id: number; table: string; fileId: number }[],
    pruned: Retracted[] = [],
  ): Promise<{ row: SealRow; text: string } | undefined> {
    const parts = steps.flatMap((s) => (s.added ?? []).map((a) => ({ id: a.id, table: a.table, fileId: a.fileId, first: a.first, last: a.last })));
    const pathOf = (fileId: number) => steps.find((s) => s.file.id === fileId)?.file.path ?? '';
    const added = await sealedRanges(this.ch, this.hashes, parts, pathOf);
    const retracted = [...(await retractedBatches(this.ch, this.hashes, gone)), ...pruned];
    if (added.length === 0 && retracted.length === 0) return undefined;
    if (this.head === null) this.head = await readHead(this.ch);
    return nextSeal(this.head, what, added, retracted, this.sealKey());
  }

  /** Rows about to be deleted (presence prune): their hashes are copied into integrity_rows under a
   *  fresh mark, and sealed as a retraction in a step of the first file they came from, before the
   *  mutation deletes them. */
  private async sealDeletion(t: RecordTable, where: Sql): Promise<void> {
    const mark = newBatchId();
    const read = ident(layoutNames(t, this.topology.cluster).read);
    await this.ch.exec(
      raw(
        compile(
          sql`INSERT INTO ${ident(this.hashes.read)} (tbl, file_id, line, h, batch, retracted)
          SELECT ${t.name}, file_id, line, ${rowHash(t)}, ${ident(BATCH_COLUMN)}, toUInt64(${mark}) FROM ${read}
          WHERE ${ident(BATCH_COLUMN)} GLOBAL IN (SELECT batch FROM live_batches) AND ${where}`,
          this.target,
        ).text,
      ),
      { settings: this.insertSettings },
    );
    const groups = await this.ch.query<{ id: string; f: number; n: number; s: string }>(
      sql`SELECT toString(batch) AS id, any(file_id) AS f, count() AS n, toString(sum(h)) AS s FROM ${ident(this.hashes.read)}
        WHERE retracted = ${mark} GROUP BY batch ORDER BY f, id`,
    );
    if (groups.length === 0) return;
    const pruned: Retracted[] = groups.map((g) => ({ table: t.name, file: Number(g.f), rows: Number(g.n), sum: g.s, id: Number(g.id), by: mark }));
    const fileId = pruned[0]!.file;
    try {
      // the file's latest step as it is now (another process may be appending to it: a live source)
      const [last] = await this.read<LogRow & { seq: number }>(
        'reading the ingest state',
        sql`SELECT file_id, seq, fp_len, fp_hash, step FROM ingest_log WHERE file_id = ${fileId} ORDER BY seq DESC LIMIT 1`,
      );
      if (!last) throw new ClickhouseStoreError(`the rows to delete come from file id ${fileId}, which the ingest log does not know`);
      const step: Step = { file: ClickhouseStore.fileFromRow(last), seq: Number(last.seq) + 1 };
      const seal = (await this.seal(`deleting ${t.name} rows`, [step], [], pruned))!;
      await this.commit([step], `sealing the deletion of ${t.name} rows`, seal.text);
      this.head = seal.row;
    } finally {
      this.files.delete(fileId); // read again when next needed
    }
  }

  /** check the seals and the rows (integrity.ts); on a cluster every shard must answer (a shard down
   *  is named: its rows would count as deleted) */
  async verify(o: VerifyOptions): Promise<VerifyResult> {
    try {
      const cluster = this.topology.cluster;
      const servers = cluster === undefined ? undefined : { cluster, clients: () => this.hostClients() };
      return await verifyClickhouse(this.ch, this.location, o, this.hashes, servers);
    } catch (e) {
      const shards = this.topology.cluster !== undefined ? shardsNamedIn(this.topology, (e as Error).message) : undefined;
      if (!shards) throw e;
      throw new ClickhouseStoreError(
        `verifying ${this.location}: ${shards} of cluster "${this.topology.cluster}" is unavailable (verify needs every shard): ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  /** what compile() needs: the table a kind is read from, and rows of live batches only */
  private get target(): Target {
    return {
      dialect: clickhouse,
      table: (kind) => ident(layoutNames(this.tableOf(kind), this.topology.cluster).read),
      live: () => sql`${ident(BATCH_COLUMN)} GLOBAL IN (SELECT batch FROM live_batches)`,
    };
  }

  private tableOf(kind: string): RecordTable {
    const t = recordTables[kind as RecordKind];
    if (!t) throw new TypeError(`no record table of kind ${JSON.stringify(kind)}`);
    return t;
  }

  private async read<T>(what: string, statement: Sql, settings: Settings = {}): Promise<T[]> {
    try {
      return await this.withRetries(what, () => this.ch.query<T>(statement, { settings: { ...this.reportSettings, ...settings } }));
    } catch (e) {
      const cause = (e as Error).cause;
      const shards = this.topology.cluster !== undefined && cause instanceof Error ? shardsNamedIn(this.topology, cause.message) : undefined;
      if (shards) {
        throw new ClickhouseStoreError(
          `${what}: ${shards} of cluster "${this.topology.cluster}" is unavailable: ${cause instanceof Error ? cause.message : ''}\n` +
            'A report needs every shard. To report from the shards that answer (the numbers then lack the data of the others), add partial=1 to the store URL.',
          { cause },
        );
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- ingest state

  /** a file's state from an ingest_log row (its `step` JSON, see commit()) */
  private static fileFromRow(r: { file_id: number; fp_len: number; fp_hash: string; step: string }): IngestedFile {
    const j = JSON.parse(r.step) as StepJson;
    return {
      id: Number(r.file_id),
      path: j.path,
      size: j.size,
      fpLen: Number(r.fp_len),
      fpHash: r.fp_hash,
      format: j.format,
      offset: j.offset,
      nextLine: j.nextLine,
      seekable: j.seekable,
      state: j.parserState === null ? undefined : JSON.parse(j.parserState),
      provisionalFrom: j.provisionalFrom,
      complete: j.complete,
      lines: j.lines,
      rejects: j.rejects,
    };
  }

  /** the latest step of every file, filtered by `cond` (on ingest_log's columns) */
  private latestFiles(cond: Sql): Sql {
    return sql`SELECT file_id, fp_len, fp_hash, step
      FROM ingest_log WHERE (file_id, seq) IN (SELECT file_id, max(seq) FROM ingest_log GROUP BY file_id) AND ${cond}
      ORDER BY file_id LIMIT 1 BY file_id`;
  }

  /** the latest state of every file: read from ingest_log once, then kept by this store's commits
   *  (the DuckDB backend asks its file per lookup; here a lookup is a round trip, and an ingest makes
   *  two per file) */
  private async fileIndex(): Promise<Map<number, IngestedFile>> {
    if (!this.index) {
      const rows = await this.read<LogRow>('reading the ingest state', this.latestFiles(sql`1`));
      this.index = new Map(rows.map((r) => [Number(r.file_id), ClickhouseStore.fileFromRow(r)]));
    }
    return this.index;
  }

  async filesByFingerprint(fpLen: number, fpHash: string): Promise<IngestedFile[]> {
    const index = await this.fileIndex();
    return [...index.values()]
      .filter((f) => f.fpLen === fpLen && f.fpHash === fpHash)
      .sort((a, b) => a.id - b.id)
      .map((f) => ({ ...f }));
  }

  async shortFingerprints(): Promise<{ fpLen: number; fpHash: string }[]> {
    const index = await this.fileIndex();
    return [...index.values()].filter((f) => f.fpLen < 4096).map((f) => ({ fpLen: f.fpLen, fpHash: f.fpHash }));
  }

  /** A new file gets a random id (no sequences in ClickHouse), unused in the index: two processes
   *  adding files at the same moment practically never collide (p ≈ 2^-31 per pair). It is written
   *  to the log by the commit of its first batch — atomically with its first rows — or at close(). */
  async addFile(f: Omit<IngestedFile, 'id'>): Promise<IngestedFile> {
    const index = await this.fileIndex();
    let id = randomInt(1, 2 ** 31 - 1);
    while (index.has(id)) id = randomInt(1, 2 ** 31 - 1);
    const file = { ...f, id };
    index.set(id, file);
    this.files.set(id, { seq: 0, latest: file, batches: new Map() });
    this.pending.add(id);
    return { ...file };
  }

  async updateFile(f: IngestedFile): Promise<void> {
    const [log] = await this.fileLogs([f.id]);
    await this.commit([{ file: f, seq: log!.seq + 1 }], `updating ${f.path}`);
    log!.seq++;
    log!.latest = f;
    this.pending.delete(f.id);
    (await this.fileIndex()).set(f.id, f);
  }

  /** the files' last steps and live batches (from memory, or read back from ingest_log in one query) */
  private async fileLogs(ids: readonly number[]): Promise<FileLog[]> {
    const missing = [...new Set(ids.filter((id) => !this.files.has(id)))];
    if (missing.length) {
      const rows = await this.read<LogRow & { seq: number; retracted: number[] }>(
        'reading the ingest state',
        sql`SELECT file_id, seq, fp_len, fp_hash, step, retracted FROM ingest_log WHERE file_id IN ${list(missing)} ORDER BY file_id, seq`,
      );
      for (const id of missing) this.files.set(id, { seq: 0, latest: undefined, batches: new Map() });
      for (const r of rows) {
        const log = this.files.get(Number(r.file_id))!;
        if (Number(r.seq) >= log.seq) {
          log.seq = Number(r.seq);
          log.latest = ClickhouseStore.fileFromRow(r);
        }
        for (const b of (JSON.parse(r.step) as StepJson).batches) log.batches.set(b.id, { table: b.table, first: b.first, last: b.last });
      }
      for (const r of rows) for (const b of r.retracted) this.files.get(Number(r.file_id))!.batches.delete(Number(b));
    }
    return ids.map((id) => this.files.get(id)!);
  }

  /** Commit some steps: their reject examples first (counted only once their step is), then their
   *  ingest_log rows in ONE insert — one block, so all rows or none. Retried as is: a duplicate row
   *  is harmless (a file's state is its highest step; the views and live_batches are sets). */
  private async commit(steps: readonly Step[], what: string, seal = ''): Promise<void> {
    const rejects: Sql[] = [];
    const rows = steps.map((s, i) => {
      const f = s.file;
      const added = s.added ?? [];
      const stepId = newBatchId();
      for (const r of s.rejects ?? []) rejects.push(sql`(${stepId}, ${f.id}, ${r.line}, ${r.reason}, ${r.detail})`);
      // flat fields first: the ingested_files view reads them with visitParamExtract*
      const step: StepJson = {
        path: f.path,
        size: f.size,
        format: f.format,
        offset: f.offset,
        nextLine: f.nextLine,
        seekable: f.seekable,
        provisionalFrom: f.provisionalFrom,
        complete: f.complete,
        lines: f.lines,
        rejects: f.rejects,
        batches: added.map((a) => ({ id: a.id, table: a.table, first: a.first, last: a.last, rows: a.rows })),
        parserState: f.state === undefined ? null : JSON.stringify(f.state),
      };
      const values: (Value | Value[])[] = [
        f.id,
        s.seq,
        stepId,
        f.fpLen,
        f.fpHash,
        added.map((a) => a.id),
        s.retracted ?? [],
        s.rejectCut ?? 0,
        JSON.stringify(step),
        // the commit's seal, on its first row: sealed and committed by the same insert (integrity.ts)
        i === 0 ? seal : '',
      ];
      return sql`(${join(values.map((v) => sql`${v}`))})`;
    });
    if (rejects.length) {
      const insert = sql`INSERT INTO ingest_rejects_log (step_id, file_id, line, reason, detail) VALUES ${join(rejects)}`;
      await this.withRetries(what, () => this.ch.exec(insert));
    }
    const statement = sql`INSERT INTO ingest_log (${join(logColumns.map((c) => ident(c)))}) VALUES ${join(rows)}`;
    await this.withRetries(what, () => this.ch.exec(statement));
  }

  // ---------------------------------------------------------------- batches

  async appendBatch(b: Batch): Promise<void> {
    const ids = new Set([...b.files.map((f) => f.id), ...b.replace.map((r) => r.fileId)]);
    const what = describeBatch(b);
    try {
      const logs = new Map<number, FileLog>();
      const found = await this.fileLogs([...ids]);
      for (const [i, id] of [...ids].entries()) logs.set(id, found[i]!);
      const steps = new Map<number, Step & { added: Added[]; retracted: number[] }>();
      for (const id of ids) {
        const file = b.files.find((f) => f.id === id) ?? logs.get(id)!.latest;
        if (!file) throw new ClickhouseStoreError(`a batch names file id ${id}, which the ingest log does not know`);
        steps.set(id, { file, seq: logs.get(id)!.seq + 1, added: [], retracted: [], rejects: b.rejects.filter((r) => r.fileId === id) });
      }
      // provisional rows read again: retract the live batches reaching the line (copying the
      // earlier lines of a batch that straddles it)
      const gone: { id: number; table: string; fileId: number }[] = [];
      for (const r of b.replace) {
        const step = steps.get(r.fileId)!;
        step.rejectCut = Math.min(step.rejectCut ?? Infinity, r.fromLine);
        for (const [id, batch] of logs.get(r.fileId)!.batches) {
          if (batch.last < r.fromLine || step.retracted.includes(id)) continue;
          if (batch.first < r.fromLine) step.added.push(await this.copyLines(r.fileId, batch, id, r.fromLine, step.file.path));
          step.retracted.push(id);
          gone.push({ id, table: batch.table, fileId: r.fileId });
        }
      }
      const provisional = (fileId: number) => steps.get(fileId)?.file.provisionalFrom ?? null;
      const replaced = [...steps.values()].flatMap((s) => s.retracted);
      for (const [kind, buf] of Object.entries(b.rows) as [RecordKind, Buffer | undefined][]) {
        if (!buf || buf.length === 0) continue;
        for (const part of await this.insertRows(kind, buf, provisional, replaced, what)) {
          const step = steps.get(part.fileId);
          if (!step) throw new ClickhouseStoreError(`a batch holds rows of file id ${part.fileId} without its resume point (a bug of the ingest)`);
          step.added.push(part);
        }
      }
      await this.hooks.beforeCommit?.(b);
      if (this.sealing) {
        await this.sealTurn(async (outside) => {
          if (outside) await this.renumber(steps.values());
          const seal = await this.seal(outside ? 'live rows' : 'ingest batch', [...steps.values()], gone);
          await this.commit([...steps.values()], `committing ${what}`, seal?.text);
          if (seal) this.head = seal.row;
        });
      } else await this.commit([...steps.values()], `committing ${what}`);
      const index = await this.fileIndex();
      for (const [id, step] of steps) {
        const log = logs.get(id)!;
        log.seq = step.seq;
        log.latest = step.file;
        index.set(id, step.file);
        this.pending.delete(id);
        for (const r of step.retracted) log.batches.delete(r);
        for (const a of step.added) log.batches.set(a.id, { table: a.table, first: a.first, last: a.last });
      }
    } catch (e) {
      // the commit may or may not have happened: read these files' logs (and the index) again next
      // time; a file added by this store and never committed is forgotten (it has nothing stored)
      for (const id of ids) {
        this.files.delete(id);
        this.pending.delete(id);
      }
      this.index = undefined;
      this.head = null;
      throw e;
    }
  }

  /** insert TSV rows through the load table; a failed attempt is retried under new batch ids. Rows
   *  of a table with a record key go in only when their key is not live yet, not counting the rows
   *  of the `replaced` batches (keyed.ts). */
  private async insertRows(
    kind: RecordKind,
    buf: Buffer,
    provisional: (fileId: number) => number | null,
    replaced: readonly number[],
    what: string,
  ): Promise<Added[]> {
    const t = recordTables[kind];
    const n = layoutNames(t, this.topology.cluster);
    try {
      return await this.withRetries(`storing the rows of ${what}`, async (attempt) => {
        const tagged = tagRows(buf, provisional);
        if (t.recordKey?.length) await insertKeyedRows(this.ch, t, n, tagged.body, replaced, this.insertSettings);
        else await this.ch.insertTsv(n.load, loadColumns(t), tagged.body, { settings: this.insertSettings });
        await this.hooks.afterRows?.(t.name, attempt);
        return tagged.parts.map((p) => ({ ...p, table: t.name }));
      });
    } catch (e) {
      throw new ClickhouseStoreError(`${(e as Error).message}\nNothing of this batch counts; run the ingest again to continue from the last committed batch.`, {
        cause: (e as Error).cause ?? e,
      });
    }
  }

  /** copy the rows of batch `id` with line < `before` under a new batch id (server-side) */
  private async copyLines(fileId: number, batch: LiveBatch, id: number, before: number, path: string): Promise<Added> {
    const t = Object.values(recordTables).find((x) => x.name === batch.table);
    if (!t) throw new ClickhouseStoreError(`the ingest log names a record table ${batch.table} this version does not know`);
    const read = ident(layoutNames(t, this.topology.cluster).read);
    const cols = storedColumns(t)
      .filter((c) => c.name !== BATCH_COLUMN)
      .map((c) => ident(c.name));
    return this.withRetries(`keeping the rows of ${path} before line ${before}`, async () => {
      const copy = newBatchId();
      await this.ch.exec(
        sql`INSERT INTO ${read} (${join(cols)}, ${ident(BATCH_COLUMN)})
        SELECT ${join(cols)}, ${copy} FROM ${read} WHERE ${ident(BATCH_COLUMN)} = ${id} AND line < ${before}`,
        { settings: this.insertSettings },
      );
      // a copy does not pass the staging table's hashing view: hash it here (integrity.ts)
      if (this.sealing)
        await this.ch.exec(
          sql`INSERT INTO ${ident(this.hashes.read)} (tbl, file_id, line, h, batch, retracted)
          SELECT ${t.name}, file_id, line, ${rowHash(t)}, ${ident(BATCH_COLUMN)}, toUInt64(0) FROM ${read} WHERE ${ident(BATCH_COLUMN)} = ${copy}`,
          { settings: this.insertSettings },
        );
      return { fileId, id: copy, table: t.name, first: batch.first, last: before - 1, rows: 0 };
    });
  }

  /** Settings of the queries whose inner groups are per message (QueryOptions.groupsWithinShard: the
   *  tracking user totals and traffic): in cluster mode every event of a message is on one shard
   *  (tables.ts, shardKeys), so each shard finishes those groups itself and the initiator only adds
   *  them up (distributed_group_by_no_merge) */
  private get perMessage(): Settings {
    return this.topology.cluster !== undefined ? { distributed_group_by_no_merge: 1 } : {};
  }
}
