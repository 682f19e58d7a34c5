import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeColumns, describeJson, describeRows, describeText } from './describe.js';
import { renderRows } from '../../render/render.js';

const seed = 'V120_Ty:Em_Fid:37_Fc1_Filt2_St:S_Sk:1805_Srv:1a0c0d0s0e0r_Pk2260121383_S1_';

test('JSON form: [{key, separator, value, name, meaning}] without parts; the key is the element name, without the separator', () => {
  const json = describeJson(seed);
  assert.equal(json.length, 10);
  assert.deepEqual(json[4], { key: 'Filt', separator: '', value: '2', name: 'Filter Type', meaning: '3 days back' });
  assert.deepEqual(json[1], { key: 'Ty', separator: ':', value: 'Em', name: 'Type', meaning: 'Email' });
  assert.deepEqual(json[2], { key: 'Fid', separator: ':', value: '37', name: 'Folder ID', meaning: '37' });
  assert.deepEqual(Object.keys(json[7]!), ['key', 'separator', 'value', 'name', 'meaning']);
  // key + separator + value, joined with _, gives back the Log value (its trailing _ aside)
  assert.equal(json.map((e) => e.key + e.separator + e.value).join('_') + '_', seed);
});

test('table form: header, rule, one line per element', () => {
  const text = describeText('V120_Hb780_S1');
  assert.equal(
    text,
    [
      'element  raw value  name                meaning',
      '-------  ---------  ------------------  ---------------',
      'V        120        Protocol Version    12',
      'Hb       780        Heartbeat Interval  780 sec (13min)',
      'S        1          Status              1',
      '',
    ].join('\n'),
  );
  assert.equal(renderRows(describeRows('V120_Hb780_S1'), describeColumns, 'csv').split('\r\n')[2], 'Hb,780,Heartbeat Interval,780 sec (13min)');
  assert.match(describeText(seed), /^Ty:\s+Em\s+Type\s+Email$/m);
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
