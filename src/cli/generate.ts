// mxray generate tracking|iis: realistic sample logs with a truth.json of the exact counts.
import { Option, type Command } from 'commander';
import { generateTracking, type TrackingVersion } from '../generate/tracking/index.js';
import { generateIis, type IisVersion } from '../generate/iis/index.js';
import { generatedLogs, generatedTruth } from '../generate/layout.js';
import { generateCalendar } from '../generate/calendar/index.js';
import { generatePresence } from '../generate/presence/index.js';
import { generateEvents } from '../generate/events/index.js';
import { checkZone } from '../capabilities/presence/zone.js';
import { existsSync, readdirSync } from 'node:fs';
import { positiveInt, UsageError, write } from './common.js';

/** generated logs never mix with an earlier run's files (a smaller run would leave stale days) */
function emptyOut(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new UsageError(`--out: ${dir} is not empty; name a new folder or remove it first`);
}

export function registerGenerate(program: Command): void {
  const g = program
    .command('generate')
    .description('write realistic sample logs (in OUT/logs/, and OUT/truth.json with the exact counts) for demos, tests and benchmarks');

  g.command('tracking')
    .description("an organisation's message tracking logs, several servers, every Exchange generation")
    .option('--users <n>', 'mailboxes', positiveInt('--users'), 50)
    .option('--days <n>', 'days of logs', positiveInt('--days'), 5)
    .option('--servers <n>', 'Exchange servers', positiveInt('--servers'), 2)
    .addOption(new Option('--version <v>', 'Exchange generation').choices(['2013', '2010', '2007', '2003', '55']).default('2013'))
    .option('--seed <n>', 'random seed (same seed, same files)', positiveInt('--seed'), 1)
    .option('--start <date>', 'first day (UTC)', '2024-03-04')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o: { users: number; days: number; servers: number; version: TrackingVersion; seed: number; start: string; out: string }) => {
      emptyOut(o.out);
      const truth = await generateTracking({ users: o.users, days: o.days, servers: o.servers, version: o.version, seed: o.seed, start: o.start, out: o.out });
      write(
        `wrote Exchange ${o.version} tracking logs of ${Object.keys(truth.users).length} active users over ${truth.days} day(s) to ${generatedLogs(o.out)} (truth in ${generatedTruth(o.out)})\n`,
      );
    });

  g.command('iis')
    .description('IIS logs of an Exchange site with ActiveSync traffic (front and back end for 2013+)')
    .option('--users <n>', 'mailbox users with devices', positiveInt('--users'), 30)
    .option('--days <n>', 'days of logs', positiveInt('--days'), 2)
    .addOption(new Option('--version <v>', 'Exchange generation').choices(['2013', '2010', '2003']).default('2013'))
    .option('--seed <n>', 'random seed', positiveInt('--seed'), 1)
    .option('--start <date>', 'first day (UTC)', '2024-03-04')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o: { users: number; days: number; version: IisVersion; seed: number; start: string; out: string }) => {
      emptyOut(o.out);
      const truth = await generateIis({ users: o.users, days: o.days, version: o.version, seed: o.seed, start: o.start, out: o.out });
      write(
        `wrote Exchange ${o.version} IIS logs, ${truth.devices.length} devices over ${truth.days} day(s), to ${generatedLogs(o.out)} (truth in ${generatedTruth(o.out)})\n`,
      );
    });

  g.command('calendar')
    .description("calendar diagnostic log exports of an organisation's mailboxes: the 31 logged actions of seed 001, delegates, a room, warnings' cases")
    .addOption(
      new Option('--as <kind>', 'CSV exports (Get-CalendarDiagnosticObjects), .msg folders (Get-CalendarDiagnosticLog), or both')
        .choices(['csv', 'msg', 'both'])
        .default('csv'),
    )
    .option('--seed <n>', 'random seed', positiveInt('--seed'), 1)
    .option('--start <date>', 'first day (UTC)', '2024-03-04')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o: { as: 'csv' | 'msg' | 'both'; seed: number; start: string; out: string }) => {
      emptyOut(o.out);
      const truth = await generateCalendar({ out: o.out, seed: o.seed, start: o.start, as: o.as });
      write(
        `wrote ${truth.files} calendar log export(s), ${truth.versions} versions of ${truth.meetings.length} meetings, to ${generatedLogs(o.out)} (truth in ${generatedTruth(o.out)})\n`,
      );
    });

  g.command('presence')
    .description("the IM state logging script's daily logs (seed 000: YYYYMMDD.log, local time) of N users, with the logger down now and then")
    .option('--users <n>', 'users', positiveInt('--users'), 20)
    .option('--days <n>', 'days of logs', positiveInt('--days'), 3)
    .option('--interval <duration>', 'sampling interval: 15m, 10m, 900s', '15m')
    .option('--tz <zone>', "the logging machine's time zone (its log writes local time)", 'UTC')
    .option('--seed <n>', 'random seed', positiveInt('--seed'), 1)
    .option('--start <date>', 'first day (local, YYYY-MM-DD)', '2026-03-27')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o: { users: number; days: number; interval: string; tz: string; seed: number; start: string; out: string }) => {
      const m = /^(\d+)\s*(s|m|h)?$/.exec(o.interval.trim());
      const intervalS = m ? Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as const)[(m[2] ?? 's') as 's' | 'm' | 'h'] : Number.NaN;
      if (!(intervalS >= 60 && intervalS % 60 === 0))
        throw new UsageError(`--interval: expected a whole number of minutes such as 15m or 900s, got "${o.interval}"`);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(o.start)) throw new UsageError(`--start: expected YYYY-MM-DD, got "${o.start}"`);
      let tz: string;
      try {
        tz = checkZone(o.tz);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      emptyOut(o.out);
      const truth = await generatePresence({ users: o.users, days: o.days, intervalS, tz, seed: o.seed, start: o.start, out: o.out });
      write(
        `wrote ${truth.days.length} daily presence log(s), ${truth.samples.toLocaleString('en-US')} samples of ${truth.users} users every ${intervalS / 60} min (local time ${tz}, logger down ${truth.outages.length} time(s)), to ${generatedLogs(o.out)} (truth in ${generatedTruth(o.out)})\n`,
      );
    });

  g.command('events')
    .description(
      "an Exchange server's cmdlet log (MSExchange Management) and a Security log as wevtutil XML, with cases for every rule of rules/exchange-admin.yaml",
    )
    .option('--seed <n>', 'random seed', positiveInt('--seed'), 1)
    .option('--start <date>', 'first day (UTC)', '2024-03-04')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o: { seed: number; start: string; out: string }) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(o.start)) throw new UsageError(`--start: expected YYYY-MM-DD, got "${o.start}"`);
      emptyOut(o.out);
      const truth = await generateEvents({ seed: o.seed, start: o.start, out: o.out });
      const events = Object.values(truth.files).reduce((n, f) => n + f.events, 0);
      const fired = Object.values(truth.matches).reduce((n, m) => n + m, 0);
      write(
        `wrote ${events} events in ${Object.keys(truth.files).length} wevtutil XML file(s), ${fired} of them for the starter rules, to ${generatedLogs(o.out)} (truth in ${generatedTruth(o.out)})\n`,
      );
    });
}
