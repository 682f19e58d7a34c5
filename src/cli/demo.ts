// npm run demo: the main job on built-in sample data. Generates an organisation's Exchange 2013
// tracking logs (3 servers, 60 mailboxes, 5 days), ingests them, ingests them again (nothing is
// added twice), and prints the capacity-planning reports; then the same for ActiveSync, calendar and
// presence, writes the one-file HTML report, and ends with the `mxray serve` command for the pages.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run } from './main.js';
import { generatedLogs, generatedTruth } from '../generate/layout.js';
import { demoMonitoring } from './demo-monitor.js';

const out = process.argv[2] ?? 'demo-out';
const db = join(out, 'mxray.duckdb');

async function step(title: string, args: string[]): Promise<void> {
  process.stdout.write(`\n$ mxray ${args.join(' ')}\n`);
  const code = await run(['node', 'mxray', ...args]);
  if (code !== 0) throw new Error(`${title} failed (exit ${code})`);
}

rmSync(db, { force: true });
rmSync(db + '.wal', { force: true });
// generated sets: the logs in <set>/logs/ (what is ingested), the truth beside them in <set>/truth.json;
// an older demo-out with the truth among the logs is generated again
const tracking = join(out, 'tracking');
const logs = generatedLogs(tracking);
if (!existsSync(generatedTruth(tracking)) || !existsSync(logs)) {
  rmSync(tracking, { recursive: true, force: true });
  await step('generate', ['generate', 'tracking', '--users', '60', '--days', '5', '--servers', '3', '--version', '2013', '--out', tracking]);
}
await step('ingest', ['ingest', logs, '--db', db]);
await step('ingest again', ['ingest', logs, '--db', db]);
await step('classes', ['tracking', 'classes', '--db', db]);
await step('top', ['tracking', 'top', '--by', 'sent', '--limit', '10', '--db', db]);
await step('traffic', ['tracking', 'traffic', '--by', 'day', '--db', db]);
process.stdout.write(`\nThe logs are in ${logs} (${generatedTruth(tracking)} holds the exact counts the reports must match); the database is ${db}.\n`);

// ActiveSync: an Exchange 2013 site's IIS logs (front end and back end log each request: the
// reports count it once), the per-device report, the runaway phones, and a Log= string decoded.
const iisSet = join(out, 'iis');
const iis = generatedLogs(iisSet);
if (!existsSync(generatedTruth(iisSet)) || !existsSync(iis)) {
  rmSync(iisSet, { recursive: true, force: true });
  await step('generate iis', ['generate', 'iis', '--users', '20', '--days', '2', '--version', '2013', '--out', iisSet]);
}
await step('ingest iis', ['ingest', iis, '--db', db]);
await step('eas users', ['eas', 'users', '--sort', 'hits', '--limit', '10', '--db', db]);
await step('eas runaway', ['eas', 'runaway', '--min-hits', '1000', '--per', 'hour', '--db', db]);
await step('eas decode', ['eas', 'decode', 'V120_Ty:Em_Fid:37_Fc1_Filt2_St:S_Sk:1805_Srv:1a0c0d0s0e0r_Pk2260121383_S1_']);
process.stdout.write(
  `\nThe IIS logs are in ${iis} (${generatedTruth(iisSet)}: hits, commands, Log= figures and runaway devices the reports must match); \`mxray eas export --out DIR --db ${db}\` writes Export-ActiveSyncLog's six CSV files.\n`,
);

// Calendar forensics: the calendar logs of the organizer, the attendees, a delegate and the room,
// exported per mailbox and meeting (CSS-Exchange style). A meeting vanished from the CEO's
// calendar; the CEO's own log names only the System Attendant; the timeline finds the delegate in
// the delegate's own export.
const calendarSet = join(out, 'calendar');
const calendar = generatedLogs(calendarSet);
if (!existsSync(generatedTruth(calendarSet)) || !existsSync(calendar)) {
  rmSync(calendarSet, { recursive: true, force: true });
  await step('generate calendar', ['generate', 'calendar', '--out', calendarSet]);
}
await step('ingest calendar', ['ingest', calendar, '--db', db]);
await step('calendar meetings', ['calendar', 'meetings', '--from', '2024-03-05', '--to', '2024-03-05', '--db', db]);
await step('calendar timeline', ['calendar', 'timeline', '--subject', 'Budget review', '--db', db]);
process.stdout.write(
  `\nThe calendar exports are in ${calendar} (${generatedTruth(calendarSet)}: every timeline's sentences and warnings as they must come out).\n`,
);

// Presence: the IM state logging script's daily logs (seed 000) of 8 users over a Berlin week-end
// with the spring clock change, the logger down now and then: time in each state per user and day
// (the 29th has 23 hours), one user's day as intervals, and how long each PC was in use.
const presenceSet = join(out, 'presence');
const presence = generatedLogs(presenceSet);
if (!existsSync(generatedTruth(presenceSet)) || !existsSync(presence)) {
  rmSync(presenceSet, { recursive: true, force: true });
  await step('generate presence', [
    'generate',
    'presence',
    '--users',
    '8',
    '--days',
    '3',
    '--start',
    '2026-03-28',
    '--tz',
    'Europe/Berlin',
    '--out',
    presenceSet,
  ]);
}
await step('ingest presence', ['ingest', presence, '--tz', 'Europe/Berlin', '--db', db]);
await step('presence report', ['presence', 'report', '--from', '2026-03-29', '--to', '2026-03-29', '--tz', 'Europe/Berlin', '--db', db]);
await step('presence timeline', ['presence', 'timeline', '--user', 'user0001@example.org', '--day', '2026-03-29', '--tz', 'Europe/Berlin', '--db', db]);
await step('presence pc-in-use', ['presence', 'pc-in-use', '--from', '2026-03-29', '--to', '2026-03-29', '--tz', 'Europe/Berlin', '--db', db]);
process.stdout.write(`\nThe presence logs are in ${presence} (${generatedTruth(presenceSet)}: each user's seconds per state and day, minute-exact).\n`);

// Windows event logs and rules (the dashboard's "Event logs and rules" page): the .evtx samples of
// the repository ingested, what fills them, the Exchange admin starter rules as a dry run, a small
// rule set run for real (its alerts stored with their records), the stored alerts, and verify: the
// store is as it was sealed at ingest.
await step('ingest evtx', ['ingest', resolve('fixtures', 'corpus', 'windows_evtx'), '--db', db]);
await step('events top', ['events', 'top', '--limit', '10', '--db', db]);
await step('rules test', ['rules', 'test', resolve('rules', 'exchange-admin.yaml'), '--db', db]);
const demoRules = join(out, 'demo-rules.yaml');
writeFileSync(
  demoRules,
  `# written by npm run demo: a delivery of more than 10 MB, and a user account created (Security 4720)
rules:
  - name: large-delivery
    source: tracking
    include:
      - { field: event-id, op: "==", value: DELIVER }
      - { field: total-bytes, op: ">", value: 10000000 }
  - name: account-created
    source: events
    include:
      - { field: Channel, op: "==", value: Security }
      - { field: EventID, op: "==", value: 4720 }
`,
);
await step('rules run', ['rules', 'run', demoRules, '--db', db]);
await step('rules alerts', ['rules', 'alerts', '--limit', '5', '--db', db]);
await step('verify', ['verify', '--db', db]);

// The dashboard: the same reports as pictures. The one-file report now; `mxray serve` (which runs
// until stopped, so the demo only prints it) for the pages, on a config that names this store.
await step('report --html', ['report', '--html', join(out, 'report.html'), '--db', db]);
const config = join(out, 'mxray.yaml');
writeFileSync(
  config,
  `# written by npm run demo: the demo's store, served on this machine only\nstore:\n  db: ${resolve(db)}\nserve:\n  listen: { host: 127.0.0.1, port: 8080 }\nintegrity:\n  verify: { interval: 1h }\n`,
);
process.stdout.write(
  `\n${join(out, 'report.html')} is the one-file report (it opens offline). To see every page, run\n\n  mxray serve --config ${config}\n\n(or node bin/mxray.js serve --config ${config}) and open http://127.0.0.1:8080 (Ctrl+C stops it).\n`,
);
// Service monitoring (demo-monitor.ts): SMTP listeners in this process stand in for two mail hosts,
// one with a stopped second instance; check (exit 2), the matrix, one round of serve, the history.
await demoMonitoring(join(out, 'monitor'), run);
