// npm run bench -- evtx-xml: ~200 MB (MXRAY_BENCH_EVTX_XML_MB) of Windows events as `wevtutil qe
// /f:xml` writes them (a stream of <Event> elements, one a line, CRLF, no root), made from the
// real events of fixtures/corpus/windows_evtx/: libevtx's `evtxexport -f xml` of each corpus file
// (its live records), made into wevtutil's shape, copied with the EventRecordIDs renumbered so that
// every event is distinct. Over the same files in the same run, each job in a process of its own
// (its peak RSS its own): a bare saxes pass over the whole stream (the XML parser's floor: every
// tag and text seen, nothing built) and an ingest into a fresh DuckDB (format evtx-xml, sniffed).
// The ingest runs twice, over the first half of the files and over all of them, and the two peaks
// are compared: streaming in bounded memory means the peak does not grow with the input, so a
// ratio well above 1 for twice the input is a regression.
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { evtxexportXml, wevtutilEvents } from '../testing/evtxexport.js';
import { humanBytes } from '../render/render.js';
import { child, corpus } from './evtx.js';

/** events per file: a wevtutil export of one log is one file; ~20 MB each keeps the files many */
const FILE_BYTES = 20e6;

/** the bench's files, made once and cached; the events per copy of the corpus */
async function makeFiles(dir: string, targetBytes: number): Promise<{ files: string[]; events: number }> {
  // beside the folder, not in it: the ingest reads the whole folder
  const done = `${dir}.json`;
  if (!existsSync(done)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const events = readdirSync(corpus)
      .filter((n) => /\.evtx$/i.test(n))
      .sort()
      .flatMap((n) => wevtutilEvents(evtxexportXml(join(corpus, n), 'items')));
    const ids = /<EventRecordID>(\d+)<\/EventRecordID>/;
    if (!events.every((e) => ids.test(e))) throw new Error('an event of evtxexport has no EventRecordID');
    let bytes = 0;
    let copies = 0;
    for (let f = 1; bytes < targetBytes; f++) {
      const out = createWriteStream(join(dir, `events-${String(f).padStart(4, '0')}.xml`));
      let inFile = 0;
      while (inFile < FILE_BYTES && bytes < targetBytes) {
        copies++;
        const delta = copies * 10_000_000;
        const text = `${events.map((e) => e.replace(ids, (_m, id: string) => `<EventRecordID>${Number(id) + delta}</EventRecordID>`)).join('\r\n')}\r\n`;
        if (!out.write(text)) await once(out, 'drain');
        inFile += Buffer.byteLength(text);
        bytes += Buffer.byteLength(text);
      }
      out.end();
      await once(out, 'finish');
    }
    writeFileSync(done, JSON.stringify({ perCopy: events.length, copies }));
  }
  const { perCopy, copies } = JSON.parse(readFileSync(done, 'utf8')) as { perCopy: number; copies: number };
  const files = readdirSync(dir)
    .filter((n) => n.endsWith('.xml'))
    .sort()
    .map((n) => join(dir, n));
  return { files, events: perCopy * copies };
}

export async function benchEvtxXml(cache: string): Promise<string> {
  const mb = Number(process.env.MXRAY_BENCH_EVTX_XML_MB ?? 200);
  const dir = join(cache, `evtx-xml-${mb}mb`);
  const { files, events } = await makeFiles(dir, mb * 1e6);
  const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
  const floor = child(['saxes', ...files]);
  const db = join(cache, 'evtx-xml-bench.duckdb');
  const fresh = () => {
    rmSync(db, { force: true });
    rmSync(`${db}.wal`, { force: true });
  };
  fresh();
  const halfFiles = files.slice(0, Math.ceil(files.length / 2));
  const halfBytes = halfFiles.reduce((a, f) => a + statSync(f).size, 0);
  const half = child(['ingest', db, ...halfFiles]);
  fresh();
  const ing = child(['ingest', db, dir]);
  fresh();

  let text = `input: ${files.length} files, ${humanBytes(bytes)} of wevtutil XML, ${events.toLocaleString('en-US')} events (evtxexport's XML of the corpus's live records, EventRecordIDs renumbered in each copy)\n\n`;
  const rows: [string, number, number, number, number][] = [
    ['saxes alone (parser floor)', floor.seconds, floor.maxRssMB, floor.rows, bytes],
    [`mxray ingest, ${halfFiles.length} of the files`, half.seconds, half.maxRssMB, half.rows, halfBytes],
    ['mxray ingest (fresh DuckDB)', ing.seconds, ing.maxRssMB, ing.rows, bytes],
  ];
  const pad = (s: string, n: number) => s.padEnd(n);
  text += `${pad('job', 30)} ${'seconds'.padStart(8)} ${'MB/s'.padStart(8)} ${'records/s'.padStart(11)} ${'peak RSS'.padStart(9)} ${'vs saxes'.padStart(9)}\n`;
  for (const [name, s, rss, n, b] of rows) {
    // "vs saxes": the saxes pass's speed over these bytes (the half run read half of them)
    text += `${pad(name, 30)} ${s.toFixed(2).padStart(8)} ${(b / 1e6 / s).toFixed(1).padStart(8)} ${Math.round(n / s)
      .toLocaleString('en-US')
      .padStart(11)} ${`${rss.toFixed(0)} MB`.padStart(9)} ${`${((floor.seconds * b) / bytes / s).toFixed(2)}×`.padStart(9)}\n`;
  }
  text += `\nsaxes: ${floor.rows.toLocaleString('en-US')} </Event> end tags, ${floor.extra.errors} errors\n`;
  text += `ingest: ${ing.rows.toLocaleString('en-US')} events stored from ${ing.extra.files} files, ${ing.extra.rejects} rejects (the files hold ${events.toLocaleString('en-US')})\n`;
  text += `ingest peak RSS by input size: ${humanBytes(halfBytes)} ${half.maxRssMB.toFixed(0)} MB, ${humanBytes(bytes)} ${ing.maxRssMB.toFixed(0)} MB: ${(ing.maxRssMB / half.maxRssMB).toFixed(2)}× the peak for ${(bytes / halfBytes).toFixed(2)}× the input (bounded memory: near 1)\n`;
  return text;
}
