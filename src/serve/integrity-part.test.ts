// serve's scheduled verify (integrity-part.ts) with a real serve, a real DuckDB store of generated
// Exchange logs and a local HTTP server as the webhook: an untouched store verifies intact round after
// round, writes the anchor and alerts nobody; after a row is changed with DuckDB's own SQL (the row
// chosen by the test, its file path read by the test from ingested_files), serve finds it, names it at
// /api/integrity, sets mxray_integrity_intact 0 and alerts exactly once over several rounds.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startServe } from './serve.js';
import { sharedTrackingSet } from '../testing/shared-sets.js';
import { ingest } from '../ingest/ingest.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import { readAnchor } from '../store/integrity/seal.js';
import type { IntegrityState } from './integrity-part.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-serve-integrity-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('serve verifies the store on a schedule: intact writes the anchor and alerts nobody; a changed row is named and alerted once', {
  timeout: 120_000,
}, async () => {
  const logs = await sharedTrackingSet({ users: 10, days: 1, servers: 1, version: '2013', seed: 21 }, join(dir, 'logs'));
  const db = join(dir, 'mxray.duckdb');
  const s = await DuckdbStore.open(db);
  try {
    await ingest([logs], { store: s });
  } finally {
    await s.close();
  }

  const hooks: Record<string, unknown>[] = [];
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  after(() => hook.close());
  const anchor = join(dir, 'safe-anchor.json');
  const configPath = join(dir, 'mxray.yaml');
  writeFileSync(
    configPath,
    `store:
  db: ${db}
notify:
  webhook:
    url: http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts
    timeoutMs: 2000
integrity:
  anchor: ${anchor}
  verify:
    interval: 1s
    updateAnchor: true
    alert: { webhook: true }
`,
  );
  const env = { ...process.env, MXRAY_SEAL_KEY: undefined, MXRAY_SEAL_KEY_FILE: undefined, MXRAY_STORE: undefined };
  const state = async (url: string) => (await (await fetch(`${url}/api/integrity`, { signal: AbortSignal.timeout(5000) })).json()) as IntegrityState;

  // 1. untouched: intact on every round, the anchor written, no alert
  let serve = await startServe({ config: configPath, port: 0, watch: false, env, log: () => undefined });
  try {
    assert.ok(serve.running.includes('integrity'));
    const st = await until('two verifies', async () => {
      const x = await state(serve.url);
      return x.runs >= 2 ? x : undefined;
    });
    assert.equal(st.error, null);
    assert.equal(st.last?.intact, true, JSON.stringify(st.last?.findings));
    assert.ok(existsSync(anchor), 'the anchor was written');
    assert.equal(readAnchor(anchor).heads.length, st.last!.heads.length);
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    assert.match(metrics, /^mxray_integrity_intact 1$/m);
  } finally {
    await serve.stop();
  }
  assert.equal(hooks.length, 0, 'an intact store alerts nobody');

  // 2. whoever can write the file changes one sender, chosen here
  const i = await DuckDBInstance.create(db);
  const c = await i.connect();
  let row: { file: number; line: number; path: string };
  try {
    const [r] = (
      await c.runAndReadAll(
        `SELECT t.file_id, t.line, f.path FROM tracking_events t JOIN ingested_files f ON f.id = t.file_id
         WHERE t.file_id = (SELECT id FROM ingested_files ORDER BY size DESC, id LIMIT 1) ORDER BY t.line LIMIT 1 OFFSET 33`,
      )
    ).getRowObjectsJson() as Record<string, unknown>[];
    row = { file: Number(r!.file_id), line: Number(r!.line), path: String(r!.path) };
    await c.run(`UPDATE tracking_events SET sender = 'someone-else@example.com' WHERE file_id = ${row.file} AND line = ${row.line}`);
  } finally {
    c.closeSync();
    i.closeSync();
  }

  // 3. serve again: tampered on every round, named, alerted once
  serve = await startServe({ config: configPath, port: 0, watch: false, env, log: () => undefined });
  try {
    const st = await until('three verifies', async () => {
      const x = await state(serve.url);
      return x.runs >= 3 ? x : undefined;
    });
    assert.equal(st.last?.intact, false);
    assert.equal(st.last!.counts.modified, 1);
    const f = st.last!.findings[0]!;
    assert.deepEqual([f.kind, f.table, f.file, f.path, f.line], ['modified', 'tracking_events', row.file, row.path, row.line]);
    assert.equal(st.alerted, true);
    assert.equal(st.alerts.length, 1);
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    assert.match(metrics, /^mxray_integrity_intact 0$/m);
  } finally {
    await serve.stop();
  }
  assert.equal(hooks.length, 1, 'alerted once over three rounds');
  assert.equal(hooks[0]!.kind, 'integrity');
  assert.match(String(hooks[0]!.subject), /^TAMPERED: /);
  assert.equal((hooks[0]!.findings as { line: number }[])[0]!.line, row.line);
});
