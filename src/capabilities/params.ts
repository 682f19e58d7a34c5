// The parameters every report shares: the time range (--from / --to) and the output format
// (--format / --json). Where the store is (--db / --store) is the CLI's business, not a report's:
// the web API has its store open already.
import { outputFormats, type OutputFormat } from '../render/render.js';
import type { TimeRange } from '../store/types.js';
import { param, type Check, type ParamInput } from './report.js';

// --from / --to: ISO dates or date-times, UTC. A date alone in --to includes that whole day.
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

/** --from and --to as `YYYY-MM-DD HH:MM:SS` (to exclusive); an empty value is no bound */
export const rangeParams = [
  param.custom('from', '--from <when>', 'start of the period, ISO date or date-time, UTC (inclusive)', 'text', (v) =>
    v ? parseWhen('--from', v, false) : undefined,
  ),
  param.custom('to', '--to <when>', 'end of the period, ISO date (that whole day included) or date-time, UTC', 'text', (v) =>
    v ? parseWhen('--to', v, true) : undefined,
  ),
] as const;

interface RangeValues {
  from: string | undefined;
  to: string | undefined;
}

/** --from before --to, quoted as the user typed them */
export const rangeOrder: Check<RangeValues> = (v: RangeValues, input: ParamInput) =>
  v.from !== undefined && v.to !== undefined && v.from >= v.to ? `--from (${input.from}) must be before --to (${input.to})` : undefined;

export function rangeOf(v: RangeValues): TimeRange {
  return { ...(v.from !== undefined ? { from: v.from } : {}), ...(v.to !== undefined ? { to: v.to } : {}) };
}

export const outputParams = [
  param.choice('format', '--format <format>', 'output format (table on a terminal)', outputFormats),
  param.flag('json', '--json', 'short for --format json'),
] as const;

export function outputFormat(v: { format: OutputFormat | undefined; json: boolean }): OutputFormat {
  return v.json ? 'json' : (v.format ?? 'table');
}
