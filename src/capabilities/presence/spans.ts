// Durations from samples (issue 18 part 6): a sample's state lasts until that user's next sample, at
// most twice the sampling interval (beyond: unknown); the last sample of a user lasts one interval.
// A change pushed between samples is a sample of its own, so it splits the interval where it
// happened. ClickHouse 18.16 has no window functions, so the pairing of a sample with its successor
// is done here, in TypeScript, when the successor is known (the recorder's next cycle; the
// after-ingest step of imported logs, ingest-step.ts), and stored as pieces in presence_spans: both
// stores then report from the same stored durations with one GROUP BY.
//
// Pieces are cut at every quarter hour UTC: every time zone's offset is a whole number of quarter
// hours, so each piece lies inside one local day of any zone, and a report with --tz assigns it a day
// by its start alone.

export const QUARTER = 900;

/** one stored piece: [start, start + seconds) in `state` */
export interface Piece {
  readonly user: string;
  readonly start: number;
  readonly seconds: number;
  readonly state: string;
}

/** [start, end) cut at quarter hours */
export function cut(user: string, start: number, end: number, state: string): Piece[] {
  const out: Piece[] = [];
  for (let s = start; s < end; ) {
    const e = Math.min(end, (Math.floor(s / QUARTER) + 1) * QUARTER);
    out.push({ user, start: s, seconds: e - s, state });
    s = e;
  }
  return out;
}

/** how long a sample at `ts` lasts when the user's next sample is at `next` (seconds): until then,
 *  at most `cap` (2 × interval; 1 × interval when the poller stopped in between) */
export function spanEnd(ts: number, next: number, intervalS: number, capIntervals = 2): number {
  return Math.min(next, ts + capIntervals * intervalS);
}

/** the median of a list of gaps (seconds), or undefined for none */
export function median(values: readonly number[]): number | undefined {
  if (!values.length) return undefined;
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : Math.round((v[m - 1]! + v[m]!) / 2);
}

/** Gaps of one user's samples, counted by value (a handful of distinct values: the interval, the
 *  odd late cycle, the logger's outages), for a median in bounded memory. */
export class GapCounts {
  private readonly counts = new Map<number, number>();
  private n = 0;
  add(gap: number): void {
    if (gap <= 0) return;
    this.counts.set(gap, (this.counts.get(gap) ?? 0) + 1);
    this.n++;
    if (this.counts.size > 64) this.compact();
  }
  /** keep the 32 most frequent values (their counts): the median is among them for any log with a
   *  regular interval */
  private compact(): void {
    const keep = [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, 32);
    this.counts.clear();
    this.n = 0;
    for (const [g, c] of keep) {
      this.counts.set(g, c);
      this.n += c;
    }
  }
  median(): number | undefined {
    if (!this.n) return undefined;
    let seen = 0;
    const sorted = [...this.counts].sort((a, b) => a[0] - b[0]);
    const lo = Math.floor((this.n - 1) / 2);
    const hi = Math.floor(this.n / 2);
    let a: number | undefined;
    for (const [g, c] of sorted) {
      if (a === undefined && seen + c > lo) a = g;
      if (seen + c > hi) return Math.round((a! + g) / 2);
      seen += c;
    }
    return a;
  }
}
