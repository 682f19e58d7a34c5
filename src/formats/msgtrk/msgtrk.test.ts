import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertGolden, parseWith, type Parsed } from '../../testing/formats.js';
import { repoPath } from '../../testing/paths.js';
import { TsvWriter, parseTsv } from '../../schema/tsv.js';
import { trackingEvents } from '../../schema/tables.js';
import type { RejectReason } from '../types.js';
import { msgtrk } from './msgtrk.js';

const dirs = [
  repoPath('fixtures', 'corpus', 'exchange_msgtrk_2007plus'),
  repoPath('fixtures', 'tracking', 'msgtrk'),
  // other Exchange CSV logs forced through msgtrk: they must be refused line by line, with reasons
  repoPath('fixtures', 'corpus', 'exchange_other_logs'),
];

const golden = (file: string) => file.replace(/\.[^./]+$/, '.expected.json');
const samples = dirs.flatMap((d) =>
  readdirSync(d)
    .filter((n) => !n.endsWith('.expected.json'))
    .map((n) => join(d, n)),
);
const parsed = new Map<string, Parsed>();
async function parse(dir: string, name: string): Promise<Parsed> {
  const path = join(dir, name);
  if (!parsed.has(path)) parsed.set(path, await parseWith(msgtrk, path));
  return parsed.get(path)!;
}

for (const path of samples) {
  test(`msgtrk golden: ${path.slice(repoPath('fixtures').length + 1)}`, async () => {
    const got = await parseWith(msgtrk, path);
    parsed.set(path, got);
    assertGolden(golden(path), got);
  });
}

const corpus = dirs[0]!,
  synthetic = dirs[1]!,
  other = dirs[2]!;

test('msgtrk: every real 2007+ sample parses without a reject', async () => {
  for (const name of readdirSync(corpus).filter((n) => !n.endsWith('.expected.json'))) {
    const p = await parse(corpus, name);
    assert.deepEqual(p.rejects, [], name);
    assert.ok(p.rows.length > 0, name);
  }
});

test('msgtrk: the 2016 sample maps 30 fields by name (RECEIVE/STOREDRIVER is a Submit)', async () => {
  const p = await parse(corpus, 'Qazeer-artefacts.help__microsoft_exchange_md__MSGTRKMS_example.log');
  assert.equal(p.rows.length, 2);
  const [notify, receive] = p.rows;
  assert.equal(notify!.ts, '2022-09-19 15:02:29.339');
  assert.equal(notify!.event, 'NOTIFYMAPI');
  assert.equal(notify!.role, '0');
  assert.equal(notify!.message_id, '~1:6'); // no message-id: file id and line
  assert.equal(notify!.sender, 'user.name1@domain.com');
  assert.deepEqual(
    { ...receive, line: undefined },
    {
      line: undefined,
      ts: '2022-09-19 15:02:29.450',
      server: 'SERVER-HOSTNAME',
      event: 'RECEIVE',
      source: 'STOREDRIVER',
      role: '1',
      message_id: '<XXX@domain.com>',
      internal_id: '438',
      sender: 'user.name1@domain.com',
      recipients: 'user.name4@gmail.com',
      recipient_count: '1',
      bytes: '3750222',
      directionality: 'Originating',
      subject: 'MAIL SUBJECT',
      client_ip: 'fe80::1234:5678:4321:1010',
    },
  );
});

test('msgtrk: the 2007 sample without header is read as the 21-field layout, with a note', async () => {
  const p = await parse(corpus, 'wallix-pylogsparser__MSExchange2007MessageTracking_xml_example.log');
  assert.deepEqual(p.notes, ['no #Fields header: inferred the Exchange 2007 layout from 21 fields']);
  assert.equal(p.rows[0]!.subject, 'Coucou !');
  assert.equal(p.rows[0]!.directionality, ''); // 2007 has none
});

test('msgtrk: quoted commas, doubled quotes, roles of shadow and duplicate events, unknown events kept', async () => {
  const p = await parse(synthetic, 'MSGTRK2024010509-1.LOG');
  assert.deepEqual(p.rejects, []);
  const by = (event: string, source: string) => p.rows.filter((r) => r.event === event && r.source === source);
  assert.equal(by('RECEIVE', 'STOREDRIVER')[0]!.subject, 'Budget, Q1 "final" numbers');
  assert.equal(by('RECEIVE', 'STOREDRIVER')[0]!.role, '1');
  assert.equal(by('RECEIVE', 'SMTP')[0]!.role, '0'); // the second RECEIVE of the same message does not count
  assert.equal(by('HARECEIVE', 'SMTP')[0]!.role, '0');
  assert.equal(by('DUPLICATEDELIVER', 'STOREDRIVER')[0]!.role, '0');
  const delivers = by('DELIVER', 'STOREDRIVER');
  assert.deepEqual(
    delivers.map((r) => r.role),
    ['2', '2'],
  );
  assert.equal(delivers[0]!.recipients, 'andrew.lee@contoso.test;emily.chan@contoso.test');
  assert.equal(delivers[1]!.bytes, '51200'); // leading zeros dropped
  assert.equal(by('RECEIVE', 'SMTP')[1]!.bytes, '0'); // empty total-bytes
  assert.equal(by('RECEIVE', 'SMTP')[1]!.subject, 'Réunion – café \\ compte rendu');
  assert.equal(by('FUTUREEVENT', 'NEWSOURCE').length, 1);
  assert.equal(by('FUTUREEVENT', 'NEWSOURCE')[0]!.ts, '2024-01-05 11:30:00.123');
  assert.equal(by('FAIL', 'QUEUE')[0]!.ts, '2024-01-05 11:00:00.500');
});

test('msgtrk: a bare CSV header and later #Fields lines change the column map', async () => {
  const p = await parse(synthetic, 'MSGTRK2016040508-1.LOG');
  assert.deepEqual(p.rejects, []);
  assert.deepEqual(
    p.rows.map((r) => [r.event, r.role, r.message_id, r.subject]),
    [
      ['RECEIVE', '1', '<old@contoso.test>', '2010, layout'],
      ['DELIVER', '2', '<old@contoso.test>', '2010, layout'],
      ['RECEIVE', '1', '<new@contoso.test>', '2016 layout'],
      ['DELIVER', '2', '<new@contoso.test>', 'reordered columns'],
    ],
  );
  const last = p.rows[3]!;
  assert.equal(last.ts, '2016-04-05 09:00:02.000');
  assert.equal(last.server, 'EX2016');
  assert.equal(last.internal_id, null); // the reordered header has no internal-message-id
  assert.equal(last.directionality, ''); // nor directionality: empty, as the schema documents
});

test('msgtrk: header-less lines of 26, 27 and 30 fields get their generation, noted once', async () => {
  for (const [name, note] of [
    ['cut-2010-26fields.log', 'no #Fields header: inferred the Exchange 2010 layout from 26 fields'],
    ['cut-2013-27fields.log', 'no #Fields header: inferred the Exchange 2013 layout from 27 fields'],
    ['cut-2016-30fields.log', 'no #Fields header: inferred the Exchange 2013 CU+/2016/2019/SE layout from 30 fields'],
  ] as const) {
    const p = await parse(synthetic, name);
    assert.deepEqual(p.notes, [note], name);
    assert.deepEqual(p.rejects, [], name);
  }
  const p = await parse(synthetic, 'cut-2016-30fields.log');
  assert.deepEqual(
    p.rows.map((r) => [r.role, r.subject]),
    [
      ['1', 'cut, 2016'],
      ['2', 'cut, 2016'],
    ],
  );
});

test('msgtrk: the BOM variant of bom8 gives the same rows as the sample without BOM', async () => {
  const withBom = await parse(synthetic, 'bom8-with-bom.log');
  const without = await parse(corpus, 'elastic-beats__filebeat_tests_files_logs_bom8.log');
  assert.deepEqual(
    withBom.rows.map((r) => ({ ...r, message_id: '' })),
    without.rows.map((r) => ({ ...r, message_id: '' })),
  );
  assert.equal(withBom.rows.length, 2);
  assert.deepEqual(withBom.rejects, []);
});

test('msgtrk: each reject reason has a line that triggers it', async () => {
  const p = await parse(synthetic, 'MSGTRK2024010512-1.LOG');
  const reasons = p.rejects.map((r) => [r.line, r.reason]);
  assert.deepEqual(reasons, [
    [1, 'no-header'],
    [8, 'field-count'],
    [9, 'unterminated-quote'],
    [10, 'bad-time'],
    [11, 'bad-time'],
    [12, 'bad-number'],
    [13, 'bad-number'],
    [14, 'binary'],
  ] satisfies [number, RejectReason][]);
  assert.deepEqual(
    p.rows.map((r) => r.line),
    ['7', '15'],
  );
});

test('msgtrk: other Exchange CSV logs (EWS, ECP) are refused with reasons, not misread', async () => {
  for (const name of readdirSync(other).filter((n) => !n.endsWith('.expected.json'))) {
    const p = await parse(other, name);
    assert.equal(p.rows.length, 0, name);
    assert.ok(p.rejects.length > 0, name);
    assert.ok(
      p.notes.some((n) => n.includes('not a message tracking log')),
      name,
    );
  }
});

test('msgtrk: a line longer than 1 MiB is rejected by the framer, the next one parsed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-msgtrk-'));
  try {
    const header = '#Fields: date-time,event-id,source,message-id\n';
    const path = join(dir, 'MSGTRK2024010100-1.LOG');
    writeFileSync(path, `${header}2024-01-01T00:00:00.000Z,SEND,SMTP,"${'x'.repeat((1 << 20) + 10)}"\n2024-01-01T00:00:01.000Z,SEND,SMTP,<a@b>\n`);
    const p = await parseWith(msgtrk, path);
    assert.deepEqual(
      p.rejects.map((r) => [r.line, r.reason]),
      [[2, 'too-long']],
    );
    assert.equal(p.rows.length, 1);
    assert.equal(p.rows[0]!.message_id, '<a@b>');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('msgtrk: state() carries the column map across a resume', () => {
  const lines = [
    '#Fields: event-id,source,date-time,message-id,sender-address',
    'RECEIVE,STOREDRIVER,2024-01-01T00:00:00.000Z,<a@b>,x@y',
    'DELIVER,STOREDRIVER,2024-01-01T00:00:01.000Z,<a@b>,x@y',
  ];
  /** parse lines from..to (1-based), starting from a saved state */
  const run = (from: number, to: number, state?: unknown) => {
    const out = new TsvWriter(trackingEvents, 7, false);
    const p = msgtrk.parser({ file: 't', out: () => out, reject: () => assert.fail('reject'), note: () => {} }, state);
    for (let i = from; i <= to; i++) {
      const b = Buffer.from(lines[i - 1]!);
      p.line(b, 0, b.length, i, 0);
    }
    p.end();
    return { rows: parseTsv(out.take(), false), state: JSON.parse(JSON.stringify(p.state())) as unknown };
  };
  const whole = run(1, 3);
  const first = run(1, 2);
  const rest = run(3, 3, first.state);
  assert.deepEqual([...first.rows, ...rest.rows], whole.rows);
  assert.equal(rest.rows[0]![6], '2'); // role of DELIVER/STOREDRIVER, mapped by the restored header
});
