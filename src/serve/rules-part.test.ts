// Rules as a part of serve (rules-part.ts) with a real serve on a real DuckDB store of generated
// Exchange tracking logs: the rules: section's rule fires once per matching record — as many as the
// test counts in the log files itself — its log action writes them, /api/rules says so; later rounds
// and a restarted serve fire nothing again (the cursor is in the store).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from './serve.js';
import { sharedTrackingSet } from '../testing/shared-sets.js';
import { rawEvents } from '../testing/tracking-raw.js';
import { generatedLogs } from '../generate/layout.js';
import { ingest } from '../ingest/ingest.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import type { RulesState } from './rules-part.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-serve-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('serve runs the rules: section on new records: each match fires once, a restart fires nothing again', { timeout: 120_000 }, async () => {
  const logs = await sharedTrackingSet({ users: 10, days: 1, servers: 1, version: '2013', seed: 22 }, join(dir, 'logs'));
  const fails = rawEvents(generatedLogs(logs)).filter((e) => e.f['event-id'] === 'FAIL').length;
  assert.ok(fails > 0, 'the generated set has FAIL events');
  const db = join(dir, 'mxray.duckdb');
  const s = await DuckdbStore.open(db);
  try {
    await ingest([logs], { store: s });
  } finally {
    await s.close();
  }
  const alerts = join(dir, 'alerts.log');
  const configPath = join(dir, 'mxray.yaml');
  writeFileSync(
    configPath,
    `store:\n  db: ${db}\nrules:\n  - name: failed-deliveries\n    source: tracking\n    include: [ { field: event-id, op: "==", value: FAIL } ]\n    actions: [ { log: ${JSON.stringify(alerts)} } ]\n`,
  );
  const env = { ...process.env, MXRAY_RULES_INTERVAL_MS: '300', MXRAY_STORE: undefined };
  const state = async (url: string) => (await (await fetch(`${url}/api/rules`, { signal: AbortSignal.timeout(5000) })).json()) as RulesState;

  const old = process.env.MXRAY_RULES_INTERVAL_MS;
  process.env.MXRAY_RULES_INTERVAL_MS = '300';
  try {
    let serve = await startServe({ config: configPath, port: 0, watch: false, env, log: () => undefined });
    try {
      assert.ok(serve.running.includes('rules'));
      const st = await until('three rounds', async () => {
        const x = await state(serve.url);
        return x.rounds >= 3 ? x : undefined;
      });
      assert.equal(st.error, null);
      assert.equal(st.fired, fails, 'one alert per FAIL line of the logs, and none again in later rounds');
    } finally {
      await serve.stop();
    }
    assert.ok(existsSync(alerts));
    assert.equal(readFileSync(alerts, 'utf8').trim().split('\n').length, fails, 'the log action wrote each alert once');

    serve = await startServe({ config: configPath, port: 0, watch: false, env, log: () => undefined });
    try {
      const st = await until('two rounds after the restart', async () => {
        const x = await state(serve.url);
        return x.rounds >= 2 ? x : undefined;
      });
      assert.equal(st.error, null);
      assert.equal(st.fired, 0, 'the cursor in the store: a restart fires nothing again');
    } finally {
      await serve.stop();
    }
  } finally {
    if (old === undefined) delete process.env.MXRAY_RULES_INTERVAL_MS;
    else process.env.MXRAY_RULES_INTERVAL_MS = old;
  }
});
