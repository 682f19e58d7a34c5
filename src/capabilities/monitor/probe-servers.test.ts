// mxray check against real servers on 127.0.0.1 (src/testing/servers/): Postfix (two instances, the
// seed's "second virtual server"), Dovecot, INN, vsftpd, nginx. Certificates are the test CA's, trusted by the test
// process (NODE_EXTRA_CA_CERTS) or given with --ca: STARTTLS is verified, never --insecure, unless said.
import { it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithServers } from '../../testing/servers/describe.js';
import { sharedPostfix, startPostfix, postfixSkipReason } from '../../testing/servers/postfix.js';
import { sharedDovecot, dovecotSkipReason } from '../../testing/servers/dovecot.js';
import { sharedInn, innSkipReason } from '../../testing/servers/inn.js';
import { sharedVsftpd, vsftpdSkipReason } from '../../testing/servers/vsftpd.js';
import { sharedNginx, nginxSkipReason } from '../../testing/servers/nginx.js';
import { issueCert, SERVER_NAMES, testCa } from '../../testing/test-ca.js';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';
import type { ProbeResult } from './types.js';

const json = (stdout: string) => JSON.parse(stdout) as ProbeResult[];

describeWithServers('mxray check against Postfix', [postfixSkipReason()], () => {
  const pair = sharedPostfix();
  after(async () => (await pair).stop());

  it('both instances and every port up: exit 0, STARTTLS verified, certificate read', async () => {
    const { primary, second } = await pair;
    const ca = primary.caFile;
    const urls = [
      `smtp://127.0.0.1:${primary.smtpPort}`,
      `smtps://127.0.0.1:${primary.smtpsPort}`,
      `submission://127.0.0.1:${primary.submissionPort}`,
      `smtp://127.0.0.1:${second.smtpPort}`,
      `smtps://localhost:${second.smtpsPort}`,
    ];
    const text = await mxray(['check', '--ca', ca, ...urls]);
    assert.equal(text.code, 0, text.stdout);
    assert.match(text.stdout, /^MXRAY OK - 5 of 5 instances OK/);
    assert.doesNotMatch(text.stdout, /^\*/m);
    const r = await mxray(['check', '--ca', ca, '--json', ...urls]);
    const results = json(r.stdout);
    for (const x of results) {
      assert.equal(x.status, 'ok', `${x.url}: ${x.detail}`);
      assert.notEqual(x.phases.tls, null, `${x.url} went through TLS`);
      assert.ok(x.certDaysLeft! > 800, `${x.url}: the test CA's certificates are valid 825 days`);
    }
    // the STARTTLS ones: TLS after the banner; implicit TLS: before it
    assert.ok(results[0]!.phases.tls! > results[0]!.phases.banner!);
    assert.ok(results[1]!.phases.tls! < results[1]!.phases.banner!);
    assert.match(results[0]!.detail, new RegExp(`^220 ${primary.hostname} ESMTP`));
    assert.match(results[3]!.detail, new RegExp(`^220 ${second.hostname} ESMTP`));
  });

  it('the second instance stopped: exit 2, its line starts with *, the first stays OK; started again: 0', async () => {
    const ca = testCa();
    const [first, secondInstance] = await Promise.all([startPostfix({ ca }), startPostfix({ ca, hostname: 'mail2.example.org' })]);
    try {
      const urls = [`smtp://127.0.0.1:${first.smtpPort}`, `smtp://127.0.0.1:${secondInstance.smtpPort}`];
      await secondInstance.down();
      const r = await mxray(['check', '--ca', ca.caFile, ...urls]);
      assert.equal(r.code, 2, r.stdout);
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines[0]!.split(' | ')[0], `MXRAY CRITICAL - 1 of 2 instances not OK: smtp://127.0.0.1:${secondInstance.smtpPort} refused`);
      assert.match(lines[1]!, new RegExp(`^127\\.0\\.0\\.1:${first.smtpPort} \\(SMTP\\): OK - 220 mail\\.example\\.org ESMTP`));
      assert.match(lines[2]!, new RegExp(`^\\*127\\.0\\.0\\.1:${secondInstance.smtpPort} \\(SMTP\\): CRITICAL refused`));
      await secondInstance.up();
      const again = await mxray(['check', '--ca', ca.caFile, ...urls]);
      assert.equal(again.code, 0, again.stdout);
    } finally {
      await Promise.all([first.stop(), secondInstance.stop()]);
    }
  });

  it('a certificate expiring in 5 days: exit 1 (warning), certificate; with --cert-critical 6: exit 2', async () => {
    const ca = testCa();
    const pf = await startPostfix({ ca });
    try {
      // the same files Postfix was configured with, issued again for 5 days; smtpd reads them on start
      await pf.down();
      issueCert(ca, join(pf.dir, 'tls'), { names: [...SERVER_NAMES], days: 5 });
      await pf.up();
      const r = await mxray(['check', '--ca', ca.caFile, '--json', `smtps://127.0.0.1:${pf.smtpsPort}`, `smtp://127.0.0.1:${pf.smtpPort}`]);
      assert.equal(r.code, 1, r.stdout);
      for (const x of json(r.stdout)) {
        assert.equal(x.status, 'warning');
        assert.equal(x.failure, 'certificate');
        assert.ok(Math.abs(x.certDaysLeft! - 5) < 0.2, `certDaysLeft ${x.certDaysLeft}`);
      }
      const text = await mxray(['check', '--ca', ca.caFile, `smtps://127.0.0.1:${pf.smtpsPort}`]);
      assert.match(
        text.stdout,
        new RegExp(`^MXRAY WARNING - 1 of 1 instance not OK: smtps://127\\.0\\.0\\.1:${pf.smtpsPort} certificate expires in 5 days \\|`),
      );
      assert.match(text.stdout, /'cert_days_smtps_127\.0\.0\.1_\d+'=5;14:;3:;;/);
      const crit = await mxray(['check', '--ca', ca.caFile, '--cert-warning', '30', '--cert-critical', '6', `smtps://127.0.0.1:${pf.smtpsPort}`]);
      assert.equal(crit.code, 2, crit.stdout);
    } finally {
      await pf.stop();
    }
  });

  it('a name the certificate does not hold fails as certificate; --insecure still reports the expiry', async () => {
    const { primary } = await pair;
    const url = `smtp://127.0.0.1:${primary.smtpPort}`;
    const wrong = await mxray(['check', '--ca', primary.caFile, '--servername', 'wrong.example.net', '--json', url]);
    assert.equal(wrong.code, 2);
    const [w] = json(wrong.stdout);
    assert.equal(w!.failure, 'certificate');
    assert.match(w!.detail, /ERR_TLS_CERT_ALTNAME_INVALID/);
    assert.ok(w!.transcript!.some((l) => l.startsWith('--: TLS')));
    const insecure = await mxray(['check', '--insecure', '--servername', 'wrong.example.net', '--json', url]);
    assert.equal(insecure.code, 0, insecure.stdout);
    assert.ok(json(insecure.stdout)[0]!.certDaysLeft! > 800);
  });

  it("a protocol added as a preset file of the user's", async () => {
    const { primary } = await pair;
    const dir = mkdtempSync(join(tmpdir(), 'mxray-presets-'));
    // "esmtp8": EHLO must offer 8BITMIME
    writeFileSync(
      join(dir, 'esmtp8.yaml'),
      "service: SMTP8\nport: 25\nsteps:\n  - expect: '^220 '\n    banner: true\n  - send: 'EHLO ${ehlo}'\n  - expect: '^250[ -]8BITMIME'\n    continue: '^250-'\n  - send: QUIT\n",
    );
    writeFileSync(
      join(dir, 'esmtpx.yaml'),
      "port: 25\nsteps:\n  - expect: '^220 '\n  - send: 'EHLO ${ehlo}'\n  - expect: '^250[ -]X-NO-SUCH'\n    continue: '^250-'\n",
    );
    const r = await mxray(['check', '--presets', dir, `esmtp8://127.0.0.1:${primary.smtpPort}`, `esmtpx://127.0.0.1:${primary.smtpPort}`]);
    assert.equal(r.code, 2, r.stdout);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[1]!, /^127\.0\.0\.1:\d+ \(SMTP8\): OK - 220 /);
    assert.match(lines[2]!, /^\*127\.0\.0\.1:\d+ \(ESMTPX\): CRITICAL expect - expected \/\^250\[ -\]X-NO-SUCH\/, got "250 /);
  });
});

describeWithServers('mxray check against Dovecot', [dovecotSkipReason()], () => {
  const dovecot = sharedDovecot();
  after(async () => (await dovecot).stop());

  it('IMAP and POP3 with STARTTLS/STLS and implicit TLS, verified: exit 0', async () => {
    const d = await dovecot;
    const urls = [`imap://127.0.0.1:${d.imapPort}`, `imaps://127.0.0.1:${d.imapsPort}`, `pop3://127.0.0.1:${d.pop3Port}`, `pop3s://localhost:${d.pop3sPort}`];
    const r = await mxray(['check', '--ca', d.caFile, '--json', ...urls]);
    assert.equal(r.code, 0, r.stdout);
    for (const x of json(r.stdout)) {
      assert.equal(x.status, 'ok', `${x.url}: ${x.detail}`);
      assert.notEqual(x.phases.tls, null);
    }
    const [imap, , pop3] = json(r.stdout);
    assert.ok(imap!.phases.tls! > imap!.phases.banner!, 'IMAP STARTTLS after the greeting');
    assert.ok(pop3!.phases.tls! > pop3!.phases.banner!, 'POP3 STLS after the greeting');
  });

  it('logins: the right password OK, a wrong one is auth, never shown', async () => {
    const d = await dovecot;
    const alice = d.accounts.find((a) => a.user === 'alice')!;
    const ok = await mxray(
      ['check', '--ca', d.caFile, '--password-env', 'MXRAY_TEST_IMAP_PW', `imap://alice@127.0.0.1:${d.imapPort}`, `pop3s://alice@127.0.0.1:${d.pop3sPort}`],
      {
        env: { MXRAY_TEST_IMAP_PW: alice.password },
      },
    );
    assert.equal(ok.code, 0, ok.stdout);
    const WRONG = 'Wrong-Password-314';
    const bad = await mxray(
      [
        'check',
        '--ca',
        d.caFile,
        '--json',
        '--password-env',
        'MXRAY_TEST_IMAP_PW',
        `imap://alice@127.0.0.1:${d.imapPort}`,
        `pop3://alice@127.0.0.1:${d.pop3Port}`,
      ],
      {
        env: { MXRAY_TEST_IMAP_PW: WRONG },
      },
    );
    assert.equal(bad.code, 2, bad.stdout);
    assert.doesNotMatch(bad.stdout + bad.stderr, new RegExp(WRONG));
    const [imap, pop3] = json(bad.stdout);
    assert.equal(imap!.failure, 'auth');
    assert.equal(pop3!.failure, 'auth');
    assert.ok(imap!.transcript!.includes('C: a3 LOGIN "alice" ****'), imap!.transcript!.join('\n'));
    assert.ok(pop3!.transcript!.includes('C: PASS ****'), pop3!.transcript!.join('\n'));
    assert.match(imap!.detail, /a3 NO/);
  });
});

describeWithServers('mxray check against INN, vsftpd and nginx', [innSkipReason(), vsftpdSkipReason(), nginxSkipReason()], () => {
  const inn = sharedInn();
  const ftp = sharedVsftpd();
  const nginx = sharedNginx();
  after(async () => Promise.all([(await inn).stop(), (await ftp).stop(), (await nginx).stop()]));

  it('NNTP STARTTLS and FTP AUTH TLS verified, implicit TLS too, anonymous FTP login: exit 0', async () => {
    const [n, f] = await Promise.all([inn, ftp]);
    const urls = [
      `nntp://127.0.0.1:${n.nntpPort}`,
      `nntps://127.0.0.1:${n.nntpsPort}`,
      `ftp://127.0.0.1:${f.ftpPort}`,
      `ftps://127.0.0.1:${f.ftpsPort}`,
      `ftp://anonymous@127.0.0.1:${f.ftpPort}`,
    ];
    const r = await mxray(['check', '--ca', n.caFile, '--json', ...urls]);
    assert.equal(r.code, 0, r.stdout);
    const results = json(r.stdout);
    for (const x of results) {
      assert.equal(x.status, 'ok', `${x.url}: ${x.detail}`);
      assert.notEqual(x.phases.tls, null);
    }
    assert.ok(results[0]!.phases.tls! > results[0]!.phases.banner!, 'NNTP STARTTLS after the greeting');
    assert.ok(results[2]!.phases.tls! > results[2]!.phases.banner!, 'FTP AUTH TLS after the greeting');
    assert.match(results[0]!.detail, /^20[01] /);
  });

  it('HTTP(S): status and body, a 404 is http-status, the 5-day certificate a warning', async () => {
    const w = await nginx;
    const ok = await mxray([
      'check',
      '--ca',
      w.caFile,
      '--http-body',
      '^ok\n$',
      `https://localhost:${w.httpsPort}/health`,
      `http://127.0.0.1:${w.httpPort}/health`,
    ]);
    assert.equal(ok.code, 0, ok.stdout);
    const body = await mxray(['check', '--http-body', 'no such text', `http://127.0.0.1:${w.httpPort}/health`]);
    assert.equal(body.code, 2);
    assert.match(body.stdout, /CRITICAL expect - the body does not match \/no such text\//);
    const missing = await mxray(['check', '--json', `http://127.0.0.1:${w.httpPort}/no-such-page`]);
    assert.equal(json(missing.stdout)[0]!.failure, 'http-status');
    const redirect = await mxray(['check', '--http-status', '200', `http://127.0.0.1:${w.httpPort}/redirect`]);
    assert.equal(redirect.code, 2, 'a 301 is not in the accepted list');
    const soon = await mxray(['check', '--ca', w.caFile, '--json', `https://127.0.0.1:${w.expiringPort}/`]);
    assert.equal(soon.code, 1, soon.stdout);
    const [x] = json(soon.stdout);
    assert.equal(x!.failure, 'certificate');
    assert.ok(x!.certDaysLeft! > 4 && x!.certDaysLeft! <= 5, `certDaysLeft ${x!.certDaysLeft}`);
  });
});
