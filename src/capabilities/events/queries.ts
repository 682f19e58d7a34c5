// The queries of `mxray events top` and `mxray events list` on windows_events (the .evtx reader's
// table), written once for DuckDB and ClickHouse 18.16: plain GROUP BY and filters, no window
// functions, values inlined by sql`` (no parameters on 18.16).
import { f, fn, live, table } from '../../sql/dialect.js';
import { type Sql, ident, join, raw, sql } from '../../sql/sql.js';
import type { Store, TimeRange } from '../../store/types.js';

/** the columns `events top --by` can group by, by the name the user types */
export const groupColumns = {
  provider: 'provider',
  id: 'event_id',
  channel: 'channel',
  computer: 'computer',
  level: 'level',
} as const;
export type GroupKey = keyof typeof groupColumns;
export const groupKeys = Object.keys(groupColumns) as GroupKey[];

/** `provider,id` → ['provider', 'id'], or an error naming the unknown word */
export function parseBy(v: string | undefined): GroupKey[] {
  if (v === undefined) return ['provider', 'id'];
  const keys = v
    .split(',')
    .map((k) => k.trim().toLowerCase())
    .filter((k) => k !== '');
  if (!keys.length) throw new Error(`--by: expected one or more of ${groupKeys.join(', ')} separated by commas, got "${v}"`);
  for (const k of keys) {
    if (!(k in groupColumns)) throw new Error(`--by: unknown column "${k}"; known: ${groupKeys.join(', ')}`);
  }
  return [...new Set(keys)] as GroupKey[];
}

export interface EventFilter {
  readonly provider?: string | undefined;
  readonly id?: number | undefined;
  readonly channel?: string | undefined;
  readonly computer?: string | undefined;
  /** text in the insertion strings, the UserData or the message (CSV exports), any case */
  readonly match?: string | undefined;
  readonly range: TimeRange;
}

/** `needle` inside `haystack`, any case (lowerUTF8/position exist on 18.16) */
const containsText = (haystack: Sql, needle: string): Sql =>
  fn((d) =>
    d.name === 'duckdb'
      ? sql`strpos(lower(coalesce(${haystack}, '')), lower(${needle})) > 0`
      : sql`position(lowerUTF8(ifNull(${haystack}, '')), lowerUTF8(${needle})) > 0`,
  );

function where(fl: EventFilter): Sql {
  const parts: Sql[] = [live('windowsEvents'), f.inRange(fl.range, 'ts')];
  if (fl.provider !== undefined) parts.push(sql`provider = ${fl.provider}`);
  if (fl.id !== undefined) parts.push(sql`event_id = ${raw(String(Math.floor(fl.id)))}`);
  if (fl.channel !== undefined) parts.push(sql`channel = ${fl.channel}`);
  if (fl.computer !== undefined) parts.push(sql`computer = ${fl.computer}`);
  if (fl.match !== undefined)
    parts.push(
      sql`(${containsText(ident('data_values'), fl.match)} OR ${containsText(ident('user_data'), fl.match)} OR ${containsText(ident('message'), fl.match)})`,
    );
  return join(parts, ' AND ');
}

const t = () => table('windowsEvents');
const when = (x: Sql) => f.formatTime(x, '%Y-%m-%d %H:%M:%S');

export function topStatement(by: readonly GroupKey[], fl: EventFilter, limit: number): Sql {
  const cols = by.map((k) => ident(groupColumns[k]));
  return sql`SELECT ${join(cols, ', ')}, count(*) AS events, ${f.countIf(sql`recovered = 1`)} AS recovered_events,
      ${when(sql`min(ts)`)} AS first_at, ${when(sql`max(ts)`)} AS last_at
    FROM ${t()} WHERE ${where(fl)}
    GROUP BY ${join(cols, ', ')} ORDER BY events DESC, ${join(cols, ', ')} LIMIT ${raw(String(Math.max(0, Math.floor(limit))))}`;
}

export function countStatement(fl: EventFilter): Sql {
  return sql`SELECT count(*) AS n FROM ${t()} WHERE ${where(fl)}`;
}

export function listStatement(fl: EventFilter, limit: number): Sql {
  return sql`SELECT ${when(ident('ts'))} AS at, computer, channel, event_record_id, provider, event_id, level,
      data_count, data_values, data_names, user_data, recovered, message
    FROM ${t()} WHERE ${where(fl)}
    ORDER BY ${f.preciseTime('ts')}, computer, channel, event_record_id LIMIT ${raw(String(Math.max(0, Math.floor(limit))))}`;
}

/** one group of `events top` */
export interface TopRow {
  provider?: string;
  id?: number;
  channel?: string;
  computer?: string;
  level?: number;
  events: number;
  recovered: number;
  first: string | null;
  last: string | null;
  /** what the event means, from exchange-events.yaml (provider and id known) */
  meaning?: string;
}

export interface Top {
  by: GroupKey[];
  rows: TopRow[];
  /** events in the period (all groups, also those beyond the limit) */
  total: number;
}

/** one event of `events list` */
export interface ListedEvent {
  time: string | null;
  computer: string;
  channel: string;
  recordId: number;
  provider: string;
  id: number;
  level: number;
  /** the insertion strings %1…%n, with their names ('' where unnamed) */
  data: { name: string; value: string }[];
  userData: unknown;
  recovered: boolean;
  /** the rendered message, where the source kept it (CSV exports; NULL from .evtx) */
  message: string | null;
}

export interface EventList {
  events: ListedEvent[];
  /** matching events beyond those listed */
  more: number;
}

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const SEP = '\u001f';

export async function topReport(
  store: Store,
  by: GroupKey[],
  fl: EventFilter,
  limit: number,
  meaning?: (provider: string, id: number) => string | undefined,
): Promise<Top> {
  const rows = await store.query<Record<string, unknown>>('the events per group', topStatement(by, fl, limit));
  const total = Number((await store.query<{ n: unknown }>('the events in the period', countStatement(fl)))[0]?.n ?? 0);
  return {
    by,
    total,
    rows: rows.map((r) => {
      const row: TopRow = {
        events: Number(r.events),
        recovered: Number(r.recovered_events),
        first: r.first_at === null ? null : str(r.first_at),
        last: r.last_at === null ? null : str(r.last_at),
      };
      if (by.includes('provider')) row.provider = str(r.provider);
      if (by.includes('id')) row.id = Number(r.event_id);
      if (by.includes('channel')) row.channel = str(r.channel);
      if (by.includes('computer')) row.computer = str(r.computer);
      if (by.includes('level')) row.level = Number(r.level);
      if (meaning && row.provider !== undefined && row.id !== undefined) {
        const m = meaning(row.provider, row.id);
        if (m !== undefined) row.meaning = m;
      }
      return row;
    }),
  };
}

export async function listReport(store: Store, fl: EventFilter, limit: number): Promise<EventList> {
  const rows = await store.query<Record<string, unknown>>('the events', listStatement(fl, limit));
  const total = Number((await store.query<{ n: unknown }>('the events matching', countStatement(fl)))[0]?.n ?? 0);
  const events = rows.map((r): ListedEvent => {
    const values = str(r.data_values);
    const names = str(r.data_names).split(SEP);
    const data = Number(r.data_count) === 0 ? [] : values.split(SEP).map((value, i) => ({ name: names[i] ?? '', value }));
    let userData: unknown = null;
    if (r.user_data !== null && r.user_data !== undefined) {
      try {
        userData = JSON.parse(String(r.user_data));
      } catch {
        userData = String(r.user_data);
      }
    }
    return {
      time: r.at === null ? null : str(r.at),
      computer: str(r.computer),
      channel: str(r.channel),
      recordId: Number(r.event_record_id),
      provider: str(r.provider),
      id: Number(r.event_id),
      level: Number(r.level),
      data,
      userData,
      recovered: Number(r.recovered) === 1,
      message: r.message === null || r.message === undefined ? null : String(r.message),
    };
  });
  return { events, more: Math.max(0, total - events.length) };
}
