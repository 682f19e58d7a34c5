// A report is a plain object: what it is called, which parameters it takes, how it runs against a
// store and how its result is written as a table, CSV or JSON. The CLI builds its commands from
// these objects (cli/reports.ts) and the web API will build its routes from the same ones, so both
// accept the same parameters, say the same thing about a bad value, and print the same output.
//
// Parameters arrive as a record of strings, the way an HTTP query string gives them and the way a
// command line types them; zod turns that record into typed values. The error messages name the
// CLI flag (`--limit: expected a whole number ≥ 1, got "x"`): they are the messages mxray has
// always printed, and the web API shows them unchanged.
import { z } from 'zod';
import type { ColumnSpec, OutputFormat } from '../render/render.js';
import type { Store } from '../store/types.js';

/** what kind of value a parameter takes: how a form shows it and how its string is read */
export type ParamType = 'text' | 'int' | 'number' | 'choice' | 'flag';

/** the strings a report is asked with: a parsed query string, or the options typed on a command line */
export type ParamInput = Readonly<Record<string, string | undefined>>;

export interface Param<N extends string = string, V = unknown> {
  /** the key in the record of strings and in the typed values; the CLI flag's camelCase name (minHits) */
  name: N;
  /** the CLI flag with its value's placeholder: '--min-hits <n>' */
  flag: string;
  help: string;
  type: ParamType;
  choices?: readonly string[];
  /** the value when the parameter is not given (shown in --help) */
  default?: string | number;
  required?: boolean;
  /** the string (or its absence) to the typed value; its issues are the messages the user sees */
  schema: z.ZodType<V, string | undefined>;
}

/** the typed values of a list of parameters, by name */
export type ParamValues<Ps extends readonly Param[]> = {
  [P in Ps[number] as P['name']]: P extends Param<string, infer V> ? V : never;
};

/** a rule over several parameters (--light-max ≤ --heavy-min): a message when broken. It sees the
 *  typed values and the strings as given, so that its message can quote what the user typed. */
export type Check<V> = (values: V, input: ParamInput) => string | undefined;

export interface ParamSet<Ps extends readonly Param[] = readonly Param[]> {
  params: Ps;
  /** run in order once every parameter is valid on its own; the first broken one is the error */
  checks?: readonly Check<ParamValues<Ps>>[];
}

export interface Report<Ps extends readonly Param[] = readonly Param[], R = unknown> extends ParamSet<Ps> {
  /** stable id, the web API's route: 'eas.users' */
  id: string;
  /** the CLI words: ['eas', 'users'] is `mxray eas users` */
  command: readonly [string, string];
  /** one line for --help and for the page's title */
  description: string;
  run(store: Store, params: ParamValues<Ps>): Promise<R>;
  /** the output the CLI prints, byte for byte; 'json' is the JSON contract the web API returns too */
  render(result: R, format: OutputFormat, params: ParamValues<Ps>): string;
  /** a line for people beside machine-readable output: the CLI writes it to stderr with --json,
   *  where the table would have said it in its header ('' or absent: nothing) */
  note?(result: R, params: ParamValues<Ps>): string;
  /** when the JSON output is an array of flat rows: the columns a page shows them with (ColumnSpec
   *  of `never`: columns of whatever row type the report has) */
  columns?: readonly ColumnSpec<never>[];
}

/** any report, for lists of reports of different shapes (the registry); `any` because a list holds
 *  results of different types, each typed where its spec is written */
// biome-ignore lint/suspicious/noExplicitAny: a list of reports holds results of different types (each typed in its own spec)
export type AnyReport = Report<readonly Param[], any>;

/** a report spec with its parameters' types inferred: `run` and `render` get typed values */
export function defineReport<const Ps extends readonly Param[], R>(spec: Report<Ps, R>): Report<Ps, R> {
  return spec;
}

/** parameters that are not a report's (a command that writes files), typed the same way */
export function defineParams<const Ps extends readonly Param[]>(set: ParamSet<Ps>): ParamSet<Ps> {
  return set;
}

/** a bad parameter value; the CLI prints the message and exits with 2, the web API answers 400 */
export class ParamError extends Error {}

const schemas = new WeakMap<ParamSet, z.ZodType>();

function schemaOf(set: ParamSet): z.ZodType {
  let s = schemas.get(set);
  if (!s) {
    const shape = Object.fromEntries(set.params.map((p) => [p.name, p.schema]));
    s = z.strictObject(shape, {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; known: ${set.params.map((p) => p.name).join(', ')}`
          : undefined,
    });
    schemas.set(set, s);
  }
  return s;
}

/** the typed values of a record of strings, or a ParamError with the first problem found: the
 *  parameters in their order, then the checks in theirs */
export function validate<Ps extends readonly Param[]>(set: ParamSet<Ps>, input: ParamInput): ParamValues<Ps> {
  const r = schemaOf(set).safeParse(input);
  if (!r.success) throw new ParamError(r.error.issues[0]!.message);
  const values = r.data as ParamValues<Ps>;
  for (const check of set.checks ?? []) {
    const message = check(values, input);
    if (message !== undefined) throw new ParamError(message);
  }
  return values;
}

// ---- parameter builders: the type of each, and its messages, written once ------------------------

/** '--min-hits <n>' → '--min-hits' */
export function flagName(flag: string): string {
  return flag.split(/[ ,]/)[0]!;
}

/** a zod transform: the string (or its absence) to a value, or an issue with the message `parse` gives */
function read<V>(parse: (v: string | undefined) => V | { error: string }) {
  return z
    .string()
    .optional()
    .transform((v, ctx): V => {
      const out = parse(v);
      if (typeof out === 'object' && out !== null && 'error' in out) {
        ctx.addIssue({ code: 'custom', message: out.error });
        return z.NEVER;
      }
      return out as V;
    });
}

type Extra = Pick<Param, 'required'>;

/** the value given, else the default; a required parameter that is missing is the error commander gives */
function orDefault<V>(flag: string, dflt: V, required: boolean | undefined, parse: (v: string) => V | { error: string }) {
  return (v: string | undefined) => {
    if (v !== undefined) return parse(v);
    if (required) return { error: `required option '${flag}' not specified` };
    return dflt;
  };
}

/** a whole number ≥ min (1 unless said) */
function int<N extends string>(name: N, flag: string, help: string): Param<N, number | undefined>;
function int<N extends string>(name: N, flag: string, help: string, o: { default: number; min?: number }): Param<N, number>;
function int<N extends string>(name: N, flag: string, help: string, o: { default?: number; min?: number } = {}): Param<N, number | undefined> {
  const min = o.min ?? 1;
  const schema = read(
    orDefault(flag, o.default, undefined, (v) => {
      const n = Number(v);
      return Number.isInteger(n) && n >= min ? n : { error: `${flagName(flag)}: expected a whole number ≥ ${min}, got "${v}"` };
    }),
  );
  return { name, flag, help, type: 'int', ...(o.default !== undefined ? { default: o.default } : {}), schema };
}

/** a number ≥ min (0 unless said) */
function number<N extends string>(name: N, flag: string, help: string, o: { default: number; min?: number }): Param<N, number> {
  const min = o.min ?? 0;
  const schema = read(
    orDefault(flag, o.default, undefined, (v) => {
      const n = Number(v);
      return Number.isFinite(n) && n >= min ? n : { error: `${flagName(flag)}: expected a number ≥ ${min}, got "${v}"` };
    }),
  );
  return { name, flag, help, type: 'number', default: o.default, schema };
}

/** one of a fixed list; the message is commander's own, so the CLI and the web say the same */
function choice<N extends string, C extends string>(name: N, flag: string, help: string, choices: readonly C[]): Param<N, C | undefined>;
function choice<N extends string, C extends string>(name: N, flag: string, help: string, choices: readonly C[], dflt: NoInfer<C>): Param<N, C>;
function choice<N extends string, C extends string>(name: N, flag: string, help: string, choices: readonly C[], dflt?: C): Param<N, C | undefined> {
  const schema = read(
    orDefault<C | undefined>(flag, dflt, undefined, (v) =>
      (choices as readonly string[]).includes(v)
        ? (v as C)
        : { error: `option '${flag}' argument '${v}' is invalid. Allowed choices are ${choices.join(', ')}.` },
    ),
  );
  return { name, flag, help, type: 'choice', choices, ...(dflt !== undefined ? { default: dflt } : {}), schema };
}

/** text, trimmed; `expects` names what an empty value should have been (`a user name`) */
function text<N extends string>(name: N, flag: string, help: string, o: { expects: string } & Extra): Param<N, string | undefined> {
  const schema = read(
    orDefault<string | undefined>(flag, undefined, o.required, (v) =>
      v.trim() === '' ? { error: `${flagName(flag)}: expected ${o.expects}, got an empty value` } : v.trim(),
    ),
  );
  return { name, flag, help, type: 'text', ...(o.required ? { required: true } : {}), schema };
}

/** on or off: given without a value (a bare `?json` or `--json`) or as true/false, 1/0 */
function flag<N extends string>(name: N, flagText: string, help: string): Param<N, boolean> {
  const schema = read((v) => {
    if (v === undefined || v === 'false' || v === '0') return false;
    if (v === '' || v === 'true' || v === '1') return true;
    return { error: `${flagName(flagText)}: expected true or false, got "${v}"` };
  });
  return { name, flag: flagText, help, type: 'flag', schema };
}

/** a parameter read by a function of its own (a date): `parse` returns the value or throws the message */
function custom<N extends string, V>(
  name: N,
  flagText: string,
  help: string,
  type: ParamType,
  parse: (v: string | undefined) => V,
  o: Extra = {},
): Param<N, V> {
  const schema = read<V>((v) => {
    if (v === undefined && o.required) return { error: `required option '${flagText}' not specified` };
    try {
      return parse(v);
    } catch (e) {
      return { error: (e as Error).message };
    }
  });
  return { name, flag: flagText, help, type, ...(o.required ? { required: true } : {}), schema };
}

export const param = { int, number, choice, text, flag, custom };
