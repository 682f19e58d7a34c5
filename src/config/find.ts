// Which config file a command reads: --config FILE, else MXRAY_CONFIG, else ./mxray.yaml when it
// exists, else none (every section absent, defaults apply). A named file that is missing is an
// error; only the implicit ./mxray.yaml may be absent. Light on purpose: no yaml or zod here, so a
// command without a config file never loads them (zod alone takes a few hundred ms to import).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const DEFAULT_CONFIG = 'mxray.yaml';

export interface ConfigFile {
  /** absolute path */
  readonly path: string;
  /** how messages name it: as the admin wrote it, or mxray.yaml for the implicit one */
  readonly shown: string;
  /** how it was chosen, for messages: --config, MXRAY_CONFIG or ./mxray.yaml */
  readonly via: '--config' | 'MXRAY_CONFIG' | './mxray.yaml';
}

export function findConfigFile(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd = process.cwd(),
): ConfigFile | undefined {
  if (explicit) return { path: resolve(cwd, explicit), shown: explicit, via: '--config' };
  const fromEnv = env.MXRAY_CONFIG;
  if (fromEnv) return { path: resolve(cwd, fromEnv), shown: fromEnv, via: 'MXRAY_CONFIG' };
  const implicit = resolve(cwd, DEFAULT_CONFIG);
  return existsSync(implicit) ? { path: implicit, shown: DEFAULT_CONFIG, via: './mxray.yaml' } : undefined;
}
