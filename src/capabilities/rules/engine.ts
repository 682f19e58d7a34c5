// The rule engine: rules (config.ts) over stored records. What SQL can do is one condition per rule
// (compile.ts); the rows it selects are read in pages (bounded memory) in (file_id, line) order, and
// the engine applies, per row and in rule order, what the store cannot: the time window in its time
// zone, the row operators (sha256, memberOf through ports.ts; param, ops/param.ts), `stop`, and for `rules run` the
// threshold and the actions. A source whose rules need none of that per row is counted by the store
// alone (`rules test`: per rule, one count and one LIMIT query for its examples: see testRules).
import { f, fn, live, table } from '../../sql/dialect.js';
import { ident, join, raw, sql, type Sql } from '../../sql/sql.js';
import type { Store } from '../../store/types.js';
import type { Condition, Rule } from './config.js';
import { FALSE, isRowCondition, ruleSql, ruleWhere } from './compile.js';
import { fieldSql, sources, type Field, type Source, type SourceName } from './fields.js';
import type { ActionRunner, FileHasher, MembershipResolver } from './ports.js';
import { paramHolds } from './ops/param.js';

/** the parts that reach outside the store (ports.ts), given by the caller */
export interface Ports {
  readonly hasher: FileHasher;
  /** needed by rules with memberOf */
  readonly members?: MembershipResolver;
  readonly runActions: ActionRunner;
}

export interface EngineOptions {
  readonly ports: Ports;
  /** the engine's clock (tests inject one) */
  readonly now?: () => Date;
  /** the time zone of windows that name none (default: this machine's) */
  readonly defaultTz?: string;
  /** rows read per query (bounded memory) */
  readonly pageSize?: number;
  /** examples kept per rule */
  readonly examples?: number;
}

/** a matching record as the admin reads it: fields by the log's names, and where it came from */
export interface Example {
  readonly time: string | null;
  readonly origin: { readonly file: string; readonly line: number } | null;
  readonly record: Record<string, unknown>;
}

export interface RuleResult {
  readonly rule: string;
  readonly matches: number;
  readonly examples: Example[];
}

/** a row read for evaluation */
export interface Row {
  readonly fileId: number;
  readonly line: number;
  /** record time, UTC 'YYYY-MM-DD HH:MM:SS' */
  readonly time: string | null;
  /** by column */
  readonly values: Record<string, unknown>;
  /** per rule of the source (in order): its store-evaluated condition holds */
  readonly flags: readonly boolean[];
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1';

/** the fields shown for a record: each column once, by its log name, plus the columns rules use */
export function shownFields(source: Source, rules: readonly Rule[]): Field[] {
  const out = new Map<string, Field>();
  for (const fl of source.fields) if (!out.has(fl.column)) out.set(fl.column, fl);
  for (const r of rules)
    for (const c of [...r.include, ...r.exclude, ...(r.aggregate?.by ?? [])].flatMap((x) => ('field' in x ? [x.field, ...(x.field2 ? [x.field2] : [])] : [x])))
      if (!out.has(c.column)) out.set(c.column, c);
  return [...out.values()];
}

function selectList(fields: readonly Field[]): Sql {
  return join(
    fields.map((fl) =>
      fl.type === 'time'
        ? sql`${f.formatTime(fieldSql(fl), '%Y-%m-%d %H:%M:%S')} AS ${ident(valueKey(fl))}`
        : fl.expr
          ? sql`${fl.expr} AS ${ident(fl.column)}`
          : ident(fl.column),
    ),
  );
}

/** the key of a field's value in a row read: times are read formatted, under a name of their own
 *  (ClickHouse would otherwise read the column's name as the formatted alias everywhere in the query) */
function valueKey(fl: Field): string {
  return fl.type === 'time' ? `__t_${fl.column}` : fl.column;
}

export function timeSql(source: Source): Sql {
  return source.timeIsText ? sql`substring(${ident(source.time)}, 1, 19)` : f.formatTime(ident(source.time), '%Y-%m-%d %H:%M:%S');
}

export function recordOf(fields: readonly Field[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const fl of fields) {
    const v = values[valueKey(fl)];
    // 64-bit integers come as text from ClickHouse's JSON: numbers everywhere
    out[fl.name] = fl.type === 'number' && typeof v === 'string' && v !== '' ? Number(v) : (v ?? null);
  }
  return out;
}

/** pages of the rows meeting `where`, with one flag per rule, in (file_id, line) order */
export async function* readRows(
  store: Store,
  source: Source,
  rules: readonly Rule[],
  fields: readonly Field[],
  where: Sql,
  pageSize: number,
): AsyncGenerator<Row> {
  const flags = rules.map((r, i) => sql`${ruleSql(r)} AS ${ident(`__r${i}`)}`);
  let after: { fileId: number; line: number } | undefined;
  for (;;) {
    const pos = after ? sql`AND (file_id > ${after.fileId} OR (file_id = ${after.fileId} AND line > ${after.line}))` : raw('');
    const rows = await store.query<Record<string, unknown>>(
      `the ${source.name} records for rules`,
      sql`SELECT file_id, line, ${timeSql(source)} AS __time, ${selectList(fields)}, ${join(flags)}
          FROM ${table(source.kind)} WHERE ${live(source.kind)} AND (${where}) ${pos}
          ORDER BY file_id, line LIMIT ${raw(String(pageSize))}`,
    );
    for (const r of rows)
      yield {
        fileId: Number(r.file_id),
        line: Number(r.line),
        time: r.__time === null || r.__time === undefined || r.__time === '' ? null : String(r.__time),
        values: r,
        flags: rules.map((_, i) => truthy(r[`__r${i}`])),
      };
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    after = { fileId: Number(last.file_id), line: Number(last.line) };
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** is the UTC time inside the rule's window (days and hours in its time zone)? */
export function inWindow(window: NonNullable<Rule['window']>, utcTime: string, defaultTz: string): boolean {
  const tz = window.tz ?? defaultTz;
  let fmt = formatters.get(tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(tz, fmt);
  }
  const parts = fmt.formatToParts(new Date(utcTime.replace(' ', 'T') + 'Z'));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  if (window.days && !window.days.includes(get('weekday').toLowerCase().slice(0, 3) as never)) return false;
  if (window.hours) {
    const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(window.hours)!;
    const start = Number(m[1]) * 60 + Number(m[2]);
    const end = Number(m[3]) * 60 + Number(m[4]);
    const now = Number(get('hour')) * 60 + Number(get('minute'));
    return start <= end ? now >= start && now < end : now >= start || now < end;
  }
  return true;
}

/** the per-row checks the store cannot make, with their outcomes cached for one run */
export class RowChecks {
  private readonly cache = new Map<string, boolean>();
  constructor(
    private readonly opts: EngineOptions,
    private readonly defaultTz: string,
  ) {}

  private async check(c: Condition, row: Row): Promise<boolean> {
    const v = row.values[c.field.column];
    if (v === null || v === undefined || v === '') return false;
    const text = String(v);
    // parsed here, not cached: the parse of the last text is kept (ops/param.ts)
    if (c.op === 'param') return paramHolds(text, c.param!);
    const key = `${c.op}\u0000${c.root ?? ''}\u0000${String(c.value)}\u0000${text}`;
    const known = this.cache.get(key);
    if (known !== undefined) return known;
    let ok: boolean;
    if (c.op === 'sha256') {
      const out = await this.opts.ports.hasher(text, {
        root: c.root!,
        ...(c.maxBytes && { maxBytes: c.maxBytes }),
        ...(c.timeoutMs && { timeoutMs: c.timeoutMs }),
      });
      ok = out.ok && out.sha256.toLowerCase() === String(c.value).toLowerCase();
    } else {
      const members = this.opts.ports.members;
      if (!members) throw new Error('a memberOf rule needs the directory: section of mxray.yaml (an LDAP server to ask)');
      ok = await members.isMember(text, String(c.value));
    }
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(key, ok);
    return ok;
  }

  /** the rule matches the row, given that its store-evaluated condition holds */
  async matches(rule: Rule, row: Row): Promise<boolean> {
    if (rule.window && (!row.time || !inWindow(rule.window, row.time, this.defaultTz))) return false;
    // excludes first: an excluded event is not looked at further
    for (const c of rule.exclude) if (isRowCondition(c) && (await this.check(c, row))) return false;
    for (const c of rule.include) if (isRowCondition(c) && !(await this.check(c, row))) return false;
    return true;
  }
}

export function machineTz(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** rules grouped by source, in config order, each with its index in the whole list */
export function bySource(rules: readonly Rule[]): Map<SourceName, { rule: Rule; index: number }[]> {
  const out = new Map<SourceName, { rule: Rule; index: number }[]>();
  rules.forEach((rule, index) => {
    const l = out.get(rule.source) ?? [];
    l.push({ rule, index });
    out.set(rule.source, l);
  });
  return out;
}

/** a rule's store condition with `stop` of the earlier rules folded in (for a WHERE: see ruleWhere) */
function effective(rules: readonly Rule[], i: number): Sql {
  const stoppers = rules.slice(0, i).filter((r) => r.stop);
  const own = ruleWhere(rules[i]!);
  return stoppers.length ? sql`(${own} AND NOT (${join(stoppers.map(ruleSql), ' OR ')}))` : own;
}

/** file paths by id, for origins */
export async function filePaths(store: Store, ids: readonly number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const unique = [...new Set(ids)];
  if (!unique.length) return out;
  const rows = await store.query<{ id: number; path: string }>(
    'the files of the examples',
    sql`SELECT id, path FROM ${ident('ingested_files')} WHERE id IN (${join(unique.map((x) => raw(String(Math.trunc(x)))))})`,
  );
  for (const r of rows) out.set(Number(r.id), String(r.path));
  return out;
}

/** the rows of a source meeting its store conditions (TRUE) */
export const everyRow = raw('1 = 1');

/** `rules test`: matches per rule over the stored records (all of them, or those meeting `where`),
 *  with the first examples, without thresholds or actions (a dry run) */
export async function testRules(store: Store, rules: readonly Rule[], opts: EngineOptions, where: Sql = everyRow): Promise<RuleResult[]> {
  const results: { matches: number; found: { row: Row; fields: Field[]; source: Source }[]; aggregate?: Example[] }[] = rules.map(() => ({
    matches: 0,
    found: [],
  }));
  const keep = opts.examples ?? 5;
  const pageSize = opts.pageSize ?? 5000;
  const checks = new RowChecks(opts, opts.defaultTz ?? machineTz());
  for (const [name, list] of bySource(rules)) {
    const source = sources[name];
    const rowRules = list.filter((x) => !x.rule.aggregate);
    for (const agg of list.filter((x) => x.rule.aggregate)) {
      const fired = await evaluateAggregate(store, agg.rule, where, pageSize, keep);
      results[agg.index] = { matches: fired.count, found: [], aggregate: fired.examples };
    }
    if (!rowRules.length) continue;
    const rs = rowRules.map((x) => x.rule);
    const fields = shownFields(source, rs);
    const perRow = rs.some((r) => r.window || [...r.include, ...r.exclude].some(isRowCondition));
    if (!perRow) {
      // The store alone: per rule, a count of the rows its condition lets through, then its first
      // examples. One query per rule rather than one scan with a count per rule: in a WHERE, DuckDB
      // pushes the rule's comparisons into the scan (dictionary, zone maps) and evaluates each next
      // condition only on the rows the last let through, where a count(*) FILTER per rule evaluates
      // every condition of every rule on every row (20 rules over 10 M rows: 2 CPU-s against 5).
      // The counts are one statement (UNION ALL), which DuckDB runs on its threads side by side.
      const counts = new Map<number, number>();
      for (const c of await store.query<{ rule_index: unknown; n: unknown }>(
        `the ${source.name} rule counts`,
        join(
          rs.map(
            (_, i) =>
              sql`SELECT ${raw(String(i))} AS rule_index, count(*) AS n FROM ${table(source.kind)} WHERE ${live(source.kind)} AND (${where}) AND ${effective(rs, i)}`,
          ),
          ' UNION ALL ',
        ),
      ))
        counts.set(Number(c.rule_index), Number(c.n));
      for (const [i, x] of rowRules.entries()) {
        const n = counts.get(i) ?? 0;
        results[x.index]!.matches = n;
        if (n === 0 || keep === 0) continue;
        const rows = await store.query<Record<string, unknown>>(
          `the examples of rule ${x.rule.name}`,
          sql`SELECT file_id, line, ${timeSql(source)} AS __time, ${selectList(fields)} FROM ${table(source.kind)}
              WHERE ${live(source.kind)} AND (${where}) AND ${effective(rs, i)} ORDER BY file_id, line LIMIT ${raw(String(keep))}`,
        );
        results[x.index]!.found = rows.map((r) => ({
          row: { fileId: Number(r.file_id), line: Number(r.line), time: r.__time == null ? null : String(r.__time), values: r, flags: [] },
          fields,
          source,
        }));
      }
      continue;
    }
    const any = join(rs.map(ruleSql), ' OR ');
    for await (const row of readRows(store, source, rs, fields, sql`(${where}) AND (${any})`, pageSize)) {
      for (const [i, x] of rowRules.entries()) {
        if (!row.flags[i] || !(await checks.matches(x.rule, row))) continue;
        const res = results[x.index]!;
        res.matches++;
        if (res.found.length < keep) res.found.push({ row, fields, source });
        if (x.rule.stop) break;
      }
    }
  }
  const paths = await filePaths(
    store,
    results.flatMap((r) => r.found.map((x) => x.row.fileId)),
  );
  return rules.map((rule, i) => {
    const r = results[i]!;
    return {
      rule: rule.name,
      matches: r.matches,
      examples:
        r.aggregate ??
        r.found.map(({ row, fields }) => ({
          time: row.time,
          origin: { file: paths.get(row.fileId) ?? `file ${row.fileId}`, line: row.line },
          record: recordOf(fields, row.values),
        })),
    };
  });
}

// ---- aggregate rules: counts per group and bucket ----

/** the bucket a record's time falls in, as text: 'YYYY-MM-DD HH:00:00' (hour) or 'YYYY-MM-DD' (day) */
function bucketSql(source: Source, per: 'hour' | 'day'): Sql {
  if (source.timeIsText) return per === 'day' ? sql`substring(${ident(source.time)}, 1, 10)` : sql`concat(substring(${ident(source.time)}, 1, 13), ':00:00')`;
  return f.formatTime(ident(source.time), per === 'day' ? '%Y-%m-%d' : '%Y-%m-%d %H:00:00');
}

const limitOffset = (limit: number, offset: number) => fn((d) => raw(d.name === 'duckdb' ? `LIMIT ${limit} OFFSET ${offset}` : `LIMIT ${offset}, ${limit}`));

const bucketMs = { hour: 3_600_000, day: 86_400_000 } as const;
const bucketIndex = (bucket: string, per: 'hour' | 'day') =>
  Math.floor(Date.parse((bucket.length === 10 ? bucket + ' 00:00:00' : bucket).replace(' ', 'T') + 'Z') / bucketMs[per]);

export interface AggregateFiring {
  readonly count: number;
  readonly examples: Example[];
  /** the last bucket read (a run's mark) */
  readonly lastBucket: string | null;
}

/** the groups and buckets where an aggregate rule fires, in group order; `onFire` sees each */
export async function evaluateAggregate(
  store: Store,
  rule: Rule,
  where: Sql,
  pageSize: number,
  keep: number,
  onFire?: (e: Example) => Promise<void>,
): Promise<AggregateFiring> {
  const a = rule.aggregate!;
  const source = sources[rule.source];
  const keys = a.by.map((fl, i) => sql`${fieldSql(fl)} AS ${ident(`k${i}`)}`);
  const groupBy = join([...a.by.map((_, i) => ident(`k${i}`)), ident('bucket')]);
  const having = a.count ? sql`HAVING count(*) ${raw(a.count.op === '==' ? '=' : a.count.op === '!=' ? '<>' : a.count.op)} ${a.count.value}` : raw('');
  const examples: Example[] = [];
  let count = 0;
  let lastBucket: string | null = null;
  // baseline: the counts of the current group's recent buckets
  let group = '';
  let history: { index: number; n: number }[] = [];
  let first = 0;
  for (let offset = 0; ; offset += pageSize) {
    const rows = await store.query<Record<string, unknown>>(
      `the groups of rule ${rule.name}`,
      sql`SELECT ${join(keys)}, ${bucketSql(source, a.per)} AS bucket, count(*) AS n FROM ${table(source.kind)}
          WHERE ${live(source.kind)} AND (${where}) AND ${ruleWhere(rule)} GROUP BY ${groupBy} ${having}
          ORDER BY ${groupBy} ${limitOffset(pageSize, offset)}`,
    );
    for (const r of rows) {
      const bucket = String(r.bucket);
      if (lastBucket === null || bucket > lastBucket) lastBucket = bucket;
      const n = Number(r.n);
      const record: Record<string, unknown> = {};
      a.by.forEach((fl, i) => {
        record[fl.name] = r[`k${i}`] ?? null;
      });
      let baseline: number | undefined;
      if (a.baseline) {
        const key = JSON.stringify(a.by.map((_, i) => r[`k${i}`]));
        const index = bucketIndex(bucket, a.per);
        if (key !== group) {
          group = key;
          history = [];
          first = index;
        }
        history = history.filter((h) => h.index >= index - a.baseline!.buckets);
        const enough = index - first >= a.baseline.buckets;
        baseline = history.reduce((s, h) => s + h.n, 0) / a.baseline.buckets;
        history.push({ index, n });
        if (!enough || !(n > a.baseline.factor * baseline && n >= a.baseline.min)) continue;
      }
      count++;
      const e: Example = {
        time: bucket,
        origin: null,
        record: { ...record, [a.per]: bucket, count: n, ...(baseline !== undefined && { baseline: Math.round(baseline * 100) / 100 }) },
      };
      if (examples.length < keep) examples.push(e);
      await onFire?.(e);
    }
    if (rows.length < pageSize) break;
  }
  return { count, examples, lastBucket };
}

export { FALSE };
