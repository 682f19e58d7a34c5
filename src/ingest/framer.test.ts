// The framer on the bad inputs of real life: every case must hand out the good lines, count the bad
// ones with their line numbers, and never hold an over-long line in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { frameFile, type FrameOptions } from './framer.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-framer-'));
let n = 0;
function file(content: Buffer | string): string {
  const p = join(dir, `f${++n}.log`);
  writeFileSync(p, content);
  return p;
}

async function frame(path: string, opts: FrameOptions = {}) {
  const lines: { n: number; text: string; offset: number }[] = [];
  const rejects: { line: number; reason: string }[] = [];
  const notes: string[] = [];
  const result = await frameFile(
    path,
    {
      line: (b, s, e, ln, off) => lines.push({ n: ln, text: b.toString('utf8', s, e), offset: off }),
      reject: (line, reason) => rejects.push({ line, reason }),
      note: (m) => notes.push(m),
    },
    opts,
  );
  return { lines, rejects, notes, result };
}

test('CRLF and LF lines, blank lines skipped, numbers and byte offsets exact', async () => {
  const p = file('a,b\r\n\r\nc\nd\r\n');
  const { lines, result } = await frame(p);
  assert.deepEqual(lines, [
    { n: 1, text: 'a,b', offset: 0 },
    { n: 3, text: 'c', offset: 7 },
    { n: 4, text: 'd', offset: 9 },
  ]);
  assert.deepEqual(result.end, { offset: 12, nextLine: 5 });
  assert.equal(result.unterminatedTail, undefined);
});

test('UTF-8 BOM is skipped; offsets stay source offsets', async () => {
  const p = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('#Fields: x\nvalué\n')]));
  const { lines, result } = await frame(p);
  assert.equal(result.encoding, 'utf-8-bom');
  assert.deepEqual(
    lines.map((l) => [l.text, l.offset]),
    [
      ['#Fields: x', 3],
      ['valué', 14],
    ],
  );
  assert.equal(result.end.offset, 14 + Buffer.byteLength('valué\n'));
});

test('UTF-16LE with BOM (Export-Csv -Encoding Unicode) and without BOM', async () => {
  const text = '#TYPE x\r\n"Timestamp","EventId"\r\n"2024-01-01","DELIVER ü"\r\n';
  for (const body of [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), Buffer.from(text, 'utf16le')]) {
    const { lines, result } = await frame(file(body));
    assert.equal(result.encoding, 'utf-16le');
    assert.equal(result.seekable, false);
    assert.deepEqual(
      lines.map((l) => l.text),
      ['#TYPE x', '"Timestamp","EventId"', '"2024-01-01","DELIVER ü"'],
    );
  }
});

test('gzip is decompressed', async () => {
  const { lines, result } = await frame(file(gzipSync('one\ntwo\n')));
  assert.equal(result.gzip, true);
  assert.deepEqual(
    lines.map((l) => l.text),
    ['one', 'two'],
  );
});

test('binary garbage is rejected line by line, the rest is read', async () => {
  const p = file(Buffer.concat([Buffer.from('good 1\n'), Buffer.from([0, 1, 2, 0xff, 0, 10]), Buffer.from('good 3\n')]));
  const { lines, rejects } = await frame(p);
  assert.deepEqual(
    lines.map((l) => l.text),
    ['good 1', 'good 3'],
  );
  assert.deepEqual(rejects, [{ line: 2, reason: 'binary' }]);
});

test('invalid UTF-8 (a Windows-1252 line) is read as Windows-1252 and noted', async () => {
  const p = file(Buffer.concat([Buffer.from('ok\n'), Buffer.from('Ren\xe9 M\xfcller\n', 'latin1')]));
  const { lines, notes } = await frame(p);
  assert.deepEqual(
    lines.map((l) => l.text),
    ['ok', 'René Müller'],
  );
  assert.match(notes.join(), /1 line\(s\) were not valid UTF-8/);
});

test('a 1 MB line is rejected without stopping the file, in any chunking', async () => {
  const long = 'x'.repeat(1_100_000);
  for (const chunkBytes of [4 << 20, 64 * 1024, 1000]) {
    const { lines, rejects, result } = await frame(file(`first\n${long}\nlast\n`), { chunkBytes, maxLineBytes: 1 << 20 });
    assert.deepEqual(
      lines.map((l) => [l.n, l.text]),
      [
        [1, 'first'],
        [3, 'last'],
      ],
      `chunk ${chunkBytes}`,
    );
    assert.deepEqual(rejects, [{ line: 2, reason: 'too-long' }]);
    assert.equal(lines[1]!.offset, 6 + long.length + 1);
    assert.equal(result.end.offset, 6 + long.length + 1 + 5);
  }
});

test('an unterminated last line is read and reported as such', async () => {
  const { lines, result } = await frame(file('a\nb\npartial'));
  assert.deepEqual(
    lines.map((l) => l.text),
    ['a', 'b', 'partial'],
  );
  assert.deepEqual(result.unterminatedTail, { offset: 4, nextLine: 3 });
});

test('resume at a byte offset and line, and by line for a compressed file', async () => {
  const p = file('l1\nl2\nl3\nl4\n');
  const { lines } = await frame(p, { from: { offset: 6, nextLine: 3 } });
  assert.deepEqual(
    lines.map((l) => [l.n, l.text]),
    [
      [3, 'l3'],
      [4, 'l4'],
    ],
  );
  const g = file(gzipSync('l1\nl2\nl3\nl4\n'));
  const r = await frame(g, { from: { offset: 999, nextLine: 3 } });
  assert.deepEqual(
    r.lines.map((l) => [l.n, l.text]),
    [
      [3, 'l3'],
      [4, 'l4'],
    ],
  );
});

test('lines split across small chunks come out whole', async () => {
  const text = Array.from({ length: 500 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}`).join('\r\n') + '\r\n';
  const { lines, result } = await frame(file(text), { chunkBytes: 37 });
  assert.equal(lines.length, 500);
  assert.equal(lines[499]!.text, `line 499 ${'é'.repeat(499 % 7)}`);
  assert.equal(result.end.offset, Buffer.byteLength(text));
  for (const l of lines) assert.equal(Buffer.from(text).toString('utf8', l.offset, l.offset + Buffer.byteLength(l.text)), l.text);
});

test('an empty file gives no lines', async () => {
  const { lines, result } = await frame(file(''));
  assert.equal(lines.length, 0);
  assert.equal(result.lines, 0);
});
