// Reading one config file: YAML with line positions, the top level checked against the registry,
// then each section validated on first use (config.ts says why lazily).
import { readFileSync } from 'node:fs';
import * as nodePath from 'node:path';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { Config, LoadOptions } from './types.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import type { ConfigFile } from './find.js';
import { got } from './fields.js';
import { Locator, plainMessage, sectionIssues, unknownKeyMessage } from './issues.js';
import { withContext, type LoadContext } from './refs.js';
import type { Registry, Section, SectionValue } from './section.js';

/** validate one section's value (a key of the file's top level) with ctx for paths and secrets */
export function parseSection(section: Section, value: unknown, ctx: LoadContext) {
  return withContext(ctx, () => section.schema.safeParse(value, { error: plainMessage }));
}

export function readConfigFile<R extends Registry>(file: ConfigFile, sections: R, opts: LoadOptions<R> = {}): Config<R> {
  let text: string;
  try {
    text = readFileSync(file.path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (code ?? (e as Error).message);
    throw new ConfigError([{ file: file.shown, path: '', message: `cannot read the config file ${file.path} (named by ${file.via}): ${why}` }]);
  }
  return parseConfig(text, file, sections, opts);
}

const MAX_SYNTAX_ERRORS = 10;

function yamlHint(code: string): string {
  // the usual way a Windows path breaks a YAML file
  if (code === 'BAD_DQ_ESCAPE') return ' (in "double quotes" a backslash starts an escape: write Windows paths without quotes or in \'single quotes\')';
  if (code === 'TAB_AS_INDENT') return ' (YAML indents with spaces only)';
  return '';
}

function readYaml(text: string, file: ConfigFile): { doc: Document; lines: LineCounter; data: unknown } {
  const lines = new LineCounter();
  // the yaml package skips a UTF-8 BOM and counts CRLF as one line end
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  // an error at the very end (an unclosed bracket) belongs to the last line, not the empty one after it
  const lastLine = Math.max(1, lines.lineStarts.length - (/\n$/.test(text) ? 1 : 0));
  const at = (offset: number) => Math.min(lines.linePos(offset).line, lastLine);
  if (doc.errors.length) {
    const issues = doc.errors.map((e) => ({
      file: file.shown,
      line: at(e.pos[0]),
      path: '',
      message: `not valid YAML: ${e.message.replace(/ at line \d+, column \d+[\s\S]*$/, '')}${yamlHint(e.code)}`,
    }));
    // the same complaint twice on one line (two backslashes in one path) is said once
    const seen = new Set<string>();
    throw new ConfigError(issues.filter((i) => !seen.has(`${i.line} ${i.message}`) && seen.add(`${i.line} ${i.message}`)).slice(0, MAX_SYNTAX_ERRORS));
  }
  try {
    return { doc, lines, data: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e) {
    let line = 1;
    visit(doc, {
      Alias(_, node) {
        if (line === 1 && node.range && !node.resolve(doc)) line = at(node.range[0]);
      },
    });
    throw new ConfigError([{ file: file.shown, line, path: '', message: `not valid YAML: ${(e as Error).message}` }]);
  }
}

export function parseConfig<R extends Registry>(text: string, file: ConfigFile, sections: R, opts: LoadOptions<R> = {}): Config<R> {
  const { doc, lines, data: raw } = readYaml(text, file);
  const loc = new Locator(file.shown, doc, lines);
  const known = Object.keys(sections);
  // an empty file, or one with only comments, is an empty config
  const data = raw ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([
      { file: file.shown, line: loc.line([]) ?? 1, path: '', message: `expected sections at the top level (${known.join(', ')}), got ${got(data)}` },
    ]);
  }
  const values = data as Record<string, unknown>;
  const unknown: ConfigIssue[] = Object.keys(values)
    .filter((k) => !known.includes(k))
    .map((k) => ({
      file: file.shown,
      line: loc.line([k]) ?? 1,
      path: k,
      message: unknownKeyMessage(k, known, 'section'),
    }));
  if (unknown.length) throw new ConfigError(unknown);

  const path = opts.path ?? nodePath;
  const ctx: LoadContext = {
    baseDir: path.dirname(file.path),
    env: opts.env ?? process.env,
    readFile: opts.readFile ?? ((p) => readFileSync(p, 'utf8')),
    path,
  };
  // `directory:` with every line commented out is no section, not an empty one
  const present = known.filter((k) => values[k] !== undefined && values[k] !== null) as (keyof R & string)[];
  const results = new Map<string, { value: unknown } | { issues: ConfigIssue[] }>();
  const validate = (key: string) => {
    let r = results.get(key);
    if (!r) {
      const section = sections[key]!;
      const parsed = parseSection(section, values[key], ctx);
      r = parsed.success ? { value: parsed.data } : { issues: sectionIssues(parsed.error.issues, key, section.schema, loc) };
      results.set(key, r);
    }
    return r;
  };

  return {
    file,
    present,
    section<K extends keyof R & string>(key: K): SectionValue<R, K> | undefined {
      if (!present.includes(key)) return undefined;
      const r = validate(key);
      if ('issues' in r) throw new ConfigError(r.issues);
      return r.value as SectionValue<R, K>;
    },
    check() {
      const all = present.flatMap((k) => {
        const r = validate(k);
        return 'issues' in r ? r.issues : [];
      });
      return all.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    },
    effective() {
      const out: Record<string, unknown> = {};
      for (const k of present) {
        const r = validate(k);
        // through JSON: a Secret prints as where it comes from
        if ('value' in r) out[k] = JSON.parse(JSON.stringify(r.value));
      }
      return out;
    },
    where(keyPath) {
      const line = loc.line(keyPath);
      return line === undefined ? file.shown : `${file.shown}:${line}`;
    },
  };
}
