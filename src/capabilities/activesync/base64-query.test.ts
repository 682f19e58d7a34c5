import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64Query } from './base64-query.js';

test('the Z-Push example decodes as Z-Push printed it', () => {
  // Z-Push: ProtVer=140,Command=0,Locale=1031,DevIDLen=16,DevID=350808136592fb7c5bf2250616cdf6fc,
  // PolKeyLen=4,PolKey=784950523,DevTypeLen=3,DevType=WP8
  assert.deepEqual(decodeBase64Query('jAAHBBA1CAgTZZL7fFvyJQYWzfb8BPtkyS4DV1A4'), {
    protocol: 140,
    command: 'Sync',
    locale: 1031,
    deviceId: '350808136592FB7C5BF2250616CDF6FC',
    policyKey: 784950523,
    deviceType: 'WP8',
  });
});

test('parameters: the User tag; a printable device id stays text; no policy key', () => {
  assert.deepEqual(decodeBase64Query('oRMJBBD7/j/34dLDtKWWh3hpWks8BMb1wrwLV2luZG93c01haWwIEGpkb2VAY29udG9zby5jb20='), {
    protocol: 161,
    command: 'ItemOperations',
    locale: 1033,
    deviceId: 'FBFE3FF7E1D2C3B4A5968778695A4B3C',
    policyKey: 3166893510,
    deviceType: 'WindowsMail',
    user: 'jdoe@contoso.com',
  });
  assert.deepEqual(decodeBase64Query('jQkMBBBBcHBsRjE3WEsyUUhKQzZGAAZpUGhvbmU='), {
    protocol: 141,
    command: 'FolderSync',
    locale: 1036,
    deviceId: 'ApplF17XK2QHJC6F',
    deviceType: 'iPhone',
  });
});

test('not base64 requests: undefined', () => {
  for (const s of [
    '',
    'Cmd',
    'notbase64atall',
    'Cmd=Sync',
    'jAAHBBA1CAgTZZL7fFvyJQYWzfb8BPtkyS4DV1A',
    'AAAAAAAAAAAAAAAA',
    '////////////////',
    'jAAHBBA1CAgTZZL7fFvyJQYWzfb8BPtkyS4DV1A4AAAA',
  ])
    assert.equal(decodeBase64Query(s), undefined, s);
});
