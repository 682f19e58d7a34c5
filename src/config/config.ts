// mxray.yaml: one config file whose sections the capabilities own (sections.ts lists them).
//
//   const config = await loadConfig(o.config);        // --config, else MXRAY_CONFIG, else ./mxray.yaml
//   const dir = config.section('directory');          // validated, typed, secrets read; or undefined
//
// When is what checked. Loading reads the file and stops at what makes the whole file unusable: it
// cannot be read, it is not valid YAML (a lost quote can move keys between sections), its top level
// is not a mapping, or it has a section nobody owns (a typo such as `stor:` must not silently leave a
// command on its defaults). Each section is validated when a command first asks for it, once, and
// its secrets are read then: a mistake in `notify` or an unreadable LDAP password file does not stop
// `mxray ingest`, which reads only `store`, while every command that does read the broken section
// stops with exit 2 and the file, line and key. `mxray config check` validates every section.
//
// Only find.ts and errors.ts load with every command; yaml and zod (slow to import) only when a
// config file exists.
import type { Registry } from './section.js';
import type { Sections } from './sections.js';
import { findConfigFile } from './find.js';
import type { Config, LoadOptions } from './types.js';

export type { Config, LoadOptions } from './types.js';

/** no config file: every section absent */
export function emptyConfig<R extends Registry = Sections>(): Config<R> {
  return {
    present: [],
    section: () => undefined,
    check: () => [],
    effective: () => ({}),
    where: () => '',
  };
}

/** Find and read the config file (see above); throws ConfigError for a file that cannot be used */
export async function loadConfig<R extends Registry = Sections>(path?: string, opts: LoadOptions<R> = {}): Promise<Config<R>> {
  const file = findConfigFile(path, opts.env ?? process.env, opts.cwd);
  if (!file) return emptyConfig<R>();
  const { readConfigFile } = await import('./load.js');
  const sections = opts.sections ?? ((await import('./sections.js')).sections as unknown as R);
  return readConfigFile(file, sections, opts);
}
