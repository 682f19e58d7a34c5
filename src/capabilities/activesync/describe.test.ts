import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeColumns, describeJson, describeText } from './describe.js';
import { renderRows } from '../../render/render.js';

const seed = 'V120_Ty:Em_Fid:37_Fc1_Filt2_St:S_Sk:1805_Srv:1a0c0d0s0e0r_Pk2260121383_S1_';

test('JSON form: [{key, value, name, meaning}] without parts', () => {
  const json = describeJson(seed);
  assert.equal(json.length, 10);
  assert.deepEqual(json[4], { key: 'Filt', value: '2', name: 'Filter Type', meaning: '3 days back' });
  assert.deepEqual(Object.keys(json[7]!), ['key', 'value', 'name', 'meaning']);
});

test('table form: header, rule, one line per element', () => {
  const text = describeText('V120_Hb780_S1');
  assert.equal(text, [
    'element  raw value  name                meaning',
    '-------  ---------  ------------------  ---------------',
    'V        120        Protocol Version    12',
    'Hb       780        Heartbeat Interval  780 sec (13min)',
    'S        1          Status              1',
    '',
  ].join('\n'));
  assert.equal(renderRows(describeJson('V120_Hb780_S1'), describeColumns, 'csv').split('\r\n')[2], 'Hb,780,Heartbeat Interval,780 sec (13min)');
});

test('table form: long values are cut, the JSON keeps them', () => {
  const long = 'Budget:' + 'x%2c'.repeat(100);
  assert.match(describeText(long), /…/);
  assert.equal(describeJson(long)[0]!.value.length, 400);
});

test('an empty Log says so', () => {
  assert.equal(describeText(''), 'no elements: the Log value is empty\n');
  assert.deepEqual(describeJson('___'), []);
});
