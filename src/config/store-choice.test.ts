// Which store a command opens: --store, --db, MXRAY_STORE, the config's store: section, the default;
// and withStore() (every store command) following it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.js';
import { chooseStore } from './store-choice.js';
import type { ConfigError } from './errors.js';
import { withStore, UsageError } from '../cli/common.js';

const tmp = mkdtempSync(join(tmpdir(), 'mxray-store-choice-'));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

test('precedence: --store, --db, MXRAY_STORE, store: in the config file, default', async () => {
  const url = await loadConfig(file('url.yaml', '# the team ClickHouse\nstore:\n  url: clickhouse://ch1.corp.example:8123/mxray\n'), { env: {} });
  const db = await loadConfig(file('db.yaml', 'store:\n  db: team.duckdb\n'), { env: {} });
  const none = await loadConfig(undefined, { cwd: tmp, env: {} });
  const env = { MXRAY_STORE: 'clickhouse://env:8123/x' };
  const cli = { store: 'clickhouse://cli:8123/x', db: 'cli.duckdb' };
  assert.deepEqual(chooseStore(cli, env, url), { store: 'clickhouse://cli:8123/x', from: '--store' });
  assert.deepEqual(chooseStore({ db: 'cli.duckdb' }, env, url), { db: 'cli.duckdb', from: '--db' });
  assert.deepEqual(chooseStore({ db: 'cli.duckdb' }, {}, url), { db: 'cli.duckdb', from: '--db' });
  assert.deepEqual(chooseStore({}, {}, url), { store: 'clickhouse://ch1.corp.example:8123/mxray', from: `store.url in ${join(tmp, 'url.yaml')}:3` });
  assert.deepEqual(chooseStore({}, {}, db), { db: join(tmp, 'team.duckdb'), from: `store.db in ${join(tmp, 'db.yaml')}:2` });
  assert.deepEqual(chooseStore({}, {}, none), { from: 'default' });
  // url: duckdb:PATH is db: PATH, relative to the config file too
  const duckdbUrl = await loadConfig(file('duckdb-url.yaml', 'store:\n  url: duckdb:data.duckdb\n'), { env: {} });
  assert.deepEqual(chooseStore({}, {}, duckdbUrl), { db: join(tmp, 'data.duckdb'), from: `store.url in ${join(tmp, 'duckdb-url.yaml')}:2` });
});

test('a broken store: section matters only when it is the one that decides', async () => {
  const broken = await loadConfig(file('broken.yaml', 'store:\n  url: http://x\n'), { env: {} });
  assert.deepEqual(chooseStore({ db: 'x.duckdb' }, {}, broken), { db: 'x.duckdb', from: '--db' });
  assert.deepEqual(chooseStore({}, { MXRAY_STORE: 'duckdb:y' }, broken), { store: 'duckdb:y', from: 'MXRAY_STORE' });
  assert.throws(
    () => chooseStore({}, {}, broken),
    (e: ConfigError) => e.message === `${join(tmp, 'broken.yaml')}:2: store.url: expected clickhouse://host:8123/database or duckdb:PATH, got "http://x"`,
  );
});

test('withStore opens the store the config file names', async () => {
  // this test file runs in a process of its own: an MXRAY_STORE of the caller's must not decide
  delete process.env.MXRAY_STORE;
  const config = file('team.yaml', 'store:\n  db: team.duckdb\n');
  assert.equal(await withStore({ config }, async (s) => typeof s.close, true), 'function');
  assert.ok(existsSync(join(tmp, 'team.duckdb')), 'ingest created the DuckDB file the config names, beside the config');
  const missing = file('missing.yaml', 'store:\n  db: nothing-here.duckdb\n');
  await assert.rejects(
    withStore({ config: missing }, async () => 0),
    (e: Error) =>
      e instanceof UsageError &&
      e.message === `no database at ${join(tmp, 'nothing-here.duckdb')} (store.db in ${missing}:2): run \`mxray ingest PATH…\` first, or name one with --db`,
  );
  // --db on the command line wins over the file
  const other = join(tmp, 'other.duckdb');
  await withStore({ config, db: other }, async () => 0, true);
  assert.ok(existsSync(other));
});
