// From zod's issues to the admin's: a message in plain words, the key path, the line of that key in
// the file, and for an unknown key the known key it is probably a typo of.
import type * as z from 'zod';
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { ConfigIssue } from './errors.js';
import { expected, got } from './fields.js';

type Key = PropertyKey;

/** finds the line of a key path in the parsed file */
export class Locator {
  constructor(
    readonly file: string,
    private readonly doc?: Document,
    private readonly lines?: LineCounter,
  ) {}

  /** the line of the deepest key of `path` that the file has: the key itself when present, else
   *  (a missing key) its parent's; undefined without a file */
  line(path: readonly Key[]): number | undefined {
    if (!this.doc || !this.lines) return undefined;
    const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : this.lines!.linePos(offset).line);
    let node: unknown = this.doc.contents;
    let line = lineAt((node as { range?: [number] } | null)?.range?.[0]) ?? 1;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        if (!pair) break;
        line = lineAt((pair.key as { range?: [number] } | null)?.range?.[0]) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
        node = node.items[seg];
        line = lineAt((node as { range?: [number] }).range?.[0]) ?? line;
      } else break;
    }
    return line;
  }
}

/** directory.url, notify.webhook.headers.X-Source, rules[2].when, headers["a b"] */
export function pathText(path: readonly Key[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(String(seg))) out += `${out ? '.' : ''}${String(seg)}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** edits between a and b: insertions, deletions, substitutions and swaps of neighbours (prot → port is 1) */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** the known key `key` is probably a typo of: case aside, within a third of its length (at least 1) */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

/** `password` is declared only to be refused: point at passwordFile / passwordEnv instead */
function secretAware(keys: readonly string[]) {
  const refused = (k: string) => keys.includes(`${k}File`) && keys.includes(`${k}Env`);
  return {
    shown: keys.filter((k) => !refused(k)),
    name: (k: string) => (refused(k) ? `${k}File or ${k}Env` : k),
  };
}

export function unknownKeyMessage(key: string, known: readonly string[], what: 'key' | 'section'): string {
  const { shown, name } = secretAware(known);
  const near = closest(key, known);
  if (near) return `unknown ${what}; did you mean ${name(near)}?`;
  return `unknown ${what}; ${what === 'section' ? 'sections' : 'known keys'}: ${shown.join(', ') || '(none)'}`;
}

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
};
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    const d = defOf(s);
    if (d.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(d.type)) s = d.innerType;
    // a pipe's keys are its input's, except after z.preprocess (a pipe from a transform)
    else if (d.type === 'pipe' && d.in) s = defOf(d.in).type === 'transform' && d.out ? d.out : d.in;
    else return s;
  }
}

/** the keys a schema accepts at a path (for "did you mean"); [] when it is no mapping there */
export function keysAt(schema: z.ZodType, path: readonly Key[]): string[] {
  let options = [unwrap(schema)];
  for (const seg of path) {
    const next: z.ZodType[] = [];
    for (const s of options) {
      const d = defOf(s);
      if (d.type === 'object' && d.shape && typeof seg === 'string' && d.shape[seg]) next.push(d.shape[seg]!);
      else if (d.type === 'record' && d.valueType) next.push(d.valueType);
      else if (d.type === 'array' && d.element) next.push(d.element);
    }
    options = next.flatMap((s) => {
      const u = unwrap(s);
      const d = defOf(u);
      return d.type === 'union' && d.options ? d.options.map(unwrap) : [u];
    });
  }
  return [...new Set(options.flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}

const typeWords: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value lines)',
  array: 'a list',
  record: 'a mapping (key: value lines)',
};

/** messages for the issues a schema did not word itself (zod's per-parse error map) */
export function plainMessage(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      return expected(typeWords[iss.expected] ?? iss.expected, iss.input);
    case 'invalid_value':
      return expected(iss.values.length === 1 ? String(iss.values[0]) : `one of ${iss.values.map(String).join(', ')}`, iss.input);
    case 'too_small':
      return expected(
        `${iss.origin === 'array' ? 'a list of' : ''} at least ${String(iss.minimum)}${iss.origin === 'string' ? ' characters' : ''}`.trim(),
        iss.input,
      );
    case 'too_big':
      return expected(
        `${iss.origin === 'array' ? 'a list of' : ''} at most ${String(iss.maximum)}${iss.origin === 'string' ? ' characters' : ''}`.trim(),
        iss.input,
      );
    case 'unrecognized_keys':
      return 'unknown key';
    case 'invalid_key':
      // a record's key (a header name): the key schema's own message
      return iss.issues[0]?.message;
    case 'invalid_union':
      return `expected one of several forms, got ${got(iss.input)}`;
    default:
      return undefined;
  }
}

/** one section's zod issues as config issues, each with its line, in file order */
export function sectionIssues(issues: readonly z.core.$ZodIssue[], sectionKey: string, schema: z.ZodType, loc: Locator): ConfigIssue[] {
  const out: (ConfigIssue & { order: number })[] = [];
  const add = (path: readonly Key[], message: string) => {
    const full = [sectionKey, ...path];
    const line = loc.line(full);
    out.push({ file: loc.file, ...(line !== undefined && { line }), path: pathText(full), message, order: out.length });
  };
  for (const iss of issues) {
    if (iss.code === 'unrecognized_keys') {
      const known = keysAt(schema, iss.path);
      for (const k of iss.keys) add([...iss.path, k], unknownKeyMessage(k, known, 'key'));
    } else add(iss.path, iss.message);
  }
  out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || a.order - b.order);
  return out.map(({ order: _, ...i }) => i);
}
