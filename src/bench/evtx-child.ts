// The measured jobs of the EVTX bench, each in its own process so its peak RSS is its own. Prints
// one JSON line.
//   reader FILE...   the EVTX reader alone (src/formats/evtx/reader.ts): every file read whole
//   ingest DB DIR    ingest of a folder into a fresh DuckDB file
import { readFileSync } from 'node:fs';
import { readEvtx } from '../formats/evtx/reader.js';
import { ingest } from '../ingest/ingest.js';
import { DuckdbStore } from '../store/duckdb/store.js';

const [mode, ...args] = process.argv.slice(2);
const t = performance.now();
if (mode === 'reader') {
  let events = 0;
  let rejects = 0;
  let bytes = 0;
  let wrongCrc = 0;
  const sink = {
    event() {
      events++;
    },
    reject() {
      rejects++;
    },
  };
  for (const f of args) {
    const buf = readFileSync(f);
    bytes += buf.length;
    const r = readEvtx(buf, sink);
    if (r.header.crc === 'wrong') wrongCrc++;
    for (const c of r.chunks) if (c.headerCrc === 'wrong' || c.dataCrc === 'wrong') wrongCrc++;
  }
  const seconds = (performance.now() - t) / 1000;
  process.stdout.write(`${JSON.stringify({ seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, rows: events, extra: { rejects, bytes, wrongCrc } })}\n`);
} else if (mode === 'ingest') {
  const [db, dir] = args as [string, string];
  const store = await DuckdbStore.open(db);
  const s = await ingest([dir], { store });
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  process.stdout.write(
    `${JSON.stringify({ seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, rows: s.events, extra: { rejects: s.rejects, files: s.files } })}\n`,
  );
} else {
  process.stderr.write(`usage: evtx-child reader FILE... | ingest DB DIR\n`);
  process.exit(2);
}
