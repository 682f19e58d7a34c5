// Choosing a file's format: every registered format looks at the first lines (bounded: 40 lines,
// 256 KiB) and says how sure it is and why; the most confident wins. When none fits, the reasons
// of the closest candidates are reported to the user.
import { basename } from 'node:path';
import { formatList } from '../formats/registry.js';
import type { Format } from '../formats/types.js';
import { sampleLines } from './framer.js';

export const MIN_CONFIDENCE = 30;

export interface SniffResult {
  format?: Format;
  reason: string;
  candidates: { name: string; confidence: number; reason: string }[];
  /** the first lines it looked at (decoded, BOM removed) */
  lines: readonly string[];
}

export async function sniffFile(path: string, formats: readonly Format[] = formatList): Promise<SniffResult> {
  const lines = await sampleLines(path);
  const sample = { name: basename(path), lines };
  const candidates = formats
    .map((f) => ({ f, s: f.sniff(sample) }))
    .filter((c) => c.s !== undefined)
    .map((c) => ({ f: c.f, name: c.f.name, confidence: c.s!.confidence, reason: c.s!.reason }))
    .sort((a, b) => b.confidence - a.confidence);
  const best = candidates[0];
  const list = candidates.map(({ name, confidence, reason }) => ({ name, confidence, reason }));
  if (lines.length === 0) return { reason: 'no text lines in the first 256 KiB', candidates: list, lines };
  if (!best || best.confidence < MIN_CONFIDENCE) {
    const near = best ? ` (closest: ${best.name}, ${best.confidence}%: ${best.reason})` : '';
    return { reason: `no known log format matches the first ${lines.length} lines${near}`, candidates: list, lines };
  }
  return { format: best.f, reason: best.reason, candidates: list, lines };
}
