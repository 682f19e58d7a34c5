// The Exchange event knowledge table (exchange-events.yaml beside this file, read from dist/ at run
// time like the monitor presets): provider + EventID -> what it means, with the public source of
// each entry. Validated by zod once, at first use; an error names file:line: key. `events top`
// shows the meaning of the groups it knows; `events ids` lists the table.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

export const knowledgeFile = fileURLToPath(new URL('../../../src/capabilities/events/exchange-events.yaml', import.meta.url));

const entrySchema = z.strictObject({
  provider: z.string().trim().min(1, 'expected the provider (event source) name'),
  id: z.number().int().min(0).max(65535),
  meaning: z.string().trim().min(1, 'expected what the event means'),
  source: z.url({ protocol: /^https?$/, error: 'expected the http(s) address of a public page that documents the event' }),
  note: z.string().optional(),
});
const fileSchema = z.strictObject({ events: z.array(entrySchema).min(1) });

export type KnownEvent = z.infer<typeof entrySchema>;

export class KnowledgeError extends Error {
  override readonly name = 'KnowledgeError';
}

const key = (provider: string, id: number) => `${provider.toLowerCase()}\u0000${id}`;

export interface Knowledge {
  readonly file: string;
  readonly events: readonly KnownEvent[];
  /** the meaning of provider + id (provider compared in any case), or undefined */
  meaning(provider: string, id: number): string | undefined;
}

/** the table of a YAML text; errors name `file:line: path: problem` */
export function parseKnowledge(file: string, text: string): Knowledge {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length)
    throw new KnowledgeError(`${file}:${doc.errors[0]!.linePos?.[0]?.line ?? 1}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const parsed = fileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    // the deepest node that exists (an unknown key: the mapping that has it)
    let at = '';
    for (let n = path.length; n >= 0 && !at; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number] } | undefined;
      if (node?.range) at = `:${lines.linePos(node.range[0]).line}`;
    }
    const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')} (known: provider, id, meaning, source, note)` : '';
    const name = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
    throw new KnowledgeError(`${file}${at}: ${name ? `${name}: ` : ''}${issue.message}${keys}`);
  }
  const byKey = new Map<string, KnownEvent>();
  parsed.data.events.forEach((e, i) => {
    const k = key(e.provider, e.id);
    if (byKey.has(k)) throw new KnowledgeError(`${file}: events[${i}]: ${e.provider} ${e.id} is listed twice`);
    byKey.set(k, e);
  });
  return { file, events: parsed.data.events, meaning: (provider, id) => byKey.get(key(provider, id))?.meaning };
}

let loaded: Knowledge | undefined;

/** the shipped table (read once) */
export function exchangeEvents(): Knowledge {
  loaded ??= parseKnowledge(knowledgeFile, readFileSync(knowledgeFile, 'utf8'));
  return loaded;
}
