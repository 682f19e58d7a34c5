// The health matrix's JSON (GET /api/monitor/matrix), as the pages read it: types only, importing
// nothing, so the browser bundle's type check needs nothing of Node (matrix.ts builds it).

export type Status = 'ok' | 'warning' | 'critical' | 'unknown';

export interface MatrixInstance {
  readonly service: string;
  readonly instance: string;
  readonly url: string;
  /** the latest probe's status (unknown before the first) */
  readonly status: Status;
  /** the confirmed state (after the failure/success thresholds); null before the first */
  readonly confirmed: Status | null;
  readonly failure: string | null;
  readonly detail: string;
  readonly durationMs: number | null;
  readonly at: string | null;
  readonly transcript: readonly string[] | null;
}

export interface MatrixHost {
  readonly host: string;
  readonly status: Status;
  readonly instances: readonly MatrixInstance[];
}

export interface HealthMatrix {
  readonly hosts: readonly MatrixHost[];
  readonly counts: Record<Status, number>;
}
