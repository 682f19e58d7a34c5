// Runaway devices: those with at least minHits requests in some UTC hour or day, with what they did
// in those periods. Three steps (one grouping per step, as every ActiveSync query: see queries.ts):
// the device periods over the threshold; then, only when there are any, the devices' attributes and
// their lines' counts per command / HTTP status / Error: value within those periods, the lines
// selected by an IN subquery of the periods; then the answer assembled from those row sets.
import { type Sql, ident, sql } from '../../sql/sql.js';
import { f } from '../../sql/dialect.js';
import type { Store } from '../../store/types.js';
import { countedLines } from './coverage.js';
import { cmd, countOf, device, eachPart, easLines, iis, isDevice, latest, logged, user } from './lines.js';
import type { EasQuery, EasRunawayDevice } from './types.js';

/** devices with at least minHits requests in some UTC hour or day */
export async function runaway(store: Store, q: EasQuery, minHits: number, per: 'hour' | 'day'): Promise<EasRunawayDevice[]> {
  const c = await countedLines(store, q);
  const eas = easLines(q);
  const period = f.truncTime(per, sql`ts`);
  // the device's periods over the threshold
  const over = sql`SELECT u, d, p, n FROM (
      SELECT ${user} AS u, ${device} AS d, ${period} AS p, ${countOf()} AS n
      FROM ${iis} WHERE ${eas} AND ${c} GROUP BY u, d, p)
    WHERE n >= ${minHits} AND ${isDevice}`;
  const periods = await store.query<RunawayPeriodRow>(
    'the runaway ActiveSync devices',
    sql`
    SELECT u, d, ${f.formatTime(sql`p`, per === 'hour' ? '%Y-%m-%dT%H' : '%Y-%m-%d')} AS period, n AS hits FROM (${over})`,
  );
  if (periods.length === 0) return [];
  const inOver = f.inSubquery(sql`(${user}, ${device}, ${period})`, sql`SELECT u, d, p FROM (${over})`);
  const perKind = (kind: RunawayCountRow['kind'], key: Sql, from: Sql, cond: Sql) =>
    store
      .query<Omit<RunawayCountRow, 'kind'>>(
        `the runaway ActiveSync devices (${kind})`,
        sql`
      SELECT ${user} AS u, ${device} AS d, ${key} AS k, ${countOf()} AS n
      FROM ${from} WHERE ${eas} AND ${cond} AND ${inOver} GROUP BY u, d, k`,
      )
      .then((rows) => rows.map((r) => ({ ...r, kind })));
  const [attrs, ...counts] = await Promise.all([
    store.query<RunawayAttrRow>(
      'the runaway ActiveSync devices',
      sql`
      SELECT ${user} AS u, ${device} AS d, ${latest('eas_device_type')} AS ${ident('deviceType')}, ${latest('user_agent')} AS ${ident('userAgent')}
      FROM ${iis} WHERE ${eas} AND ${f.inSubquery(sql`(${user}, ${device})`, sql`SELECT u, d FROM (${over})`)} GROUP BY u, d`,
    ),
    perKind('command', cmd, iis, c),
    perKind('httpStatus', sql`ifNull(${f.toText(sql`status`)}, '')`, iis, c),
    perKind('error', sql`err`, eachPart('eas_errors', 'err'), sql`${logged} AND eas_errors != '' AND err != ''`),
  ]);
  return assembleRunaway(periods, attrs, counts.flat());
}

export interface RunawayPeriodRow {
  u: string;
  d: string;
  period: string;
  hits: number | string;
}
export interface RunawayAttrRow {
  u: string;
  d: string;
  deviceType: string | null;
  userAgent: string | null;
}
export interface RunawayCountRow {
  u: string;
  d: string;
  kind: 'command' | 'httpStatus' | 'error';
  k: string;
  n: number | string;
}

/** the answer from the three row sets */
export function assembleRunaway(
  periods: readonly RunawayPeriodRow[],
  attrs: readonly RunawayAttrRow[],
  counts: readonly RunawayCountRow[],
): EasRunawayDevice[] {
  const byKey = new Map<string, EasRunawayDevice>();
  const key = (u: string, d: string) => `${u}\u0000${d}`;
  for (const p of periods) {
    let dev = byKey.get(key(p.u, p.d));
    if (!dev) {
      dev = { user: p.u, deviceId: p.d, deviceType: '', userAgent: '', periods: [], commands: {}, httpStatus: {}, errors: {} };
      byKey.set(key(p.u, p.d), dev);
    }
    dev.periods.push({ period: p.period, hits: Number(p.hits) });
  }
  for (const a of attrs) {
    const dev = byKey.get(key(a.u, a.d));
    if (dev) {
      dev.deviceType = a.deviceType ?? '';
      dev.userAgent = a.userAgent ?? '';
    }
  }
  for (const c of counts) {
    const dev = byKey.get(key(c.u, c.d));
    if (dev) dev[c.kind === 'command' ? 'commands' : c.kind === 'httpStatus' ? 'httpStatus' : 'errors'][c.k] = Number(c.n);
  }
  for (const dev of byKey.values()) dev.periods.sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
  return [...byKey.values()];
}
