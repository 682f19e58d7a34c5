// Batch ids appended to TsvWriter rows: one id per file, a second for its provisional rows, the lines
// each id covers, and the rows otherwise untouched. No server needed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newBatchId, tagRows } from './batches.js';

describe('batch ids on TSV rows', () => {
  it('appends one id per file, a second one from its provisional line on', () => {
    const rows = ['7\t1\ta\\tb\t\\N', '7\t2\tx', '9\t5\ty', '7\t3\tz', '9\t6\tw', '9\t7\tv'].map((r) => r + '\n').join('');
    let next = 100;
    const t = tagRows(
      Buffer.from(rows),
      (f) => (f === 9 ? 6 : null),
      () => next++,
    );
    assert.equal(
      t.body.toString(),
      ['7\t1\ta\\tb\t\\N\t100', '7\t2\tx\t100', '9\t5\ty\t101', '7\t3\tz\t100', '9\t6\tw\t102', '9\t7\tv\t102'].map((r) => r + '\n').join(''),
    );
    assert.deepEqual(t.parts, [
      { fileId: 7, id: 100, first: 1, last: 3, rows: 3 },
      { fileId: 9, id: 101, first: 5, last: 5, rows: 1 },
      { fileId: 9, id: 102, first: 6, last: 7, rows: 2 },
    ]);
  });

  it('gives only a provisional part when every row is provisional, nothing for no rows', () => {
    const t = tagRows(
      Buffer.from('3\t10\ta\n3\t11\tb\n'),
      () => 10,
      () => 42,
    );
    assert.deepEqual(t.parts, [{ fileId: 3, id: 42, first: 10, last: 11, rows: 2 }]);
    assert.deepEqual(tagRows(Buffer.alloc(0), () => null).parts, []);
  });

  it('never repeats an id within a call, and ids are safe non-zero numbers', () => {
    const ids = [5, 5, 5, 6];
    const t = tagRows(
      Buffer.from('1\t1\ta\n2\t1\tb\n'),
      () => null,
      () => ids.shift()!,
    );
    assert.deepEqual(
      t.parts.map((p) => p.id),
      [5, 6],
    );
    for (let i = 0; i < 1000; i++) {
      const id = newBatchId();
      assert.ok(Number.isSafeInteger(id) && id > 0);
    }
  });

  it('refuses rows it cannot read', () => {
    assert.throws(() => tagRows(Buffer.from('1\t1\ta'), () => null), /end with a line feed/);
    assert.throws(() => tagRows(Buffer.from('x\t1\ta\n'), () => null), /file_id column is not a number/);
    assert.throws(() => tagRows(Buffer.from('1\n'), () => null), /without a line column/);
  });
});
