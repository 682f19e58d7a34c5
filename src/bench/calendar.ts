// The calendar part of `npm run bench` (`npm run bench -- calendar`): the calendar logs of ~1,000
// mailboxes, ~1 M versions (generated once, cached in .bench-cache), ingested into DuckDB, then the
// timeline of one meeting (found by subject, merged across its mailboxes, with its warnings) and
// the meetings list, each timed over several runs. Goal: a timeline in under 1 s.
// MXRAY_BENCH_CAL_VERSIONS and MXRAY_BENCH_CAL_MAILBOXES change the size.
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCalendarBulk } from '../generate/calendar/bulk.js';
import { generatedLogs } from '../generate/layout.js';
import { ingest } from '../ingest/ingest.js';
import { humanBytes } from '../render/render.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import { findMeeting, meetingsReport, timelineReport } from '../capabilities/calendar/timeline.js';

function sizeOf(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? sizeOf(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

async function timed<T>(runs: number, f: () => Promise<T>): Promise<{ median: number; result: T }> {
  const times: number[] = [];
  let result: T | undefined;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    result = await f();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, result: result! };
}

export async function benchCalendar(cache: string): Promise<string> {
  const versions = Number(process.env.MXRAY_BENCH_CAL_VERSIONS ?? 1_000_000);
  const mailboxes = Number(process.env.MXRAY_BENCH_CAL_MAILBOXES ?? 1000);
  const set = join(cache, `calendar-${mailboxes}-${versions}`);
  const logs = generatedLogs(set);
  if (!existsSync(join(set, 'done'))) {
    rmSync(set, { recursive: true, force: true });
    process.stderr.write(`generating the calendar logs of ${mailboxes} mailboxes, ~${versions.toLocaleString('en-US')} versions, in ${set} (cached)…\n`);
    const t = performance.now();
    generateCalendarBulk({ out: set, mailboxes, versions, seed: 11 });
    writeFileSync(join(set, 'done'), '');
    process.stderr.write(`generated in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  const bytes = sizeOf(logs);
  const db = join(cache, 'calendar-bench.duckdb');
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  const s = await DuckdbStore.open(db);
  try {
    const t = performance.now();
    const r = await ingest([logs], { store: s });
    const ingestSeconds = (performance.now() - t) / 1000;
    const find = await timed(5, () => findMeeting(s, { subject: 'Budget review' }, {}));
    const timeline = await timed(5, async () => timelineReport(s, await findMeeting(s, { subject: 'Budget review' }, {}), {}));
    const byId = await timed(5, () => timelineReport(s, find.result, {}));
    const meetings = await timed(3, () => meetingsReport(s, {}));
    const out: string[] = [];
    out.push(
      `input: ${r.files} CSV exports (${mailboxes} generated mailboxes + the stories' ones), ${humanBytes(bytes)}, ${r.events.toLocaleString('en-US')} versions`,
    );
    out.push(
      `ingest (DuckDB):                      ${ingestSeconds.toFixed(1)} s (${Math.round(r.events / ingestSeconds).toLocaleString('en-US')} versions/s, ${humanBytes(bytes / ingestSeconds)}/s)`,
    );
    out.push(
      `timeline --subject "Budget review":   ${timeline.median.toFixed(3)} s median of 5 (${timeline.result.events.length} changes, ${timeline.result.mailboxes.length} mailboxes, ${timeline.result.warnings.length} warnings)`,
    );
    out.push(`timeline --meeting <id>:              ${byId.median.toFixed(3)} s median of 5`);
    out.push(`calendar meetings (every meeting):    ${meetings.median.toFixed(3)} s median of 3 (${meetings.result.length.toLocaleString('en-US')} meetings)`);
    out.push(`goal: a timeline over ~1 M versions in under 1 s (${timeline.median < 1 ? 'met' : 'NOT met'}: ${timeline.median.toFixed(3)} s)`);
    return out.join('\n') + '\n';
  } finally {
    await s.close();
  }
}
