// What the pages read besides the reports, as they read it: the one-file report's embedded data
// (`mxray report --html`) and a verify result (serve's /api/integrity, or the one the report ran).
// Types only, importing only types, so the browser bundle's type check needs nothing of Node
// (store/integrity/seal.ts's VerifyResult satisfies VerifyView).

import type { HealthMatrix } from './matrix-types.js';

/** one thing a verify found wrong (seal.ts Finding) */
export interface VerifyFinding {
  readonly kind: string;
  readonly table?: string;
  readonly file?: number;
  readonly path?: string;
  readonly line?: number;
  readonly batch?: number;
  readonly detail: string;
}

/** what a page shows of `mxray verify --json` */
export interface VerifyView {
  readonly intact: boolean;
  readonly store: string;
  readonly mode: string;
  readonly rows: number;
  readonly batches: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly findings: readonly VerifyFinding[];
}

/** the verify a one-file report ran when it was made: its result, or why it could not tell; absent
 *  when it was made with --no-verify */
export type ReportVerify = { readonly at: string; readonly result: VerifyView } | { readonly at: string; readonly error: string };

/** what the pages run on when they are one file: every answer they ask for, by request key, and the
 *  store's verify */
export interface Embedded {
  readonly generated: string;
  readonly store: string;
  readonly from?: string;
  readonly to?: string;
  readonly answers: Readonly<Record<string, unknown>>;
  readonly verify?: ReportVerify;
  /** the health matrix of the probes stored in the period (dashboard/matrix.ts historyMatrix) */
  readonly matrix?: HealthMatrix;
}
