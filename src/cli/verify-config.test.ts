// The integrity section read by the commands: ingest seals with the key of integrity.keyFile (checked
// here by recomputing every stored seal with that key, independently of verify), verify takes the
// anchor and the key from the section, --anchor wins over the section, a config without the key
// cannot verify the keyed store (exit 1), and a key written into the config is refused, not echoed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { mxrayInProcess } from '../testing/run-cli.js';
import { sharedTrackingSet } from '../testing/shared-sets.js';
import { readAnchor, sealOf, type VerifyResult } from '../store/integrity/seal.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-verify-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'mxray.duckdb');
const anchor = join(dir, 'safe', 'anchor.json');
const cfg = join(dir, 'mxray.yaml');
const noKey = { MXRAY_SEAL_KEY: undefined, MXRAY_SEAL_KEY_FILE: undefined, MXRAY_STORE: undefined };
let logs = '';

before(async () => {
  logs = await sharedTrackingSet({ users: 5, days: 1, servers: 1, version: '2013', seed: 22 }, join(dir, 'logs'));
  writeFileSync(join(dir, 'seal.key'), 'correct horse battery\n');
  mkdirSync(join(dir, 'safe'));
  writeFileSync(cfg, `store:\n  db: ${db}\nintegrity:\n  anchor: safe/anchor.json\n  keyFile: seal.key\n`);
});

test('ingest seals with integrity.keyFile; verify reads the anchor and key from the section; --anchor wins', async () => {
  const ing = await mxrayInProcess(['ingest', logs, '--config', cfg], { env: noKey });
  assert.equal(ing.code, 0, ing.stderr);

  // every stored seal is the HMAC with the file's key (without its trailing line break)
  const key = Buffer.from('correct horse battery', 'utf8');
  const i = await DuckDBInstance.create(db);
  const c = await i.connect();
  const seals = (await c.runAndReadAll('SELECT prev, entry, seal FROM integrity_seals')).getRowObjectsJson() as { prev: string; entry: string; seal: string }[];
  c.closeSync();
  i.closeSync();
  assert.ok(seals.length >= 1);
  for (const s of seals) assert.equal(sealOf(s.prev, s.entry, key), s.seal, 'sealed with the key of integrity.keyFile');

  const v = await mxrayInProcess(['verify', '--config', cfg, '--update-anchor', '--json'], { env: noKey });
  assert.equal(v.code, 0, v.stderr);
  const r = JSON.parse(v.stdout) as VerifyResult;
  assert.equal(r.intact, true);
  assert.equal(r.mode, 'hmac-sha256');
  assert.deepEqual(r.anchor, { path: anchor, heads: r.heads.length, written: true });
  assert.deepEqual(readAnchor(anchor).heads, r.heads);
  const again = await mxrayInProcess(['verify', '--config', cfg, '--json'], { env: noKey });
  assert.equal(again.code, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as VerifyResult).anchor?.written, undefined, 'checked against the section anchor, not written');

  // --anchor wins over integrity.anchor: a file that is not there cannot be read
  const other = join(dir, 'elsewhere.json');
  const flag = await mxrayInProcess(['verify', '--config', cfg, '--anchor', other], { env: noKey });
  assert.equal(flag.code, 1);
  assert.match(flag.stderr, /elsewhere\.json/);
  assert.equal(existsSync(other), false);
});

test('without the section the keyed store cannot be verified; a key written into the config is refused unechoed', async () => {
  const bare = join(dir, 'bare.yaml');
  writeFileSync(bare, `store:\n  db: ${db}\n`);
  const v = await mxrayInProcess(['verify', '--config', bare], { env: noKey });
  assert.equal(v.code, 1);
  assert.match(v.stderr, /sealed with a key/);

  const literal = join(dir, 'literal.yaml');
  writeFileSync(literal, `store:\n  db: ${db}\nintegrity:\n  key: hunter2-literal\n`);
  const l = await mxrayInProcess(['verify', '--config', literal], { env: noKey });
  assert.equal(l.code, 2);
  assert.match(l.stderr, /literal\.yaml:4: integrity\.key: a key does not belong in the config file: give keyFile: PATH/);
  assert.doesNotMatch(l.stderr + l.stdout, /hunter2/);
});
