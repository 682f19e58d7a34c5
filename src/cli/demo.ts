// npm run demo: the main job on built-in sample data. Generates an organisation's Exchange 2013
// tracking logs (3 servers, 60 mailboxes, 5 days), ingests them, ingests them again (nothing is
// added twice), and prints the capacity-planning reports.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './main.js';

const out = process.argv[2] ?? 'demo-out';
const db = join(out, 'mxray.duckdb');

async function step(title: string, args: string[]): Promise<void> {
  process.stdout.write(`\n$ mxray ${args.join(' ')}\n`);
  const code = await run(['node', 'mxray', ...args]);
  if (code !== 0) throw new Error(`${title} failed (exit ${code})`);
}

rmSync(db, { force: true });
rmSync(db + '.wal', { force: true });
const logs = join(out, 'tracking');
if (!existsSync(join(logs, 'truth.json'))) {
  await step('generate', ['generate', 'tracking', '--users', '60', '--days', '5', '--servers', '3', '--version', '2013', '--out', logs]);
}
await step('ingest', ['ingest', logs, '--db', db]);
await step('ingest again', ['ingest', logs, '--db', db]);
await step('classes', ['tracking', 'classes', '--db', db]);
await step('top', ['tracking', 'top', '--by', 'sent', '--limit', '10', '--db', db]);
await step('traffic', ['tracking', 'traffic', '--by', 'day', '--db', db]);
process.stdout.write(`\nThe logs are in ${logs} (truth.json holds the exact counts the reports must match); the database is ${db}.\n`);
