// The real servers the presence tests run against. Until the project's harness for slapd and Prosody
// (src/testing/servers/) is merged, a developer points the tests at instances started by hand
// (MXRAY_DEV_PROSODY=workdir:port, started and stopped with the recipe's start.sh/stop.sh named by
// MXRAY_DEV_RECIPES); without them the tests are skipped with that reason.
import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface TestProsody {
  /** xmpp://127.0.0.1:PORT (STARTTLS) */
  readonly service: string;
  readonly domain: string;
  password(user: string): string;
  /** a private instance only */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function prosodyForTest(t: TestContext, opts: { private?: boolean } = {}): Promise<TestProsody | undefined> {
  const dev = process.env.MXRAY_DEV_PROSODY;
  const recipes = process.env.MXRAY_DEV_RECIPES;
  if (!dev || !recipes) {
    t.skip('no Prosody for the presence tests yet (MXRAY_DEV_PROSODY)');
    return undefined;
  }
  const [dir, port] = dev.split(':') as [string, string];
  const run = (script: string, ...args: string[]) => {
    const r = spawnSync('bash', [join(recipes, 'prosody', script), dir, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
  };
  return {
    service: `xmpp://127.0.0.1:${port}`,
    domain: 'example.org',
    password: (u) => `${u}pw`,
    async stop() {
      if (!opts.private) throw new Error('only a private Prosody may be stopped');
      run('stop.sh');
    },
    async start() {
      run('start.sh', port, String(Number(port) + 1));
    },
  };
}

export interface TestSlapd {
  /** ldap://127.0.0.1:PORT (StartTLS) */
  readonly url: string;
  readonly base: string;
  /** an ordinary user to bind as (the admin ignores size limits, so paging would go untested) */
  readonly bindDn: string;
  readonly password: string;
  /** the generator's truth: every user with an IM address, lower case, and their account names */
  readonly enrolled: ReadonlyMap<string, string>;
  /** a private instance only: stop it and start it again (same data) */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function slapdForTest(t: TestContext): Promise<TestSlapd | undefined> {
  const dev = process.env.MXRAY_DEV_SLAPD;
  if (!dev) {
    t.skip('no slapd for the presence tests yet (MXRAY_DEV_SLAPD)');
    return undefined;
  }
  // the recipe's DIT: 30 users under nested OUs, every 4th without msExchIMAddress
  const enrolled = new Map<string, string>();
  for (let n = 1; n <= 30; n++) if (n % 4) enrolled.set(`user${String(n).padStart(2, '0')}@example.org`, `user${String(n).padStart(2, '0')}`);
  const dir = process.env.MXRAY_DEV_SLAPD_DIR ?? '';
  return {
    url: `ldap://127.0.0.1:${dev}`,
    base: 'dc=example,dc=org',
    bindDn: 'uid=user01,ou=Company,dc=example,dc=org',
    password: 'secret',
    enrolled,
    async stop() {
      spawnSync('bash', ['-c', `p=$(cat ${dir}/slapd.pid); kill -INT $p; while kill -0 $p 2>/dev/null; do sleep 0.05; done`]);
    },
    async start() {
      spawnSync('bash', [
        '-c',
        `setsid slapd -f ${dir}/slapd.conf -h ldap://127.0.0.1:${dev}/ -d 0 >/dev/null 2>&1 < /dev/null & for i in $(seq 100); do ldapsearch -x -H ldap://127.0.0.1:${dev} -b '' -s base >/dev/null 2>&1 && break; sleep 0.05; done`,
      ]);
    },
  };
}
