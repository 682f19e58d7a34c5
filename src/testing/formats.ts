// Test helpers for formats: run one format over one file and get its rows back as objects, for
// golden files and assertions. The file is framed by the real ingest framer (encodings, BOM, gzip).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { Format, RejectReason } from '../formats/types.js';
import { recordTables } from '../schema/tables.js';
import { TsvWriter, parseTsv } from '../schema/tsv.js';
import { frameFile } from '../ingest/framer.js';

export interface Parsed {
  rows: Record<string, string | null>[];
  rejects: { line: number; reason: RejectReason; detail?: string }[];
  notes: string[];
}

/** parse `path` with `format`; rows are keyed by column name (file_id omitted) */
export async function parseWith(format: Format, path: string): Promise<Parsed> {
  const table = recordTables[format.kind];
  const out = new TsvWriter(table, 1, true);
  const rejects: Parsed['rejects'] = [];
  const notes: string[] = [];
  const parser = format.parser({
    file: path,
    out,
    reject: (line, reason, detail) => rejects.push(detail === undefined ? { line, reason } : { line, reason, detail }),
    note: (m) => notes.push(m),
  });
  await frameFile(path, {
    line: (buf, s, e, n, off) => parser.line(buf, s, e, n, off),
    reject: (line, reason, detail) => rejects.push(detail === undefined ? { line, reason } : { line, reason, detail }),
    note: (m) => notes.push(m),
  });
  parser.end();
  const names = table.columns.map((c) => c.name);
  const rows = parseTsv(out.take(), true).map((r) => {
    const o: Record<string, string | null> = {};
    names.forEach((n, i) => { if (n !== 'file_id') o[n] = r[i] ?? null; });
    return o;
  });
  rejects.sort((a, b) => a.line - b.line);
  return { rows, rejects, notes };
}

/** compare `actual` with the JSON golden file; UPDATE_GOLDEN=1 (or `update`) writes it instead. A
 *  missing golden file fails: a plain test run never writes one (it would pass having checked nothing). */
export function assertGolden(goldenPath: string, actual: unknown, update = process.env.UPDATE_GOLDEN === '1'): void {
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (update) {
    writeFileSync(goldenPath, text);
    return;
  }
  if (!existsSync(goldenPath)) assert.fail(`golden file missing: ${goldenPath} (UPDATE_GOLDEN=1 npm test writes it; review it before committing)`);
  assert.deepEqual(JSON.parse(text), JSON.parse(readFileSync(goldenPath, 'utf8')), `differs from ${goldenPath} (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}
