// The presence section's defaults and derived values: what a minimal file gives the poller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { sections } from '../../config/sections.js';
import { formatIssue } from '../../config/errors.js';
import { defaultEnrolFilter, defaultImAttributes } from './config.js';

const load = (text: string, env: Record<string, string> = {}) =>
  parseConfig(text, { path: '/etc/mxray/mxray.yaml', shown: 'mxray.yaml', via: '--config' }, sections, { env, readFile: () => 'stand-in' });

test('a minimal presence section: 15-minute interval, the default filter and IM attributes, pages of 1000', () => {
  const c = load('presence:\n  source: xmpp\n  xmpp:\n    service: xmpp://127.0.0.1:15222\n    jid: observer@example.org\n    passwordEnv: XMPP_PW\n', {
    XMPP_PW: 'observerpw',
  });
  const p = c.section('presence')!;
  assert.equal(p.interval, 900_000);
  assert.equal(p.enrol.filter, defaultEnrolFilter);
  assert.deepEqual(p.enrol.imAddress, [...defaultImAttributes]);
  assert.equal(p.enrol.pageSize, 1000);
  assert.equal(p.enrol.username, undefined, 'the directory section says the account attribute');
  assert.deepEqual(p.exclude, []);
  assert.equal(p.aggregateOnly, false);
  assert.equal(p.xmpp!.subscribe, true);
  assert.equal(p.xmpp!.password!.reveal(), 'observerpw');
  assert.equal(JSON.stringify(c.effective()).includes('observerpw'), false, 'the secret is never printed');
});

test('durations, one IM attribute as text, paths from the config folder, the Graph token URL from the tenant', () => {
  const c = load(
    [
      'presence:',
      '  interval: 90s',
      '  source: graph',
      '  graph:',
      '    tenant: contoso.onmicrosoft.com',
      '    clientId: app',
      '    clientSecretFile: graph.secret',
      '  enrol:',
      '    imAddress: labeledURI',
      '  logDir: imlogs',
      '  retention: 90d',
    ].join('\n'),
  );
  assert.deepEqual(c.check().map(formatIssue), []);
  const p = c.section('presence')!;
  assert.equal(p.interval, 90_000);
  assert.equal(p.retention, 90 * 86_400_000);
  assert.deepEqual(p.enrol.imAddress, ['labeledURI']);
  assert.equal(p.logDir, '/etc/mxray/imlogs');
  const g = p.graph!;
  assert.equal(g.baseUrl, 'https://graph.microsoft.com/v1.0');
  assert.equal(g.tokenUrl, 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
  assert.equal(g.scope, 'https://graph.microsoft.com/.default');
  assert.equal(g.batchSize, 650);
  assert.equal(g.idAttribute, 'msDS-ExternalDirectoryObjectId');
  assert.equal(g.clientSecret!.reveal(), 'stand-in');
});
