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
