// `events top` and `events list` on DuckDB and ClickHouse, over the real .evtx samples ingested for
// real. The truth is libevtx's `evtxexport` (Debian package libevtx-utils): its XML of the live
// records, counted here per provider and EventID, and filtered by provider, id and text in the Data
// elements. mxray also recovers records from slack space; the reports count them apart (recovered).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from '../../ingest/ingest.js';
import { DuckdbStore } from '../../store/duckdb/store.js';
import type { Store } from '../../store/types.js';
import { openClickhouse } from '../../store/clickhouse/open.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import { repoPath } from '../../testing/paths.js';
import { validate } from '../report.js';
import { eventsList, eventsTop } from './report-specs.js';

const corpus = repoPath('fixtures', 'corpus', 'windows_evtx');

interface XmlEvent {
  provider: string;
  id: number;
  channel: string;
  data: string[];
}

/** evtxexport's live records of every sample, parsed from its XML */
function libevtxEvents(): XmlEvent[] {
  const out: XmlEvent[] = [];
  for (const f of readdirSync(corpus).filter((x) => x.endsWith('.evtx'))) {
    const r = spawnSync('evtxexport', ['-f', 'xml', '-m', 'items', join(corpus, f)], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
    assert.equal(r.error, undefined, `evtxexport (Debian package libevtx-utils) must be installed: ${r.error?.message}`);
    for (const e of r.stdout.split('<Event xmlns').slice(1)) {
      const xmlText = (s: string) =>
        s
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"')
          .replace(/&apos;/g, "'")
          .replace(/&amp;/g, '&');
      out.push({
        provider: xmlText(/<Provider Name="([^"]*)"/.exec(e)?.[1] ?? ''),
        id: Number(/<EventID[^>]*>(\d+)<\/EventID>/.exec(e)?.[1]),
        channel: xmlText(/<Channel>([^<]*)<\/Channel>/.exec(e)?.[1] ?? ''),
        data: [...e.matchAll(/<Data(?: Name="[^"]*")?>([^<]*)<\/Data>/g)].map((m) => xmlText(m[1]!)),
      });
    }
  }
  return out;
}

function suite(open: () => Promise<Store>) {
  test('events top per provider and id: the live counts are evtxexport’s; list filters by provider, id, text and time', async () => {
    const s = await open();
    try {
      await ingest([corpus], { store: s });
      const truth = libevtxEvents();
      const perGroup = new Map<string, number>();
      for (const e of truth) perGroup.set(`${e.provider}|${e.id}`, (perGroup.get(`${e.provider}|${e.id}`) ?? 0) + 1);

      const top = await eventsTop.run(s, validate(eventsTop, { limit: '1000' }));
      assert.deepEqual(top.by, ['provider', 'id']);
      const live = new Map(top.rows.filter((r) => r.events > r.recovered).map((r) => [`${r.provider}|${r.id}`, r.events - r.recovered]));
      assert.deepEqual(new Map([...live].sort()), new Map([...perGroup].sort()));
      assert.equal(
        top.total,
        top.rows.reduce((a, r) => a + r.events, 0),
      );
      // most first
      for (let i = 1; i < top.rows.length; i++) assert.ok(top.rows[i - 1]!.events >= top.rows[i]!.events);

      // by channel, limited: the rest is said
      const byChannel = await eventsTop.run(s, validate(eventsTop, { by: 'channel', limit: '1' }));
      assert.equal(byChannel.rows.length, 1);
      assert.ok(eventsTop.render(byChannel, 'table', {} as never).includes(`${byChannel.total - byChannel.rows[0]!.events} more event(s)`));

      // Sysmon process creations (id 1) whose insertion strings mention powershell, any case
      const want = truth.filter(
        (e) => e.provider === 'Microsoft-Windows-Sysmon' && e.id === 1 && e.data.some((d) => d.toLowerCase().includes('powershell')),
      ).length;
      assert.ok(want >= 1 && want < perGroup.get('Microsoft-Windows-Sysmon|1')!, `a filter that keeps some: ${want}`);
      const p = { provider: 'Microsoft-Windows-Sysmon', id: '1', match: 'PowerShell' };
      const all = await eventsList.run(s, validate(eventsList, { ...p, limit: '1000' }));
      assert.equal(all.events.length, want);
      assert.equal(all.more, 0);
      for (const e of all.events) assert.ok(e.data.some((d) => d.value.toLowerCase().includes('powershell')));
      assert.equal(all.events[0]!.data.find((d) => d.name === 'Image') !== undefined, true);
      // every Sysmon process creation (none recovered), two listed and the rest counted
      const few = await eventsList.run(s, validate(eventsList, { provider: 'Microsoft-Windows-Sysmon', id: '1', limit: '2' }));
      assert.equal(few.events.length, 2);
      assert.equal(few.more, perGroup.get('Microsoft-Windows-Sysmon|1')! - 2);
      assert.ok(few.events[0]!.time! <= few.events[1]!.time!);

      // by channel and time: the Security 4720 of 2013-10-23 (new-user-security), and nothing the day after
      const sec = truth.filter((e) => e.channel === 'Security' && e.id === 4720).length;
      const day = await eventsList.run(s, validate(eventsList, { channel: 'Security', id: '4720', from: '2013-10-23', to: '2013-10-23' }));
      assert.equal(day.events.length, sec);
      assert.equal(day.events[0]!.data.find((d) => d.name === 'TargetUserName')?.value, 'IEUser');
      const next = await eventsList.run(s, validate(eventsList, { channel: 'Security', id: '4720', from: '2013-10-24' }));
      assert.equal(next.events.length, 0);
      assert.match(eventsList.render(day, 'table', {} as never), /%1 TargetUserName=IEUser/);
    } finally {
      await s.close();
    }
  });
}

test('bad parameters are named', () => {
  assert.throws(() => validate(eventsTop, { by: 'provider,colour' }), /--by: unknown column "colour"; known: provider, id, channel, computer, level/);
  assert.throws(() => validate(eventsList, { id: 'x' }), /--id: expected a whole number/);
  assert.throws(() => validate(eventsList, { from: '2026-02-01', to: '2026-01-01' }), /--from \(2026-02-01\) must be before --to/);
});

const dir = mkdtempSync(join(tmpdir(), 'mxray-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('events reports on DuckDB', () => {
  suite(() => DuckdbStore.open(join(dir, 'e.duckdb')));
});

describeClickhouse('events reports on ClickHouse', () => {
  let server: ClickhouseServer;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  suite(() => openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/events_${process.pid}`));
});
