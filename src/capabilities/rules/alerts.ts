// The query of `mxray rules alerts`: the alerts `rules run` (and serve's rules part) stored in
// rule_alerts, each with its rule, when it fired and the record that caused it (file:line and the
// fields shown), newest first; and the alerts per rule per day for the page's chart. Written once for
// DuckDB and ClickHouse 18.16: plain filters and GROUP BY, values inlined by sql``.
//
// An alert's time is its record's time (an aggregate rule's bucket): the period the admin looks at
// is when things happened, whenever `rules run` looked at them (serve fires within a round of the
// record; a `rules run` over last month's logs fires today). An alert without a record time (none
// is stored today) counts at the time it fired. --from/--to and the days use that time.
import { f, live, table } from '../../sql/dialect.js';
import { type Sql, join, raw, sql } from '../../sql/sql.js';
import type { Store, TimeRange } from '../../store/types.js';

export interface AlertFilter {
  readonly rule?: string | undefined;
  readonly ruleSet?: string | undefined;
  readonly range: TimeRange;
}

/** 'YYYY-MM-DD HH:MM:SS': the record's time, else the time the rule fired */
const at = (): Sql => sql`(CASE WHEN record_time = '' THEN ${f.formatTime(sql`ts`, '%Y-%m-%d %H:%M:%S')} ELSE substring(record_time, 1, 19) END)`;

function where(fl: AlertFilter): Sql {
  const parts: Sql[] = [live('ruleAlerts')];
  if (fl.rule !== undefined) parts.push(sql`rule = ${fl.rule}`);
  if (fl.ruleSet !== undefined) parts.push(sql`rule_set = ${fl.ruleSet}`);
  if (fl.range.from !== undefined) parts.push(sql`${at()} >= ${fl.range.from}`);
  if (fl.range.to !== undefined) parts.push(sql`${at()} < ${fl.range.to}`);
  return join(parts, ' AND ');
}

const t = () => table('ruleAlerts');

export function alertsStatement(fl: AlertFilter, limit: number): Sql {
  return sql`SELECT ${at()} AS alert_at, ${f.formatTime(sql`ts`, '%Y-%m-%d %H:%M:%S')} AS fired_at, rule_set, rule, source, record_time,
      record_file, record_line, record, matches, actions
    FROM ${t()} WHERE ${where(fl)}
    ORDER BY alert_at DESC, rule, record_file, record_line LIMIT ${raw(String(Math.max(0, Math.floor(limit))))}`;
}

export function perDayStatement(fl: AlertFilter): Sql {
  return sql`SELECT substring(${at()}, 1, 10) AS alert_day, rule, count(*) AS alerts
    FROM ${t()} WHERE ${where(fl)} GROUP BY alert_day, rule ORDER BY alert_day, rule`;
}

/** one stored alert */
export interface StoredAlert {
  /** the record's time (an aggregate rule's bucket), else when the rule fired: YYYY-MM-DD HH:MM:SS UTC */
  time: string;
  /** when the rule fired (the engine's clock), UTC */
  fired: string;
  ruleSet: string;
  rule: string;
  source: string;
  /** the record's file and line; null for an aggregate rule */
  file: string | null;
  line: number | null;
  /** the record's fields the rule shows, by the log's field names */
  record: Record<string, unknown>;
  /** matches counted in the threshold period when it fired (1 without a threshold) */
  matches: number;
  /** what the rule's actions did */
  actions: { action: string; ok: boolean; detail?: string }[];
}

export interface AlertsPerDay {
  day: string;
  rule: string;
  alerts: number;
}

export interface StoredAlerts {
  alerts: StoredAlert[];
  /** alerts matching the filter (also those beyond --limit) */
  total: number;
  /** matching alerts not listed (beyond --limit) */
  more: number;
  /** every matching alert counted per day (of its time) and rule */
  perDay: AlertsPerDay[];
}

function parseJson<T>(v: unknown, fallback: T): T {
  if (v === null || v === undefined || v === '') return fallback;
  try {
    return JSON.parse(String(v)) as T;
  } catch {
    return fallback;
  }
}

export async function storedAlerts(store: Store, fl: AlertFilter, limit: number): Promise<StoredAlerts> {
  const rows = await store.query<Record<string, unknown>>('the stored alerts', alertsStatement(fl, limit));
  const days = await store.query<Record<string, unknown>>('the alerts per rule and day', perDayStatement(fl));
  const perDay = days.map((d) => ({ day: String(d.alert_day), rule: String(d.rule), alerts: Number(d.alerts) }));
  const total = perDay.reduce((a, d) => a + d.alerts, 0);
  const alerts = rows.map((r): StoredAlert => {
    const file = String(r.record_file ?? '');
    const line = r.record_line === null || r.record_line === undefined ? null : Number(r.record_line);
    return {
      time: String(r.alert_at),
      fired: String(r.fired_at),
      ruleSet: String(r.rule_set),
      rule: String(r.rule),
      source: String(r.source),
      file: file === '' ? null : file,
      line: file === '' ? null : line,
      record: parseJson<Record<string, unknown>>(r.record, {}),
      matches: Number(r.matches),
      actions: parseJson<StoredAlert['actions']>(r.actions, []),
    };
  });
  return { alerts, total, more: Math.max(0, total - alerts.length), perDay };
}
