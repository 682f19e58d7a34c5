// libevtx's `evtxexport -f xml` (Debian package libevtx-utils), the independent reader of .evtx
// files, and its XML made into the shape `wevtutil qe LOG /f:xml` writes: for the evtx-xml tests
// (the same events as the .evtx ingest) and the evtx-xml bench (a wevtutil stream of real events).
import { spawnSync } from 'node:child_process';

/** evtxexport's XML of a file (mode all: live and recovered records; items: the live ones), its
 *  banner line removed */
export function evtxexportXml(file: string, mode: 'all' | 'items' = 'all'): string {
  const r = spawnSync('evtxexport', ['-f', 'xml', '-m', mode, file], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
  if (r.error) throw new Error(`evtxexport (Debian package libevtx-utils) must be installed: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`evtxexport ${file} exited with ${r.status}: ${r.stderr}`);
  return r.stdout.replace(/^evtxexport \d+\s*\n/, '');
}

/** evtxexport's XML as separate events, each on one line as wevtutil writes it */
export const wevtutilEvents = (xml: string): string[] =>
  xml
    .split(/\n(?=<Event xmlns)/)
    .map((e) => e.replace(/>\n\s*</g, '><').trim())
    .filter(Boolean);

/** wevtutil's shape: each event on one line, one after another, no root, CRLF */
export const wevtutil = (xml: string) => wevtutilEvents(xml).join('\r\n');
