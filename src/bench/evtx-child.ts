// The measured jobs of the EVTX bench, each in its own process so its peak RSS is its own. Prints
// one JSON line.
//   reader FILE...   the EVTX reader alone (src/formats/evtx/reader.ts): every file read whole
//   saxes FILE...    a bare saxes pass over XML files (UTF-8), read in blocks: the parser's floor
//   ingest DB PATH...  ingest of folders or files into a fresh DuckDB file
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { SaxesParser } from 'saxes';
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
} else if (mode === 'saxes') {
  let events = 0;
  let errors = 0;
  let bytes = 0;
  const block = Buffer.alloc(256 << 10);
  for (const f of args) {
    // a wevtutil stream has no root: a fragment, as the evtx-xml format's parser is given
    const p = new SaxesParser({ fragment: true, position: true });
    p.on('closetag', (t) => {
      if (t.name === 'Event') events++;
    });
    p.on('text', () => {});
    p.on('error', () => {
      errors++;
    });
    const decoder = new TextDecoder('utf-8');
    const fd = openSync(f, 'r');
    try {
      for (let n; (n = readSync(fd, block, 0, block.length, null)) > 0; ) {
        bytes += n;
        p.write(decoder.decode(block.subarray(0, n), { stream: true }));
      }
    } finally {
      closeSync(fd);
    }
    p.close();
  }
  const seconds = (performance.now() - t) / 1000;
  process.stdout.write(`${JSON.stringify({ seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, rows: events, extra: { errors, bytes } })}\n`);
} else if (mode === 'ingest') {
  const [db, ...paths] = args as [string, ...string[]];
  const store = await DuckdbStore.open(db);
  const s = await ingest(paths, { store });
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  process.stdout.write(
    `${JSON.stringify({ seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, rows: s.events, extra: { rejects: s.rejects, files: s.files } })}\n`,
  );
} else {
  process.stderr.write(`usage: evtx-child reader FILE... | saxes FILE... | ingest DB PATH...\n`);
  process.exit(2);
}
