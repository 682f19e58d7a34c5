// `mxray generate tracking|iis --out DIR`: the logs in DIR/logs/, truth.json beside them in DIR, so
// that `mxray ingest DIR/logs` meets nothing but logs (it used to say "skipped truth.json, no known
// log format"). Through the CLI, in this process.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxrayInProcess } from '../testing/run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'mxray-layout-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('generate tracking and generate iis write DIR/logs/ and DIR/truth.json; ingesting DIR/logs skips nothing', async () => {
  const tracking = join(root, 'tracking');
  const iis = join(root, 'iis');
  const t = await mxrayInProcess(['generate', 'tracking', '--users', '4', '--days', '1', '--servers', '1', '--out', tracking]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(
    t.stdout,
    new RegExp(`to ${join(tracking, 'logs').replace(/\\/g, '\\\\')} \\(truth in ${join(tracking, 'truth.json').replace(/\\/g, '\\\\')}\\)`),
  );
  const i = await mxrayInProcess(['generate', 'iis', '--users', '2', '--days', '1', '--out', iis]);
  assert.equal(i.code, 0, i.stderr);
  for (const dir of [tracking, iis]) {
    assert.deepEqual(readdirSync(dir).sort(), ['logs', 'truth.json']);
    assert.ok(JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')).days >= 1);
  }
  const ing = await mxrayInProcess(['ingest', join(tracking, 'logs'), join(iis, 'logs'), '--db', join(root, 'l.duckdb'), '--json']);
  assert.equal(ing.code, 0, ing.stderr);
  const s = JSON.parse(ing.stdout) as { skipped: unknown[]; files: number; formats: Record<string, number> };
  assert.deepEqual(s.skipped, []);
  assert.ok(s.formats.msgtrk! > 0 && s.formats.iis! > 0, JSON.stringify(s.formats));
  // the text summary has no "skipped" line either
  const again = await mxrayInProcess(['ingest', join(iis, 'logs'), '--db', join(root, 'm.duckdb')]);
  assert.doesNotMatch(again.stdout, /skipped|truth\.json/);
});
