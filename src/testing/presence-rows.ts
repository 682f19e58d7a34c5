// Presence samples to append through LiveLog (store/live.ts) in the integrity tests of both stores:
// `rows` samples of 5 users, one a minute from `from` (Unix seconds); every other column gets a value
// of its type (text 'x', tinyint 0, a timestamp the sample's time, any other number 60), so a column
// added to the table gets one too: withPresenceColumn() adds one, as a release adding it would.
import { recordTables, type Column } from '../schema/tables.js';
import type { LiveValue } from '../store/live.js';

export function presenceRows(from: number, rows: number): LiveValue[][] {
  const t = recordTables.presence;
  return Array.from({ length: rows }, (_, k) => {
    const ts = from + k * 60;
    return t.columns
      .slice(2)
      .map((c) =>
        c.name === 'ts'
          ? new Date(ts * 1000)
          : c.name === 'ts_s'
            ? ts
            : c.name === 'user'
              ? `u${k % 5}@example.org`
              : c.type === 'text'
                ? 'x'
                : c.type === 'tinyint'
                  ? 0
                  : c.type === 'timestamp'
                    ? new Date(ts * 1000)
                    : 60,
      );
  });
}

/** run `fn` while the presence table has column `c` too (what a release adding it changes in the
 *  code; a store opened meanwhile widens its table), then take it away again */
export async function withPresenceColumn<T>(c: Column, fn: () => Promise<T>): Promise<T> {
  const t = recordTables.presence as { columns: readonly Column[] };
  const saved = t.columns;
  t.columns = [...saved, c];
  try {
    return await fn();
  } finally {
    t.columns = saved;
  }
}
