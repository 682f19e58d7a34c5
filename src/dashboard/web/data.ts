// Where the pages' data comes from: serve's API (/api/…), or, in the one-file report, the answers
// embedded in the page (requests.ts says which; a request not embedded says so instead of failing
// silently).
import type { Embedded } from '../embedded-types.js';
import { requestKey, type ReportRequest } from '../requests.js';

function readEmbedded(): Embedded | undefined {
  const el = document.getElementById('mxray-data');
  return el?.textContent ? (JSON.parse(el.textContent) as Embedded) : undefined;
}

export const embedded: Embedded | undefined = readEmbedded();

/** an answer the API refused (400: a bad parameter) or could not give */
export class AnswerError extends Error {}

async function getJson(path: string, signal?: AbortSignal): Promise<unknown> {
  const res = await fetch(path, { signal: signal ?? AbortSignal.timeout(60_000), headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }))) as { error?: string };
  if (!res.ok) throw new AnswerError(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

/** one report's JSON, exactly as `mxray … --json` prints it */
export async function report<T>(r: ReportRequest, signal?: AbortSignal): Promise<T> {
  const key = requestKey(r);
  if (embedded) {
    if (!(key in embedded.answers)) throw new AnswerError('not in this one-file report: open it in `mxray serve` to ask for more');
    return embedded.answers[key] as T;
  }
  return (await getJson(`/api/reports/${key}`, signal)) as T;
}

/** every report of a page at once, by the names the page gave them */
export async function reports<N extends string>(rs: Record<N, ReportRequest>, signal?: AbortSignal): Promise<Record<N, unknown>> {
  const names = Object.keys(rs) as N[];
  const answers = await Promise.all(names.map((n) => report<unknown>(rs[n], signal)));
  return Object.fromEntries(names.map((n, i) => [n, answers[i]])) as Record<N, unknown>;
}

/** a live view of serve (the health matrix); not in the one-file report */
export async function live<T>(path: string, signal?: AbortSignal): Promise<T> {
  if (embedded) throw new AnswerError('live data is shown by `mxray serve` only');
  return (await getJson(path, signal)) as T;
}
