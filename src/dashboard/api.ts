// The dashboard's JSON API on serve's listener, built from the report specs (capabilities/registry.ts):
//   GET /api/reports              every report with its parameters and columns (what a page's form shows)
//   GET /api/reports/<id>?k=v…    run one report: the parameters validated by the spec (400 with its
//                                 message on a bad one), the result exactly as `mxray … --json` prints it
//                                 (format=csv: as `--format csv` prints it)
// A report runs the same function the CLI runs, so a number on a page is the number the CLI prints.
// Results are cached until the store changes: the change mark is the ingested files' count and lines
// (every committed batch, also a running part's live rows, moves it), read once per request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { capabilities } from '../capabilities/registry.js';
import { ParamError, validate, type AnyReport, type ParamInput } from '../capabilities/report.js';
import { TimelineError } from '../capabilities/calendar/timeline.js';
import { sql } from '../sql/sql.js';
import type { Store } from '../store/types.js';
import { json, type RouteTable } from '../serve/http.js';

/** what a page needs to know of a report (no functions, no schemas) */
export interface ReportInfo {
  readonly id: string;
  readonly capability: string;
  readonly command: string;
  readonly description: string;
  readonly params: readonly {
    name: string;
    flag: string;
    help: string;
    type: string;
    choices?: readonly string[];
    default?: string | number;
    required?: boolean;
  }[];
  readonly columns?: readonly { key: string; title: string; kind: string }[];
}

export function reportInfos(): ReportInfo[] {
  return capabilities.flatMap((c) =>
    c.reports.map((r) => ({
      id: r.id,
      capability: c.name,
      command: `mxray ${r.command.join(' ')}`,
      description: r.description,
      params: r.params
        .filter((p) => p.name !== 'format' && p.name !== 'json')
        .map((p) => ({
          name: p.name,
          flag: p.flag,
          help: p.help,
          type: p.type,
          ...(p.choices ? { choices: p.choices } : {}),
          ...(p.default !== undefined ? { default: p.default } : {}),
          ...(p.required ? { required: true } : {}),
        })),
      ...(r.columns ? { columns: r.columns.map((c) => ({ key: c.key, title: c.title, kind: c.kind })) } : {}),
    })),
  );
}

/** the capabilities whose reports read rows that a running part appends (store/live.ts: the
 *  monitor's probe results, the presence poller's samples, the rules part's alerts): their answers go stale with every live
 *  batch; the others only when a file's ingest commits */
const readsLiveRows: ReadonlySet<string> = new Set(['monitor', 'presence', 'rules']);

export interface ChangeMarks {
  /** moves when an ingest of files commits a batch */
  readonly files: string;
  /** moves also when a running part appends live rows (every second while the monitor probes) */
  readonly all: string;
}

/** marks that change whenever an ingest (or a running part's live rows) commits a batch: the
 *  ingested files' count and their lines, read from the store's own bookkeeping (a few rows) */
export async function changeMarks(store: Store): Promise<ChangeMarks> {
  const [r] = await store.query<Record<'files' | 'lines' | 'liveFiles' | 'liveLines', number | string | null>>(
    'change mark',
    sql`SELECT count(*) AS files, sum(next_line) AS lines,
      sum(CASE WHEN path LIKE 'live:%' THEN 1 ELSE 0 END) AS liveFiles,
      sum(CASE WHEN path LIKE 'live:%' THEN next_line ELSE 0 END) AS liveLines
      FROM ingested_files`,
  );
  const n = (v: number | string | null | undefined) => Number(v ?? 0);
  const files = `${n(r?.files) - n(r?.liveFiles)}/${n(r?.lines) - n(r?.liveLines)}`;
  return { files, all: `${files}+${n(r?.liveFiles)}/${n(r?.liveLines)}` };
}

export interface ReportAnswer {
  readonly status: 200 | 400;
  readonly contentType: string;
  readonly body: string;
}

/** run a report from a record of strings: the same validation and the same output as the CLI */
export async function answer(store: Store, report: AnyReport, input: ParamInput): Promise<ReportAnswer> {
  const format = input.format ?? 'json';
  if (format !== 'json' && format !== 'csv')
    return { status: 400, contentType: 'application/json', body: JSON.stringify({ error: `format: expected json or csv, got "${format}"` }) };
  let values: unknown;
  try {
    values = validate(report, { ...input, format, json: undefined });
  } catch (e) {
    if (e instanceof ParamError) return { status: 400, contentType: 'application/json', body: JSON.stringify({ error: e.message }) };
    throw e;
  }
  let result: unknown;
  try {
    result = await report.run(store, values as never);
  } catch (e) {
    // the parameters name nothing the store has (no meeting with that subject): the user's to change
    if (e instanceof TimelineError) return { status: 400, contentType: 'application/json', body: JSON.stringify({ error: e.message }) };
    throw e;
  }
  const body = report.render(result, format, values as never);
  return { status: 200, contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8', body };
}

export interface ApiOptions {
  /** cached answers kept at most (least recently used dropped first) */
  readonly cacheEntries?: number;
}

export interface Api {
  /** answers served from the cache / computed, since start (for tests and the bench) */
  readonly stats: { hits: number; misses: number };
}

function inputOf(url: URL): Record<string, string> {
  const input: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    // an empty field of a form is a parameter not given
    if (v !== '') input[k] = v;
  }
  return input;
}

function send(req: IncomingMessage, res: ServerResponse, a: ReportAnswer, cache: string): void {
  res.writeHead(a.status, { 'content-type': a.contentType, 'cache-control': 'no-store', 'x-mxray-cache': cache });
  res.end(req.method === 'HEAD' ? undefined : a.body);
}

/** add the report routes to serve's listener */
export function addApiRoutes(routes: RouteTable, store: Store, o: ApiOptions = {}): Api {
  const limit = o.cacheEntries ?? 500;
  const cache = new Map<string, { mark: string; answer: ReportAnswer }>();
  const stats = { hits: 0, misses: 0 };
  const infos = reportInfos();
  routes.get('/api/reports', (_req, res) => json(res, 200, { reports: infos }));
  for (const c of capabilities)
    for (const report of c.reports) {
      const live = readsLiveRows.has(c.name);
      routes.get(`/api/reports/${report.id}`, async (req, res, url) => {
        const input = inputOf(url);
        const key = `${report.id}?${Object.entries(input)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
          .join('&')}`;
        const marks = await changeMarks(store);
        const mark = live ? marks.all : marks.files;
        const kept = cache.get(key);
        if (kept && kept.mark === mark) {
          stats.hits++;
          // most recently used last
          cache.delete(key);
          cache.set(key, kept);
          return send(req, res, kept.answer, 'hit');
        }
        stats.misses++;
        const a = await answer(store, report, input);
        cache.set(key, { mark, answer: a });
        while (cache.size > limit) cache.delete(cache.keys().next().value!);
        send(req, res, a, 'miss');
      });
    }
  return { stats };
}
