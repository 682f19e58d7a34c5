// The monitor's history on DuckDB and ClickHouse: results appended as the monitor records them (via
// LiveLog, as `serve` does), read back by `monitor history` with the counts the test's own
// bookkeeping says, filtered by host, service and time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckdbStore } from '../../store/duckdb/store.js';
import { openClickhouse } from '../../store/clickhouse/open.js';
import { LiveLog } from '../../store/live.js';
import type { Store } from '../../store/types.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import { historyReport, historySource, probeRow } from './history.js';
import { monitorHistory } from './report-specs.js';
import { result, target } from './targets.fixture.js';
import type { RecordedResult } from './daemon.js';
import type { ProbeStatus } from './types.js';

/** 3 instances probed every minute for 20 minutes from 2026-12-01 10:00; relay down 10:05–10:09 and a
 *  repair at 10:10; imap's certificate counts down */
function generate(): { records: RecordedResult[]; truth: Map<string, { probes: number; failed: number; last: ProbeStatus; repairs: number }> } {
  const targets = [target('mx1', 'main'), target('mx1', 'relay'), target('mx2', 'imap', { service: 'IMAP', key: 'mx2/IMAP/imap', url: 'imaps://mx2:993' })];
  const records: RecordedResult[] = [];
  const truth = new Map<string, { probes: number; failed: number; last: ProbeStatus; repairs: number }>();
  for (let m = 0; m < 20; m++) {
    for (const t of targets) {
      const at = new Date(Date.UTC(2026, 11, 1, 10, m, 0, 250)).toISOString();
      const status: ProbeStatus = t.instance === 'relay' && m >= 5 && m < 10 ? 'critical' : t.instance === 'imap' && m === 19 ? 'warning' : 'ok';
      const r = { ...result(t, status, at), durationMs: 10 + m, certDaysLeft: t.instance === 'imap' ? 30 - m : null };
      records.push({ target: t, result: r, kind: 'probe' });
      const k = `${t.host}/${t.service}/${t.instance}`;
      const s = truth.get(k) ?? { probes: 0, failed: 0, last: 'ok' as ProbeStatus, repairs: 0 };
      s.probes++;
      if (status !== 'ok') s.failed++;
      s.last = status;
      truth.set(k, s);
      if (t.instance === 'relay' && m === 9) {
        // the repair's re-probe, half a second later: ok
        records.push({
          target: t,
          result: { ...result(t, 'ok', at.replace('.250Z', '.750Z')), durationMs: 5 },
          kind: 'repair',
          repair: 'repair systemctl start postfix@relay exited 0 after 0.4 s',
        });
        s.probes++;
        s.repairs++;
      }
    }
  }
  return { records, truth };
}

function suite(open: (name: string) => Promise<Store>) {
  test('history per instance and the failed probes, as recorded', async () => {
    const s = await open('h');
    try {
      const { records, truth } = generate();
      const log = await LiveLog.open(s, historySource);
      // appended in batches as serve does
      for (let i = 0; i < records.length; i += 7) await log.append({ probe: records.slice(i, i + 7).map(probeRow) });
      const h = await historyReport(s, { range: {} });
      assert.deepEqual(
        h.instances.map((i) => [`${i.host}/${i.service}/${i.instance}`, i.probes, i.failed, i.lastStatus, i.repairs]),
        [...truth].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.probes, v.failed, v.last, v.repairs]),
      );
      const relay = h.instances.find((i) => i.instance === 'relay')!;
      assert.equal(relay.availability, Math.round((1000 * (21 - 5)) / 21) / 10);
      assert.equal(relay.first, '2026-12-01 10:00:00');
      assert.equal(relay.last, '2026-12-01 10:19:00');
      assert.equal(relay.maxMs, 29);
      const imap = h.instances.find((i) => i.instance === 'imap')!;
      assert.equal(imap.minCertDays, 11);
      assert.equal(imap.lastStatus, 'warning');
      assert.deepEqual(
        h.failures.map((f) => `${f.time} ${f.instance} ${f.status} ${f.failure}`),
        [5, 6, 7, 8, 9].map((m) => `2026-12-01 10:0${m}:00 relay critical refused`).concat(['2026-12-01 10:19:00 imap warning refused']),
      );
      // by host, service and time (the repair row at 10:09:00.750 is in, the next minute out)
      const part = await historyReport(s, { host: 'mx1', service: 'SMTP', range: { from: '2026-12-01 10:09:00', to: '2026-12-01 10:10:00' } });
      assert.deepEqual(
        part.instances.map((i) => [i.instance, i.probes, i.failed, i.lastStatus]),
        [
          ['main', 1, 0, 'ok'],
          ['relay', 2, 1, 'ok'],
        ],
      );
      const limited = await historyReport(s, { range: {} }, 2);
      assert.equal(limited.failures.length, 2);
      assert.equal(limited.moreFailures, 4);
      const text = monitorHistory.render(h, 'table', {} as never);
      assert.match(text, /^host +service +instance +last +probes/);
      assert.match(text, /failed probes:\n/);
    } finally {
      await s.close();
    }
  });
}

const dir = mkdtempSync(join(tmpdir(), 'mxray-history-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('monitor history on DuckDB', () => {
  suite((name) => DuckdbStore.open(join(dir, `${name}.duckdb`)));
});

describeClickhouse('monitor history on ClickHouse', () => {
  let server: ClickhouseServer;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  suite((name) => openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/history_${process.pid}_${name}`));
});
