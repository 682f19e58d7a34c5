import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden, parseWith, type Parsed } from '../../testing/formats.js';
import { repoPath } from '../../testing/paths.js';
import type { RejectReason } from '../types.js';
import { msgtrk2003 } from './msgtrk2003.js';

const corpus = repoPath('fixtures', 'corpus', 'exchange_msgtrk_2000_2003');
const synthetic = repoPath('fixtures', 'tracking', 'msgtrk2003');
const golden = (file: string) => file.replace(/\.[^./]+$/, '.expected.json');
const parsed = new Map<string, Parsed>();
async function parse(path: string): Promise<Parsed> {
  if (!parsed.has(path)) parsed.set(path, await parseWith(msgtrk2003, path));
  return parsed.get(path)!;
}

for (const dir of [corpus, synthetic]) {
  for (const name of readdirSync(dir).filter((n) => !n.endsWith('.expected.json'))) {
    test(`msgtrk2003 golden: ${name}`, async () => {
      assertGolden(golden(join(dir, name)), await parse(join(dir, name)));
    });
  }
}

test('msgtrk2003: the real wallix lines (no header, 21 fields, GMT suffix)', async () => {
  const p = await parse(join(corpus, 'wallix-pylogsparser__MSExchange2003MessageTracking_xml_and_test_log_samples.log'));
  assert.deepEqual(p.rejects, []);
  assert.equal(p.rows.length, 2);
  const [submit, smtp] = p.rows;
  assert.deepEqual(
    { ...submit },
    {
      line: '1',
      ts: '2012-11-29 10:41:58.000',
      server: 'EXCHANGE',
      event: '1027',
      source: '',
      role: '1',
      message_id: 'c=FR;a= ;p=Q-Ass;l=EXCHANGE-121129104157Z-1',
      internal_id: '2E5AC9438EBEC04AA767178D6846D5923A05@exchange.q-ass.lan',
      sender: "ex:/o=q-ass/ou=premier groupe d'administration/cn=recipients/cn=mhuin",
      recipients: 'mhu@wallix.com',
      recipient_count: '1',
      bytes: '288',
      directionality: '',
      subject: '',
      client_ip: '',
    },
  );
  assert.equal(smtp!.event, '1019');
  assert.equal(smtp!.role, '0');
  assert.equal(smtp!.message_id, '353399610.5513.1354185742534.JavaMail.root@zimbra.ifr.lan'); // Linked-MSGID is '-'
  assert.equal(smtp!.client_ip, '10.10.40.254');
  assert.equal(p.notes.length, 1);
  assert.match(p.notes[0]!, /^lines have 21 fields \(first at line 1\)/);
});

test('msgtrk2003: header-mapped file, roles 1027/1028, `-` is empty, each reject reason', async () => {
  const p = await parse(join(synthetic, '20050115.log'));
  assert.deepEqual(
    p.rows.map((r) => [r.line, r.event, r.role]),
    [
      ['4', '1027', '1'],
      ['5', '1027', '1'],
      ['6', '1033', '0'],
      ['7', '1028', '2'],
      ['8', '1020', '0'],
      ['9', '1031', '0'],
      ['10', '1019', '0'],
      ['11', '1028', '2'],
      ['12', '1030', '0'],
    ],
  );
  const ndr = p.rows[8]!;
  assert.equal(ndr.message_id, '~1:12'); // neither Linked-MSGID nor MSGID
  assert.equal(ndr.sender, '');
  assert.equal(ndr.bytes, '0');
  assert.equal(p.rows[6]!.ts, '2005-01-15 10:42:15.000'); // no GMT suffix
  assert.equal(p.rows[6]!.subject, '');
  assert.deepEqual(
    p.rejects.map((r) => [r.line, r.reason]),
    [
      [13, 'bad-time'],
      [14, 'bad-number'],
      [15, 'field-count'],
    ] satisfies [number, RejectReason][],
  );
});
