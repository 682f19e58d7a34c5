// Probing many instances at once, and what `mxray check` prints, as the Monitoring Plugins
// guidelines want it: one status line first (`MXRAY CRITICAL - 1 of 3 instances not OK: …`) with
// perfdata after `|`, then the long output, one line per instance as the seed's script printed them
// (name, service, state; a `*` in front of any that is not OK), and the exit code of the worst state.
// Perfdata that would make the status line longer than STATUS_LINE_CHARS follows the long output.
import { probe, type ProbeOptions } from './engine.js';
import { worse } from './result.js';
import type { ProbeResult, ProbeStatus, ProbeTarget } from './types.js';

export const DEFAULT_CONCURRENCY = 64;

/** probe every target, at most `concurrency` at a time; results in the targets' order */
export async function probeAll(
  targets: readonly ProbeTarget[],
  opts: ProbeOptions & { concurrency?: number; signal?: AbortSignal } = {},
): Promise<ProbeResult[]> {
  const out: ProbeResult[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      out[i] = await probe(targets[i]!, opts.signal, opts);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? DEFAULT_CONCURRENCY, targets.length));
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}

/** the Monitoring Plugins exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN */
export const exitCodes: Record<ProbeStatus, number> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

/** the worst status of all (critical > unknown > warning > ok); unknown for none */
export function overallStatus(results: readonly ProbeResult[]): ProbeStatus {
  if (results.length === 0) return 'unknown';
  return results.reduce<ProbeStatus>((s, r) => worse(s, r.status), 'ok');
}

export function exitCode(results: readonly ProbeResult[]): number {
  return exitCodes[overallStatus(results)];
}

const word: Record<ProbeStatus, string> = { ok: 'OK', warning: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' };
const severity: Record<ProbeStatus, number> = { critical: 0, unknown: 1, warning: 2, ok: 3 };

export interface PerfOptions {
  /** the -w / -c ranges, shown in each time's perfdata */
  readonly warning?: string;
  readonly critical?: string;
  /** the timeout in seconds: the time's max */
  readonly timeoutSeconds?: number;
  readonly certWarningDays?: number;
  readonly certCriticalDays?: number;
}

/** a perfdata label from a URL: `time_smtp_127.0.0.1_2525`; quotes and = are not allowed in labels */
function label(prefix: string, r: ProbeResult): string {
  const m = /^([^:]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)(.*)$/.exec(r.url);
  const base = m
    ? `${m[1]}_${m[2]!.replace(/^\[|\]$/g, '')}_${m[3]}${m[4] && m[4] !== '/' ? `_${m[4].replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_|_$/g, '')}` : ''}`
    : r.url;
  return `'${prefix}_${base.replace(/['=]/g, '_')}'`;
}

/** perfdata items: each instance's response time in seconds, and its certificate's days left where it has one */
function perfItems(results: readonly ProbeResult[], o: PerfOptions): string[] {
  const parts: string[] = [];
  for (const r of results) {
    parts.push(`${label('time', r)}=${(r.durationMs / 1000).toFixed(6)}s;${o.warning ?? ''};${o.critical ?? ''};0;${o.timeoutSeconds ?? ''}`);
    if (r.certDaysLeft !== null) {
      const w = o.certWarningDays !== undefined ? `${o.certWarningDays}:` : '';
      const c = o.certCriticalDays !== undefined ? `${o.certCriticalDays}:` : '';
      parts.push(`${label('cert_days', r)}=${r.certDaysLeft};${w};${c};;`);
    }
  }
  return parts;
}

/** The status line holds perfdata while it stays under this many characters; the rest follows the
 *  long output, as the Nagios 3+ plugin API has it (`LONG TEXT LINE N | PERFDATA LINE 2`, then one
 *  item per line). Nagios reads 8 KB of a plugin's output (NRPE's packet was 1 KB for years), and
 *  the status line is what must survive: at 1,000 instances the perfdata alone is ~45 KB. Nagios,
 *  Icinga and Naemon join the parts into one $SERVICEPERFDATA$, so graphs see every item either way. */
export const STATUS_LINE_CHARS = 1024;

/** perfdata split into what goes on a status line that starts with `head`, and the rest */
function splitPerf(head: string, items: readonly string[]): { first: string[]; rest: string[] } {
  let length = head.length + 3; // ' | '
  let n = 0;
  for (; n < items.length; n++) {
    const add = items[n]!.length + (n > 0 ? 1 : 0);
    if (length + add > STATUS_LINE_CHARS) break;
    length += add;
  }
  return { first: items.slice(0, n), rest: items.slice(n) };
}

function problemOf(r: ProbeResult): string {
  if (r.failure === 'certificate' && r.certDaysLeft !== null && r.status !== 'critical') return `${r.url} certificate expires in ${r.certDaysLeft} days`;
  if (r.failure === 'certificate' && r.certDaysLeft !== null && r.certDaysLeft <= 0) return `${r.url} certificate expired`;
  if (r.failure === 'slow') return `${r.url} slow (${(r.durationMs / 1000).toFixed(3)} s)`;
  return `${r.url} ${r.failure ?? r.status}`;
}

/** the first line, `MXRAY STATE - summary | perfdata`, and the perfdata items that did not fit on it */
function statusParts(results: readonly ProbeResult[], o: PerfOptions): { line: string; rest: string[] } {
  const state = overallStatus(results);
  const bad = results.filter((r) => r.status !== 'ok').sort((a, b) => severity[a.status] - severity[b.status]);
  let summary: string;
  if (results.length === 0) summary = 'no instances to check';
  else if (bad.length === 0) {
    const slowest = Math.max(...results.map((r) => r.durationMs)) / 1000;
    summary = `${results.length} of ${results.length} instance${results.length === 1 ? '' : 's'} OK, slowest ${slowest.toFixed(3)} s`;
  } else {
    const shown = bad.slice(0, 3).map(problemOf);
    summary = `${bad.length} of ${results.length} instance${results.length === 1 ? '' : 's'} not OK: ${shown.join(', ')}${bad.length > 3 ? `, and ${bad.length - 3} more` : ''}`;
  }
  const head = `MXRAY ${word[state]} - ${summary}`;
  const { first, rest } = splitPerf(head, perfItems(results, o));
  return { line: first.length ? `${head} | ${first.join(' ')}` : head, rest };
}

/** the first line: `MXRAY STATE - summary | perfdata` (as much perfdata as fits in STATUS_LINE_CHARS) */
export function statusLine(results: readonly ProbeResult[], o: PerfOptions = {}): string {
  return statusParts(results, o).line;
}

/** one line per instance, as the seed's script: `*name (service): STATE …`, `*` when not OK */
export function instanceLine(r: ProbeResult): string {
  const name = r.instance.includes(r.host) ? r.instance : `${r.host} ${r.instance}`;
  const time = `${(r.durationMs / 1000).toFixed(3)} s`;
  return `${r.status === 'ok' ? '' : '*'}${name} (${r.service}): ${word[r.status]}${r.failure ? ` ${r.failure}` : ''} - ${r.detail} [${r.url}, ${time}]`;
}

/** the whole text of `mxray check`: the status line, one line per instance, then the perfdata that
 *  did not fit on the status line (after ` | ` on the last line, then one item per line) */
export function checkText(results: readonly ProbeResult[], o: PerfOptions = {}): string {
  const { line, rest } = statusParts(results, o);
  const lines = [line, ...results.map(instanceLine)];
  if (rest.length) lines.push(`${lines.pop()} | ${rest[0]}`, ...rest.slice(1));
  return `${lines.join('\n')}\n`;
}
