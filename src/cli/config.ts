// mxray config check | example: validate the config file and show what mxray makes of it; print an
// annotated example.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/config.js';
import { ConfigError, formatIssue, type ConfigIssue } from '../config/errors.js';
import { write } from './common.js';

interface CheckOpts {
  config?: string;
  json?: boolean;
}

export async function configCheck(
  o: CheckOpts,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let config: Config | undefined;
  let issues: ConfigIssue[];
  try {
    config = await loadConfig(o.config, { env });
    issues = config.check();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    issues = [...e.issues];
  }
  const file = config ? (config.file?.shown ?? null) : (o.config ?? env.MXRAY_CONFIG ?? 'mxray.yaml');
  const effective = config?.effective() ?? {};
  const code = issues.length ? 2 : 0;
  if (o.json) {
    return { code, stdout: JSON.stringify({ file, valid: !issues.length, issues, config: effective }, null, 2) + '\n', stderr: '' };
  }
  if (issues.length) {
    return { code, stdout: '', stderr: issues.map((i) => `${formatIssue(i)}\n`).join('') + `${file}: ${issues.length} problem(s)\n` };
  }
  if (!config?.file) {
    return {
      code,
      stdout: `no config file (no --config, MXRAY_CONFIG not set, no mxray.yaml in ${process.cwd()}): every section has its defaults\n`,
      stderr: '',
    };
  }
  const { stringify } = await import('yaml');
  const notes = [
    `# ${file}: valid. What mxray makes of it: defaults filled in, paths absolute, secrets by where they come from.`,
    ...(env.MXRAY_STORE && 'store' in effective ? ['# note: MXRAY_STORE is set and wins over store: below'] : []),
  ];
  const body = Object.keys(effective).length ? stringify(effective, { lineWidth: 0 }) : '# (no sections)\n';
  return { code, stdout: `${notes.join('\n')}\n${body}`, stderr: '' };
}

export function registerConfig(program: Command): void {
  const config = program.command('config').description('the config file (mxray.yaml): check it, or print an annotated example');
  config
    .command('check')
    .description('validate the config file and print what mxray makes of it (secrets shown by where they come from); exit 2 when invalid')
    .option('--config <file>', 'config file (default: MXRAY_CONFIG, else ./mxray.yaml)')
    .option('--json', 'print {file, valid, issues, config} as JSON')
    .action(async (o: CheckOpts) => {
      const r = await configCheck(o);
      write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.code;
    });
  config
    .command('example')
    .description('print an annotated example config (the same as examples/mxray.yaml)')
    .action(async () => {
      const { exampleConfig } = await import('../config/example.js');
      write(exampleConfig());
    });
}
