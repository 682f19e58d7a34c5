// `mxray presence prune --older-than 90d`: the retention limit of presence history (capabilities/
// presence/prune.ts), hand-written beside the presence reports (it deletes, it is not a report).
import type { Command } from 'commander';
import { prunePresence } from '../capabilities/presence/prune.js';
import { storeOptions, UsageError, withStore, write, type StoreOpts } from './common.js';
import type { HandWritten } from './reports.js';

/** '90d', '12w', '36h' → seconds */
export function parseAge(v: string): number {
  const m = /^(\d+)\s*(d|w|h)$/.exec(v.trim());
  if (!m || Number(m[1]) < 1) throw new UsageError(`--older-than: expected an age such as 90d, 12w or 36h, got "${v}"`);
  return Number(m[1]) * { h: 3600, d: 86_400, w: 7 * 86_400 }[m[2] as 'h' | 'd' | 'w'];
}

function addPrune(group: Command): void {
  storeOptions(
    group
      .command('prune')
      .description('delete presence history older than an age (samples, durations, heartbeats, daily totals), on both stores')
      .requiredOption('--older-than <age>', 'age: 90d, 12w, 36h')
      .option('--now <iso>', 'count the age from this time instead of now (UTC ISO)')
      .option('--json', 'print the result as JSON'),
  ).action(async (o: StoreOpts & { olderThan: string; now?: string; json?: boolean }) => {
    const age = parseAge(o.olderThan);
    const now = o.now === undefined ? Date.now() : Date.parse(o.now);
    if (Number.isNaN(now)) throw new UsageError(`--now: expected an ISO time, got "${o.now}"`);
    const r = await withStore(o, (s) => prunePresence(s, Math.floor(now / 1000) - age));
    write(
      o.json
        ? JSON.stringify(r, null, 2) + '\n'
        : `pruned presence history before ${r.before}: ${Object.entries(r.deleted)
            .map(([t, n]) => `${n.toLocaleString('en-US')} ${t}`)
            .join(', ')}\n`,
    );
  });
}

export const presenceHandWritten: HandWritten = { after: [addPrune] };
