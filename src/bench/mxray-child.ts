// The measured mxray job of the benchmark, in its own process: ingest a folder into a fresh DuckDB
// file, run the classes report, then widen the table to at least 10 million events and time the
// classes report again. Prints one JSON line.
import { DuckdbStore } from '../store/duckdb/store.js';
import { ingest } from '../ingest/ingest.js';
import { classesReport, classifyDefaults } from '../capabilities/tracking/reports.js';
import * as tracking from '../capabilities/tracking/queries.js';

const [db, dir] = process.argv.slice(2) as [string, string];
const store = await DuckdbStore.open(db);
const opts = { range: {}, ...classifyDefaults, mode: 'combined' as const, recipients: 'once' as const };
let t = performance.now();
const s = await ingest([dir], { store });
const ingestSeconds = (performance.now() - t) / 1000;
t = performance.now();
await classesReport(store, opts);
const classesSeconds = (performance.now() - t) / 1000;
const rss = process.resourceUsage().maxRSS / 1024;
// widen to >= 10M events: copies of the data with distinct message ids
let events = await tracking.eventCount(store, {});
for (let k = 1; events < 10_000_000 && k < 64; k++) {
  await store.run(
    `INSERT INTO tracking_events SELECT * REPLACE (message_id || '#${k}' AS message_id) FROM tracking_events WHERE file_id > 0 AND message_id NOT LIKE '%#%'`,
  );
  events = await tracking.eventCount(store, {});
}
t = performance.now();
await classesReport(store, opts);
const bigClassesSeconds = (performance.now() - t) / 1000;
await store.close();
process.stdout.write(
  JSON.stringify({
    seconds: ingestSeconds + classesSeconds,
    maxRssMB: rss,
    rows: s.events,
    extra: { ingestSeconds, classesSeconds, bigEvents: events, bigClassesSeconds, rejects: s.rejects, files: s.files, wholeFiles: s.wholeFiles },
  }) + '\n',
);
