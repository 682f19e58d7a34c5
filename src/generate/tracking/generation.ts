// What a generation's writer is: one object per Exchange generation, listed once in index.ts.
// A writer turns the plan into that generation's log entries and records in the truth exactly the
// events the counting rules of its generation count.
import type { Org } from './org.js';
import type { PlannedMessage, QuotaWarning } from './plan.js';
import type { Random } from './random.js';
import type { LogLayout, LogSink } from './sink.js';
import type { TruthBuilder } from './truth.js';

export interface RenderContext {
  readonly org: Org;
  /** the writer's own stream (ids, latencies, header growth): the plan does not depend on it */
  readonly rng: Random;
  readonly sink: LogSink;
  readonly truth: TruthBuilder;
}

export interface Renderer {
  message(m: PlannedMessage): void;
  quota(q: QuotaWarning): void;
}

export interface Generation {
  /** for humans: "Exchange 2013 and later (CSV, 30 fields)" */
  readonly title: string;
  readonly layout: LogLayout;
  renderer(ctx: RenderContext): Renderer;
}

const DAY = 86_400_000;
const pad2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const pad3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let isoDay = NaN;
let isoPrefix = '';

/** 2024-03-04T10:12:09.123Z (what Date.toISOString gives, for years 0–9999, several times faster) */
export function iso(t: number): string {
  const day = Math.floor(t / DAY);
  if (day !== isoDay) {
    isoDay = day;
    isoPrefix = new Date(day * DAY).toISOString().slice(0, 11);
  }
  let ms = t - day * DAY;
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const s = Math.floor(ms / 1000);
  return `${isoPrefix}${pad2[h]}:${pad2[m]}:${pad2[s]}.${pad3[ms - s * 1000]}Z`;
}

/** whole milliseconds as seconds with three decimals, as Exchange writes latencies */
export function secs(ms: number): string {
  const v = Math.max(0, Math.round(ms));
  const s = Math.floor(v / 1000);
  return `${s}.${pad3[v - s * 1000]}`;
}

/** yyyymmdd (and hh) of a time, UTC */
export function stamp(t: number, hour: boolean): string {
  const s = iso(t);
  return s.slice(0, 4) + s.slice(5, 7) + s.slice(8, 10) + (hour ? s.slice(11, 13) : '');
}

/** groups items by a numeric key, keys in ascending order */
export function groupBy<T>(items: readonly T[], key: (x: T) => number): [number, T[]][] {
  const m = new Map<number, T[]>();
  for (const x of items) {
    const k = key(x);
    let list = m.get(k);
    if (!list) m.set(k, (list = []));
    list.push(x);
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}
