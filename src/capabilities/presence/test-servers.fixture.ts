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

export async function prosodyForTest(t: TestContext, opts: { private?: boolean } = {}): Promise<TestProsody> {
  const dev = process.env.MXRAY_DEV_PROSODY;
  const recipes = process.env.MXRAY_DEV_RECIPES;
  if (!dev || !recipes) {
    t.skip('no Prosody for the presence tests yet (MXRAY_DEV_PROSODY)');
    throw new Error('skipped');
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
