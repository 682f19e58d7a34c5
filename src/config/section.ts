// A config section is a plain object: its key in mxray.yaml, a zod schema (strict, so unknown keys are
// errors) and an annotated example. The capability that reads a section owns it; sections.ts is the
// one list of them, and the top level of mxray.yaml is derived from that list.
import type * as z from 'zod';

export interface Section<K extends string = string, S extends z.ZodType = z.ZodType> {
  readonly key: K;
  readonly schema: S;
  /** an annotated YAML example of the section, its first comment lines saying what it is for and
   *  who reads it; `mxray config example` and examples/mxray.yaml are these, in registry order */
  readonly doc: string;
}

export function defineSection<const K extends string, S extends z.ZodType>(s: Section<K, S>): Section<K, S> {
  return s;
}

export type Registry = { readonly [key: string]: Section };

/** the registry object from a list of sections: each key stated once, by its section */
export function registry<const L extends readonly Section[]>(list: L): { readonly [S in L[number] as S['key']]: S } {
  const out: Record<string, Section> = {};
  for (const s of list) {
    if (out[s.key]) throw new Error(`config section "${s.key}" is registered twice`);
    out[s.key] = s;
  }
  return out as { readonly [S in L[number] as S['key']]: S };
}

/** what a section's schema gives a command: defaults filled in, paths absolute, secrets as Secret */
export type SectionValue<R extends Registry, K extends keyof R> = z.output<R[K]['schema']>;
