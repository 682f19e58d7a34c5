// The Exchange event knowledge table (exchange-events.yaml): it loads, every entry is complete, a bad
// file is refused with file:line: key; and `events top` shows the meaning of a known provider + id
// (and none for an unknown one) on DuckDB and ClickHouse, over the hand-written CSV export
// fixtures/windows-csv/ex01-application-ps51-unicode.csv (12014, 15004, ActiveSync 1008 known; the
// Security-SPP 16384 unknown).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from '../../ingest/ingest.js';
import { DuckdbStore } from '../../store/duckdb/store.js';
import type { Store } from '../../store/types.js';
import { openClickhouse } from '../../store/clickhouse/open.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import { repoPath } from '../../testing/paths.js';
import { validate } from '../report.js';
import { exchangeEvents, parseKnowledge } from './knowledge.js';
import { eventsIds, eventsTop } from './report-specs.js';

test('the table loads; every entry has provider, id, meaning and an http(s) source', () => {
  const k = exchangeEvents();
  assert.ok(k.events.length >= 10);
  for (const e of k.events) {
    assert.ok(e.provider && e.meaning, JSON.stringify(e));
    assert.ok(Number.isInteger(e.id));
    assert.match(e.source, /^https?:\/\/\S+$/);
  }
  assert.match(k.meaning('msexchangetransport', 12014)!, /STARTTLS/);
  assert.equal(k.meaning('MSExchangeTransport', 1), undefined);
});

test('a source that is not a Microsoft page is marked: note says third-party source', () => {
  const microsoft = /^https?:\/\/(learn|technet|docs|support)\.microsoft\.com\//;
  const third = exchangeEvents().events.filter((e) => !microsoft.test(e.source));
  assert.ok(third.length > 0);
  for (const e of third) assert.match(e.note ?? '', /^third-party source/, `${e.provider} ${e.id}: ${e.source}`);
  for (const e of exchangeEvents().events.filter((x) => microsoft.test(x.source))) assert.doesNotMatch(e.note ?? '', /third-party/, `${e.provider} ${e.id}`);
});

test('a bad table is refused with file:line: key', () => {
  assert.throws(
    () => parseKnowledge('x.yaml', 'events:\n  - provider: A\n    id: 1\n    meaning: m\n    source: not a url\n'),
    /^KnowledgeError: x\.yaml:5: events\[0\]\.source: expected the http\(s\) address/,
  );
  assert.throws(
    () => parseKnowledge('x.yaml', 'events:\n  - provider: A\n    id: 1\n    meaning: m\n    source: https://a.example/\n    colour: red\n'),
    /x\.yaml:2: events\[0\]: .*colour/,
  );
  assert.throws(
    () =>
      parseKnowledge(
        'x.yaml',
        'events:\n  - { provider: A, id: 1, meaning: m, source: "https://a/" }\n  - { provider: a, id: 1, meaning: n, source: "https://a/" }\n',
      ),
    /listed twice/,
  );
});

test('events ids lists the table, filtered by provider in any case', async () => {
  const all = await eventsIds.run({} as Store, validate(eventsIds, {}));
  assert.equal(all.length, exchangeEvents().events.length);
  const as = await eventsIds.run({} as Store, validate(eventsIds, { provider: 'msexchange activesync' }));
  assert.deepEqual(
    as.map((e) => e.id),
    [1008],
  );
  assert.match(eventsIds.render(as, 'table', {} as never), /1008 .*ActiveSync/);
});

function suite(open: () => Promise<Store>) {
  test('events top: the meaning of known provider + id, none for an unknown one (text, JSON, CSV)', async () => {
    const s = await open();
    try {
      await ingest([repoPath('fixtures', 'windows-csv', 'ex01-application-ps51-unicode.csv')], { store: s, hints: { tz: 'UTC' } });
      const top = await eventsTop.run(s, validate(eventsTop, {}));
      const by = new Map(top.rows.map((r) => [`${r.provider}|${r.id}`, r.meaning]));
      assert.equal(by.size, 4);
      assert.equal(by.get('MSExchangeTransport|12014'), exchangeEvents().meaning('MSExchangeTransport', 12014));
      assert.match(by.get('MSExchangeTransport|15004')!, /back pressure rose/);
      assert.match(by.get('MSExchange ActiveSync|1008')!, /ActiveSync/);
      assert.equal(by.get('Microsoft-Windows-Security-SPP|16384'), undefined);
      assert.ok(by.has('Microsoft-Windows-Security-SPP|16384'));
      const text = eventsTop.render(top, 'table', {} as never);
      assert.match(text, /meaning/);
      assert.match(text, /12014 .*STARTTLS/);
      const csv = eventsTop.render(top, 'csv', {} as never);
      assert.match(csv.split('\n')[0]!, /,meaning\r?$/);
      assert.match(csv, /15004,.*back pressure rose/);
      assert.equal(JSON.parse(eventsTop.render(top, 'json', {} as never)).rows.find((r: { id: number }) => r.id === 16384).meaning, undefined);
      // grouped without provider and id: no meaning column
      const byChannel = await eventsTop.run(s, validate(eventsTop, { by: 'channel' }));
      assert.doesNotMatch(eventsTop.render(byChannel, 'table', {} as never), /meaning/);
    } finally {
      await s.close();
    }
  });
}

const dir = mkdtempSync(join(tmpdir(), 'mxray-knowledge-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('events top meaning on DuckDB', () => {
  suite(() => DuckdbStore.open(join(dir, 'k.duckdb')));
});

describeClickhouse('events top meaning on ClickHouse', () => {
  let server: ClickhouseServer;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  suite(() => openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/knowledge_${process.pid}`));
});
