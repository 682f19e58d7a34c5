// Postfix for monitoring tests: smtpd only, accepting and discarding every message (no delivery, no
// DNS, no outbound connections), on 127.0.0.1: SMTP with STARTTLS, implicit TLS (465-style) and
// submission (587-style, STARTTLS required); certificate from the test CA. The test run shares two
// instances (sharedPostfix(): `primary` and `second`, a second "virtual server" with its own config,
// queue and ports); a test that stops one starts its own (startPostfix(), with down() and up()).
//
// Postfix needs root (its daemons drop to the `postfix` user). Each instance's master runs in the
// foreground (`master -s`), spawned directly: `postfix start` adds seconds of checks.
import { chmodSync, chownSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCert, SERVER_NAMES, type TestCa, testCa } from '../test-ca.js';
import {
  chownTo,
  waitClosed,
  type Daemon,
  ensureInstalled,
  HOST,
  isRoot,
  makeWorkdir,
  type Needs,
  removeWorkdir,
  type ServerHandle,
  type SharedServer,
  sharedGetter,
  skipReasonFor,
  spawnDaemon,
  systemUser,
  waitReady,
  withFreePorts,
} from './daemon.js';

export const postfixEnv = 'MXRAY_TEST_POSTFIX';
const MASTER = '/usr/lib/postfix/sbin/master';
export const postfixNeeds: Needs = { server: 'postfix', packages: ['postfix'], programs: ['postfix', MASTER], root: true };
export const postfixSkipReason = (): string | false => skipReasonFor(postfixNeeds);

export interface PostfixInfo {
  readonly host: string;
  /** plain SMTP, STARTTLS offered (25-style) */
  readonly smtpPort: number;
  /** implicit TLS (465-style) */
  readonly smtpsPort: number;
  /** submission, STARTTLS required before anything else (587-style) */
  readonly submissionPort: number;
  /** myhostname: the banner is "220 HOSTNAME ESMTP mxray-test" */
  readonly hostname: string;
  readonly dir: string;
  readonly caFile: string;
}

export interface PostfixServer extends PostfixInfo, ServerHandle {
  /** the master's pid (0 while down) */
  readonly pid: number;
  /** stop the master but keep the folder (a private instance only) */
  down(): Promise<void>;
  /** start it again on the same ports (after down()) */
  up(): Promise<void>;
}

export interface PostfixOptions {
  ca?: TestCa;
  /** myhostname (default mail.example.org) */
  hostname?: string;
}

function mainCf(dir: string, hostname: string, certFile: string, keyFile: string): string {
  return `# throwaway config written by src/testing/servers/postfix.ts
compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
myhostname = ${hostname}
mydomain = example.org
myorigin = $mydomain
mydestination = $myhostname, localhost
inet_interfaces = ${HOST}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
smtpd_relay_restrictions = permit_mynetworks reject_unauth_destination
smtpd_banner = $myhostname ESMTP mxray-test
biff = no
default_transport = discard
local_transport = discard
relay_transport = discard
smtp_dns_support_level = disabled
maillog_file = ${dir}/maillog
maillog_file_prefixes = ${dir}
smtpd_tls_cert_file = ${certFile}
smtpd_tls_key_file = ${keyFile}
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_session_cache_database =
`;
}

function masterCf(smtp: number, smtps: number, submission: number): string {
  return `# service type  private unpriv  chroot  wakeup  maxproc command
${HOST}:${smtp} inet n - n - - smtpd
${HOST}:${smtps} inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o syslog_name=postfix/smtps
${HOST}:${submission} inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o syslog_name=postfix/submission
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;
}

/** the queue folders with the owners and modes `postfix check` gives them (it takes ~2 s, this ~1 ms) */
function makeQueue(queue: string): void {
  const postfix = systemUser('postfix');
  const postdrop = groupId('postdrop');
  const dirs: [string, number, number | undefined][] = [
    ...['active', 'bounce', 'corrupt', 'defer', 'deferred', 'flush', 'hold', 'incoming', 'private', 'saved', 'trace'].map(
      (n): [string, number, number | undefined] => [n, 0o700, 0],
    ),
    ['maildrop', 0o730, postdrop],
    ['public', 0o710, postdrop],
  ];
  for (const [name, mode, gid] of dirs) {
    const p = join(queue, name);
    mkdirSync(p);
    if (postfix && isRoot()) chownSync(p, postfix.uid, gid ?? 0);
    chmodSync(p, mode);
  }
  mkdirSync(join(queue, 'pid'));
}

/** a group's id from /etc/group */
function groupId(name: string): number | undefined {
  try {
    const line = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${name}:`));
    return line ? Number(line.split(':')[2]) : undefined;
  } catch {
    return undefined;
  }
}

/** a Postfix of the caller's own on free loopback ports */
export async function startPostfix(opts: PostfixOptions = {}): Promise<PostfixServer> {
  ensureInstalled(postfixNeeds);
  const ca = opts.ca ?? testCa();
  const hostname = opts.hostname ?? 'mail.example.org';
  const dir = makeWorkdir('postfix');
  try {
    const cert = issueCert(ca, join(dir, 'tls'), { names: [...new Set([...SERVER_NAMES, hostname])] });
    const conf = join(dir, 'conf');
    for (const sub of ['conf', 'queue', 'data']) mkdirSync(join(dir, sub));
    chownTo(join(dir, 'data'), systemUser('postfix'));
    makeQueue(join(dir, 'queue'));
    writeFileSync(join(conf, 'main.cf'), mainCf(dir, hostname, cert.certFile, cert.keyFile));
    return await withFreePorts(3, async ([smtpPort, smtpsPort, submissionPort]) => {
      writeFileSync(join(conf, 'master.cf'), masterCf(smtpPort!, smtpsPort!, submissionPort!));
      // Postfix waits (300 ms at a time, ~2 s) for a config file modified in the last seconds to settle
      const past = new Date(Date.now() - 60_000);
      for (const f of ['main.cf', 'master.cf']) utimesSync(join(conf, f), past, past);
      const log = join(dir, 'master.log');
      let d: Daemon | undefined;
      const launch = async (): Promise<void> => {
        const m = spawnDaemon('postfix master', MASTER, ['-c', conf, '-s'], log, { env: { ...process.env, MAIL_CONFIG: conf } });
        d = m;
        try {
          await waitReady(
            'postfix',
            [{ port: smtpPort!, expect: /^220 .*\r\n/m }, { port: smtpsPort! }, { port: submissionPort!, expect: /^220 / }],
            [m],
            [log, join(dir, 'maillog')],
          );
        } catch (err) {
          await m.stop();
          throw err;
        }
      };
      await launch();
      let stopping: Promise<void> | undefined;
      let gone = false;
      return {
        host: HOST,
        smtpPort: smtpPort!,
        smtpsPort: smtpsPort!,
        submissionPort: submissionPort!,
        hostname,
        dir,
        caFile: ca.caFile,
        get pid() {
          return d && !d.exited ? d.pid : 0;
        },
        shared: false,
        async down() {
          if (gone) throw new Error('down(): this Postfix was stopped with stop()');
          await d?.stop();
          await waitClosed('Postfix', [smtpPort!, smtpsPort!, submissionPort!]);
        },
        async up() {
          if (gone) throw new Error('up(): this Postfix was stopped with stop(); use down()');
          if (d && !d.exited) return;
          await launch();
        },
        stop: () => {
          gone = true;
          stopping ??= (async () => {
            await d?.stop();
            removeWorkdir(dir);
          })();
          return stopping;
        },
      };
    });
  } catch (err) {
    removeWorkdir(dir);
    throw err;
  }
}

export interface PostfixPairInfo {
  readonly primary: PostfixInfo;
  /** a second instance (own config, queue, ports; myhostname mail2.example.org) */
  readonly second: PostfixInfo;
}

export interface PostfixPair extends ServerHandle {
  readonly primary: PostfixInfo;
  readonly second: PostfixInfo;
}

async function startPair(ca?: TestCa): Promise<PostfixPair & { servers: PostfixServer[] }> {
  const [a, b] = await Promise.allSettled([startPostfix({ ca }), startPostfix({ ca, hostname: 'mail2.example.org' })]);
  if (a.status === 'rejected' || b.status === 'rejected') {
    await Promise.all([a, b].map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw (a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason) as Error;
  }
  const strip = (s: PostfixServer): PostfixInfo => {
    const { host, smtpPort, smtpsPort, submissionPort, hostname, dir, caFile } = s;
    return { host, smtpPort, smtpsPort, submissionPort, hostname, dir, caFile };
  };
  return {
    primary: strip(a.value),
    second: strip(b.value),
    servers: [a.value, b.value],
    shared: false,
    stop: async () => {
      await Promise.all([a.value.stop(), b.value.stop()]);
    },
  };
}

/** the test run's two Postfix instances (MXRAY_TEST_POSTFIX), or two of this process's own started on
 *  first use; stop() releases them. To stop one, start a private one with startPostfix(). */
export const sharedPostfix = sharedGetter<PostfixPairInfo, PostfixPair>(
  postfixEnv,
  () => startPair(),
  (info) => ({ ...info, shared: true, stop: async () => {} }),
);

export const postfixShared: SharedServer = {
  name: 'postfix',
  envName: postfixEnv,
  uses: /\bsharedPostfix\(/,
  skipReason: postfixSkipReason,
  async start(ca) {
    const p = await startPair(ca);
    return {
      env: { [postfixEnv]: JSON.stringify({ primary: p.primary, second: p.second }) },
      label: `Postfix on ${p.primary.smtpPort}/${p.primary.smtpsPort}/${p.primary.submissionPort} and ${p.second.smtpPort}/${p.second.smtpsPort}/${p.second.submissionPort}`,
      stop: p.stop,
    };
  },
};
