// `rules run` and the after-ingest step of `mxray serve`: the rules over the records stored since
// the last run, thresholds and actions, every fired alert stored with its record.
//
// "Since the last run" is a cursor over committed ingest batches: per file (ingested_files.id) the
// line up to which records were evaluated. A file's batches go to one lane, in order, and its
// resume point (next_line) commits with its rows, so every row of a file below its committed
// next_line is committed, whichever lane committed first: a run reads, per file, lines from its
// cursor up to that bound, and batches that commit out of order across files are neither missed
// nor read twice. Provisional rows (an unterminated last line, an entry still open: lines from
// provisional_from on) are replaced by a later ingest: they are not evaluated until they are
// settled, so the cursor stops at provisional_from. The alerts and the new cursor are one batch
// (LiveLog, source live:rules): a run that fails before it stores them runs again from the old
// cursor (actions may then run twice; alerts are never stored twice).
import { live, table } from '../../sql/dialect.js';
import { join, raw, sql, type Sql } from '../../sql/sql.js';
import type { LiveAppender, Store } from '../../store/types.js';
import type { Rule } from './config.js';
import { bySource, evaluateAggregate, filePaths, machineTz, readRows, recordOf, RowChecks, shownFields, type EngineOptions, type Example } from './engine.js';
import { ruleSql } from './compile.js';
import { sources } from './fields.js';
import type { ActionOutcome, FiredAlert } from './ports.js';

/** a threshold's state: recent match times, armed or waiting for a quiet period */
export interface ThresholdState {
  times: number[];
  armed: boolean;
  last: number | null;
}

export interface CursorState {
  files: Record<string, number>;
  thresholds: Record<string, ThresholdState>;
  aggregates: Record<string, string>;
}

export interface RunResult {
  readonly ruleSet: string;
  /** records evaluated (rows read from the store that some rule's store condition selected count once) */
  readonly files: number;
  readonly matches: Record<string, number>;
  readonly alerts: readonly (FiredAlert & { readonly outcomes: readonly ActionOutcome[] })[];
}

/** one match of a rule with a threshold: does it fire? (mutates the state) */
export function thresholdStep(s: ThresholdState, t: number, count: number, withinMs: number): boolean {
  if (!s.armed && s.last !== null && t - s.last > withinMs) {
    s.armed = true;
    s.times = [];
  }
  s.times = [...s.times, t].filter((x) => x > t - withinMs).slice(-count);
  s.last = s.last === null ? t : Math.max(s.last, t);
  if (s.armed && s.times.length >= count) {
    s.armed = false;
    return true;
  }
  return false;
}

/** at the end of a run: a period without a match re-arms */
export function thresholdRest(s: ThresholdState, now: number, withinMs: number): void {
  if (!s.armed && s.last !== null && now - s.last > withinMs) {
    s.armed = true;
    s.times = [];
  }
}

export async function readCursor(store: Store, ruleSet: string): Promise<CursorState> {
  const rows = await store.query<{ state: string }>(
    'the rules cursor',
    sql`SELECT state FROM ${table('rulesCursor')} WHERE ${live('rulesCursor')} AND rule_set = ${ruleSet} ORDER BY file_id DESC, line DESC LIMIT 1`,
  );
  if (!rows.length) return { files: {}, thresholds: {}, aggregates: {} };
  return JSON.parse(rows[0]!.state) as CursorState;
}

/** per file, the lines to evaluate now [from, to): from the cursor to the settled end */
export async function newLines(store: Store, cursor: CursorState, ownFile: number): Promise<{ where: Sql | null; next: Record<string, number> }> {
  const files = await store.query<{ id: number; next_line: number; provisional_from: unknown }>(
    'the ingested files',
    sql`SELECT id, next_line, provisional_from FROM ${raw('ingested_files')}`,
  );
  const next: Record<string, number> = { ...cursor.files };
  const whole: number[] = [];
  const parts: Sql[] = [];
  for (const fl of files) {
    const id = Number(fl.id);
    if (id === ownFile) continue;
    const p = fl.provisional_from;
    const prov = p === null || p === undefined || p === '' || p === 'null' ? null : Number(p);
    const to = prov ?? Number(fl.next_line);
    const from = cursor.files[String(id)] ?? 0;
    if (to <= from) continue;
    next[String(id)] = to;
    if (from === 0 && prov === null) whole.push(id);
    else parts.push(sql`(file_id = ${raw(String(id))} AND line >= ${raw(String(from))} AND line < ${raw(String(to))})`);
  }
  if (whole.length) parts.push(sql`file_id IN (${join(whole.map((x) => raw(String(x))))})`);
  return { where: parts.length ? join(parts, ' OR ') : null, next };
}

export interface RunOptions extends EngineOptions {
  /** names the rule set in the cursor and the alerts (the rules file as given, or mxray.yaml) */
  readonly ruleSet: string;
  /** where the alerts and the cursor are appended, in one batch (the CLI and serve give a LiveLog
   *  of source live:rules); `fileId`: its own pseudo-file, which the cursor skips */
  readonly out: LiveAppender & { readonly fileId?: number };
}

/** evaluate the records stored since the last run of this rule set, fire and store alerts */
export async function runRules(store: Store, rules: readonly Rule[], opts: RunOptions): Promise<RunResult> {
  const now = opts.now ?? (() => new Date());
  const log = opts.out;
  const cursor = await readCursor(store, opts.ruleSet);
  const { where, next } = await newLines(store, cursor, log.fileId ?? -1);
  const checks = new RowChecks(opts, opts.defaultTz ?? machineTz());
  const pageSize = opts.pageSize ?? 5000;
  const matches: Record<string, number> = Object.fromEntries(rules.map((r) => [r.name, 0]));
  const thresholds = cursor.thresholds;
  const aggregates = { ...cursor.aggregates };
  const pending: Pending[] = [];

  for (const [name, list] of bySource(rules)) {
    const source = sources[name];
    for (const { rule } of list.filter((x) => x.rule.aggregate)) {
      // complete buckets after the last one evaluated (a bucket still filling waits for the next run)
      const per = rule.aggregate!.per;
      const current =
        now()
          .toISOString()
          .replace('T', ' ')
          .slice(0, per === 'day' ? 10 : 13) + (per === 'day' ? '' : ':00:00');
      const mark = aggregates[rule.name];
      const out = await evaluateAggregate(store, rule, raw('1 = 1'), pageSize, 0, async (ex) => {
        if ((mark !== undefined && ex.time! <= mark) || ex.time! >= current) return;
        matches[rule.name]!++;
        pending.push({ rule, ex, fileId: null, line: null, matches: Number(ex.record.count) });
      });
      const done = out.lastBucket && out.lastBucket < current ? out.lastBucket : null;
      if (done && (mark === undefined || done > mark)) aggregates[rule.name] = done;
    }
    const rowRules = list.filter((x) => !x.rule.aggregate).map((x) => x.rule);
    if (!rowRules.length || !where) continue;
    const fields = shownFields(source, rowRules);
    const any = join(rowRules.map(ruleSql), ' OR ');
    for await (const row of readRows(store, source, rowRules, fields, sql`(${where}) AND (${any})`, pageSize)) {
      for (const [i, rule] of rowRules.entries()) {
        if (!row.flags[i] || !(await checks.matches(rule, row))) continue;
        matches[rule.name]!++;
        let n = 1;
        let fire = true;
        if (rule.threshold) {
          const s = (thresholds[rule.name] ??= { times: [], armed: true, last: null });
          const t = row.time ? Date.parse(row.time.replace(' ', 'T') + 'Z') : now().getTime();
          fire = thresholdStep(s, t, rule.threshold.count, rule.threshold.withinMs);
          n = s.times.length;
        }
        if (fire)
          pending.push({ rule, ex: { time: row.time, origin: null, record: recordOf(fields, row.values) }, fileId: row.fileId, line: row.line, matches: n });
        if (rule.stop) break;
      }
    }
  }
  for (const r of rules) if (r.threshold && thresholds[r.name]) thresholdRest(thresholds[r.name]!, now().getTime(), r.threshold.withinMs);

  const paths = await filePaths(
    store,
    pending.flatMap((p) => (p.fileId === null ? [] : [p.fileId])),
  );
  const alerts: (FiredAlert & { outcomes: ActionOutcome[] })[] = [];
  const rows: (string | number | Date | null)[][] = [];
  for (const p of pending) {
    const alert: FiredAlert = {
      rule: p.rule.name,
      source: p.rule.source,
      firedAt: now(),
      recordTime: p.ex.time,
      record: p.ex.record,
      origin: p.fileId === null || p.line === null ? null : { file: paths.get(p.fileId) ?? `file ${p.fileId}`, line: p.line },
      matches: p.matches,
    };
    const outcomes = p.rule.actions.length ? await opts.ports.runActions(alert, p.rule.actions) : [];
    alerts.push({ ...alert, outcomes });
    rows.push([
      alert.firedAt,
      opts.ruleSet,
      alert.rule,
      alert.source,
      alert.recordTime ?? '',
      p.fileId,
      p.line,
      alert.origin?.file ?? '',
      JSON.stringify(alert.record),
      alert.matches,
      JSON.stringify(outcomes),
    ]);
  }
  const state: CursorState = { files: next, thresholds, aggregates };
  await log.append({
    ruleAlerts: rows,
    rulesCursor: [[now(), opts.ruleSet, JSON.stringify(state)]],
  });
  return { ruleSet: opts.ruleSet, files: Object.keys(next).length, matches, alerts };
}

interface Pending {
  readonly rule: Rule;
  readonly ex: Example;
  readonly fileId: number | null;
  readonly line: number | null;
  readonly matches: number;
}
