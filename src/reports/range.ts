// --from / --to: ISO dates or date-times, UTC. A date alone in --to includes that whole day.
import type { TimeRange } from '../store/types.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?Z?$/;

function fmt(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

export function parseWhen(option: string, value: string, endOfDay: boolean): string {
  const v = value.trim();
  let m = DATE.exec(v);
  if (m) {
    const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
    if (d.getUTCMonth() !== +m[2]! - 1 || d.getUTCDate() !== +m[3]!) throw new Error(`${option}: "${value}" is not a valid date`);
    if (endOfDay) d.setUTCDate(d.getUTCDate() + 1);
    return fmt(d);
  }
  m = DATETIME.exec(v);
  if (m) {
    const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)));
    if (Number.isNaN(d.getTime()) || d.getUTCHours() !== +m[4]!) throw new Error(`${option}: "${value}" is not a valid date-time`);
    return fmt(d);
  }
  throw new Error(`${option}: expected an ISO date (2024-03-04) or date-time (2024-03-04T09:00Z) in UTC, got "${value}"`);
}

export function parseRange(from?: string, to?: string): TimeRange {
  const r: { from?: string; to?: string } = {};
  if (from) r.from = parseWhen('--from', from, false);
  if (to) r.to = parseWhen('--to', to, true);
  if (r.from && r.to && r.from >= r.to) throw new Error(`--from (${from}) must be before --to (${to})`);
  return r;
}
