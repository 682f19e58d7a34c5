// What the dashboard's tests share: a DuckDB store filled by the generators (tracking, IIS/ActiveSync,
// calendar, presence, all from 2024-03-04), ingested by the real CLI in this process; a config file
// for `mxray serve`; the real Chromium of the machine (testing/chromium.ts: Debian's
// /usr/bin/chromium, never a download); and a folder for screenshots that git ignores.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedLogs } from '../generate/layout.js';
import { repoPath } from '../testing/paths.js';
import { mxrayInProcess } from '../testing/run-cli.js';

async function cli(args: string[]): Promise<string> {
  const r = await mxrayInProcess(args);
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
