// The monitor's history in the store (table probe_results, written by `mxray serve` through the
// store's LiveLog as source live:monitor) and the queries of `mxray monitor history`, written once
// for DuckDB and ClickHouse 18.16 (no window functions: the last status of an instance is argMax).
import type { Store, TimeRange } from '../../store/types.js';
import { f, live, table } from '../../sql/dialect.js';
import { type Sql, ident, join, raw, sql } from '../../sql/sql.js';
import type { RecordedResult } from './daemon.js';

/** the live source the monitor's rows are appended to */
export const historySource = 'monitor';

/** one row of probe_results after (file_id, line), in the table's column order */
export function probeRow(r: RecordedResult): (string | number | Date | null)[] {
  const x = r.result;
  const detail = r.repair !== undefined ? `${r.repair}; re-probe: ${x.detail}` : x.detail;
  return [
    new Date(x.at),
    x.host,
    x.service,
    x.instance,
    x.url,
    x.status,
    x.failure ?? '',
    x.durationMs,
    x.phases.connect,
    x.phases.tls,
    x.phases.banner,
    x.certDaysLeft,
    r.kind,
    detail,
    x.transcript?.join('\n') ?? '',
  ];
}

export interface HistoryFilter {
  readonly host?: string;
  readonly service?: string;
  readonly range: TimeRange;
}

/** one instance over the period */
export interface InstanceHistory {
  host: string;
  service: string;
  instance: string;
  url: string;
  probes: number;
  failed: number;
  /** percentage of probes that were ok, one decimal */
  availability: number;
  avgMs: number;
  maxMs: number;
  /** fewest certificate days left seen; null without TLS */
  minCertDays: number | null;
  first: string;
  last: string;
  lastStatus: string;
  repairs: number;
}

/** a failed probe (or repair) in the period */
export interface FailedProbe {
  time: string;
  host: string;
  service: string;
  instance: string;
  status: string;
  failure: string;
  kind: string;
  detail: string;
}

export interface History {
  instances: InstanceHistory[];
  failures: FailedProbe[];
  /** failed probes in the period beyond those listed */
  moreFailures: number;
}

function where(fl: HistoryFilter): Sql {
  const parts: Sql[] = [live('probe'), f.inRange(fl.range, 'ts')];
  if (fl.host !== undefined) parts.push(sql`host = ${fl.host}`);
  if (fl.service !== undefined) parts.push(sql`service = ${fl.service}`);
  return join(parts, ' AND ');
}

const t = () => table('probe');

/** per instance: probes, failures, times, the last status (argMax over the precise time) */
export function summaryStatement(fl: HistoryFilter): Sql {
  return sql`SELECT host, service, instance, max(url) AS last_url, count(*) AS probes,
      ${f.countIf(sql`status <> 'ok'`)} AS failed_probes,
      ${f.countIf(sql`kind = 'repair'`)} AS repairs,
      avg(duration_ms) AS avg_ms, max(duration_ms) AS max_ms, min(cert_days) AS min_cert_days,
      ${f.formatTime(sql`min(ts)`, '%Y-%m-%d %H:%M:%S')} AS first_at, ${f.formatTime(sql`max(ts)`, '%Y-%m-%d %H:%M:%S')} AS last_at,
      ${f.argMaxIf(sql`status`, f.preciseTime('ts'), sql`1 = 1`)} AS last_state
    FROM ${t()} WHERE ${where(fl)}
    GROUP BY host, service, instance ORDER BY host, service, instance`;
}

export function failuresStatement(fl: HistoryFilter, limit: number): Sql {
  return sql`SELECT ${f.formatTime(ident('ts'), '%Y-%m-%d %H:%M:%S')} AS at, host, service, instance, status, failure, kind, detail
    FROM ${t()} WHERE ${where(fl)} AND status <> 'ok'
    ORDER BY ${f.preciseTime('ts')}, file_id, line LIMIT ${raw(String(Math.max(0, Math.floor(limit))))}`;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function historyReport(store: Store, fl: HistoryFilter, limit = 100): Promise<History> {
  const rows = await store.query<Record<string, unknown>>('the probe history per instance', summaryStatement(fl));
  const instances = rows.map((r) => {
    const probes = Number(r.probes);
    const failed = Number(r.failed_probes);
    return {
      host: String(r.host),
      service: String(r.service),
      instance: String(r.instance),
      url: String(r.last_url),
      probes,
      failed,
      availability: probes ? Math.round((1000 * (probes - failed)) / probes) / 10 : 0,
      avgMs: Math.round(Number(r.avg_ms) * 10) / 10,
      maxMs: Math.round(Number(r.max_ms) * 10) / 10,
      minCertDays: num(r.min_cert_days),
      first: String(r.first_at),
      last: String(r.last_at),
      lastStatus: String(r.last_state),
      repairs: Number(r.repairs),
    };
  });
  const totalFailed = instances.reduce((a, i) => a + i.failed, 0);
  const failures = (await store.query<Record<string, unknown>>('the failed probes', failuresStatement(fl, limit))).map((r) => ({
    time: String(r.at),
    host: String(r.host),
    service: String(r.service),
    instance: String(r.instance),
    status: String(r.status),
    failure: String(r.failure ?? ''),
    kind: String(r.kind),
    detail: String(r.detail ?? ''),
  }));
  return { instances, failures, moreFailures: totalFailed - failures.length };
}
