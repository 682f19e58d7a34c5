// The real servers the presence tests run against, from the project's harness (src/testing/servers/):
// the run's shared slapd and Prosody, or private ones a test may stop and start again (an outage in
// the middle of a run) on the same ports with the same data. Missing packages skip the tests outside
// CI, with the harness's reason.
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { HOST, spawnDaemon, stopPids, systemUser, waitReady, type Daemon } from '../../testing/servers/daemon.js';
import { directoryTruth, DIRECTORY_READER } from '../../testing/servers/directory.js';
import { prosodySkipReason, sharedProsody, startProsody, xmppPassword, type ProsodyServer } from '../../testing/servers/prosody.js';
import { sharedSlapd, slapdSkipReason, startSlapd, type SlapdServer } from '../../testing/servers/slapd.js';

export interface Restartable {
  /** a private instance only: stop it (its data stays) and start it again on the same ports */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface TestProsody extends Restartable {
  /** xmpp://127.0.0.1:PORT (STARTTLS) */
  readonly service: string;
  readonly domain: string;
  password(user: string): string;
}

export interface TestSlapd extends Restartable {
  /** ldap://127.0.0.1:PORT (StartTLS) */
  readonly url: string;
  readonly base: string;
  /** an ordinary account to bind as (the admin ignores size limits, so paging would go untested) */
  readonly bindDn: string;
  readonly password: string;
  /** the generator's truth: the users presence must enrol (IM address, not opted out) -> account */
  readonly enrolled: ReadonlyMap<string, string>;
}

function restartable(
  server: { pid: number; shared: boolean },
  respawn: () => Daemon,
  ports: number[],
  stopSignal: NodeJS.Signals,
  t: TestContext,
): Restartable {
  let current: Daemon | undefined;
  t.after(async () => {
    await current?.stop(stopSignal);
  });
  return {
    async stop() {
      if (server.shared) throw new Error('only a private server may be stopped');
      if (current) await current.stop(stopSignal);
      else await stopPids([server.pid], stopSignal);
      current = undefined;
    },
    async start() {
      current = respawn();
      await waitReady(
        current.name,
        ports.map((port) => ({ port })),
        [current],
        [current.log],
      );
    },
  };
}

export async function slapdForTest(t: TestContext, opts: { private?: boolean } = {}): Promise<TestSlapd | undefined> {
  const skip = slapdSkipReason();
  if (skip) {
    t.skip(skip);
    return undefined;
  }
  const s: SlapdServer = opts.private ? await startSlapd() : await sharedSlapd();
  t.after(() => s.stop());
  const enrolled = new Map(
    directoryTruth()
      .users.filter((u) => u.im && !u.optedOut)
      .map((u) => [u.im!, u.uid]),
  );
  const again = () =>
    spawnDaemon(
      'slapd',
      'slapd',
      ['-f', join(s.dir, 'slapd.conf'), '-h', `ldap://${HOST}:${s.ldapPort}/ ldaps://${HOST}:${s.ldapsPort}/`, '-d', '0'],
      join(s.dir, 'slapd.log'),
      {
        stopSignal: 'SIGINT',
      },
    );
  return {
    url: s.url,
    base: s.base,
    bindDn: DIRECTORY_READER.dn,
    password: DIRECTORY_READER.password,
    enrolled,
    ...restartable(s, again, [s.ldapPort, s.ldapsPort], 'SIGINT', t),
  };
}

export async function prosodyForTest(t: TestContext, opts: { private?: boolean } = {}): Promise<TestProsody | undefined> {
  const skip = prosodySkipReason();
  if (skip) {
    t.skip(skip);
    return undefined;
  }
  const p: ProsodyServer = opts.private ? await startProsody() : await sharedProsody();
  t.after(() => p.stop());
  const user = systemUser('prosody');
  const again = () =>
    spawnDaemon('prosody', 'prosody', ['-F', '--config', join(p.dir, 'prosody.cfg.lua')], join(p.dir, 'prosody.stdout'), {
      ...(user ? { user: user.name } : {}),
      cwd: p.dir,
    });
  return {
    service: p.service,
    domain: p.domain,
    password: xmppPassword,
    ...restartable(p, again, [p.c2sPort, p.directTlsPort], 'SIGTERM', t),
  };
}
