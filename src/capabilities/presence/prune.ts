// `mxray presence prune --older-than 90d`: a retention limit (privacy, spec presence.md). Deletes the
// samples, durations, their hourly and daily totals, heartbeats and aggregate-only totals from before
// the cut (a whole UTC day), through
// Store.deleteRows (DuckDB: DELETE; ClickHouse: ALTER TABLE … DELETE, waited for, on every host of a cluster).
import type { Store } from '../../store/types.js';
import { live, table } from '../../sql/dialect.js';
import { type Sql, raw, sql } from '../../sql/sql.js';

export interface PruneResult {
  /** the cut: everything before it is deleted (UTC ISO) */
  before: string;
  /** rows deleted per table */
  deleted: Record<string, number>;
}

const targets = [
  { kind: 'presence', name: 'presence_samples', where: (cut: number) => sql`ts_s < ${raw(String(cut))}` },
  { kind: 'presenceSpans', name: 'presence_spans', where: (cut: number) => sql`start_s < ${raw(String(cut))}` },
  { kind: 'presenceHeartbeats', name: 'presence_heartbeats', where: (cut: number) => sql`ts_s < ${raw(String(cut))}` },
  { kind: 'presenceDaily', name: 'presence_daily', where: (cut: number) => sql`day < ${new Date(cut * 1000).toISOString().slice(0, 10)}` },
  { kind: 'presenceHours', name: 'presence_hours', where: (cut: number) => sql`hour_s < ${raw(String(cut))}` },
  // last: a prune cut off before it leaves totals of pieces already deleted (numbers the report had),
  // never pieces without their totals
  { kind: 'presenceDays', name: 'presence_days', where: (cut: number) => sql`day_s < ${raw(String(cut))}` },
] as const;

export async function prunePresence(store: Store, at: number): Promise<PruneResult> {
  // the cut falls on a whole UTC day, so the hourly and daily totals (hours.ts) still add up to the
  // pieces kept
  const cutS = Math.floor(at / 86_400) * 86_400;
  const deleted: Record<string, number> = {};
  for (const t of targets) {
    const where: Sql = t.where(cutS);
    const [c] = await store.query<{ n: number }>(
      `the ${t.name} rows to prune`,
      sql`SELECT count(*) AS n FROM ${table(t.kind)} WHERE ${live(t.kind)} AND ${where}`,
    );
    deleted[t.name] = Number(c?.n ?? 0);
    if (!deleted[t.name]) continue;
    if (!store.deleteRows) throw new Error(`this store cannot delete rows (${store.location})`);
    await store.deleteRows(t.kind, where);
  }
  return { before: new Date(cutS * 1000).toISOString(), deleted };
}
