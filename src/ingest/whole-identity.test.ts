// Files of a format that never grows (.msg: formats/types.ts wholeFileIdentity) are not resumed:
// a cut copy read first, then the complete file under the same name, must give the complete
// file's record — not "grew from N bytes: reading from record 2", which would store nothing
// (found by the calendar-msg fuzz test, formats/fuzz.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from './ingest.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import { repoPath } from '../testing/paths.js';

test('a .msg read cut and then complete: the complete one is read from its start, its record stored once', async () => {
  const full = readFileSync(repoPath('fixtures', 'calendar', 'msg', '00055_IPM.Appointment.msg'));
  const dir = mkdtempSync(join(tmpdir(), 'mxray-whole-id-'));
  const p = join(dir, '00055_IPM.Appointment.msg');
  const store = await DuckdbStore.open(':memory:');
  try {
    writeFileSync(p, full.subarray(0, 3000));
    const cut = await ingest([p], { store, format: 'calendar-msg' });
    assert.equal(cut.events, 0, 'a cut .msg holds no record');
    writeFileSync(p, full);
    const complete = await ingest([p], { store, format: 'calendar-msg' });
    assert.equal(complete.details[0]?.action, 'ingested', complete.details[0]?.why);
    assert.equal(complete.events, 1);
    const again = await ingest([p], { store, format: 'calendar-msg' });
    assert.equal(again.details[0]?.action, 'skipped');
    assert.equal(again.events, 0);
  } finally {
    await store.close();
  }
});
