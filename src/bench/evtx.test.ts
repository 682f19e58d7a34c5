// The bench's renumbered EVTX copies: every live record id moved by the delta, slack left alone,
// the same events and rejects, and each CRC as right (or as wrong) as in the original. The record
// numbers are checked against libevtx's evtxexport (Debian libevtx-utils), whose text output gives
// each record header's number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../testing/paths.js';
import { readEvtx, type RecordInfo } from '../formats/evtx/reader.js';
import { renumberEvtx } from './evtx.js';

const dir = repoPath('fixtures', 'corpus', 'windows_evtx');
const samples = readdirSync(dir).filter((f) => f.endsWith('.evtx'));
const DELTA = 1_000_000;

function read(buf: Buffer) {
  const recs: RecordInfo[] = [];
  let rejects = 0;
  const r = readEvtx(buf, {
    event: (_ev, rec) => recs.push(rec),
    reject: () => rejects++,
  });
  return { recs, rejects, r };
}

/** the record numbers evtxexport prints (mode items: the live records) */
function numbers(file: string): number[] {
  const r = spawnSync('evtxexport', ['-m', 'items', file], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
  assert.equal(r.error, undefined, `evtxexport (Debian package libevtx-utils) must be installed: ${r.error?.message}`);
  return [...r.stdout.matchAll(/^Event number\s*: (\d+)$/gm)].map((m) => Number(m[1]));
}

test('renumbered copies: live record ids moved, the same events, rejects and CRC verdicts', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'mxray-evtxbench-'));
  try {
    let moved = 0;
    let theirsLive = 0;
    for (const f of samples) {
      const orig = readFileSync(join(dir, f));
      const copy = renumberEvtx(orig, BigInt(DELTA));
      assert.notDeepEqual(copy, orig, f);
      const a = read(orig);
      const b = read(copy);
      assert.equal(b.recs.length, a.recs.length, `${f}: events`);
      assert.equal(b.rejects, a.rejects, `${f}: rejects`);
      assert.equal(b.r.header.crc, a.r.header.crc, `${f}: file header CRC`);
      assert.equal(b.r.header.nextRecordId, a.r.header.nextRecordId + DELTA, `${f}: next record id`);
      assert.deepEqual(
        b.r.chunks.map((c) => [c.status, c.headerCrc, c.dataCrc]),
        a.r.chunks.map((c) => [c.status, c.headerCrc, c.dataCrc]),
        `${f}: chunk CRC verdicts`,
      );
      for (let i = 0; i < a.recs.length; i++) {
        const x = a.recs[i]!;
        const y = b.recs[i]!;
        assert.equal(y.recovered, x.recovered, `${f}: record ${i}`);
        // the slack's older records keep their ids (their Binary XML holds the same id)
        assert.equal(y.recordId, x.recordId + (x.recovered && y.recordId === x.recordId ? 0 : DELTA), `${f}: record ${x.recordId}`);
        if (!x.recovered) moved++;
      }
      const p = join(tmp, f);
      writeFileSync(p, copy);
      const theirs = numbers(join(dir, f));
      assert.ok(theirs.length > 0, f);
      theirsLive += theirs.length;
      assert.deepEqual(
        numbers(p),
        theirs.map((n) => n + DELTA),
        `${f}: evtxexport's record numbers`,
      );
    }
    // as many renumbered as evtxexport has live records
    assert.equal(moved, theirsLive);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
