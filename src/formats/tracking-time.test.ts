import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TS_BYTES, dateAndTimeTs, dottedTs, isoTs, putTsOffset } from './tracking-time.js';

const dst = Buffer.alloc(TS_BYTES);
const conv = (fn: (b: Buffer, s: number, e: number, d: Buffer) => boolean, text: string) => {
  const b = Buffer.from(`xx${text}yy`); // the value sits inside a larger buffer, as in a line
  return fn(b, 2, 2 + Buffer.byteLength(text), dst) ? dst.toString('latin1') : undefined;
};

test('isoTs: the Exchange 2007+ shape and its variants', () => {
  assert.equal(conv(isoTs, '2022-09-19T15:02:29.339Z'), '2022-09-19 15:02:29.339');
  assert.equal(conv(isoTs, '2022-09-19T15:02:29Z'), '2022-09-19 15:02:29.000');
  assert.equal(conv(isoTs, '2022-09-19T15:02:29.3Z'), '2022-09-19 15:02:29.300');
  assert.equal(conv(isoTs, '2022-09-19T15:02:29.1234567Z'), '2022-09-19 15:02:29.123');
  assert.equal(conv(isoTs, '2022-09-19 15:02:29.339'), '2022-09-19 15:02:29.339');
  assert.equal(conv(isoTs, '2024-01-01T01:30:00+02:00'), '2023-12-31 23:30:00.000');
  assert.equal(conv(isoTs, '2024-02-29T23:30:00-0100'), '2024-03-01 00:30:00.000');
  assert.equal(conv(isoTs, '0099-01-01T00:00:00.000Z'), '0099-01-01 00:00:00.000');
  assert.equal(conv(isoTs, '0099-01-01T00:30:00+01:00'), '0098-12-31 23:30:00.000');
});

test('isoTs: refuses what is not a time', () => {
  for (const bad of [
    '2022-02-29T00:00:00.000Z',
    '2022-13-01T00:00:00.000Z',
    '2022-09-19T24:00:00.000Z',
    '2022-09-19T15:60:00.000Z',
    '2022-09-19T15:02:60.000Z',
    '2022-09-19T15:02:2x.339Z',
    '2022-09-19T15:02:29.33xZ',
    '2022-09-19T15:02:29.339X',
    '20x2-09-19T15:02:29.339Z',
    '2022-09-19',
    '',
    'yesterday',
    '2022-09-19T15:02:29.339Zjunk',
    '2022-09-19T15:02:29.Z',
    '2022-9-19T15:02:29.339Z',
  ]) {
    assert.equal(conv(isoTs, bad), undefined, bad);
  }
  assert.equal(conv(isoTs, '2000-02-29T00:00:00.000Z'), '2000-02-29 00:00:00.000');
  assert.equal(conv(isoTs, '1900-02-29T00:00:00.000Z'), undefined);
});

test('dateAndTimeTs: Exchange 2000/2003 Date + Time', () => {
  const b = Buffer.from('2012-11-29\t10:41:58 GMT');
  assert.ok(dateAndTimeTs(b, 0, 10, 11, b.length, dst));
  assert.equal(dst.toString('latin1'), '2012-11-29 10:41:58.000');
  const c = Buffer.from('2005-1-5\t9:05:00');
  assert.ok(dateAndTimeTs(c, 0, 8, 9, c.length, dst));
  assert.equal(dst.toString('latin1'), '2005-01-05 09:05:00.000');
  const d = Buffer.from('2005-1-5\t9:05:00 CET');
  assert.ok(!dateAndTimeTs(d, 0, 8, 9, d.length, dst));
});

test('dottedTs: Exchange 5.5 date/time', () => {
  assert.equal(conv(dottedTs, '1998.3.4 11:14:10'), '1998-03-04 11:14:10.000');
  assert.equal(conv(dottedTs, '1998/03/04 09:05:00'), '1998-03-04 09:05:00.000');
  assert.equal(conv(dottedTs, '1998-3-4 9:05:00'), '1998-03-04 09:05:00.000');
  assert.equal(conv(dottedTs, '1998.3/4 9:05:00'), undefined);
  assert.equal(conv(dottedTs, '1998.2.30 9:05:00'), undefined);
});

test('putTsOffset: converts to UTC across a day, month and year boundary', () => {
  assert.ok(putTsOffset(dst, 2024, 1, 1, 0, 15, 0, 5, 60));
  assert.equal(dst.toString('latin1'), '2023-12-31 23:15:00.005');
});
