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
import type * as nodePath from 'node:path';
import type { Registry, SectionValue } from './section.js';
import type { Sections } from './sections.js';
import type { ConfigIssue } from './errors.js';
import { findConfigFile, type ConfigFile } from './find.js';

export interface Config<R extends Registry = Sections> {
  /** the file read; undefined when there is none */
  readonly file?: ConfigFile;
  /** the sections the file has, in registry order (an empty section counts as absent) */
  readonly present: readonly (keyof R & string)[];
  /** one section, validated once, defaults filled in, paths absolute, secrets read; undefined when
   *  the file has no such section. Throws ConfigError with this section's problems only. */
  section<K extends keyof R & string>(key: K): SectionValue<R, K> | undefined;
  /** every section's problems, in file order */
  check(): ConfigIssue[];
  /** the valid sections as printable JSON: defaults filled in, secrets as "(from env X)" */
  effective(): Record<string, unknown>;
  /** "mxray.yaml:3" for a key path, for messages */
  where(path: readonly PropertyKey[]): string;
}

export interface LoadOptions<R extends Registry = Sections> {
  /** the sections to know (default: sections.ts); tests pass their own */
  readonly sections?: R;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** reads secret files (default: readFileSync as UTF-8) */
  readonly readFile?: (path: string) => string;
  /** node:path of the platform whose paths the file holds (tests pass path.win32) */
  readonly path?: nodePath.PlatformPath;
}

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
