// The fast per-user totals (userTotals: counted per event, repeated pairs found by sorting 64-bit
// keys and recounted) against the literal reading of the counting rules (userTotalsByPairs), on
// random events full of what the rules must get right: messages logged by several events, recipients
// repeated in one list, empty and NULL fields, events on several days, time ranges. The same query
// is also run with its hashes cut down to a few values, so that most keys collide: a collision must
// cost time, never a wrong number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckdbStore } from '../../../store/duckdb/store.js';
import { userTotalsByPairs, userTotalsStatement } from './duckdb.js';
import { activeDays, activeDaysStatement } from '../queries.js';
import { counted } from '../events.js';
import type { TimeRange } from '../../../store/types.js';
import { Sql, sql } from '../../../sql/sql.js';

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

async function randomEvents(store: DuckdbStore, seed: number): Promise<void> {
  const rnd = random(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const users = ['a@x.com', 'b@x.com', 'c@x.com', 'd@x.com', 'e@x.com'];
  const lit = (v: string | number | null) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v}'`);
  const rows: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const messageId = rnd() < 0.02 ? null : `<m${Math.floor(rnd() * 300)}@x.com>`;
    const role = pick([0, 1, 2, 3, 1, 2]);
    const sender = pick([...users, '', null]);
    const list = Array.from({ length: Math.floor(rnd() * 4) }, () => pick([...users, '']));
    const recipients = rnd() < 0.03 ? null : list.join(';') + (rnd() < 0.1 ? ';' : '');
    const bytes = rnd() < 0.05 ? null : Math.floor(rnd() * 1e6);
    const ts = rnd() < 0.01 ? 'NULL' : `TIMESTAMP '2024-03-0${1 + Math.floor(rnd() * 4)} ${String(Math.floor(rnd() * 24)).padStart(2, '0')}:30:00'`;
    rows.push(
      `(1, ${i + 1}, ${ts}, 'EX01', 'DELIVER', 'STOREDRIVER', ${role}, ${lit(messageId)}, 'i', ${lit(sender)}, ${lit(recipients)}, ${list.length}, ${lit(bytes)}, '', '', '')`,
    );
  }
  await store.run(`INSERT INTO tracking_events VALUES ${rows.join(',\n')}`);
}

/** the query with its hashes reduced modulo small numbers: most (user, message) keys collide (the
 *  hashes are in the statement's own text, never in a value or a dialect node) */
function weakHashes(statement: Sql, messages: number, users: number): Sql {
  const weaken = (text: string) =>
    text
      .replaceAll('hash(message_id)', `(hash(message_id) % ${messages})`)
      .replaceAll('hash(1, u)', `(hash(1, u) % ${users})`)
      .replaceAll('hash(2, u)', `(hash(2, u) % ${users})`);
  const out = new Sql(statement.chunks.map((c) => (typeof c === 'string' ? weaken(c) : c)));
  assert.notDeepEqual(out.chunks, statement.chunks);
  return out;
}

const ranges: TimeRange[] = [{}, { from: '2024-03-02', to: '2024-03-04' }, { from: '2024-03-03 05:00:00' }, { to: '2024-03-01 12:00:00' }];

test('duckdb tracking: per-user totals equal the pair-by-pair count, also when hashes collide', async () => {
  const store = await DuckdbStore.open(':memory:');
  try {
    for (const seed of [1, 2]) {
      await store.run('DELETE FROM tracking_events');
      await randomEvents(store, seed);
      const repeated = await store.rows<{ n: number }>(
        `SELECT count(*)::DOUBLE AS n FROM (SELECT sender, message_id FROM tracking_events WHERE (role & 1) = 1 GROUP BY ALL HAVING count(*) > 1)`,
      );
      assert.ok(repeated[0]!.n > 50, 'the data has messages that several events submitted');
      for (const range of ranges) {
        for (const recipients of ['once', 'each'] as const) {
          const reference = await store.query('reference', userTotalsByPairs(range, recipients));
          assert.ok(reference.length > 0);
          const q = userTotalsStatement(range, recipients);
          for (const [what, statement] of [
            ['real hashes', q],
            ['hashes mod 7 and 3', weakHashes(q, 7, 3)],
            ['one hash for all', weakHashes(q, 1, 1)],
          ] as const) {
            assert.deepEqual(await store.query(what, statement), reference, `seed ${seed}, ${JSON.stringify(range)}, --recipients ${recipients}, ${what}`);
          }
        }
      }
    }
  } finally {
    await store.close();
  }
});

test('duckdb tracking: active days, from the first and last date or counted', async () => {
  const store = await DuckdbStore.open(':memory:');
  try {
    await randomEvents(store, 3);
    for (const range of [
      ...ranges,
      { from: '2024-03-02', to: '2024-03-03' },
      { from: '2024-03-02 12:00:00', to: '2024-03-03 12:00:00' },
      { from: '2025-01-01' },
    ]) {
      const [expected] = await store.query<{ n: number }>(
        'expected',
        sql`SELECT count(DISTINCT CAST(ts AS DATE))::DOUBLE AS n FROM tracking_events WHERE ${counted(range)}`,
      );
      assert.equal(await activeDays(store, range), expected!.n, JSON.stringify(range));
      const [days] = await store.query<{ days: number }>('counted', activeDaysStatement(range));
      assert.equal(days!.days, expected!.n, JSON.stringify(range));
    }
    // one day apart: both dates have events, no scan needed; a gap of a day in between: counted
    await store.run('DELETE FROM tracking_events');
    await store.run(
      `INSERT INTO tracking_events (file_id, line, ts, role, message_id) VALUES (1, 1, '2024-03-01 23:59:59', 0, 'a'), (1, 2, '2024-03-02 00:00:00', 0, 'b')`,
    );
    assert.equal(await activeDays(store, {}), 2);
    await store.run(`UPDATE tracking_events SET ts = '2024-03-03 00:00:00' WHERE line = 2`);
    assert.equal(await activeDays(store, {}), 2);
    await store.run('DELETE FROM tracking_events');
    assert.equal(await activeDays(store, {}), 0);
  } finally {
    await store.close();
  }
});
