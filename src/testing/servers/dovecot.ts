// Dovecot for monitoring tests: IMAP (STARTTLS, 143-style), IMAPS, POP3 (STLS, 110-style) and POP3S
// on 127.0.0.1, certificate from the test CA. Accounts alice/alicepw and bob/bobpw (a passwd file);
// alice's INBOX holds one message (DOVECOT_INBOX_MESSAGE), bob's is empty. Runs as root, its login
// and mail processes drop to the packaged users and to nobody.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCert, SERVER_NAMES, type TestCa, testCa } from '../test-ca.js';
import {
  chownTo,
  type Daemon,
  ensureInstalled,
  HOST,
  infoOf,
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

export const dovecotEnv = 'MXRAY_TEST_DOVECOT';
export const dovecotNeeds: Needs = {
  server: 'dovecot',
  packages: ['dovecot-imapd', 'dovecot-pop3d'],
  programs: ['dovecot', '/usr/lib/dovecot/imap', '/usr/lib/dovecot/pop3'],
  root: true,
};
export const dovecotSkipReason = (): string | false => skipReasonFor(dovecotNeeds);

/** the accounts (user, password) */
export const DOVECOT_ACCOUNTS = [
  { user: 'alice', password: 'alicepw' },
  { user: 'bob', password: 'bobpw' },
] as const;

/** the one message in alice's INBOX */
export const DOVECOT_INBOX_MESSAGE =
  'From: bob@example.org\r\nTo: alice@example.org\r\nSubject: hello from the test harness\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <inbox-1@example.org>\r\n\r\nHello Alice.\r\n';

export interface DovecotInfo {
  readonly host: string;
  /** IMAP, STARTTLS offered */
  readonly imapPort: number;
  readonly imapsPort: number;
  /** POP3, STLS offered */
  readonly pop3Port: number;
  readonly pop3sPort: number;
  readonly accounts: readonly { readonly user: string; readonly password: string }[];
  readonly dir: string;
  readonly caFile: string;
  readonly pid: number;
}

export type DovecotServer = DovecotInfo & ServerHandle;

/** a Dovecot of the caller's own on free loopback ports */
export async function startDovecot(opts: { ca?: TestCa } = {}): Promise<DovecotServer> {
  ensureInstalled(dovecotNeeds);
  const ca = opts.ca ?? testCa();
  const dir = makeWorkdir('dovecot');
  try {
    const cert = issueCert(ca, join(dir, 'tls'), { names: [...SERVER_NAMES] });
    for (const sub of ['run', 'state', 'mail']) mkdirSync(join(dir, sub));
    const inbox = join(dir, 'mail', 'alice');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(inbox, sub), { recursive: true });
    writeFileSync(join(inbox, 'new', '1704103200.M1P1.mxray'), DOVECOT_INBOX_MESSAGE);
    chownTo(join(dir, 'mail'), systemUser('nobody'), true);
    writeFileSync(join(dir, 'passwd'), DOVECOT_ACCOUNTS.map((a) => `${a.user}:{PLAIN}${a.password}::::::\n`).join(''));
    return await withFreePorts(4, async ([imapPort, imapsPort, pop3Port, pop3sPort]) => {
      const conf = join(dir, 'dovecot.conf');
      writeFileSync(
        conf,
        `# throwaway config written by src/testing/servers/dovecot.ts; nothing from /etc/dovecot is included
protocols = imap pop3
listen = ${HOST}
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = mxray-dovecot-${imapPort}
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
ssl = yes
ssl_cert = <${cert.certFile}
ssl_key = <${cert.keyFile}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 65534
last_valid_uid = 65534
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    port = ${imapPort}
  }
  inet_listener imaps {
    port = ${imapsPort}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${pop3Port}
  }
  inet_listener pop3s {
    port = ${pop3sPort}
    ssl = yes
  }
}
protocol pop3 {
  pop3_uidl_format = %08Xu%08Xv
}
`,
      );
      const log = join(dir, 'dovecot.stdout');
      const d: Daemon = spawnDaemon('dovecot', 'dovecot', ['-c', conf, '-F'], log);
      try {
        await waitReady(
          'dovecot',
          [{ port: imapPort!, expect: /^\* OK/ }, { port: imapsPort! }, { port: pop3Port!, expect: /^\+OK/ }, { port: pop3sPort! }],
          [d],
          [log, join(dir, 'dovecot.log')],
        );
      } catch (err) {
        await d.stop();
        throw err;
      }
      let stopping: Promise<void> | undefined;
      return {
        host: HOST,
        imapPort: imapPort!,
        imapsPort: imapsPort!,
        pop3Port: pop3Port!,
        pop3sPort: pop3sPort!,
        accounts: DOVECOT_ACCOUNTS.map((a) => ({ ...a })),
        dir,
        caFile: ca.caFile,
        pid: d.pid,
        shared: false,
        stop: () => {
          stopping ??= d.stop().then(() => removeWorkdir(dir));
          return stopping;
        },
      };
    });
  } catch (err) {
    removeWorkdir(dir);
    throw err;
  }
}

/** the test run's Dovecot (MXRAY_TEST_DOVECOT), or one of this process's own started on first use */
export const sharedDovecot = sharedGetter<DovecotInfo, DovecotServer>(
  dovecotEnv,
  () => startDovecot(),
  (info) => ({ ...info, shared: true, stop: async () => {} }),
);

export const dovecotShared: SharedServer = {
  name: 'dovecot',
  envName: dovecotEnv,
  uses: /\bsharedDovecot\(/,
  skipReason: dovecotSkipReason,
  async start(ca) {
    const s = await startDovecot({ ca });
    return {
      env: { [dovecotEnv]: JSON.stringify(infoOf(s)) },
      label: `Dovecot on ${s.imapPort}/${s.imapsPort}/${s.pop3Port}/${s.pop3sPort}`,
      stop: s.stop,
    };
  },
};
