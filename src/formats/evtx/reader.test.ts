// The EVTX reader against an independent one: libevtx's evtxexport (Debian libevtx-utils), run
// here on every real sample. Record counts (live and recovered), and per record its EventID and
// every EventData insertion string (value and Name) must be the same. Then hostile input: truncated
// files, zeroed chunks, random mutations — no crash, no hang, every bad record a counted reject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { repoPath } from '../../testing/paths.js';
import { readEvtx, CHUNK_SIZE, HEADER_SIZE, type RecordInfo } from './reader.js';
import type { EvtxEvent } from './event.js';

const dir = repoPath('fixtures', 'corpus', 'windows_evtx');
const samples = readdirSync(dir).filter((f) => f.endsWith('.evtx'));

interface Theirs {
  eventId: string;
  names: string[];
  values: string[];
}

const xmlText = (s: string) => s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!);

/** evtxexport's XML of the file, in mode items / recovered: record id -> event */
function evtxexport(file: string, mode: 'items' | 'recovered'): Map<number, Theirs> {
  const r = spawnSync('evtxexport', ['-f', 'xml', '-m', mode, file], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
  assert.equal(r.error, undefined, `evtxexport (Debian package libevtx-utils) must be installed: ${r.error?.message}`);
  const out = new Map<number, Theirs>();
  for (const block of r.stdout.split('<Event xmlns').slice(1)) {
    const id = Number(/<EventRecordID>(\d+)</.exec(block)?.[1]);
    const eventId = /<EventID[^>]*>(\d+)</.exec(block)?.[1] ?? '';
    const names: string[] = [];
    const values: string[] = [];
    const data = /<EventData>([\s\S]*?)<\/EventData>/.exec(block)?.[1] ?? '';
    for (const m of data.matchAll(/<Data(?: Name="([^"]*)")?(?:\/>|>([\s\S]*?)<\/Data>)/g)) {
      names.push(xmlText(m[1] ?? ''));
      values.push(xmlText(m[2] ?? ''));
    }
    out.set(id, { eventId, names, values });
  }
  return out;
}

/** libevtx prints a value of white space only as empty: record 441 of Application_no_crc32 has
 *  the value "\n" (python-evtx reads it so too), evtxexport prints an empty Data element */
const libevtxText = (s: string) => (/^\s+$/.test(s) ? '' : s);

function ours(file: Buffer) {
  const live = new Map<number, EvtxEvent>();
  const recovered = new Map<number, EvtxEvent>();
  const rejects: { rec: RecordInfo; detail: string }[] = [];
  const read = readEvtx(file, {
    event: (ev, rec) => (rec.recovered ? recovered : live).set(Number(ev.eventRecordId), ev),
    reject: (rec, detail) => rejects.push({ rec, detail }),
  });
  return { live, recovered, rejects, read };
}

for (const name of samples) {
  test(`evtx ${name}: the same records, EventIDs and insertion strings as evtxexport`, () => {
    const path = join(dir, name);
    const mine = ours(readFileSync(path));
    const items = evtxexport(path, 'items');
    const rec = evtxexport(path, 'recovered');
    assert.equal(mine.live.size, items.size, 'records');
    assert.ok(items.size > 0);
    assert.ok(mine.recovered.size >= rec.size, `recovered: ${mine.recovered.size} < evtxexport's ${rec.size}`);
    let strings = 0;
    for (const [theirs, mineOf] of [
      [items, mine.live],
      [rec, mine.recovered],
    ] as const) {
      for (const [id, t] of theirs) {
        const m = mineOf.get(id);
        assert.ok(m, `record ${id} not read`);
        assert.equal(m.eventId, t.eventId, `record ${id} EventID`);
        assert.deepEqual(m.dataNames, t.names, `record ${id} Data names`);
        assert.deepEqual(m.dataValues.map(libevtxText), t.values, `record ${id} insertion strings`);
        strings += t.values.length;
      }
    }
    // the comparison compared something: every sample has insertion strings
    assert.ok(strings > 0);
  });
}

test('evtx sample_with_a_bad_chunk_magic: broken records are rejects with chunk and record, the rest is read', () => {
  const mine = ours(readFileSync(join(dir, 'sample_with_a_bad_chunk_magic.evtx')));
  assert.deepEqual(
    mine.rejects.map((r) => r.rec.chunk),
    [0, 7, 9],
  );
  assert.match(mine.rejects[1]!.detail, /^chunk 7 record at offset 7784: the record header is broken .*reading on at offset 25040/);
  assert.equal(mine.read.header.dirty, true);
  assert.equal(mine.read.chunks.filter((c) => c.status === 'empty').length, 12);
});

test('evtx Application_no_crc32: zero CRCs are accepted and said', () => {
  const mine = ours(readFileSync(join(dir, 'Application_no_crc32.evtx')));
  assert.equal(mine.read.chunks[0]!.headerCrc, 'zero');
  assert.equal(mine.read.chunks[0]!.dataCrc, 'zero');
  assert.equal(mine.live.size, 17);
  assert.equal(mine.rejects.length, 0);
});

// ---- hostile input ------------------------------------------------------------------------------

const security = readFileSync(join(dir, 'Security_short_selected.evtx'));
const sysmon = readFileSync(join(dir, 'sysmon.evtx'));

test('evtx truncated anywhere: the records before the cut are read, a record cut short is a truncated reject', () => {
  const whole = ours(sysmon);
  for (let cut = HEADER_SIZE + 600; cut < HEADER_SIZE + 3 * CHUNK_SIZE; cut += 4099) {
    const mine = ours(sysmon.subarray(0, cut));
    const all = [...mine.live.keys()];
    // every record read is the same as in the whole file
    for (const id of all) assert.deepEqual(mine.live.get(id), whole.live.get(id));
    assert.ok(mine.rejects.length <= 1, `cut at ${cut}: ${mine.rejects.map((r) => r.detail).join('; ')}`);
    for (const r of mine.rejects) assert.match(r.detail, /the file ends inside the record|header is broken/);
  }
});

test('evtx zeroed chunks: skipped as empty, the other chunks read whole', () => {
  const file = Buffer.from(sysmon);
  file.fill(0, HEADER_SIZE + CHUNK_SIZE, HEADER_SIZE + 3 * CHUNK_SIZE);
  const mine = ours(file);
  const whole = ours(sysmon);
  assert.equal(mine.read.chunks[1]!.status, 'empty');
  assert.equal(mine.live.size, whole.live.size - whole.read.chunks[1]!.records - whole.read.chunks[2]!.records);
  assert.equal(mine.rejects.length, 0);
  // a chunk whose signature is spoilt is skipped, and said
  file.write('ElfJunk', HEADER_SIZE + 4 * CHUNK_SIZE, 'latin1');
  assert.equal(ours(file).read.chunks[4]!.status, 'bad-signature');
});

test('evtx random mutations: no crash, no hang, every record an event or a counted reject', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat({ max: security.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 40 }), (edits) => {
      const file = Buffer.from(security);
      for (const [at, v] of edits) if (at >= 8) file[at] = v;
      const started = Date.now();
      const mine = ours(file);
      assert.ok(Date.now() - started < 2000, 'reading one mutated 68 KiB file took over 2 s');
      const chunk = mine.read.chunks[0]!;
      if (chunk.status === 'ok') assert.equal(mine.live.size + mine.rejects.length, chunk.records + mine.rejects.filter((r) => r.rec.recovered).length);
    }),
    { numRuns: 300, seed: 21 },
  );
});
