// Which iis_requests lines an ActiveSync query reads (the counting rules at the top of queries.ts):
// every EAS line of the range, user and device; the lines that carry a Log= value (rule 2); and the
// pieces every query shares. The lines that are the requests (rule 1) are coverage.ts's. Written once for both stores
// with the dialect's functions (sql/dialect.ts).
//
// NULLs: every stored column but the origin and the time may be NULL (ClickHouse: Nullable). The
// EAS text columns never are on an EAS line (formats/iis writes '' for an absent value). Keys,
// aggregate arguments and the conditions inside aggregates read columns with assumeNotNull() (col()):
// ClickHouse then reads the non-Nullable type, so no -If combinator depends on how a release treats
// NULL, and a NULL reads as '' or 0; DuckDB reads the column as it is (a coalesce() would cost its
// groupings ~10%), and a NULL fails the same conditions or is skipped by the same aggregates. Where a
// NULL must count as '' or 0 on both (a key, a sum of two columns) the query says ifNull().
// Conditions that only select lines are written plainly in WHERE (eas_backend = 0, eas_log != ''):
// DuckDB filters them in the table scan and reads the other columns of the selected rows only.
import { type Sql, ident, join, sql } from '../../sql/sql.js';
import { f, live, table } from '../../sql/dialect.js';
import type { TimeRange } from '../../store/types.js';
import type { EasQuery } from './types.js';

/** the table of IIS requests (ClickHouse in cluster mode: the Distributed table) */
export const iis = table('iis');
/** a column in a key, an aggregate or a condition inside one (see the top): a NULL fails every
 *  condition written here (= 200, IN (…), = 'set', > 0, != '') on both stores */
export function col(name: string): Sql {
  return f.assumeNotNull(ident(name));
}

export const user = col('eas_user');
export const device = col('eas_device_id');
/** the command as a key: '' when none */
export const cmd = sql`ifNull(eas_cmd, '')`;
/** a user + device key, as the queries name it (u, d): a line of a device (rule 4) */
export const isDevice = sql`(u != '' OR d != '')`;
/** what "latest" orders by: the line's time with its milliseconds */
const at = f.preciseTime('ts');

/** the latest non-empty value of a text column ('' when none; a NULL is no value) */
export function latest(column: string): Sql {
  const v = col(column);
  return sql`ifNull(${f.argMaxIf(v, at, sql`${v} != ''`)}, '')`;
}

/** a number column's value on the latest line where cond holds (DuckDB: NULL when none) */
export function latestNumber(column: string, cond: Sql): Sql {
  return f.argMaxIf(col(column), at, cond);
}

/** the time range of a query: which lines count depends on it alone, not on --user/--device */
export function rangeOnly(q: TimeRange): TimeRange {
  return { ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) };
}

/** every EAS line of the range, user and device (rows of live batches only) */
export function easLines(q: EasQuery): Sql {
  const parts = [sql`eas_backend IS NOT NULL`, live('iis')];
  if (q.from || q.to) parts.push(f.inRange({ ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) }));
  if (q.user) {
    // as logged, or the account name after DOMAIN\ or before @
    const name = q.user.toLowerCase();
    parts.push(sql`(eas_user = ${name} OR ${f.endsWith(sql`eas_user`, sql`${'\\' + name}`)} OR ${f.startsWith(sql`eas_user`, sql`${name + '@'}`)})`);
  }
  if (q.device) parts.push(sql`${f.lower(sql`eas_device_id`)} = ${q.device.toLowerCase()}`);
  return join(parts, ' AND ');
}

/** the lines that carry a Log= value (rule 2): a WHERE condition */
export const logged = sql`eas_log != ''`;

/** a count as a 64-bit integer (the same JSON number on both stores) */
export function countOf(cond?: Sql): Sql {
  return f.toInt(cond ? f.countIf(cond) : sql`count(*)`);
}

/** the sum of a number column over the lines of the group, NULL as 0 */
export function sumOf(column: string): Sql {
  return f.toInt(sql`ifNull(sum(${col(column)}), 0)`);
}

/** the sum of a + b over the lines of the group, NULL as 0 */
export function sumOfBoth(a: string, b: string): Sql {
  return f.toInt(sql`sum(ifNull(${ident(a)}, 0) + ifNull(${ident(b)}, 0))`);
}

/** the parts of a ;-joined text column, one row each (errors: 'a;b' → a, b), named `alias` */
export function eachPart(column: string, alias: string): Sql {
  return f.explode(iis, f.split(sql`ifNull(${ident(column)}, '')`, ';'), alias);
}
