// The shapes of a loaded config (config.ts loads one; load.ts reads the file): a module of their
// own, so that load.ts, which config.ts imports lazily, does not import config.ts back.
import type * as nodePath from 'node:path';
import type { Registry, SectionValue } from './section.js';
import type { Sections } from './sections.js';
import type { ConfigIssue } from './errors.js';
import type { ConfigFile } from './find.js';

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
