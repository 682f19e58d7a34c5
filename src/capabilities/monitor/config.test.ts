// The monitor section: mistakes named by file, line and key (lines counted by hand in the texts
// below), and the instances it expands to: settings inherited and overridden, hosts × protocols ×
// ports, IPv6, credentials by reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { sections } from '../../config/sections.js';
import { ConfigError, formatIssue } from '../../config/errors.js';
import { isRange, targetsOf, type MonitorSection } from './config.js';

const env = { PROBE_PW: 'probe-secret' };

function load(text: string) {
  const config = parseConfig(text, { path: '/etc/mxray/mxray.yaml', shown: 'mxray.yaml', via: '--config' }, sections, { env, readFile: () => 'x' });
  return config;
}

function problems(text: string): string[] {
  try {
    return load(text).check().map(formatIssue);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(formatIssue);
    throw e;
  }
}

function section(text: string): MonitorSection {
  const s = load(text).section('monitor');
  assert.ok(s);
  return s;
}

test('mistakes in the monitor section name the line and the key', () => {
  const text = [
    'monitor:', // 1
    '  defaults:', // 2
    '    intervallMs: 5000', // 3
    '    warning: 1:x', // 4
    '  routes:', // 5
    '    ops: {}', // 6
    '  hosts:', // 7
    '    - name: mx1', // 8
    '      dependsOn: [nowhere]', // 9
    '      services:', // 10
    '        - name: SMTP', // 11
    '          alert: [pager]', // 12
    '          instances:', // 13
    '            - mx1:25', // 14
    '            - url: smtp://mx1:2525', // 15
    '              password: hunter2', // 16
    '            - url: tcp://mx1', // 17
    '              repair: { command: [] }', // 18
    '  every:', // 19
    '    - hosts: [mx2]', // 20
    '      protocols: { smtpp: [25] }', // 21
  ].join('\n');
  assert.deepEqual(problems(text), [
    'mxray.yaml:3: monitor.defaults.intervallMs: unknown key; did you mean intervalMs?',
    'mxray.yaml:4: monitor.defaults.warning: expected a Monitoring Plugins range like 0.5, 1:2, ~:3 or @1:2 (seconds), got "1:x"',
    'mxray.yaml:6: monitor.routes.ops: a route sends e-mail (email: [addresses]) or a webhook (webhook: true), or both',
    'mxray.yaml:16: monitor.hosts[0].services[0].instances[1].password: a password does not belong in the config file: give passwordFile: PATH (a file holding it) or passwordEnv: NAME (an environment variable)',
    'mxray.yaml:18: monitor.hosts[0].services[0].instances[2].repair.command: expected the command as a list of words, like [systemctl, start, postfix@second], got an empty list',
    'mxray.yaml:21: monitor.every[0].protocols.smtpp: expected a protocol (smtp, smtps, submission, pop3, pop3s, imap, imaps, nntp, nntps, ftp, ftps, http, https, tcp), got "smtpp"',
  ]);
  // once the shapes are right, the cross-references are checked
  const refs = [
    'monitor:', // 1
    '  routes:', // 2
    '    ops: { email: [ops@corp.example] }', // 3
    '  hosts:', // 4
    '    - name: mx1', // 5
    '      dependsOn: [nowhere]', // 6
    '      services:', // 7
    '        - name: SMTP', // 8
    '          alert: [pager]', // 9
    '          instances:', // 10
    '            - mx1:25', // 11
    '            - tcp://mx1', // 12
    '    - name: a', // 13
    '      dependsOn: [b]', // 14
    '    - name: b', // 15
    '      dependsOn: [a]', // 16
  ].join('\n');
  assert.deepEqual(problems(refs), [
    'mxray.yaml:6: monitor.hosts[0].dependsOn[0]: no host or link named "nowhere"',
    'mxray.yaml:9: monitor.hosts[0].services[0].alert[0]: no route named "pager" under monitor.routes (routes: ops)',
    'mxray.yaml:11: monitor.hosts[0].services[0].instances[0]: expected a URL like smtp://mx1.corp.example:25 (address:port needs the service\'s protocol:), got "mx1:25"',
    'mxray.yaml:12: monitor.hosts[0].services[0].instances[1]: tcp:// needs a port, like tcp://mx1:22',
    'mxray.yaml:14: monitor.hosts[1].dependsOn: the dependencies of "a" lead back to it',
  ]);
});

test('Monitoring Plugins ranges', () => {
  for (const ok of ['10', '10:', '~:10', '10:20', '@10:20', '0.5', '-1:1', '.5']) assert.ok(isRange(ok), ok);
  for (const bad of ['', '@', ':', '~', 'x', '1:x', '10::20', '1 2']) assert.ok(!isRange(bad), bad);
});

test('instances expand with their settings inherited and overridden, hosts × protocols × ports included', () => {
  const s = section(
    [
      'monitor:',
      '  defaults: { intervalMs: 60000, failures: 3, alert: [ops], tls: { serverName: mail.corp } }',
      '  routes:',
      '    ops: { email: [ops@corp.example] }',
      '    chat: { webhook: true }',
      '  links:',
      '    - name: wan',
      '      instances: [10.0.0.1:22]',
      '  hosts:',
      '    - name: mx1',
      '      dependsOn: [wan]',
      '      timeoutMs: 3000',
      '      services:',
      '        - name: SMTP',
      '          protocol: smtp',
      '          intervalMs: 30000',
      '          instances:',
      '            - 127.0.0.1:25',
      '            - url: smtp://[::1]:2525',
      '              name: relay',
      '              alert: [chat]',
      '              failures: 1',
      '              tls: { insecure: true }',
      '              repair: { command: [systemctl, start, postfix@relay], timeoutMs: 5000 }',
      '        - name: IMAP',
      '          user: probe',
      '          passwordEnv: PROBE_PW',
      '          instances: [imaps://mx1, "http://mx1/health?full=1"]',
      '  every:',
      '    - hosts: [mx1, mx2]',
      '      protocols: { pop3: [110, 1110], smtp: [25] }',
    ].join('\n'),
  );
  const targets = targetsOf(s);
  const brief = targets.map((t) => [t.key, t.url, t.intervalMs, t.timeoutMs, t.failures, t.routes.join(','), t.dependsOn.join(',')]);
  assert.deepEqual(brief, [
    ['wan/link/10.0.0.1:22', 'tcp://10.0.0.1:22', 60000, 10000, 3, 'ops', ''],
    ['mx1/SMTP/127.0.0.1:25', 'smtp://127.0.0.1:25', 30000, 3000, 3, 'ops', 'wan'],
    ['mx1/SMTP/relay', 'smtp://[::1]:2525', 30000, 3000, 1, 'chat', 'wan'],
    ['mx1/IMAP/mx1:993', 'imaps://mx1:993', 60000, 3000, 3, 'ops', 'wan'],
    ['mx1/IMAP/mx1:80', 'http://mx1:80/health?full=1', 60000, 3000, 3, 'ops', 'wan'],
    // every: the service is named after the protocol and the instance address:port; mx1's own
    // dependsOn and timeout apply to its expanded instances
    ['mx1/POP3/mx1:110', 'pop3://mx1:110', 60000, 3000, 3, 'ops', 'wan'],
    ['mx1/POP3/mx1:1110', 'pop3://mx1:1110', 60000, 3000, 3, 'ops', 'wan'],
    ['mx1/SMTP/mx1:25', 'smtp://mx1:25', 60000, 3000, 3, 'ops', 'wan'],
    ['mx2/POP3/mx2:110', 'pop3://mx2:110', 60000, 10000, 3, 'ops', ''],
    ['mx2/POP3/mx2:1110', 'pop3://mx2:1110', 60000, 10000, 3, 'ops', ''],
    ['mx2/SMTP/mx2:25', 'smtp://mx2:25', 60000, 10000, 3, 'ops', ''],
  ]);
  const relay = targets.find((t) => t.instance === 'relay')!;
  assert.equal(relay.address, '::1');
  assert.equal(relay.port, 2525);
  assert.deepEqual(relay.tls, { serverName: 'mail.corp', insecure: true });
  assert.deepEqual(relay.repair, { command: ['systemctl', 'start', 'postfix@relay'], timeoutMs: 5000 });
  const imap = targets.find((t) => t.key === 'mx1/IMAP/mx1:993')!;
  assert.deepEqual(imap.credentials, { user: 'probe', password: 'probe-secret' });
  assert.equal(targets.find((t) => t.scheme === 'http')!.path, '/health?full=1');
  // the secret stays out of what config check prints
  assert.doesNotMatch(
    JSON.stringify(load('monitor:\n  hosts: [{ name: a, services: [{ name: I, user: u, passwordEnv: PROBE_PW, instances: [imap://a] }] }]').effective()),
    /probe-secret/,
  );
});
