// The mxray command line: ingest, the report groups built from the capability registry (with the
// few hand-written commands that are not store reports), the sample generators and the formats list.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerIngest } from './ingest.js';
import { registerGenerate } from './generate.js';
import { registerFormats } from './formats.js';
import { easHandWritten } from './eas.js';
import { registerConfig } from './config.js';
import { ConfigError } from '../config/errors.js';
import { UsageError } from './common.js';
import { registerReports } from './reports.js';
import { presenceHandWritten as pruneCommands } from './presence-prune.js';
import { presenceHandWritten as pollCommands } from './presence.js';
import { checkUsageFailure, isCheckCommand, registerCheck } from './check.js';
import { registerServe } from './serve.js';
import { registerRules } from './rules.js';

const registerCapabilities = (p: Command) => registerReports(p, { activesync: easHandWritten, presence: { ...pollCommands, ...pruneCommands } });
const commandGroups = [registerIngest, registerCapabilities, registerServe, registerGenerate, registerFormats, registerConfig, registerCheck, registerRules];

export function program(): Command {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const p = new Command('mxray')
    .description('analytics for mail and messaging servers: Exchange message tracking, ActiveSync and more')
    .version(pkg.version)
    // program options only before the subcommand: `generate tracking --version 2013` is the
    // generator's option, not mxray's own --version
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
  for (const register of commandGroups) register(p);
  return p;
}

export async function run(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // `mxray check` is a Monitoring Plugin: a bad command line is UNKNOWN (3), not mxray's usual 2
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : isCheckCommand(argv) ? checkUsageFailure(e.message) : 2;
    if (e instanceof UsageError || e instanceof ConfigError) {
      // a config error has one line per problem, each `file:line: key: message`
      process.stderr.write(
        e.message
          .split('\n')
          .map((line) => `mxray: ${line}\n`)
          .join(''),
      );
      return 2;
    }
    process.stderr.write(`mxray: ${(e as Error).message}\n`);
    if (process.env.MXRAY_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}
