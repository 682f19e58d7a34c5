// URLs to targets: default ports per scheme from the presets, IPv6 literals, names, and the refusals
// (a password in the URL, an unknown scheme, a path where the protocol has none).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTarget, TargetError } from './target.js';

test('each built-in scheme has its well-known port', () => {
  const ports: Record<string, number> = {
    smtp: 25,
    smtps: 465,
    submission: 587,
    pop3: 110,
    pop3s: 995,
    imap: 143,
    imaps: 993,
    nntp: 119,
    nntps: 563,
    ftp: 21,
    ftps: 990,
    http: 80,
    https: 443,
  };
  for (const [scheme, port] of Object.entries(ports)) {
    const t = parseTarget(`${scheme}://mail.example.org`);
    assert.equal(t.port, port, scheme);
    assert.equal(t.scheme, scheme);
    assert.equal(t.url, `${scheme}://mail.example.org:${port}${scheme.startsWith('http') ? '/' : ''}`);
  }
});

test('IPv6 literals, explicit ports (80 on http too), users and paths', () => {
  const v6 = parseTarget('imaps://[::1]:10993');
  assert.equal(v6.address, '::1');
  assert.equal(v6.port, 10993);
  assert.equal(v6.instance, '[::1]:10993');
  assert.equal(v6.host, '::1');
  assert.equal(v6.service, 'IMAP');
  const web = parseTarget('http://web.example.org:80/health?full=1');
  assert.equal(web.port, 80);
  assert.equal(web.path, '/health?full=1');
  const user = parseTarget('pop3://bob@127.0.0.1:10110', { password: 'pw' });
  assert.deepEqual(user.credentials, { user: 'bob', password: 'pw' });
  assert.equal(user.url, 'pop3://127.0.0.1:10110', 'no user in the URL shown');
  assert.equal(parseTarget('tcp://127.0.0.1:22').scheme, 'tcp');
  assert.equal(parseTarget('SMTP://MX.example.org').scheme, 'smtp');
});

test('refused: a password in the URL, unknown schemes, missing ports, paths, bad ports', () => {
  const bad: [string, RegExp][] = [
    ['imap://alice:secret@mail', /a password in the URL .* --password-env NAME or --password-file FILE/],
    ['gopher://x', /unknown scheme "gopher" \(known: .*smtp.*\)/],
    ['tcp://127.0.0.1', /the tcp preset has no default port/],
    ['smtp://mx:25/x', /a smtp URL has no path/],
    ['smtp://mx:70000', /not a valid URL|port must be/],
    ['mx.example.org:25', /expected scheme:\/\/host/],
    ['smtp://', /no host|not a valid URL/],
  ];
  for (const [url, message] of bad)
    assert.throws(
      () => parseTarget(url),
      (e: Error) => e instanceof TargetError && message.test(e.message),
      url,
    );
  // the password never appears in the error
  assert.throws(
    () => parseTarget('imap://alice:s3cr3t@mail'),
    (e: Error) => !e.message.includes('s3cr3t') && e.message.startsWith('imap://alice:****@mail:'),
  );
});
