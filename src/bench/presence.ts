// The presence part of `npm run bench` (`npm run bench -- presence`): a month of 15-minute samples
// of 20,000 users (~58 M samples and as many stored duration pieces) in DuckDB, then `presence
// report` over the month (UTC days, and Europe/Berlin days), timed over several runs. Goal: under
// 5 s. UTC days read the daily totals; Europe/Berlin days read the hourly totals (presence_hours,
// capabilities/presence/hours.ts); the same query over the pieces themselves (what the report did
// before them) is timed once beside it. The store is filled by DuckDB's own SQL (range() → INSERT …
// SELECT), not by ingesting 58 M log lines (that would be ~2.6 GB of text and minutes of ingest here,
// which this part does not measure): the rows are those the recorder and the after-ingest step
// write, in the same tables.
// MXRAY_BENCH_PRESENCE_USERS and MXRAY_BENCH_PRESENCE_DAYS change the size.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckdbStore } from '../store/duckdb/store.js';
import { presenceReport } from '../capabilities/presence/report.js';
import { dayTotals, hourTotals, hoursCoverage, latestSamples, latestTails, offsetSteps, pieceTotals } from '../capabilities/presence/queries.js';
import { daysIncomplete } from '../capabilities/presence/marks.js';
import { presenceStates } from '../capabilities/presence/types.js';

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

export async function benchPresence(cache: string): Promise<string> {
  const users = Number(process.env.MXRAY_BENCH_PRESENCE_USERS ?? 20_000);
  const days = Number(process.env.MXRAY_BENCH_PRESENCE_DAYS ?? 30);
  const perDay = 96;
  const n = users * days * perDay;
  // v2: with the hourly totals (presence_hours) the recorder and the import write beside the pieces
  const db = join(cache, `presence-v2-${users}-${days}.duckdb`);
  const start = Date.UTC(2026, 10, 1) / 1000;
  let fillSeconds: number | undefined;
  if (!existsSync(`${db}.done`)) {
    rmSync(db, { force: true });
    rmSync(`${db}.wal`, { force: true });
    await (await DuckdbStore.open(db)).close();
    process.stderr.write(`filling ${db} with ${n.toLocaleString('en-US')} samples and pieces (cached)…\n`);
    const t = performance.now();
    const inst = await DuckDBInstance.create(db);
    const c = await inst.connect();
    // sample i: cycle i // users, user i % users; a state from a hash of (user, cycle); one user in 50
    // misses a cycle now and then (unknown), like a logger outage
    const user = `'user' || lpad(CAST(i % ${users} AS VARCHAR), 5, '0') || '@example.org'`;
    const ts = `${start} + (i // ${users}) * 900`;
    const state = `(['online','online','online','away','busy','idle','offline','offline','onThePhone','beRightBack'])[1 + CAST(hash(i) % 10 AS INTEGER)]`;
    await c.run(
      `INSERT INTO presence_samples SELECT 1, i + 1, ${user}, 'User', to_timestamp(${ts})::TIMESTAMP, ${ts}, ${state}, 'x', 'xmpp', 0, 900 FROM range(${n}) t(i)`,
    );
    await c.run(`INSERT INTO presence_spans SELECT 1, i + 1, ${user}, ${ts}, 900, ${state} FROM range(${n - users}) t(i) WHERE hash(i * 7) % 200 <> 0`);
    const sums = presenceStates.map((st) => `coalesce(sum(seconds) FILTER (WHERE state = '${st}'), 0)`).join(', ');
    await c.run(
      `INSERT INTO presence_hours SELECT 1, 0, user, start_s // 3600 * 3600, ${sums}, min(start_s) FILTER (WHERE state = 'online'), max(start_s + seconds) FILTER (WHERE state = 'online') FROM presence_spans GROUP BY user, start_s // 3600`,
    );
    c.closeSync();
    inst.closeSync();
    fillSeconds = (performance.now() - t) / 1000;
    writeFileSync(`${db}.done`, '');
  }
  // the daily totals (presence_days with each user's latest sample, presence_marks' epoch), as the
  // recorder and the import write them beside the hourly totals: added to the cached store by SQL
  let daysSeconds: number | undefined;
  if (!existsSync(`${db}.days-done`)) {
    await (await DuckdbStore.open(db)).close(); // creates the new tables
    process.stderr.write(`adding the daily totals to ${db} (cached)…\n`);
    const t = performance.now();
    const inst = await DuckDBInstance.create(db);
    const c = await inst.connect();
    await c.run('DELETE FROM presence_days');
    await c.run('DELETE FROM presence_marks');
    const cols = 'online, invisible, busy, be_right_back, idle, away, on_the_phone, out_to_lunch, offline, unknown';
    const sums = cols
      .split(', ')
      .map((x) => `sum(${x})`)
      .join(', ');
    await c.run(
      `INSERT INTO presence_days SELECT 1, 0, user, hour_s // 86400 * 86400, ${sums}, min(first_online_s), max(last_online_s), NULL, NULL, NULL FROM presence_hours GROUP BY user, hour_s // 86400`,
    );
    await c.run(
      `INSERT INTO presence_days SELECT 1, 0, user, max(ts_s) // 86400 * 86400, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, max(ts_s), arg_max(state, ts_s), arg_max(interval_s, ts_s) FROM presence_samples GROUP BY user`,
    );
    await c.run(`INSERT INTO presence_marks VALUES (1, 0, 'epoch', '', 0, 0)`);
    c.closeSync();
    inst.closeSync();
    daysSeconds = (performance.now() - t) / 1000;
    writeFileSync(`${db}.days-done`, '');
  }
  const s = await DuckdbStore.open(db);
  try {
    const from = new Date(start * 1000).toISOString().slice(0, 10);
    const to = new Date((start + (days - 1) * 86_400) * 1000).toISOString().slice(0, 10);
    const load = loadavg();
    const cpu0 = process.cpuUsage();
    const utc = await timed(3, () => presenceReport(s, { from, to, tz: 'UTC' }));
    const cpu1 = process.cpuUsage(cpu0);
    const utcCpu = (cpu1.user + cpu1.system) / 1e6 / 3;
    const cpu2 = process.cpuUsage();
    const berlin = await timed(3, () => presenceReport(s, { from, to, tz: 'Europe/Berlin' }));
    const cpu3 = process.cpuUsage(cpu2);
    const berlinCpu = (cpu3.user + cpu3.system) / 1e6 / 3;
    const rssReports = Math.round(process.resourceUsage().maxRSS / 1024);
    // before the hourly totals: the report's query over the pieces themselves (one run: ~20 s)
    const lo = start;
    const hi = start + days * 86_400;
    const pieces = await timed(1, () => pieceTotals(s, lo, hi, offsetSteps('UTC', lo, hi)));
    // where the report's time goes: each of its queries alone (UTC days)
    const marks = await timed(1, () => daysIncomplete(s, lo, hi));
    const daily = await timed(1, () => dayTotals(s, lo, hi));
    const tails = await timed(1, () => latestTails(s, lo - 2 * 86_400));
    const coverage = await timed(1, () => hoursCoverage(s, lo, hi));
    const hours = await timed(1, () => hourTotals(s, lo, hi, offsetSteps('UTC', lo, hi)));
    const latest = await timed(1, () => latestSamples(s, lo - 2 * 86_400));
    const one = await timed(3, () => presenceReport(s, { from, to, tz: 'UTC', user: 'user00042@example.org' }));
    const rows = utc.result.rows.length;
    const sum = utc.result.rows.reduce((a, r) => a + r.online + r.busy + r.away + r.idle + r.offline + r.onThePhone + r.beRightBack + r.unknown, 0);
    const out: string[] = [];
    out.push(
      `${n.toLocaleString('en-US')} samples (${users.toLocaleString('en-US')} users × ${days} days × ${perDay}) and as many duration pieces in DuckDB${fillSeconds ? ` (filled by SQL in ${fillSeconds.toFixed(1)} s)` : ' (cached)'}`,
    );
    if (daysSeconds) out.push(`daily totals added to the cached store by SQL in ${daysSeconds.toFixed(1)} s`);
    out.push(
      `presence report, ${days} days, UTC days:            ${utc.median.toFixed(2)} s (median of 3; ${utcCpu.toFixed(2)} CPU-s per run; load average ${load.map((x) => x.toFixed(1)).join(' ')}; ${rows.toLocaleString('en-US')} user-days, ${sum === rows * 86_400 ? 'each adding up to 86,400 s' : 'SUMS WRONG'}) — goal < 5 s`,
    );
    out.push(
      `its queries alone (one run each): completeness marks ${marks.median.toFixed(2)} s (${marks.result ?? 'complete'}), daily totals per user ${daily.median.toFixed(2)} s, latest sample per user from the daily totals ${tails.median.toFixed(2)} s`,
    );
    out.push(
      `presence report, ${days} days, Europe/Berlin days:  ${berlin.median.toFixed(2)} s (median of 3; ${berlinCpu.toFixed(2)} CPU-s per run; load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}) — goal < 5 s`,
    );
    out.push(`the same from the pieces (no hourly totals, as before): ${pieces.median.toFixed(2)} s (one run, its query alone)`);
    out.push(
      `the hourly path's queries alone (Europe/Berlin days and older stores): completeness check (pieces vs hourly totals) ${coverage.median.toFixed(2)} s, hourly totals per user and day ${hours.median.toFixed(2)} s, latest sample per user ${latest.median.toFixed(2)} s`,
    );
    out.push(`presence report, ${days} days, one user:            ${one.median.toFixed(2)} s (median of 3)`);
    if (utc.result.notes.length) out.push(`notes: ${utc.result.notes.join('; ')}`);
    out.push(
      `peak RSS of this process after the reports: ${rssReports} MB${fillSeconds ? ' (with the fill)' : ''}; after the query over the pieces: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
    );
    return out.join('\n') + '\n';
  } finally {
    await s.close();
  }
}
