// Where rules come from: a file of their own (`rules:` at its top, given to the commands), else the
// `rules` section of mxray.yaml. Either way validated by the same schema (config.ts), with errors
// naming the file, line and key.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { registry } from '../config/section.js';
import { rulesSection, type Rule } from '../capabilities/rules/config.js';

const rulesOnly = registry([rulesSection]);

export interface LoadedRules {
  /** the rule set's name in the cursor and the alerts: the file as given, or the config file's */
  readonly name: string;
  readonly rules: readonly Rule[];
}

/** rules from `file` (a rules file) or, without one, from the config file's `rules` section */
export async function loadRules(
  file: string | undefined,
  configPath?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<LoadedRules> {
  if (file !== undefined) {
    if (!existsSync(resolve(file))) throw new ConfigError([{ file, path: '', message: `cannot read the rules file ${resolve(file)}: no such file` }]);
    const c = await loadConfig(file, { sections: rulesOnly, env });
    const rules = c.section('rules');
    if (!rules) throw new ConfigError([{ file, line: 1, path: 'rules', message: 'missing: expected a list of rules under rules:' }]);
    return { name: file, rules };
  }
  const c = await loadConfig(configPath, { env });
  const rules = c.section('rules');
  if (!rules)
    throw new ConfigError([{ file: c.file?.shown ?? 'mxray.yaml', path: 'rules', message: 'no rules: give a rules file, or a rules: section in mxray.yaml' }]);
  return { name: c.file?.shown ?? 'mxray.yaml', rules };
}
