// `mxray rules check|test|run`: validate a rules file (or mxray.yaml's rules section), count what
// each rule matches over the stored records (a dry run), and evaluate the records stored since the
// last run, firing the rules' actions and storing their alerts (capabilities/rules).
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { fieldNames, sources } from '../capabilities/rules/fields.js';
import { loadRules } from './rules-load.js';
import { LiveLog } from '../store/live.js';
import { testRules, type Ports } from '../capabilities/rules/engine.js';
import { hashFile } from '../capabilities/rules/ops/sha256.js';
import { ldapMembership } from '../capabilities/rules/ops/member-of.js';
import { actionRunner } from '../capabilities/rules/actions.js';
import { runRules } from '../capabilities/rules/run.js';
import type { Config } from '../config/types.js';
import { positiveInt, storeOptions, withStore, write, type StoreOpts } from './common.js';
import type { HandWritten } from './reports.js';

// The one place the CLI builds the rule engine's ports (capabilities/rules/ports.ts): the file hasher
// of `sha256`, the LDAP resolver of `memberOf` over the directory: section (only when a rules file
// needs it; its answers are cached for directory.groupCacheSeconds, 5 minutes by default), and the actions over the notify: section.
export async function buildPorts(config: Config): Promise<Ports & { close(): Promise<void> }> {
  const directory = config.section('directory');
  const members = directory ? ldapMembership(directory, { cacheTtlMs: directory.groupCacheSeconds * 1000 }) : undefined;
  return {
    hasher: hashFile,
    ...(members ? { members } : {}),
    runActions: actionRunner({ notify: config.section('notify') }),
    close: async () => {
      await members?.close();
    },
  };
}

interface RulesOpts extends StoreOpts {
  json?: boolean;
  fields?: boolean;
  now?: string;
}

function fieldsText(): string {
  return Object.values(sources)
    .map((s) => `${s.name} (${s.doc}):\n  ${fieldNames(s).join(', ')}\n`)
    .join('');
}

/** check, test and run, before the rules capability's reports (`rules alerts`) in --help; the group
 *  and its description come from the capability registry */
export const rulesHandWritten: HandWritten = { before: [addRulesCommands] };

function addRulesCommands(group: Command): void {
  group
    .command('check')
    .description('validate a rules file (or the rules: section of mxray.yaml); --fields lists the fields of each source')
    .argument('[file]', 'rules file (rules: at its top); default: the rules: section of the config file')
    .option('--fields', "list each source's fields")
    .option('--config <file>', 'config file (default: MXRAY_CONFIG, else ./mxray.yaml)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string | undefined, o: RulesOpts) => {
      if (o.fields && file === undefined) {
        write(o.json ? JSON.stringify(Object.fromEntries(Object.values(sources).map((s) => [s.name, fieldNames(s)])), null, 2) + '\n' : fieldsText());
        return;
      }
      const set = await loadRules(file, o.config);
      const per = new Map<string, number>();
      for (const r of set.rules) per.set(r.source, (per.get(r.source) ?? 0) + 1);
      if (o.json) write(JSON.stringify({ file: set.name, valid: true, rules: set.rules.map((r) => ({ name: r.name, source: r.source })) }, null, 2) + '\n');
      else
        write(
          `${set.name}: ${set.rules.length} rule(s) valid (${[...per].map(([s, n]) => `${s} ${n}`).join(', ')})\n` +
            set.rules.map((r) => `  ${r.name} (${r.source}${r.aggregate ? `, per ${r.aggregate.per}` : ''}${r.stop ? ', stop' : ''})\n`).join('') +
            (o.fields ? fieldsText() : ''),
        );
    });

  storeOptions(
    group
      .command('test')
      .description('dry run: how many stored records each rule matches, with examples (no thresholds, no actions)')
      .argument('[file]', 'rules file; default: the rules: section of the config file')
      .option('--json', 'print [{rule, matches, examples}] as JSON')
      .option('--examples <n>', 'matching records shown per rule', positiveInt('--examples'), 5),
  ).action(async (file: string | undefined, o: RulesOpts & { examples: number }) => {
    const set = await loadRules(file, o.config);
    const config = await loadConfig(o.config);
    const ports = await buildPorts(config);
    try {
      const results = await withStore(o, (s) => testRules(s, set.rules, { ports, examples: o.examples }));
      if (o.json) write(JSON.stringify(results, null, 2) + '\n');
      else {
        const w = Math.max(4, ...results.map((r) => r.rule.length));
        write(
          `${'rule'.padEnd(w)}  matches  first example\n` +
            results
              .map((r) => {
                const e = r.examples[0];
                const where = e ? (e.origin ? `${e.origin.file}:${e.origin.line}` : JSON.stringify(e.record)) : '';
                return `${r.rule.padEnd(w)}  ${String(r.matches).padStart(7)}  ${where}\n`;
              })
              .join(''),
        );
      }
    } finally {
      await ports.close();
    }
  });

  storeOptions(
    group
      .command('run')
      .description('evaluate the records stored since the last run of this rule set: thresholds, actions, alerts stored')
      .argument('[file]', 'rules file; default: the rules: section of the config file')
      .option('--json', 'print the alerts as JSON'),
  ).action(async (file: string | undefined, o: RulesOpts) => {
    const set = await loadRules(file, o.config);
    const config = await loadConfig(o.config);
    const ports = await buildPorts(config);
    try {
      const r = await withStore(o, async (s) => runRules(s, set.rules, { ports, ruleSet: set.name, out: await LiveLog.open(s, 'rules') }), true);
      if (o.json) write(JSON.stringify(r, null, 2) + '\n');
      else
        write(
          `${set.name}: ${r.alerts.length} alert(s) fired\n` +
            r.alerts
              .map(
                (a) =>
                  `  ${a.rule}: ${a.origin ? `${a.origin.file}:${a.origin.line}` : JSON.stringify(a.record)}${a.matches > 1 ? ` (${a.matches} matches)` : ''}\n`,
              )
              .join(''),
        );
    } finally {
      await ports.close();
    }
  });
}
