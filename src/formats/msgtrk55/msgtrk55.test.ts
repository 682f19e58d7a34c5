import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden, parseWith, type Parsed } from '../../testing/formats.js';
import { repoPath } from '../../testing/paths.js';
import { TsvWriter, parseTsv } from '../../schema/tsv.js';
import { trackingEvents } from '../../schema/tables.js';
import type { RejectReason } from '../types.js';
import { msgtrk55 } from './msgtrk55.js';

const corpus = repoPath('fixtures', 'corpus', 'exchange55_tracking');
const synthetic = repoPath('fixtures', 'tracking', 'msgtrk55');
const golden = (file: string) => file.replace(/\.[^./]+$/, '.expected.json');
const parsed = new Map<string, Parsed>();
async function parse(path: string): Promise<Parsed> {
  if (!parsed.has(path)) parsed.set(path, await parseWith(msgtrk55, path));
  return parsed.get(path)!;
}

for (const dir of [corpus, synthetic]) {
  for (const name of readdirSync(dir).filter((n) => !n.endsWith('.expected.json'))) {
    test(`msgtrk55 golden: ${name}`, async () => {
      assertGolden(golden(join(dir, name)), await parse(join(dir, name)));
    });
  }
}

test('msgtrk55: the itprotoday excerpt lost its TABs: both lines are rejected, with the reason', async () => {
  const p = await parse(join(corpus, 'itprotoday_1998-05-31_what-a-tracking-log-tells-you__exchange55_entries_excerpt.txt'));
  assert.equal(p.rows.length, 0);
  assert.deepEqual(
    p.rejects.map((r) => [r.line, r.reason]),
    [
      [1, 'field-count'],
      [2, 'field-count'],
    ],
  );
  assert.ok(p.rejects.every((r) => r.detail?.includes('replaced by spaces')));
});

test('msgtrk55: the reconstructed itprotoday entries', async () => {
  const p = await parse(join(synthetic, '19980304.log'));
  assert.deepEqual(
    { ...p.rows[0] },
    {
      line: '1',
      ts: '1998-03-04 11:14:10.000',
      server: '',
      event: '4',
      source: '',
      role: '1',
      message_id: 'C=IE;A=eirmail400;P=digital;L=DBO-EXCHANGE-980304111409Z-23655',
      internal_id: null,
      sender: '/o=digital equipment corporation/ou=dublin/cn=recipients/cn=tonyr',
      recipients: '/o=digital equipment corporation/ou=dublin/cn=recipients/cn=exchangeist',
      recipient_count: '1',
      bytes: '2302',
      directionality: '',
      subject: null,
      client_ip: null,
    },
  );
  // the second entry is cut off in the article after its 5th field
  assert.deepEqual(
    p.rejects.map((r) => [r.line, r.reason]),
    [[3, 'field-count']],
  );
});

test('msgtrk55: multi-line entries of events 4, 1000, 7, 0, 9, 10 in both first-line shapes', async () => {
  const p = await parse(join(synthetic, '19980305.log'));
  assert.deepEqual(p.rejects, []);
  assert.deepEqual(
    p.rows.map((r) => [r.line, r.event, r.role, r.recipient_count, r.recipients!.split(';').length]),
    [
      ['1', '4', '1', '2', 2],
      ['4', '1000', '3', '3', 3],
      ['8', '7', '0', '2', 2], // 12 fields: the count is the number of recipient lines
      ['11', '1000', '3', '1', 1],
      ['13', '0', '0', '1', 1],
      ['15', '9', '2', '1', 1],
      ['17', '10', '0', '1', 1],
    ],
  );
  assert.equal(
    p.rows[1]!.recipients,
    '/o=contoso/ou=dublin/cn=recipients/cn=emilyc;/o=contoso/ou=dublin/cn=recipients/cn=andrewl;/o=contoso/ou=dublin/cn=recipients/cn=jakep',
  );
  assert.equal(p.rows[3]!.ts, '1998-03-05 10:15:00.000'); // 1998/03/05
  assert.equal(p.rows[4]!.recipients, 'smtp:ben.smith@contoso.test'); // a proxy-address recipient line
  assert.equal(p.rows[0]!.message_id, p.rows[1]!.message_id); // 4 and 1000 of one message share the id
});

test('msgtrk55: orphan recipient lines, bad times and numbers, wrong field counts', async () => {
  const p = await parse(join(synthetic, '19980306.log'));
  assert.deepEqual(
    p.rejects.map((r) => [r.line, r.reason]),
    [
      [1, 'orphan-line'],
      [2, 'bad-time'],
      [3, 'orphan-line'],
      [4, 'bad-number'],
      [5, 'bad-number'],
      [6, 'field-count'],
    ] satisfies [number, RejectReason][],
  );
  assert.match(p.rejects[2]!.detail!, /entry at line 2, which was rejected/);
  assert.deepEqual(
    p.rows.map((r) => [r.line, r.event, r.recipients]),
    [['7', '9', '/o=contoso/ou=dublin/cn=recipients/cn=bens']],
  );
});

test('msgtrk55: pending() names the first line of the entry being collected; a resume there gives the same rows', () => {
  const lines = [
    'id1\t4\t1998.3.5 9:05:01\t\tIS\t\t/o=O/cn=A\t0\t10\t0\t1\t\t2',
    '/o=O/cn=B',
    '/o=O/cn=C',
    'id2\t9\t1998.3.5 9:06:01\t\tIS\t\t/o=O/cn=A\t0\t20\t0\t1\t',
    '\t/o=O/cn=D\t',
  ];
  const offsets: number[] = [];
  let off = 0;
  for (const l of lines) {
    offsets.push(off);
    off += l.length + 1;
  }
  const run = (from: number, stopAfter = lines.length) => {
    const out = new TsvWriter(trackingEvents, 1, false);
    const p = msgtrk55.parser({ file: 't', out: () => out, reject: () => assert.fail('reject'), note: () => {} });
    const pend: ReturnType<NonNullable<typeof p.pending>>[] = [];
    for (let i = from; i <= stopAfter; i++) {
      const b = Buffer.from(lines[i - 1]!);
      p.line(b, 0, b.length, i, offsets[i - 1]!);
      pend.push(p.pending!());
    }
    return { p, out, pend };
  };
  const a = run(1, 3);
  assert.deepEqual(a.pend, [
    { line: 1, offset: 0 },
    { line: 1, offset: 0 },
    { line: 1, offset: 0 },
  ]);
  assert.equal(a.out.rows, 0); // nothing final yet
  assert.equal(a.p.state(), null);
  const b = run(1, 4);
  assert.deepEqual(b.pend[3], { line: 4, offset: offsets[3] });
  assert.equal(b.out.rows, 1);
  // resume at the pending entry's first line, as the pipeline does
  const resumed = run(4);
  resumed.p.end();
  const whole = run(1);
  whole.p.end();
  assert.equal(whole.p.pending!(), undefined);
  const rowsBefore = parseTsv(b.out.take(), false);
  assert.deepEqual([...rowsBefore, ...parseTsv(resumed.out.take(), false)], parseTsv(whole.out.take(), false));
});
