// The queries' own plumbing, on an empty DuckDB store (their answers are checked against DuckDB's
// former answers by the golden files of cli/eas.test.ts, and on ClickHouse by
// store/clickhouse/activesync.test.ts): which side counts is asked once for the queries a report
// asks at once, and asked again afterwards (never a stale answer).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckdbStore } from '../../store/duckdb/store.js';
import type { Store } from '../../store/types.js';
import * as eas from './queries.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-eas-queries-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** the store, with the name of every statement it is asked */
function listening(s: Store, asked: string[]): Store {
  return new Proxy(s, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (prop === 'query')
        return ((what, statement, options) => {
          asked.push(what);
          return target.query(what, statement, options);
        }) as Store['query'];
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

test('which side counts: asked once for queries asked at once, again afterwards, per range', async () => {
  const store = await DuckdbStore.open(join(dir, 'side.duckdb'));
  try {
    const asked: string[] = [];
    const s = listening(store, asked);
    const sides = () => asked.filter((w) => w === 'which ActiveSync lines count').length;
    const day = { from: '2024-03-04 00:00:00', to: '2024-03-05 00:00:00' };
    // as eas export asks them: six queries that need the side
    const answers = await Promise.all([
      eas.devices(s, {}),
      eas.folderTypeItems(s, {}),
      eas.servers(s, {}),
      eas.weekHours(s, {}),
      eas.statusCodes(s, {}),
      eas.userAgents(s, {}),
      eas.hourly(s, {}),
      eas.deviceCounts(s, {}, 'command'),
    ]);
    assert.deepEqual(answers, [[], [], [], [], [], [], [], []]);
    assert.equal(sides(), 1);
    await eas.hourly(s, {});
    assert.equal(sides(), 2, 'a later query asks again');
    // --user/--device do not change the side; another range does
    await Promise.all([eas.hourly(s, day), eas.hourly(s, { ...day, user: 'jdoe' }), eas.hourly(s, { from: day.from })]);
    assert.equal(sides(), 4);
  } finally {
    await store.close();
  }
});
