// Rolling a batch back to a mark (a file that failed half-way): nothing it wrote is sent, also when
// a batch was flushed in between, and what came before the mark is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher } from './batcher.js';
import type { Batch, Store } from '../store/types.js';
import { parseTsv } from '../schema/tsv.js';

function fakeStore(): { store: Store; batches: Batch[] } {
  const batches: Batch[] = [];
  const store = {
    capabilities: { tsvBackslashEscapes: false, transactions: true },
    appendBatch: async (b: Batch) => {
      batches.push(b);
    },
  } as unknown as Store;
  return { store, batches };
}

function row(b: Batcher, fileId: number, line: number): void {
  const w = b.writer('tracking', fileId);
  w.begin(line);
  w.text('2024-03-04 10:00:00.000');
  w.text('EX01');
  w.text('DELIVER');
  w.text('STOREDRIVER');
  w.int(2);
  w.text(`<m${line}@x>`);
  w.text('1');
  w.text('a@x');
  w.text('b@x');
  w.int(1);
  w.int(10);
  w.text('');
  w.text('s');
  w.text('');
  w.end();
}

const lines = (b: Batch) => parseTsv(b.rows.tracking ?? Buffer.alloc(0), false).map((r) => `${r[0]}:${r[1]}`);
const file = (id: number) => ({
  id,
  path: `/f${id}`,
  size: 1,
  fpLen: 1,
  fpHash: 'h',
  format: 'msgtrk',
  offset: 1,
  nextLine: 2,
  seekable: true,
  state: undefined,
  provisionalFrom: null,
  complete: true,
  lines: 1,
  rejects: 0,
});

test('rollback keeps what came before the mark and drops the failed file', async () => {
  const { store, batches } = fakeStore();
  const b = new Batcher(store, 1 << 20);
  row(b, 1, 1);
  b.checkpoint(file(1));
  const mark = b.mark();
  row(b, 2, 1);
  b.reject({ fileId: 2, line: 2, reason: 'binary', detail: '' });
  b.replaceFrom(2, 5);
  b.checkpoint(file(2));
  b.rollback(mark);
  await b.finish();
  assert.deepEqual(batches.map(lines), [['1:1']]);
  assert.deepEqual(
    batches[0]!.files.map((f) => f.id),
    [1],
  );
  assert.deepEqual(batches[0]!.rejects, []);
  assert.deepEqual(batches[0]!.replace, []);
});

test('rollback after a flush in the middle of the failed file drops only what came after that flush', async () => {
  const { store, batches } = fakeStore();
  const b = new Batcher(store, 1 << 20);
  row(b, 1, 1);
  const mark = b.mark();
  row(b, 2, 1);
  b.checkpoint({ ...file(2), complete: false });
  await b.flush(); // a large file's intermediate batch: committed with its checkpoint
  row(b, 2, 2);
  row(b, 2, 3);
  b.checkpoint(file(2));
  b.rollback(mark);
  row(b, 3, 1);
  b.checkpoint(file(3));
  await b.finish();
  assert.deepEqual(batches.map(lines), [['1:1', '2:1'], ['3:1']]);
  assert.deepEqual(
    batches[1]!.files.map((f) => f.id),
    [3],
  );
});
