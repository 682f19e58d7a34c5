// The ingest progress line on stderr, drawn only when stderr is a terminal.
import type { IngestProgress } from '../ingest/ingest.js';
import { humanBytes } from '../render/render.js';

export function progressBar(): { update(p: IngestProgress): void; done(): void } | undefined {
  if (!process.stderr.isTTY) return undefined;
  const t0 = performance.now();
  let drawn = false;
  return {
    update(p) {
      const s = (performance.now() - t0) / 1000;
      const frac = p.bytesTotal ? p.bytesDone / p.bytesTotal : 0;
      const width = 24;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      const rate = s > 0 ? humanBytes(p.bytesDone / s) + '/s' : '';
      const lps = s > 0 ? Math.round(p.lines / s).toLocaleString('en-US') + ' lines/s' : '';
      const text = `[${bar}] ${(frac * 100).toFixed(0)}% file ${p.fileIndex + 1}/${p.fileCount} ${humanBytes(p.bytesDone)} ${rate} ${lps} rejects ${p.rejects}`;
      process.stderr.write('\r' + text.slice(0, (process.stderr.columns || 100) - 1).padEnd(Math.min(100, (process.stderr.columns || 100) - 1)));
      drawn = true;
    },
    done() {
      if (drawn) process.stderr.write('\r\x1b[K');
    },
  };
}
