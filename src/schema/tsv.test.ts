// The row writer's fast paths give exactly the bytes of its plain path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TsvWriter, parseTsv } from './tsv.js';
import type { RecordTable } from './tables.js';

const table: RecordTable = {
  name: 't',
  doc: '',
  columns: [
    { name: 'file_id', type: 'int', doc: '' },
    { name: 'line', type: 'int', doc: '' },
    { name: 'a', type: 'text', doc: '' },
    { name: 'b', type: 'text', lower: true, doc: '' },
  ],
};

/** a small deterministic PRNG */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const alphabet = ['a', 'Z', '0', ' ', '&', '=', '%', '\t', '\r', '\n', '\\', '"', 'é', 'İ', '€', '-'];

function values(n: number, seed: number): Buffer[] {
  const r = rng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const len = Math.floor(r() * (r() < 0.2 ? 300 : 45));
    let s = '';
    // most values without the bytes the writer rewrites, like real log fields
    const clean = r() < 0.6;
    for (let k = 0; k < len; k++) s += clean ? alphabet[Math.floor(r() * 7)] : alphabet[Math.floor(r() * alphabet.length)];
    out.push(Buffer.from(s, 'utf8'));
  }
  return out;
}

test('raw() and bytesCut() write what bytes() writes (both escape modes, lowered columns too)', () => {
  for (const escapes of [false, true]) {
    const vals = values(600, escapes ? 7 : 3);
    const slow = new TsvWriter(table, 1, escapes, 64);
    const fast = new TsvWriter(table, 1, escapes, 64);
    vals.forEach((v, i) => {
      const w = vals[(i + 1) % vals.length]!;
      // the two values inside one buffer with other bytes around them
      const buf = Buffer.concat([Buffer.from('x\t'), v, Buffer.from('\ty'), w]);
      const vs = 2,
        ve = 2 + v.length,
        ws = ve + 2,
        we = ws + w.length;
      slow.begin(i + 1);
      slow.bytes(buf, vs, ve);
      slow.bytes(buf, ws, we);
      slow.end();
      fast.begin(i + 1);
      if (fast.plain(buf, vs, ve)) fast.raw(buf, vs, ve);
      else fast.bytes(buf, vs, ve);
      if (fast.plain(buf, ws, we)) fast.raw(buf, ws, we);
      else fast.bytes(buf, ws, we);
      fast.end();
      assert.equal(fast.plain(buf, vs, ve), !/[\t\r\n]/.test(v.toString()) && !(escapes && v.includes(0x5c)));
    });
    assert.deepEqual(fast.take(), slow.take());

    // a value with a part left out: the same as bytes() of the value without it
    vals.forEach((v, i) => {
      const cutS = Math.floor(v.length / 3),
        cutE = Math.floor((2 * v.length) / 3);
      const joined = Buffer.concat([v.subarray(0, cutS), v.subarray(cutE)]);
      for (const col of [0, 1]) {
        // column a, then the lowered column b
        slow.begin(i);
        if (col) slow.nul();
        slow.bytes(joined, 0, joined.length);
        if (!col) slow.nul();
        slow.end();
        fast.begin(i);
        if (col) fast.nul();
        fast.bytesCut(v, 0, cutS, cutE, v.length, fast.plain(v, 0, v.length));
        if (!col) fast.nul();
        fast.end();
      }
    });
    const a = fast.take(),
      b = slow.take();
    assert.deepEqual(a, b);
    assert.equal(parseTsv(a, escapes).length, 2 * vals.length);
  }
});

test('take() hands over a buffer of its own: later rows do not change rows taken before', () => {
  const w = new TsvWriter(table, 1, false, 64);
  const row = (line: number, text: string) => {
    w.begin(line);
    w.text(text);
    w.text(text);
    w.end();
  };
  row(1, 'first');
  const first = w.take();
  const copy = Buffer.from(first);
  row(2, 'second-and-longer');
  const second = w.take();
  assert.deepEqual(first, copy);
  assert.equal(parseTsv(second, false).length, 1);
  assert.equal(parseTsv(second, false)[0]![2], 'second-and-longer');
});
