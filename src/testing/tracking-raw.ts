// The test's own reader of generated 2007+ tracking logs (not the ingest's): each event by the log's
// column names with its file and line, so rule tests work out their truth from the files themselves.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** one CSV line of a 2007+ tracking log (quoted fields, "" inside quotes) */
export function csv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export interface RawEvent {
  file: string;
  line: number;
  f: Record<string, string>;
}

/** every event of the generated logs, by the log's own column names */
export function rawEvents(root: string): RawEvent[] {
  const out: RawEvent[] = [];
  for (const server of readdirSync(root).sort()) {
    for (const name of readdirSync(join(root, server)).sort()) {
      const file = join(root, server, name);
      let cols: string[] = [];
      readFileSync(file, 'utf8')
        .replace(/^\uFEFF/, '')
        .split('\n')
        .forEach((text, i) => {
          const line = text.replace(/\r$/, '');
          if (line.startsWith('#Fields: ')) cols = line.slice(9).split(',');
          if (!line || line.startsWith('#')) return;
          const v = csv(line);
          out.push({ file, line: i + 1, f: Object.fromEntries(cols.map((c, j) => [c, v[j] ?? ''])) });
        });
    }
  }
  return out;
}
