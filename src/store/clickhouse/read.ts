// What the ClickHouse store's own queries (./activesync.ts) read: the table of a record kind and
// the condition that its rows are live (store.ts), and the rows of a time range. The message-tracking
// queries no longer need this (capabilities/tracking, through Store.query); the ActiveSync ones do
// until they move the same way.
import type { TimeRange } from '../types.js';
import { type Sql, join } from '../../sql/sql.js';
import { clickhouse } from '../../sql/dialect.js';

export interface ReadContext {
  /** the record table (MergeTree, or Distributed in cluster mode) */
  readonly table: Sql;
  /** the condition selecting rows of live batches */
  readonly live: Sql;
}

/** rows of live batches in the range */
export function where(c: ReadContext, r: TimeRange): Sql {
  return r.from || r.to ? join([c.live, clickhouse.inRange(r)], ' AND ') : c.live;
}
