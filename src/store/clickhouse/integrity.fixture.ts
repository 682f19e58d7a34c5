// The tamper-evidence cases every ClickHouse layout runs (integrity.ts, cli/verify.ts): a single server
// (integrity.test.ts) and a 2-shard cluster (integrity-cluster.test.ts), over generated Exchange logs.
// Changes are made through ClickHouse's own SQL, where the rows are: on a cluster, on the shard that
// holds the row (its _local table) — one value changed by ALTER TABLE … UPDATE (a mutation, waited
// for), a row deleted by ALTER TABLE … DELETE, a copy of a row inserted (on a cluster, on the other
// shard), a whole batch rewritten with its kept hashes and its seal — and each is found and located
// (table, source file, line); an untouched store, a resumed ingest, an interrupted one run again and a
// presence prune verify clean; writers outside an ingest sealing at the same moment (two stores, as two
// processes would; two live sources of one store, as serve's parts) leave one valid chain. The row a
// test tampers with is chosen by the test and its path read from ingested_files by the test, so the
// expected location is the test's own, not verify's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedTrackingSet } from '../../testing/shared-sets.js';
import { mxrayInProcess } from '../../testing/run-cli.js';
import { ingest } from '../../ingest/ingest.js';
import { LiveLog } from '../live.js';
import { presenceRows, withPresenceColumn } from '../../testing/presence-rows.js';
import { prunePresence } from '../../capabilities/presence/prune.js';
import { recordTables } from '../../schema/tables.js';
import { canonicalEntry, readAnchor, sealOf, type SealEntry, type VerifyResult } from '../integrity/seal.js';
import { type Sql, sql } from '../../sql/sql.js';
import type { ClickhouseHttp } from './http.js';
import { openClickhouse } from './open.js';
import { integrityNames, rowHash, type SealRow } from './integrity.js';

/** where a layout's store and rows are */
export interface IntegrityLayout {
  /** the cluster's name, or undefined: a single server */
  readonly cluster?: string;
  /** the store URL of database `db` */
  url(db: string): string;
  /** a client of the server in the URL, for database `db` (the ingest state, and every table as queries read it) */
  client(db: string): ClickhouseHttp;
  /** a client of each server holding rows, for database `db`: the server itself, or every shard */
  hosts(db: string): ClickhouseHttp[];
  stop(): Promise<void>;
}

function allLogs(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allLogs(join(d, e.name)) : /\.log$/i.test(e.name) ? [join(d, e.name)] : []));
}

/** the tests, against the layout `start` gives (called inside a describe) */
export function integrityCases(start: () => Promise<IntegrityLayout>): void {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-ch-integrity-'));
  let logs = join(dir, 'logs');
  let layout: IntegrityLayout;
  let dbNo = 0;
  const newDb = () => `seal_${process.pid}_${++dbNo}`;
  const url = (db: string) => layout.url(db);
  const client = (db: string) => layout.client(db);
  /** the table on a host holding a table's rows (or the row hashes: integrity_rows) */
  const local = (table: string) => (layout.cluster === undefined ? table : `${table}_local`);
  const hashes = () => integrityNames(layout.cluster).read;

  /** a fresh database holding the generated logs, ingested in batches of 256 KiB */
  async function ingested(): Promise<string> {
    const db = newDb();
    const s = await openClickhouse(url(db));
    try {
      await ingest([logs], { store: s, batchBytes: 256 << 10 });
    } finally {
      await s.close();
    }
    return db;
  }

  async function verify(
    db: string,
    args: string[] = [],
    env: Record<string, string | undefined> = {},
  ): Promise<{ code: number; r: VerifyResult; stderr: string }> {
    const out = await mxrayInProcess(['verify', '--store', url(db), '--json', ...args], {
      env: { MXRAY_SEAL_KEY: undefined, MXRAY_SEAL_KEY_FILE: undefined, ...env },
    });
    return { code: out.code, r: out.stdout ? (JSON.parse(out.stdout) as VerifyResult) : (undefined as never), stderr: out.stderr };
  }

  /** a statement as whoever can write to the database would run it, on one server; a mutation is waited for */
  async function tamper(ch: ClickhouseHttp, statement: string | Sql): Promise<void> {
    await ch.exec(statement);
    for (let i = 0; i < 600; i++) {
      const [p] = await ch.query<{ n: number }>('SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND is_done = 0');
      if (!Number(p?.n)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('mutation not done after 30 s');
  }

  /** the server holding the rows of `table` WHERE `at` (exactly one does), and its place in hosts() */
  async function holder(db: string, table: string, at: string): Promise<{ ch: ClickhouseHttp; i: number }> {
    const hosts = layout.hosts(db);
    const counts = await Promise.all(
      hosts.map(async (h) => Number((await h.query<{ n: number }>(`SELECT count() AS n FROM ${local(table)} WHERE ${at}`))[0]!.n)),
    );
    assert.deepEqual(
      counts.filter((n) => n > 0),
      [1],
      `one server holds the row: ${counts.join(', ')}`,
    );
    const i = counts.findIndex((n) => n > 0);
    return { ch: hosts[i]!, i };
  }

  /** the nth live row of the biggest file, with its path (from the store's own views) */
  async function pick(db: string, nth: number): Promise<{ file: number; line: number; path: string; batch: string }> {
    const [f] = await client(db).query<{ id: number; path: string }>('SELECT id, path FROM ingested_files ORDER BY size DESC, id LIMIT 1');
    const [row] = await client(db).query<{ file_id: number; line: number; b: string }>(
      `SELECT file_id, line, toString(batch) AS b FROM tracking_events
       WHERE batch GLOBAL IN (SELECT batch FROM live_batches) AND file_id = ${f!.id} ORDER BY line LIMIT 1 OFFSET ${nth}`,
    );
    return { file: Number(row!.file_id), line: Number(row!.line), path: f!.path, batch: row!.b };
  }

  let clean = '';
  before(async () => {
    layout = await start();
    logs = await sharedTrackingSet({ users: 20, days: 2, servers: 2, version: '2013', seed: 20 }, logs);
    clean = await ingested();
  });
  after(async () => {
    await layout?.stop();
  });

  test('an untouched store verifies intact: every live row sealed, exit 0', async () => {
    const { code, r } = await verify(clean);
    assert.equal(code, 0, JSON.stringify(r?.findings));
    assert.equal(r.intact, true);
    const [c] = await client(clean).query<{ n: number }>('SELECT count() AS n FROM tracking_events WHERE batch GLOBAL IN (SELECT batch FROM live_batches)');
    assert.ok(c!.n > 1000);
    assert.equal(r.rows, c!.n, 'verify counted every live row');
    const [b] = await client(clean).query<{ n: number }>("SELECT count() AS n FROM ingest_log WHERE seal != ''");
    assert.equal(r.batches, b!.n, 'one seal per commit that added rows');
    assert.ok(r.batches > 1);
    assert.deepEqual(
      r.heads.map((h) => [h.chain, h.seq]),
      [[0, r.batches]],
    );
    // every server holding rows holds their hashes too (computed where the rows landed)
    for (const h of layout.hosts(clean)) {
      const [rows] = await h.query<{ n: number }>(`SELECT count() AS n FROM ${local('tracking_events')}`);
      const [kept] = await h.query<{ n: number }>(`SELECT count() AS n FROM ${local('integrity_rows')} WHERE tbl = 'tracking_events'`);
      assert.ok(rows!.n > 0, 'every server holds rows');
      assert.equal(kept!.n, rows!.n, 'and a hash for each');
    }
  });

  for (const kind of ['modified', 'deleted', 'inserted'] as const) {
    test(`${kind === 'inserted' ? 'an' : 'a'} ${kind} row is found and named with its file and line: exit 4`, async () => {
      const db = await ingested();
      const anchor = join(dir, `anchor-${db}.json`);
      assert.equal((await verify(db, ['--anchor', anchor, '--update-anchor'])).code, 0);
      const row = await pick(db, 57);
      const at = `file_id = ${row.file} AND line = ${row.line}`;
      const { ch, i } = await holder(db, 'tracking_events', at);
      const table = local('tracking_events');
      if (kind === 'modified') await tamper(ch, `ALTER TABLE ${table} UPDATE bytes = bytes + 1 WHERE ${at}`);
      if (kind === 'deleted') await tamper(ch, `ALTER TABLE ${table} DELETE WHERE ${at}`);
      // a copy of the row, its batch id kept so that it counts in the reports; on a cluster, on the
      // other shard (read through the Distributed table there)
      if (kind === 'inserted') {
        const hosts = layout.hosts(db);
        await tamper(hosts[(i + 1) % hosts.length]!, `INSERT INTO ${table} SELECT * FROM tracking_events WHERE ${at}`);
      }
      const { code, r } = await verify(db, ['--anchor', anchor]);
      assert.equal(code, 4);
      assert.equal(r.intact, false);
      assert.deepEqual(
        { modified: r.counts.modified, deleted: r.counts.deleted, inserted: r.counts.inserted, anchor: r.counts.anchor, seal: r.counts.seal },
        { modified: 0, deleted: 0, inserted: 0, anchor: 0, seal: 0, [kind]: 1 },
        'the row is found; the chain still reaches the anchor',
      );
      const first = r.findings[0]!;
      assert.equal(first.kind, kind);
      assert.deepEqual([first.table, first.file, first.path, first.line], ['tracking_events', row.file, row.path, row.line]);
      assert.ok(first.batch! >= 1, 'the seal that covered the row is named');
      assert.match(first.detail, new RegExp(`${kind}: tracking_events row of .* line ${row.line} .*batch id ${row.batch}`));
      // on a cluster, the server the row is on (was on; an inserted copy: both servers hold the row)
      const hosts = layout.hosts(db).map((h) => h.endpoint);
      const server = layout.cluster === undefined ? undefined : kind === 'inserted' ? hosts.join(', ') : hosts[i];
      assert.equal(first.server, server);
      if (server) assert.ok(first.detail.includes(`(${kind === 'deleted' ? 'was on' : 'on'} ${server}; sealed by`), first.detail);
    });
  }

  /** what an attacker who can write to the database does: change a row, its kept hash, the seal of
   *  its batch and every later seal, all with the published algorithm */
  async function rewriteBatch(db: string, row: { file: number; line: number; batch: string }): Promise<void> {
    const ch = client(db);
    const at = `file_id = ${row.file} AND line = ${row.line}`;
    const { ch: owner } = await holder(db, 'tracking_events', at);
    await tamper(owner, `ALTER TABLE ${local('tracking_events')} UPDATE sender = 'someone-else@example.com' WHERE ${at}`);
    const [h] = await ch.query<{ h: string }>(
      sql`SELECT toString(${rowHash(recordTables.tracking)}) AS h FROM tracking_events WHERE batch = ${BigInt(row.batch)} AND line = ${row.line}`,
    );
    // the kept hash is beside the row (the view hashed it where it landed)
    await tamper(owner, `ALTER TABLE ${local('integrity_rows')} UPDATE h = ${h!.h} WHERE batch = ${row.batch} AND line = ${row.line}`);
    const [g] = await ch.query<{ s: string }>(`SELECT toString(sum(h)) AS s FROM ${hashes()} WHERE batch = ${row.batch} AND retracted = 0`);
    const seals = (await ch.query<{ seal: string }>("SELECT DISTINCT seal FROM ingest_log WHERE seal != ''"))
      .map((x) => JSON.parse(x.seal) as SealRow)
      .sort((a, b) => a.seq - b.seq);
    const i = seals.findIndex((x) => (JSON.parse(x.entry) as SealEntry).added.some((a) => String(a.id) === row.batch));
    assert.ok(i >= 0);
    let prev = seals[i]!.prev;
    for (const old of seals.slice(i)) {
      const entry = JSON.parse(old.entry) as SealEntry;
      for (const a of entry.added) if (String(a.id) === row.batch) a.sum = g!.s;
      const text = canonicalEntry(entry);
      const next: SealRow = { ...old, prev, entry: text, seal: sealOf(prev, text, undefined) };
      await tamper(ch, sql`ALTER TABLE ingest_log UPDATE seal = ${JSON.stringify(next)} WHERE seal = ${JSON.stringify(old)}`);
      prev = next.seal;
    }
  }

  test('a whole batch rewritten with its hashes and seals passes the chain alone, and is caught by the anchor', async () => {
    const db = await ingested();
    const anchor = join(dir, `anchor-${db}.json`);
    const first = await verify(db, ['--anchor', anchor, '--update-anchor']);
    assert.equal(first.code, 0, JSON.stringify(first.r?.findings));
    assert.deepEqual(readAnchor(anchor).heads, first.r.heads, 'the anchor holds the heads verify saw');
    await rewriteBatch(db, await pick(db, 10));
    const alone = await verify(db);
    assert.equal(alone.code, 0, `without the anchor a resealed chain cannot be told from the original: ${JSON.stringify(alone.r?.findings)}`);
    const { code, r } = await verify(db, ['--anchor', anchor]);
    assert.equal(code, 4);
    assert.equal(r.counts.anchor, 1);
    assert.equal(r.findings[0]!.kind, 'anchor');
    assert.match(r.findings[0]!.detail, /differs from the anchor: the chain was rewritten/);
    assert.equal((await verify(db, ['--anchor', anchor, '--update-anchor'])).code, 4, 'the anchor is not moved onto a tampered store');
    assert.deepEqual(readAnchor(anchor).heads, first.r.heads);
  });

  test('a keyed store (HMAC) verifies with its key, and needs it', async () => {
    const db = newDb();
    const old = process.env.MXRAY_SEAL_KEY;
    process.env.MXRAY_SEAL_KEY = 'the admin key';
    try {
      const s = await openClickhouse(url(db));
      await ingest([allLogs(logs)[0]!], { store: s });
      await s.close();
    } finally {
      if (old === undefined) delete process.env.MXRAY_SEAL_KEY;
      else process.env.MXRAY_SEAL_KEY = old;
    }
    const keyed = await verify(db, [], { MXRAY_SEAL_KEY: 'the admin key' });
    assert.equal(keyed.code, 0, JSON.stringify(keyed.r?.findings));
    assert.equal(keyed.r.mode, 'hmac-sha256');
    const keyless = await verify(db);
    assert.equal(keyless.code, 1);
    assert.match(keyless.stderr, /sealed with a key \(HMAC-SHA-256\): give it in MXRAY_SEAL_KEY or MXRAY_SEAL_KEY_FILE/);
    const wrong = await verify(db, [], { MXRAY_SEAL_KEY: 'a guessed key' });
    assert.equal(wrong.code, 4);
    assert.ok(wrong.r.counts.seal >= 1);
  });

  test('a growing log (provisional rows replaced), an interrupted ingest run again and a re-ingest verify intact', async () => {
    const files = allLogs(logs).sort((a, b) => readFileSync(b).length - readFileSync(a).length);
    const content = readFileSync(files[0]!);
    const grow = join(dir, `grow-${dbNo + 1}`);
    mkdirSync(grow, { recursive: true });
    const p = join(grow, 'MSGTRK2024030401-1.LOG');
    const db = newDb();
    const s = await openClickhouse(url(db));
    try {
      // whole lines without their line end: the last row is stored provisionally and replaced when its line end comes
      const cuts = [0.3, 0.55, 0.8].map((x) => content.indexOf(10, Math.floor(content.length * x)));
      let done = 0;
      for (const c of [...cuts, content.length]) {
        if (done === 0) writeFileSync(p, content.subarray(0, c));
        else appendFileSync(p, content.subarray(done, c));
        done = c;
        await ingest([p], { store: s, batchBytes: 64 << 10 });
      }
      // an ingest that fails before its third commit, run again
      let commits = 0;
      s.hooks.beforeCommit = () => {
        if (++commits === 3) throw new Error('simulated crash before the commit');
      };
      await assert.rejects(ingest([logs], { store: s, batchBytes: 128 << 10 }), /simulated crash/);
      s.hooks = {};
      await ingest([logs], { store: s, batchBytes: 128 << 10 });
      await ingest([logs], { store: s });
    } finally {
      await s.close();
    }
    const { code, r } = await verify(db);
    assert.equal(code, 0, JSON.stringify(r.findings));
    assert.ok(r.retractions >= 1, 'the provisional rows replaced were sealed as a retraction');
  });

  const day = Date.parse('2026-01-01T00:00:00Z') / 1000;

  test('presence prune is a sealed retraction: intact after it; a row deleted beside it is still found', async () => {
    const db = newDb();
    const s = await openClickhouse(url(db));
    try {
      const log = await LiveLog.open(s, 'presence-poll');
      for (let d = 0; d < 4; d++) await log.append({ presence: presenceRows(day + d * 86_400, 50) });
      const r = await prunePresence(s, day + 2 * 86_400);
      assert.equal(r.deleted.presence_samples, 100);
    } finally {
      await s.close();
    }
    const pruned = await verify(db);
    assert.equal(pruned.code, 0, JSON.stringify(pruned.r.findings));
    assert.equal(pruned.r.retractions, 1);
    assert.equal(pruned.r.rows, 100);
    const [last] = await client(db).query<{ n: number }>('SELECT max(line) AS n FROM presence_samples');
    assert.equal(Number(last!.n), 200);
    const { ch } = await holder(db, 'presence_samples', 'line = 200');
    await tamper(ch, `ALTER TABLE ${local('presence_samples')} DELETE WHERE line = 200`);
    const { code, r } = await verify(db);
    assert.equal(code, 4);
    assert.equal(r.counts.deleted, 1);
    assert.equal(r.findings[0]!.line, 200);
    assert.equal(r.findings[0]!.path, 'live:presence-poll');
  });

  test('a column added by a later release keeps the rows sealed before it intact; a value set in it afterwards is found', async () => {
    const db = newDb();
    const append = async (from: number) => {
      const s = await openClickhouse(url(db)); // opening widens the tables: NULL in the rows stored before
      try {
        await (await LiveLog.open(s, 'presence-poll')).append({ presence: presenceRows(from, 50) });
      } finally {
        await s.close();
      }
    };
    await append(day);
    const note = { name: 'note', type: 'text', doc: 'a column a later release adds' } as const;
    await withPresenceColumn({ ...note, added: 'test' }, async () => {
      await append(day + 86_400);
      const [set] = await client(db).query<{ n: number; first: number }>('SELECT count(note) AS n, min(line) AS first FROM presence_samples');
      assert.deepEqual([Number(set!.n), Number(set!.first)], [50, 1], 'the rows stored since have it set, those before have it NULL');
      const { code, r } = await verify(db);
      assert.equal(code, 0, JSON.stringify(r.findings));
      assert.equal(r.rows, 100);
      const { ch } = await holder(db, 'presence_samples', 'line = 7');
      await tamper(ch, `ALTER TABLE ${local('presence_samples')} UPDATE note = 'changed' WHERE line = 7`);
      const changed = await verify(db);
      assert.equal(changed.code, 4);
      assert.deepEqual([changed.r.counts.modified, changed.r.findings[0]!.kind, changed.r.findings[0]!.line], [1, 'modified', 7]);
    });
    // the same column not marked as added: every row's hash would change (what the mark prevents)
    await withPresenceColumn(note, async () => {
      const { code, r } = await verify(db);
      assert.equal(code, 4);
      assert.equal(r.counts.modified, 100);
    });
  });

  test('writers outside an ingest sealing at once take turns: two stores (two processes) and two live sources of one store (serve) leave one valid chain', async () => {
    const db = newDb();
    const a = await openClickhouse(url(db));
    const b = await openClickhouse(url(db));
    const appends = 4;
    try {
      // old samples on a, pruned below while the others append
      const old = await LiveLog.open(a, 'presence-poll');
      for (let d = 0; d < 2; d++) await old.append({ presence: presenceRows(day + d * 86_400, 20) });
      const [a1, a2, b1] = [await LiveLog.open(a, 'rules'), await LiveLog.open(a, 'monitor'), await LiveLog.open(b, 'presence-import')];
      const writer = async (log: LiveLog, from: number) => {
        for (let k = 0; k < appends; k++) await log.append({ presence: presenceRows(from + k * 3600, 5) });
      };
      const later = day + 30 * 86_400;
      const [, , , pruned] = await Promise.all([writer(a1, later), writer(a2, later + 86_400), writer(b1, later + 2 * 86_400), prunePresence(b, day + 86_400)]);
      assert.equal(pruned.deleted.presence_samples, 20);
    } finally {
      await a.close();
      await b.close();
    }
    const { code, r } = await verify(db);
    assert.equal(code, 0, JSON.stringify(r.findings));
    // one seal per append (2 + 3 × 4) and one for the prune, on one chain without a fork
    assert.equal(r.batches, 2 + 3 * appends + 1);
    assert.deepEqual(
      r.heads.map((h) => [h.chain, h.seq]),
      [[0, r.batches]],
    );
    assert.equal(r.retractions, 1);
    assert.equal(r.rows, 20 + 3 * appends * 5);
  });
}
