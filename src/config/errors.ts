// What goes wrong in a config file, said the way compilers say it, so an admin (and an editor's
// "go to line") finds it: `mxray.yaml:12: directory.url: expected an ldap:// or ldaps:// URL, got "http://x"`.
// This module stays light (no yaml, no zod) because every command imports it.

export interface ConfigIssue {
  /** the config file as the admin named it (or mxray.yaml when found in the current folder) */
  readonly file: string;
  /** 1-based line of the key the issue is about; absent when the file could not be read */
  readonly line?: number;
  /** key path: directory.url, notify.webhook.headers.Authorization, rules[2].when; '' for the file itself */
  readonly path: string;
  readonly message: string;
}

export function formatIssue(i: ConfigIssue): string {
  return `${i.file}${i.line !== undefined ? `:${i.line}` : ''}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

/** a config that cannot be used: bad input, so the CLI exits with 2; one issue per line */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}
