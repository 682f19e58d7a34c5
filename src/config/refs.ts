// What a config file points at instead of holding: secrets (passwordFile: PATH or passwordEnv: NAME,
// tokenFile/tokenEnv, …) and other files (certificates, the DuckDB file). Relative paths are relative
// to the config file's folder, as in Prometheus, so a config works from whatever folder a service
// or a scheduled task starts in; node:path resolves them, so C:\x and \\server\share\x work on Windows.
//
// Sections are plain zod schemas, but resolving a path or reading a secret needs to know where the
// file is and which environment applies: parseSection() sets that load context for the duration of one
// synchronous parse, and the transforms below read it.
import * as z from 'zod';
import type * as nodePath from 'node:path';
import { inspect } from 'node:util';
import { expected } from './fields.js';

export interface LoadContext {
  /** the config file's folder: relative paths are relative to it */
  readonly baseDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** reads a secret file (tests replace it) */
  readonly readFile: (path: string) => string;
  /** node:path of this platform; tests pass path.win32 to check Windows and UNC paths */
  readonly path: nodePath.PlatformPath;
}

let current: LoadContext | undefined;

/** run fn (a synchronous zod parse) with ctx as the load context */
export function withContext<T>(ctx: LoadContext, fn: () => T): T {
  const before = current;
  current = ctx;
  try {
    return fn();
  } finally {
    current = before;
  }
}

function context(): LoadContext {
  if (!current) throw new Error('config: a section schema was parsed without a load context (use parseSection)');
  return current;
}

/** A secret read from a file or the environment. Printing it in any way (String(), JSON, console.log,
 *  util.inspect) shows where it comes from, never the value; only reveal() gives the value. */
export class Secret {
  readonly #value: string;
  constructor(
    readonly source: 'file' | 'env',
    /** the absolute file path or the variable's name */
    readonly ref: string,
    /** the key that named it, e.g. passwordEnv, for messages */
    readonly key: string,
    value: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  describe(): string {
    return `(from ${this.source} ${this.ref})`;
  }
  toString(): string {
    return this.describe();
  }
  toJSON(): string {
    return this.describe();
  }
  [inspect.custom](): string {
    return `Secret ${this.describe()}`;
  }
}

function readError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EPERM: 'permission denied', EISDIR: 'it is a folder' };
  return code ? `${words[code] ?? code} (${code})` : (e as Error).message;
}

/** a path relative to the config file's folder, made absolute (inside a section's parse only) */
export function resolveFromConfig(p: string): string {
  const c = context();
  return c.path.resolve(c.baseDir, p);
}

/** a path to a file; relative to the config file's folder; the output is absolute */
export function filePath(what = 'a file path') {
  return z
    .string({ error: (iss) => expected(what, iss.input) })
    .min(1, { error: `expected ${what}, got empty text` })
    .transform(resolveFromConfig);
}

function secretFile(key: string) {
  return filePath('the path of a file holding the secret').transform((abs, ctx) => {
    let text: string;
    try {
      text = context().readFile(abs);
    } catch (e) {
      ctx.issues.push({ code: 'custom', message: `cannot read ${abs}: ${readError(e)}`, input: abs });
      return z.NEVER;
    }
    // one trailing newline is the editor's, not the secret's (as MXRAY_CLICKHOUSE_PASSWORD_FILE)
    const value = text.replace(/^\uFEFF/, '').replace(/\r?\n$/, '');
    if (value === '') {
      ctx.issues.push({ code: 'custom', message: `${abs} is empty`, input: abs });
      return z.NEVER;
    }
    return new Secret('file', abs, key, value);
  });
}

function secretEnv(key: string) {
  return z
    .string({ error: (iss) => expected('the name of an environment variable', iss.input) })
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (iss) => expected('the name of an environment variable (letters, digits and _)', iss.input) })
    .transform((name, ctx) => {
      const value = context().env[name];
      // an empty password is worse than none: an LDAP simple bind with one is an anonymous bind
      if (value === undefined || value === '') {
        ctx.issues.push({ code: 'custom', message: `environment variable ${name} is ${value === undefined ? 'not set' : 'empty'}`, input: name });
        return z.NEVER;
      }
      return new Secret('env', name, key, value);
    });
}

type SecretShape<N extends string> = { [K in `${N}File` | `${N}Env`]: z.ZodOptional<z.ZodType<Secret, string>> } & {
  [K in N]: z.ZodOptional<z.ZodType<never, never>>;
};

/** The keys of one secret in a section's shape: `${name}File` and `${name}Env`, and `${name}` itself
 *  declared only to refuse it with a message that says what to write instead (and never echoes it). */
export function secretKeys<const N extends string>(name: N): SecretShape<N> {
  const refuse = z.custom<never>(() => false, {
    error: `a ${name} does not belong in the config file: give ${name}File: PATH (a file holding it) or ${name}Env: NAME (an environment variable)`,
  });
  return {
    [`${name}File`]: secretFile(`${name}File`).optional(),
    [`${name}Env`]: secretEnv(`${name}Env`).optional(),
    [name]: refuse.optional(),
  } as SecretShape<N>;
}

type Joined<T, N extends string> = { [K in keyof T as K extends `${N}File` | `${N}Env` | N ? never : K]: T[K] } & { [K in N]?: Secret };

/** The object-level half of secretKeys: `${name}File` / `${name}Env` become one `${name}: Secret`,
 *  in the place the admin wrote it; both given is an issue. Use in the section's .transform(). */
export function joinSecret<T extends Record<string, unknown>, const N extends string>(o: T, name: N, ctx: { issues: z.core.$ZodRawIssue[] }): Joined<T, N> {
  const fileKey = `${name}File`;
  const envKey = `${name}Env`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === name || v === undefined) continue;
    if (k === fileKey || k === envKey) {
      if (out[name] !== undefined) {
        ctx.issues.push({ code: 'custom', message: `give ${fileKey} or ${envKey}, not both`, path: [k], input: undefined });
        continue;
      }
      out[name] = v;
    } else out[k] = v;
  }
  return out as Joined<T, N>;
}
