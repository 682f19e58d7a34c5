// Test helpers for formats: run one format over one file and get its rows back as objects, for
// golden files and assertions. A text file is framed by the real ingest framer (encodings, BOM,
// gzip); a binary format reads the file itself.
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { Format, RejectReason } from '../formats/types.js';
import { recordTables, type RecordKind } from '../schema/tables.js';
import { TsvWriter, parseTsv } from '../schema/tsv.js';
import { frameFile } from '../ingest/framer.js';

export interface Parsed {
  rows: Record<string, string | null>[];
  rejects: { line: number; reason: RejectReason; detail?: string }[];
  notes: string[];
}

export type Row = Record<string, string | null>;

/** parse `path` with `format`; rows of its first table, keyed by column name (file_id omitted) */
export async function parseWith(format: Format, path: string): Promise<Parsed> {
  const { tables, rejects, notes } = await parseTables(format, path);
  return { rows: tables[format.tables[0]!] ?? [], rejects, notes };
}

/** parse `path` with `format` (text or binary); the rows of each table it writes, keyed by column
 *  name (file_id omitted; `line` is the record number for a binary format) */
export async function parseTables(format: Format, path: string): Promise<{ tables: Record<string, Row[]>; rejects: Parsed['rejects']; notes: string[] }> {
  const writers = new Map(format.tables.map((k) => [k, new TsvWriter(recordTables[k], 1, true)] as const));
  const rejects: Parsed['rejects'] = [];
  const notes: string[] = [];
  const ctx = {
    file: path,
    out: (kind: RecordKind) => {
      const w = writers.get(kind);
      if (!w) throw new Error(`format ${format.name} wrote to table ${kind}, which its \`tables\` do not list`);
      return w;
    },
    reject: (line: number, reason: RejectReason, detail?: string) => rejects.push(detail === undefined ? { line, reason } : { line, reason, detail }),
    note: (m: string) => notes.push(m),
  };
  if (format.binary) {
    await format.records({ ...ctx, checkpoint: async () => {} }, { path, size: statSync(path).size });
  } else {
    const parser = format.parser(ctx);
    await frameFile(path, { line: (buf, s, e, n, off) => parser.line(buf, s, e, n, off), reject: ctx.reject, note: ctx.note });
    parser.end();
  }
  const tables: Record<string, Row[]> = {};
  for (const [kind, w] of writers) {
    const names = recordTables[kind].columns.map((c) => c.name);
    tables[kind] = parseTsv(w.take(), true).map((r) => {
      const o: Row = {};
      names.forEach((n, i) => {
        if (n !== 'file_id') o[n] = r[i] ?? null;
      });
      return o;
    });
  }
  rejects.sort((a, b) => a.line - b.line);
  return { tables, rejects, notes };
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
