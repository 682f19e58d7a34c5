// Monitoring Plugins ranges: the guidelines' table of examples, each value on both sides of each
// bound, and the errors a mistyped range gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alerts, parseRange, RangeSyntaxError } from './range.js';

// [range, value, alerts?] — from the Monitoring Plugins development guidelines' examples
const cases: [string, number, boolean][] = [
  ['10', -0.001, true],
  ['10', 0, false],
  ['10', 10, false],
  ['10', 10.001, true],
  ['10:', 9.999, true],
  ['10:', 10, false],
  ['10:', 1e9, false],
  ['~:10', -1e9, false],
  ['~:10', 10, false],
  ['~:10', 10.5, true],
  ['10:20', 9, true],
  ['10:20', 10, false],
  ['10:20', 20, false],
  ['10:20', 21, true],
  ['@10:20', 9, false],
  ['@10:20', 10, true],
  ['@10:20', 15, true],
  ['@10:20', 20, true],
  ['@10:20', 20.1, false],
  ['0.5', 0.6, true],
  ['0.5', 0.4, false],
  ['@~:0', -1, true],
  ['@~:0', 1, false],
];

test('ranges alert as the Monitoring Plugins guidelines say', () => {
  for (const [text, value, want] of cases) assert.equal(alerts(parseRange(text), value), want, `${text} with ${value}`);
});

test('the parsed bounds', () => {
  assert.deepEqual(parseRange('10'), { text: '10', start: 0, end: 10, inside: false });
  assert.deepEqual(parseRange('~:10'), { text: '~:10', start: -Infinity, end: 10, inside: false });
  assert.deepEqual(parseRange('@1.5:'), { text: '@1.5:', start: 1.5, end: Infinity, inside: true });
});

test('a bad range says what is wrong with it', () => {
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['@', /nothing after "@"/],
    ['abc', /the end "abc" is not a number/],
    ['x:10', /the start "x" is not a number/],
    ['10:y', /the end "y" is not a number/],
    [':10', /nothing before ":" \(use ~ for no lower bound, e.g. ~:10\)/],
    ['20:10', /the start 20 is greater than the end 10/],
    ['1:2:3', /more than one ":"/],
    ['10s', /"10s" is not a number/],
  ];
  for (const [text, message] of bad)
    assert.throws(
      () => parseRange(text),
      (e: Error) => e instanceof RangeSyntaxError && message.test(e.message),
      text,
    );
});
