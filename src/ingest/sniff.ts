// Choosing a file's format, bounded: binary formats look at the first 4 KiB (magic numbers) first;
// when none of them is sure, every text format looks at the first lines (40 lines, 256 KiB) and says
// how sure it is and why. The most confident wins. When none fits, the reasons of the closest
// candidates are reported to the user.
import { open } from 'node:fs/promises';
import type { PathLike } from 'node:fs';
import { basename } from 'node:path';
import { formatList } from '../formats/registry.js';
import type { Format } from '../formats/types.js';
import { sampleLines } from './framer.js';

export const MIN_CONFIDENCE = 30;
/** bytes a binary format's sniffBytes() is shown */
export const HEAD_BYTES = 4096;

export interface SniffResult {
  format?: Format;
  reason: string;
  candidates: { name: string; confidence: number; reason: string }[];
  /** the first lines it looked at (decoded, BOM removed); none when a binary format matched */
  lines: readonly string[];
  /** a damaged .gz: what was wrong with it (its readable lines are in `lines`) */
  problem?: string;
}

type Candidate = { f: Format; name: string; confidence: number; reason: string };

async function headOf(path: PathLike): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(b, 0, HEAD_BYTES, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function ranked(formats: readonly Format[], sniff: (f: Format) => ReturnType<Format['sniff']>): Candidate[] {
  const out: Candidate[] = [];
  for (const f of formats) {
    const s = sniff(f);
    if (s) out.push({ f, name: f.name, confidence: s.confidence, reason: s.reason });
  }
  return out.sort((a, b) => b.confidence - a.confidence);
}

/** `name`: the file's name for the formats' name hints (default: the last part of `path`) */
export async function sniffFile(path: PathLike, formats: readonly Format[] = formatList, name = basename(String(path))): Promise<SniffResult> {
  const binary = formats.filter((f) => f.binary);
  let byBytes: Candidate[] = [];
  if (binary.length) {
    const head = await headOf(path);
    byBytes = ranked(binary, (f) => (f.binary ? f.sniffBytes(head, name) : undefined));
    const best = byBytes[0];
    if (best && best.confidence >= MIN_CONFIDENCE) {
      return { format: best.f, reason: best.reason, candidates: byBytes.map(({ name, confidence, reason }) => ({ name, confidence, reason })), lines: [] };
    }
  }
  const damage: { message?: string } = {};
  const lines = await sampleLines(path, 40, damage);
  const sample = { name, lines };
  const candidates = [...ranked(formats, (f) => f.sniff(sample)), ...byBytes].sort((a, b) => b.confidence - a.confidence);
  const best = candidates[0];
  const list = candidates.map(({ name, confidence, reason }) => ({ name, confidence, reason }));
  if (lines.length === 0)
    return { reason: damage.message ?? 'no text lines in the first 256 KiB', candidates: list, lines, ...(damage.message ? { problem: damage.message } : {}) };
  if (!best || best.confidence < MIN_CONFIDENCE) {
    const near = best ? ` (closest: ${best.name}, ${best.confidence}%: ${best.reason})` : '';
    return { reason: `no known log format matches the first ${lines.length} lines${near}`, candidates: list, lines };
  }
  return { format: best.f, reason: best.reason, candidates: list, lines };
}
