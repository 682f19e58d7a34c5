// Tamper evidence on DuckDB (integrity.ts, cli/verify.ts) over generated Exchange logs: changes made
// through DuckDB's own SQL — one value of one row, a deleted row, an inserted row, a whole batch
// rewritten with its seal — are each found and located (table, source file, line, batch); an
// untouched store, a resumed ingest, an interrupted one run again, a re-ingest and a presence prune
// verify clean. The row a test tampers with is chosen by the test, and its file path is read from
// ingested_files by the test, so the expected location is the test's own, not verify's.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { sharedTrackingSet } from '../../testing/shared-sets.js';
import { mxrayInProcess } from '../../testing/run-cli.js';
import { ingest } from '../../ingest/ingest.js';
import { LiveLog } from '../live.js';
import { presenceRows, withPresenceColumn } from '../../testing/presence-rows.js';
import { prunePresence } from '../../capabilities/presence/prune.js';
import { recordTables } from '../../schema/tables.js';
import type { Store } from '../types.js';
import { canonicalEntry, readAnchor, sealOf, type SealEntry, type VerifyResult } from '../integrity/seal.js';
import { DuckdbStore } from './store.js';
import { rowHashSql } from './integrity.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-integrity-'));
let logs = join(dir, 'logs');
let clean = '';

function allLogs(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allLogs(join(d, e.name)) : /\.log$/i.test(e.name) ? [join(d, e.name)] : []));
}

let dbNo = 0;
const newDb = () => join(dir, `db${++dbNo}.duckdb`);

/** a closed copy of a database file */
function copyDb(from: string): string {
  const to = newDb();
  copyFileSync(from, to);
  if (existsSync(`${from}.wal`)) copyFileSync(`${from}.wal`, `${to}.wal`);
  return to;
}

/** statements through DuckDB itself, as whoever can write the file would run them */
async function tamper(db: string, fn: (sql: (q: string) => Promise<Record<string, unknown>[]>) => Promise<void>): Promise<void> {
  const i = await DuckDBInstance.create(db);
  const c = await i.connect();
  try {
    await fn(async (q) => (await c.runAndReadAll(q)).getRowObjectsJson() as Record<string, unknown>[]);
  } finally {
    c.closeSync();
    i.closeSync();
  }
}

async function verify(
  db: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; r: VerifyResult; stderr: string }> {
  const out = await mxrayInProcess(['verify', '--db', db, '--json', ...args], { env: { MXRAY_SEAL_KEY: undefined, MXRAY_SEAL_KEY_FILE: undefined, ...env } });
  return { code: out.code, r: out.stdout ? (JSON.parse(out.stdout) as VerifyResult) : (undefined as never), stderr: out.stderr };
}

/** a row of the tracking table chosen by the test: the nth row of the biggest file, with its path */
async function pick(db: string, nth: number): Promise<{ file: number; line: number; path: string }> {
  let row: Record<string, unknown> | undefined;
  await tamper(db, async (sql) => {
    [row] = await sql(
      `SELECT t.file_id, t.line, f.path FROM tracking_events t JOIN ingested_files f ON f.id = t.file_id
       WHERE t.file_id = (SELECT id FROM ingested_files ORDER BY size DESC, id LIMIT 1) ORDER BY t.line LIMIT 1 OFFSET ${nth}`,
    );
  });
  return { file: Number(row!.file_id), line: Number(row!.line), path: String(row!.path) };
}

before(async () => {
  logs = await sharedTrackingSet({ users: 20, days: 2, servers: 2, version: '2013', seed: 20 }, logs);
  clean = newDb();
  const s = await DuckdbStore.open(clean);
  try {
    await ingest([logs], { store: s });
  } finally {
    await s.close();
  }
});

test('an untouched store verifies intact: every row sealed, exit 0', async () => {
  const { code, r } = await verify(clean);
  assert.equal(code, 0);
  assert.equal(r.intact, true, JSON.stringify(r.findings));
  let rows = 0;
  await tamper(clean, async (sql) => {
    rows = Number((await sql('SELECT count(*) AS n FROM tracking_events'))[0]!.n);
  });
  assert.ok(rows > 1000);
  assert.equal(r.rows, rows, 'verify counted every stored row');
  assert.ok(r.batches >= 1 && r.heads.length >= 1);
});

for (const kind of ['modified', 'deleted', 'inserted'] as const) {
  test(`${kind === 'inserted' ? 'an' : 'a'} ${kind} row is found and named with its file, line and batch: exit 4`, async () => {
    const db = copyDb(clean);
    const row = await pick(db, 57);
    await tamper(db, async (sql) => {
      const at = `file_id = ${row.file} AND line = ${row.line}`;
      if (kind === 'modified') await sql(`UPDATE tracking_events SET bytes = bytes + 1 WHERE ${at}`);
      if (kind === 'deleted') await sql(`DELETE FROM tracking_events WHERE ${at}`);
      if (kind === 'inserted') await sql(`INSERT INTO tracking_events SELECT * REPLACE (subject AS subject) FROM tracking_events WHERE ${at}`);
    });
    const { code, r } = await verify(db);
    assert.equal(code, 4);
    assert.equal(r.intact, false);
    assert.deepEqual(
      { modified: r.counts.modified, deleted: r.counts.deleted, inserted: r.counts.inserted },
      { modified: 0, deleted: 0, inserted: 0, [kind]: 1 },
    );
    const first = r.findings[0]!;
    assert.equal(first.kind, kind);
    assert.deepEqual([first.table, first.file, first.path, first.line], ['tracking_events', row.file, row.path, row.line]);
    assert.ok(first.batch! >= 1, 'the batch that sealed the row is named');
    assert.match(first.detail, new RegExp(`${kind}: tracking_events row of .* line ${row.line}`));
  });
}

/** what an attacker who can write the file does: change a row, its stored hash, the seal of its batch
 *  and every later seal of that chain, all with the published algorithm (SHA-256, or HMAC with a key
 *  of their own) */
async function rewriteBatch(db: string, row: { file: number; line: number }, key?: Buffer): Promise<void> {
  const t = recordTables.tracking;
  await tamper(db, async (sql) => {
    const at = `file_id = ${row.file} AND line = ${row.line}`;
    await sql(`UPDATE tracking_events SET sender = 'someone-else@example.com' WHERE ${at}`);
    const [h] = await sql(`SELECT CAST(${rowHashSql(t)} AS VARCHAR) AS h FROM tracking_events WHERE ${at}`);
    await sql(`UPDATE integrity_rows SET h = ${String(h!.h)} WHERE tbl = 'tracking_events' AND ${at} AND retracted IS NULL`);
    const [b] = await sql(`SELECT batch FROM integrity_rows WHERE tbl = 'tracking_events' AND ${at}`);
    const [s] = await sql(`SELECT chain, seq FROM integrity_seals WHERE batch = ${Number(b!.batch)}`);
    const later = await sql(`SELECT batch, seq, entry, prev FROM integrity_seals WHERE chain = ${Number(s!.chain)} AND seq >= ${Number(s!.seq)} ORDER BY seq`);
    let prev = String(later[0]!.prev);
    for (const l of later) {
      const entry = JSON.parse(String(l.entry)) as SealEntry;
      if (Number(l.batch) === Number(b!.batch)) {
        const [g] = await sql(
          `SELECT CAST(sum(h) AS VARCHAR) AS s FROM integrity_rows WHERE batch = ${Number(b!.batch)} AND tbl = 'tracking_events' AND file_id = ${row.file}`,
        );
        entry.added.find((a) => a.table === 'tracking_events' && a.file === row.file)!.sum = String(g!.s);
      }
      const text = canonicalEntry(entry);
      const seal = sealOf(prev, text, key);
      await sql(`UPDATE integrity_seals SET entry = '${text.replace(/'/g, "''")}', prev = '${prev}', seal = '${seal}' WHERE batch = ${Number(l.batch)}`);
      prev = seal;
    }
  });
}

test('a whole batch rewritten with its seal passes the chain alone, and is caught by the anchor', async () => {
  const db = copyDb(clean);
  const anchor = join(dir, 'anchor.json');
  const first = await verify(db, ['--anchor', anchor, '--update-anchor']);
  assert.equal(first.code, 0);
  assert.deepEqual(readAnchor(anchor).heads, first.r.heads, 'the anchor holds the heads verify saw');
  const row = await pick(db, 10);
  await rewriteBatch(db, row);
  // the chain is consistent again: only the anchor, kept elsewhere, tells
  assert.equal((await verify(db)).code, 0, 'without the anchor a resealed chain cannot be told from the original');
  const { code, r } = await verify(db, ['--anchor', anchor]);
  assert.equal(code, 4);
  assert.equal(r.counts.anchor, 1);
  assert.equal(r.findings[0]!.kind, 'anchor');
  assert.match(r.findings[0]!.detail, /differs from the anchor: the chain was rewritten/);
  // and the anchor is not moved onto a tampered store
  assert.equal((await verify(db, ['--anchor', anchor, '--update-anchor'])).code, 4);
  assert.deepEqual(readAnchor(anchor).heads, first.r.heads);
});

test('with a key (HMAC), a batch resealed without it is caught without an anchor; a keyed store needs its key', async () => {
  const db = newDb();
  const keyFile = join(dir, 'seal.key');
  writeFileSync(keyFile, 'the admin key\n');
  const s = await DuckdbStore.open(db);
  const old = process.env.MXRAY_SEAL_KEY_FILE;
  process.env.MXRAY_SEAL_KEY_FILE = keyFile;
  try {
    await ingest([logs], { store: s, wholeFiles: false });
  } finally {
    if (old === undefined) delete process.env.MXRAY_SEAL_KEY_FILE;
    else process.env.MXRAY_SEAL_KEY_FILE = old;
    await s.close();
  }
  const keyed = await verify(db, [], { MXRAY_SEAL_KEY_FILE: keyFile });
  assert.equal(keyed.code, 0, JSON.stringify(keyed.r?.findings));
  assert.equal(keyed.r.mode, 'hmac-sha256');
  const keyless = await verify(db);
  assert.equal(keyless.code, 1);
  assert.match(keyless.stderr, /sealed with a key \(HMAC-SHA-256\): give it in MXRAY_SEAL_KEY or MXRAY_SEAL_KEY_FILE/);
  await rewriteBatch(db, await pick(db, 3), Buffer.from('a guessed key'));
  const { code, r } = await verify(db, [], { MXRAY_SEAL_KEY: 'the admin key' });
  assert.equal(code, 4);
  assert.ok(r.counts.seal >= 1);
  assert.match(r.findings.find((f) => f.kind === 'seal')!.detail, /does not match its entry/);
});

test('a resumed ingest (a last line read again when its line end comes), an interrupted ingest run again and a re-ingest verify intact', async () => {
  const files = allLogs(logs).sort((a, b) => readFileSync(b).length - readFileSync(a).length);
  const content = readFileSync(files[0]!);
  const grow = join(dir, 'grow');
  mkdirSync(grow, { recursive: true });
  const p = join(grow, 'MSGTRK2024030401-1.LOG');
  // a whole line without its line end: its row is stored, provisionally, and replaced when the line end comes
  const mid = content.indexOf(10, Math.floor(content.length / 2));
  const db = newDb();
  const s = await DuckdbStore.open(db);
  try {
    writeFileSync(p, content.subarray(0, mid));
    await ingest([p], { store: s });
    appendFileSync(p, content.subarray(mid));
    await ingest([p], { store: s });
    // an ingest that fails after some batches, run again
    const opts = { batchBytes: 64 * 1024, txnBytes: 3 * 64 * 1024, wholeFiles: false };
    let calls = 0;
    const failing = Object.create(s) as Store;
    failing.openLane = undefined;
    failing.appendBatch = async (b) => {
      if (++calls === 6) throw new Error('simulated crash');
      return s.appendBatch(b);
    };
    await assert.rejects(ingest([logs], { store: failing, ...opts }), /simulated crash/);
    await ingest([logs], { store: s, ...opts });
    await ingest([logs], { store: s });
  } finally {
    await s.close();
  }
  const { code, r } = await verify(db);
  assert.equal(code, 0, JSON.stringify(r.findings));
  assert.ok(r.retractions >= 1, 'the provisional rows replaced were sealed as a retraction');
});

test('presence prune is a sealed retraction: intact after it; a row deleted beside it is still found', async () => {
  const db = newDb();
  const s = await DuckdbStore.open(db);
  const day = Date.parse('2026-01-01T00:00:00Z') / 1000;
  try {
    const log = await LiveLog.open(s, 'presence-poll');
    for (let d = 0; d < 4; d++) await log.append({ presence: presenceRows(day + d * 86_400, 50) });
    const r = await prunePresence(s, day + 2 * 86_400);
    assert.equal(r.deleted.presence_samples, 100);
  } finally {
    await s.close();
  }
  const after = await verify(db);
  assert.equal(after.code, 0, JSON.stringify(after.r.findings));
  assert.equal(after.r.retractions, 1);
  assert.equal(after.r.rows, 100);
  await tamper(db, async (sql) => {
    await sql(`DELETE FROM presence_samples WHERE line = (SELECT max(line) FROM presence_samples)`);
  });
  const { code, r } = await verify(db);
  assert.equal(code, 4);
  assert.equal(r.counts.deleted, 1);
  assert.equal(r.findings[0]!.line, 200);
  assert.equal(r.findings[0]!.path, 'live:presence-poll');
});

test('a column added by a later release keeps the rows sealed before it intact; a value set in it afterwards is found', async () => {
  const db = newDb();
  const day = Date.parse('2026-01-01T00:00:00Z') / 1000;
  const append = async (from: number) => {
    const s = await DuckdbStore.open(db); // opening widens the table: NULL in the rows stored before
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
    let set: Record<string, unknown>[] = [];
    await tamper(db, async (sql) => {
      set = await sql('SELECT count(note) AS n, min(line) AS first FROM presence_samples');
    });
    assert.deepEqual([Number(set[0]!.n), Number(set[0]!.first)], [50, 1], 'the rows stored since have it set, those before have it NULL');
    const { code, r } = await verify(db);
    assert.equal(code, 0, JSON.stringify(r.findings));
    assert.equal(r.rows, 100);
    await tamper(db, async (sql) => {
      await sql(`UPDATE presence_samples SET note = 'changed' WHERE line = 7`);
    });
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

test('verify: --update-anchor needs --anchor (exit 2), a missing anchor file is exit 1', async () => {
  const usage = await mxrayInProcess(['verify', '--db', clean, '--update-anchor']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--update-anchor: name the anchor file with --anchor FILE/);
  const missing = await mxrayInProcess(['verify', '--db', clean, '--anchor', join(dir, 'nowhere.json')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--anchor: cannot read .*nowhere\.json: ENOENT/);
});
