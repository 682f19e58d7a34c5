// .evtx files through the real ingest into DuckDB and ClickHouse: sniffed by their magic, one row
// per event, insertion strings reachable by position and by name in both stores' SQL (the values
// checked against evtxexport's), rejects with file and record, and the record key (computer,
// channel, EventRecordID) storing each event once when overlapping exports of one log are ingested.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from '../../ingest/ingest.js';
import { sniffFile } from '../../ingest/sniff.js';
import { formatList } from '../registry.js';
import { DuckdbStore } from '../../store/duckdb/store.js';
import type { Store } from '../../store/types.js';
import { openClickhouse } from '../../store/clickhouse/open.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import { repoPath } from '../../testing/paths.js';
import { fn, live, table } from '../../sql/dialect.js';
import { raw, sql, type Sql } from '../../sql/sql.js';
import { CHUNK_SIZE, HEADER_SIZE } from './reader.js';

const corpus = repoPath('fixtures', 'corpus', 'windows_evtx');
const dir = mkdtempSync(join(tmpdir(), 'mxray-evtx-'));
let folderNo = 0;
const folder = () => {
  const d = join(dir, `t${++folderNo}`);
  mkdirSync(d);
  return d;
};

/** evtxexport's record count of a file in mode items or recovered (the independent truth) */
function libevtxCount(file: string, mode: 'items' | 'recovered'): number {
  const r = spawnSync('evtxexport', ['-f', 'xml', '-m', mode, file], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
  assert.equal(r.error, undefined, `evtxexport (Debian package libevtx-utils) must be installed: ${r.error?.message}`);
  return r.stdout.split('<Event xmlns').length - 1;
}

const SEP = raw("'\u001f'");
/** the insertion string %n (1-based) */
const insertion = (n: number): Sql =>
  fn((d) =>
    d.name === 'duckdb' ? sql`string_split(data_values, ${SEP})[${raw(String(n))}]` : sql`splitByChar(${SEP}, assumeNotNull(data_values))[${raw(String(n))}]`,
  );
/** the insertion string named `name` */
const named = (name: string): Sql =>
  fn((d) =>
    d.name === 'duckdb'
      ? sql`string_split(data_values, ${SEP})[list_position(string_split(data_names, ${SEP}), ${name})]`
      : sql`arrayElement(splitByChar(${SEP}, assumeNotNull(data_values)), indexOf(splitByChar(${SEP}, assumeNotNull(data_names)), ${name}))`,
  );

function suite(open: () => Promise<Store>) {
  test('the real samples: every event once, recovered ones marked, insertion strings by position and name', async () => {
    const s = await open();
    try {
      const sum = await ingest([corpus], { store: s });
      const files = readdirSync(corpus).filter((f) => f.endsWith('.evtx'));
      assert.equal(sum.formats.evtx, files.length);
      const items = files.reduce((n, f) => n + libevtxCount(join(corpus, f), 'items'), 0);
      const recovered = files.reduce((n, f) => n + libevtxCount(join(corpus, f), 'recovered'), 0);
      const counts = await s.query<{ live_n: number; recovered_n: number }>(
        'counts',
        sql`SELECT count(*) - sum(recovered) AS live_n, sum(recovered) AS recovered_n FROM ${table('windowsEvents')} WHERE ${live('windowsEvents')}`,
      );
      assert.equal(Number(counts[0]!.live_n), items);
      // mxray recovers what libevtx does, and 20 older records from a slack space libevtx does not search
      assert.equal(Number(counts[0]!.recovered_n), recovered + 20);
      assert.equal(sum.rejects, 3);
      // the 4720 (user account created) of new-user-security, as evtxexport prints it
      const rows = await s.query<Record<string, unknown>>(
        '4720',
        sql`SELECT computer, channel, event_record_id, provider, level, keywords, data_count,
              ${insertion(1)} AS first, ${named('TargetUserName')} AS target, ${named('SubjectUserSid')} AS subject, ${named('NewUacValue')} AS uac
            FROM ${table('windowsEvents')} WHERE ${live('windowsEvents')} AND event_id = 4720`,
      );
      assert.deepEqual(
        rows.map((r) => ({ ...r, event_record_id: Number(r.event_record_id), level: Number(r.level), data_count: Number(r.data_count) })),
        [
          {
            computer: 'IE8Win7',
            channel: 'Security',
            event_record_id: 112,
            provider: 'Microsoft-Windows-Security-Auditing',
            level: 0,
            keywords: '0x8020000000000000',
            data_count: 26,
            first: 'IEUser',
            target: 'IEUser',
            subject: 'S-1-5-18',
            uac: '0x15',
          },
        ],
      );
      // again, and an overlapping export of the same log (a live log whose header changed): nothing twice
      const d = folder();
      const grown = Buffer.from(readFileSync(join(corpus, 'sysmon.evtx')));
      grown.writeUInt32LE(grown.readUInt32LE(24) + 1, 24); // the header's next record id moved on
      writeFileSync(join(d, 'sysmon-later.evtx'), grown);
      copyFileSync(join(corpus, 'new-user-security.evtx'), join(d, 'copy.evtx'));
      await ingest([corpus, d], { store: s });
      const again = await s.query<{ n: number }>('n', sql`SELECT count(*) AS n FROM ${table('windowsEvents')} WHERE ${live('windowsEvents')}`);
      assert.equal(Number(again[0]!.n), Number(counts[0]!.live_n) + Number(counts[0]!.recovered_n));
    } finally {
      await s.close();
    }
  });

  test('a file cut inside a record and a file that is not EVTX: counted rejects, the rest read', async () => {
    const s = await open();
    try {
      const d = folder();
      const sysmon = readFileSync(join(corpus, 'sysmon.evtx'));
      writeFileSync(join(d, 'cut.evtx'), sysmon.subarray(0, HEADER_SIZE + CHUNK_SIZE + 30_000));
      writeFileSync(join(d, 'fake.evtx'), 'not an event log\r\n');
      const sum = await ingest([d], { store: s, format: 'evtx' });
      assert.equal(sum.rejects, 2);
      const rej = await s.query<{ line: number; reason: string }>('rejects', sql`SELECT line, reason FROM ingest_rejects ORDER BY line`);
      assert.deepEqual(rej.map((r) => r.reason).sort(), ['malformed', 'truncated']);
      const n = await s.query<{ n: number }>('n', sql`SELECT count(*) AS n FROM ${table('windowsEvents')} WHERE ${live('windowsEvents')}`);
      // the whole first chunk (41 records) and the records of the second before the cut
      assert.ok(Number(n[0]!.n) > 41 && Number(n[0]!.n) < 81, String(n[0]!.n));
    } finally {
      await s.close();
    }
  });
}

describe('evtx ingest on DuckDB', () => {
  let n = 0;
  suite(() => DuckdbStore.open(join(dir, `db${++n}.duckdb`)));
});

describeClickhouse('evtx ingest on ClickHouse', () => {
  let server: ClickhouseServer;
  let n = 0;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  suite(() => openClickhouse(`clickhouse://127.0.0.1:${server.httpPort}/evtx_${process.pid}_${++n}`));
});

test('sniffing: an .evtx is claimed by its signature whatever its name; a text log is not', async () => {
  const d = folder();
  copyFileSync(join(corpus, 'Security_short_selected.evtx'), join(d, 'exported.log'));
  const s = await sniffFile(join(d, 'exported.log'), formatList);
  assert.equal(s.format?.name, 'evtx');
  writeFileSync(join(d, 'u_ex240101.log'), '#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time cs-method\r\n');
  assert.notEqual((await sniffFile(join(d, 'u_ex240101.log'), formatList)).format?.name, 'evtx');
});
