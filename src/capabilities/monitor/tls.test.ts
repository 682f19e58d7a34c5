// The TLS step of a probe: the certificate's name is checked by identityError (OpenSSL's
// X509_check_host / X509_check_ip on the native certificate) instead of Node's checkServerIdentity on
// the JS copy of the whole chain. Node's own function is the truth here: for certificates with DNS
// and IP names, wildcards, a partial wildcard, a CN and no subjectAltName, both must agree on every
// name; and a real handshake (upgrade) must still verify the chain and the name.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { identityError, upgrade } from './tls.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** a self-signed P-256 certificate with this subject CN and subjectAltName (none when '') */
function selfSigned(stem: string, cn: string, san: string): { cert: string; key: string; file: string } {
  const file = join(dir, `${stem}.pem`);
  const keyFile = join(dir, `${stem}.key`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30'];
  args.push('-keyout', keyFile, '-out', file, '-subj', `/CN=${cn}`);
  if (san) args.push('-addext', `subjectAltName=${san}`);
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { cert: readFileSync(file, 'utf8'), key: readFileSync(keyFile, 'utf8'), file };
}

const certs = {
  mixed: selfSigned('mixed', 'cn.example.org', 'DNS:mail.example.org,DNS:*.corp.example.org,IP:127.0.0.1,IP:::1'),
  cnOnly: selfSigned('cn-only', 'cnonly.example.org', ''),
  partial: selfSigned('partial', 'x.example.net', 'DNS:f*.example.net'),
  ipOnly: selfSigned('ip-only', 'ip.example.org', 'IP:10.0.0.1'),
  tooWide: selfSigned('too-wide', 'y.example.com', 'DNS:*.com'),
};
const names = [
  'mail.example.org',
  'MAIL.Example.ORG',
  'a.corp.example.org',
  'a.b.corp.example.org',
  'corp.example.org',
  'cn.example.org',
  'cnonly.example.org',
  'x.cnonly.example.org',
  'foo.example.net',
  'bar.example.net',
  'x.example.net',
  'ip.example.org',
  'example.com',
  'a.com',
  'localhost',
  '127.0.0.1',
  '127.0.0.2',
  '::1',
  '0:0:0:0:0:0:0:1',
  '10.0.0.1',
];

test("identityError agrees with Node's tls.checkServerIdentity on every certificate and name", () => {
  let accepted = 0;
  for (const [which, c] of Object.entries(certs)) {
    const x509 = new X509Certificate(c.cert);
    const legacy = x509.toLegacyObject();
    for (const name of names) {
      const node = tls.checkServerIdentity(name, legacy);
      const ours = identityError(x509, name);
      assert.equal(
        ours === undefined,
        node === undefined,
        `${which} certificate, name ${name}: ours ${ours?.message ?? 'match'}, Node ${node?.message ?? 'match'}`,
      );
      if (ours) assert.equal((ours as NodeJS.ErrnoException).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      else accepted++;
    }
  }
  // hand-counted matches: mixed 6 (mail, MAIL, a.corp, 127.0.0.1, ::1 twice), cnOnly 1, partial 1 (foo), ipOnly 2 (the CN, 10.0.0.1)
  assert.equal(accepted, 10);
  assert.match(identityError(undefined, 'mail.example.org')!.message, /no certificate/);
});

/** a TLS server on 127.0.0.1 */
async function tlsServer(c: { cert: string; key: string }): Promise<{ port: number; close: () => void }> {
  // it holds each connection open until the client closes it
  const server = tls.createServer({ cert: c.cert, key: c.key }, (s) => s.on('error', () => undefined));
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

async function plain(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  await new Promise<void>((res, rej) => {
    s.once('connect', res);
    s.once('error', rej);
  });
  return s;
}

test('upgrade: the chain against the CA, then the name; the socket keeps its own getPeerCertificate', async () => {
  const srv = await tlsServer(certs.mixed);
  try {
    const good = await upgrade(await plain(srv.port), '127.0.0.1', { ca: certs.mixed.file });
    assert.equal(good.untrusted, null);
    assert.equal(good.subject, 'cn.example.org');
    assert.ok(good.certDaysLeft! > 29 && good.certDaysLeft! <= 30, String(good.certDaysLeft));
    // the stub Node saw during the handshake is gone: the socket's method is TLSSocket's own again
    assert.equal(good.socket.getPeerCertificate, tls.TLSSocket.prototype.getPeerCertificate);
    assert.ok(!Object.hasOwn(good.socket, 'getPeerCertificate'));
    good.socket.destroy();

    const named = await upgrade(await plain(srv.port), '127.0.0.1', { ca: certs.mixed.file, serverName: 'a.corp.example.org' });
    assert.equal(named.untrusted, null);
    named.socket.destroy();

    const wrong = await upgrade(await plain(srv.port), '127.0.0.1', { ca: certs.mixed.file, serverName: 'wrong.example.net' });
    assert.match(wrong.untrusted ?? '', /^ERR_TLS_CERT_ALTNAME_INVALID: Host: wrong\.example\.net is not in the certificate's names: DNS:mail\.example\.org/);
    wrong.socket.destroy();

    // no CA: the chain fails first, whatever the name
    const unknown = await upgrade(await plain(srv.port), '127.0.0.1', {});
    assert.equal(unknown.untrusted, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.ok(unknown.certDaysLeft! > 29);
    unknown.socket.destroy();
  } finally {
    srv.close();
  }
});
