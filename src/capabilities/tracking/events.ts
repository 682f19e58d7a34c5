// Which tracking events a query reads: those of the range that count. Shared by the queries written
// once (./queries.ts) and the tuned ones (./tuned/).
import type { TimeRange } from '../../store/types.js';
import { f, live } from '../../sql/dialect.js';
import { type Sql, sql } from '../../sql/sql.js';

/** events in the range that count (ClickHouse: of live batches; DuckDB: every row) */
export function counted(range: TimeRange): Sql {
  // without a range the condition is the live one alone, as the stores' own queries had it
  return range.from || range.to ? sql`${live('tracking')} AND ${f.inRange(range)}` : live('tracking');
}
