// preparePollerProcess (gc.ts), in processes of their own (it sets process-wide V8 flags): the young
// generation stays at its initial size under an allocation pattern that makes V8 grow it without,
// and DuckDB's allocator setting is put in the environment unless the admin set one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const gcModule = new URL('./gc.js', import.meta.url).href;

/** new space's resident MB after 3 rounds of 20,000 objects that survive scavenges, and the variable */
function run(prepare: boolean, env: Record<string, string> = {}): { newMb: number; conf: string | null } {
  const script = `
    const { preparePollerProcess } = await import(${JSON.stringify(gcModule)});
    const { getHeapSpaceStatistics } = await import('node:v8');
    if (${prepare}) preparePollerProcess();
    let keep = [];
    for (let r = 0; r < 3; r++) {
      for (let i = 0; i < 20000; i++) keep.push({ a: 'x'.repeat(20) + i, b: [i, i + 1] });
      keep = [];
    }
    const n = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    process.stdout.write(JSON.stringify({ newMb: n.physical_space_size / 1048576, conf: process.env.DUCKDB_JE_MALLOC_CONF ?? null }));`;
  const { DUCKDB_JE_MALLOC_CONF: _, ...base } = process.env;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 30_000,
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  return JSON.parse(out) as { newMb: number; conf: string | null };
}

test('preparePollerProcess keeps the young generation at 2 MB where V8 grows it past 4 MB without', () => {
  const without = run(false);
  const prepared = run(true);
  assert.ok(without.newMb > 4, `without: new space ${without.newMb} MB (the pattern should make V8 grow it)`);
  assert.ok(prepared.newMb <= 2, `prepared: new space ${prepared.newMb} MB`);
  assert.equal(without.conf, null);
  assert.equal(prepared.conf, 'dirty_decay_ms:0,muzzy_decay_ms:0');
});

test("preparePollerProcess leaves the admin's own DUCKDB_JE_MALLOC_CONF", () => {
  assert.equal(run(true, { DUCKDB_JE_MALLOC_CONF: 'narenas:1' }).conf, 'narenas:1');
});

/** V8's heap (MB) after a full collection of a heap where 1 object in 4 survived, spread over every
 *  page: plain, then compacting, then plain again over a new such heap (the flag set for one only) */
function fragmented(): { plain: number; compact: number; plainAgain: number; used: number; usedAgain: number } {
  const script = `
    const { collectGarbage, keepHeapSmall } = await import(${JSON.stringify(gcModule)});
    keepHeapSmall();
    const total = () => process.memoryUsage().heapTotal / 1048576;
    const spread = () => {
      const all = [];
      for (let i = 0; i < 400000; i++) all.push({ a: 'x' + i, b: [i] });
      return all.filter((_, i) => i % 4 === 0);
    };
    let kept = spread();
    collectGarbage();
    const plain = total();
    collectGarbage({ compact: true });
    const compact = total();
    const used = process.memoryUsage().heapUsed / 1048576;
    kept = [kept.length, spread()];
    collectGarbage();
    const plainAgain = total();
    const usedAgain = process.memoryUsage().heapUsed / 1048576;
    process.stdout.write(JSON.stringify({ plain, compact, plainAgain, used, usedAgain, n: kept.length }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  return JSON.parse(out) as { plain: number; compact: number; plainAgain: number; used: number; usedAgain: number };
}

test('collectGarbage({ compact: true }) gives back the pages a plain full collection leaves, for that collection only', () => {
  const r = fragmented();
  // V8's own account of its heap: a plain collection leaves the survivors spread over their pages
  assert.ok(r.plain > 2 * r.used, `plain: heap ${r.plain.toFixed(1)} MB for ${r.used.toFixed(1)} MB live (the pattern should leave it fragmented)`);
  assert.ok(r.compact < 1.5 * r.used, `compacting: heap ${r.compact.toFixed(1)} MB for ${r.used.toFixed(1)} MB live`);
  assert.ok(
    r.plainAgain > 1.5 * r.usedAgain,
    `a plain collection afterwards compacts no more: heap ${r.plainAgain.toFixed(1)} MB for ${r.usedAgain.toFixed(1)} MB live`,
  );
});
