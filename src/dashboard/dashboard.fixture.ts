// What the dashboard's tests share: a DuckDB store filled by the generators (tracking, IIS/ActiveSync,
// calendar, presence, all from 2024-03-04), ingested by the real CLI in this process; a config file
// for `mxray serve`; the real Chromium of the machine (testing/chromium.ts: Debian's
// /usr/bin/chromium, never a download); and a folder for screenshots that git ignores.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedLogs } from '../generate/layout.js';
import { repoPath } from '../testing/paths.js';
import { mxrayInProcess } from '../testing/run-cli.js';

async function cli(args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await mxrayInProcess(args, env ? { env } : {});
  if (r.code !== 0) throw new Error(`mxray ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export type SetName = 'tracking' | 'iis' | 'calendar' | 'presence';

const generators: Record<SetName, string[]> = {
  tracking: ['generate', 'tracking', '--users', '24', '--days', '3', '--servers', '2', '--version', '2013'],
  iis: ['generate', 'iis', '--users', '8', '--days', '2', '--version', '2013'],
  calendar: ['generate', 'calendar'],
  presence: ['generate', 'presence', '--users', '4', '--days', '3', '--start', '2024-03-04'],
};

/** generate the sets and ingest them into `dir`/mxray.duckdb; returns the database's path */
export async function filledStore(dir: string, sets: readonly SetName[] = ['tracking', 'iis', 'calendar', 'presence']): Promise<string> {
  const db = join(dir, 'mxray.duckdb');
  for (const s of sets) {
    const out = join(dir, s);
    await cli([...generators[s], '--out', out]);
    await cli(['ingest', generatedLogs(out), '--db', db]);
  }
  return db;
}

/** the store the events pages show: the generated tracking logs, the EVTX corpus, and the alerts of
 *  two rules run over them (deliveries over 300,000 bytes; Security event 4720, an account created) */
export async function eventsStore(dir: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const db = await filledStore(dir, ['tracking']);
  await cli(['ingest', repoPath('fixtures', 'corpus', 'windows_evtx'), '--db', db], env);
  const rules = join(dir, 'alerts.yaml');
  writeFileSync(
    rules,
    `rules:
  - name: large-delivery
    source: tracking
    include:
      - { field: event-id, op: "==", value: DELIVER }
      - { field: total-bytes, op: ">", value: 300000 }
  - name: account-created
    source: events
    include:
      - { field: Channel, op: "==", value: Security }
      - { field: EventID, op: "==", value: 4720 }
`,
  );
  await cli(['rules', 'run', rules, '--db', db], env);
  return db;
}

/** the CLI's JSON of a report: `mxray <words…> --json --db db` */
export async function cliJson<T>(db: string, args: string[]): Promise<T> {
  return JSON.parse(await cli([...args, '--json', '--db', db])) as T;
}

/** a config for serve on loopback (tests start it with port 0), with `sections` (YAML) appended and
 *  `serveKeys` added to the serve section */
export function serveConfig(dir: string, db: string, sections = '', serveKeys = ''): string {
  const file = join(dir, 'mxray.yaml');
  writeFileSync(file, `store:\n  db: ${db}\nserve:\n  listen: { host: 127.0.0.1, port: 8080 }\n${serveKeys}${sections}`);
  return file;
}

/** test-artifacts/dashboard/ (git-ignored): the screenshots of the browser tests */
export function artifacts(): string {
  const dir = repoPath('test-artifacts', 'dashboard');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export { chromiumPath, haveChromium, openBrowser, watchPage } from '../testing/chromium.js';
