// The mxray command line: ingest, the report groups built from the capability registry (with the
// few hand-written commands that are not store reports), the sample generators and the formats list.
// Each command group's module is imported only when one of its commands runs: loading every module
// (DuckDB's native addon, the formats, zod schemas …) cost every command ~0.8 s of CPU at start, which
// `mxray check` run by Nagios once a minute per host cannot afford. `--help`, no command, or an
// unknown one load them all, so the help lists every command and a typo gets its suggestion.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { preparePollerProcess } from '../capabilities/presence/gc.js';
import { quietWhenOutputCloses } from './output.js';
import { UsageError } from './usage.js';

type Register = (p: Command) => void;

interface CommandGroup {
  /** the top-level words it registers; absent: only known once loaded (the capability registry's) */
  readonly words?: readonly string[];
  readonly load: () => Promise<Register>;
}

const registerCapabilities = async (): Promise<Register> => {
  const [{ registerReports }, { easHandWritten }, { presenceHandWritten: pruneCommands }, { presenceHandWritten: pollCommands }, { rulesHandWritten }] =
    await Promise.all([import('./reports.js'), import('./eas.js'), import('./presence-prune.js'), import('./presence.js'), import('./rules.js')]);
  return (p) => registerReports(p, { activesync: easHandWritten, presence: { ...pollCommands, ...pruneCommands }, rules: rulesHandWritten });
};

/** in --help's order */
const commandGroups: readonly CommandGroup[] = [
  { words: ['ingest'], load: async () => (await import('./ingest.js')).registerIngest },
  { load: registerCapabilities },
  { words: ['serve'], load: async () => (await import('./serve.js')).registerServe },
  { words: ['generate'], load: async () => (await import('./generate.js')).registerGenerate },
  { words: ['formats'], load: async () => (await import('./formats.js')).registerFormats },
  { words: ['config'], load: async () => (await import('./config.js')).registerConfig },
  { words: ['check'], load: async () => (await import('./check.js')).registerCheck },
  { words: ['report'], load: async () => (await import('./report-html.js')).registerReportHtml },
  { words: ['verify'], load: async () => (await import('./verify.js')).registerVerify },
  // rules: check, test, run and the rules capability's `rules alerts` come with the capabilities above
];

/** the subcommand's word: the first argument, when no program option (--help, --version) comes before it */
export function subcommandOf(argv: readonly string[]): string | undefined {
  const first = argv[2];
  return first === undefined || first.startsWith('-') ? undefined : first;
}

/** the program with the command groups of `argv`'s subcommand (every group when none is named, or
 *  no group declares it and the capability registry does not have it either) */
export async function program(argv?: readonly string[]): Promise<Command> {
  const word = argv ? subcommandOf(argv) : undefined;
  // --version needs no command
  if (argv && argv.length === 3 && (argv[2] === '-V' || argv[2] === '--version')) return build([]);
  if (word !== undefined) {
    const named = commandGroups.find((g) => g.words?.includes(word));
    if (named) return build([named]);
    const unnamed = await build(commandGroups.filter((g) => !g.words));
    if (unnamed.commands.some((c) => c.name() === word || c.aliases().includes(word))) return unnamed;
  }
  return build(commandGroups);
}

async function build(groups: readonly CommandGroup[]): Promise<Command> {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const p = new Command('mxray')
    .description('analytics for mail and messaging servers: Exchange message tracking, ActiveSync and more')
    .version(pkg.version)
    // program options only before the subcommand: `generate tracking --version 2013` is the
    // generator's option, not mxray's own --version
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
  const registers = await Promise.all(groups.map((g) => g.load()));
  for (const register of registers) register(p);
  return p;
}

export async function run(argv: string[]): Promise<number> {
  // `mxray … | head -1`: the reader's going away ends the output, not the command (output.ts)
  quietWhenOutputCloses();
  // the presence poller's process: set up before DuckDB loads (gc.ts)
  if (argv[2] === 'presence' && argv[3] === 'poll') preparePollerProcess();
  try {
    await (await program(argv)).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // `mxray check` is a Monitoring Plugin: a bad command line is UNKNOWN (3), not mxray's usual 2
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      // (the first word that is not an option, as before: `mxray -x check` is the plugin's failure too)
      if (argv.slice(2).find((a) => !a.startsWith('-')) !== 'check') return 2;
      return (await import('./check.js')).checkUsageFailure(e.message);
    }
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
