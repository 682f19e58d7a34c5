// The health matrix (the seed's EventSentry view) in a terminal: every host one cell coloured by its
// worst instance (green OK, orange warning, red critical, grey unknown), many to a line so hundreds
// fit on one screen, each line led by its first host's name; below, the worst instances. Without
// colour (not a terminal, NO_COLOR) each cell is a letter: O W C U. A pure function of the results,
// shared by `mxray check --matrix` and the monitor.
import { worse } from './result.js';
import type { ProbeResult, ProbeStatus } from './types.js';

export interface MatrixOptions {
  /** ANSI colours (else letters) */
  readonly color: boolean;
  /** the line width in columns (default 80) */
  readonly width?: number;
  /** how many not-OK instances to list below (default 20) */
  readonly worst?: number;
}

const letter: Record<ProbeStatus, string> = { ok: 'O', warning: 'W', critical: 'C', unknown: 'U' };
// 256-colour backgrounds: green, orange, red, grey
const background: Record<ProbeStatus, string> = { ok: '\x1b[48;5;34m', warning: '\x1b[48;5;208m', critical: '\x1b[48;5;196m', unknown: '\x1b[48;5;244m' };
const foreground: Record<ProbeStatus, string> = { ok: '\x1b[32m', warning: '\x1b[38;5;208m', critical: '\x1b[31m', unknown: '\x1b[90m' };
const RESET = '\x1b[0m';
const severity: Record<ProbeStatus, number> = { critical: 0, unknown: 1, warning: 2, ok: 3 };

export interface HostCell {
  readonly host: string;
  readonly status: ProbeStatus;
  readonly instances: number;
  readonly notOk: number;
}

/** each host's worst status, hosts in name order */
export function hostCells(results: readonly ProbeResult[]): HostCell[] {
  const by = new Map<string, { status: ProbeStatus; instances: number; notOk: number }>();
  for (const r of results) {
    const h = by.get(r.host) ?? { status: 'ok' as ProbeStatus, instances: 0, notOk: 0 };
    h.status = worse(h.status, r.status);
    h.instances++;
    if (r.status !== 'ok') h.notOk++;
    by.set(r.host, h);
  }
  return [...by.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([host, h]) => ({ host, ...h }));
}

export function matrix(results: readonly ProbeResult[], o: MatrixOptions): string {
  const cells = hostCells(results);
  const width = Math.max(40, o.width ?? 80);
  const count = (s: ProbeStatus) => cells.filter((c) => c.status === s).length;
  const out: string[] = [];
  out.push(
    `${cells.length} host${cells.length === 1 ? '' : 's'}, ${results.length} instance${results.length === 1 ? '' : 's'}: ` +
      `${count('ok')} OK, ${count('warning')} warning, ${count('critical')} critical, ${count('unknown')} unknown` +
      (o.color ? '' : '  (O OK, W warning, C critical, U unknown)'),
  );
  const nameWidth = Math.min(20, Math.max(4, ...cells.map((c) => c.host.length)));
  // a cell is two columns: a coloured block, or a letter and a space
  const perLine = Math.max(1, Math.floor((width - nameWidth - 1) / 2));
  for (let i = 0; i < cells.length; i += perLine) {
    const row = cells.slice(i, i + perLine);
    const first = row[0]!.host;
    const name = (first.length > nameWidth ? `${first.slice(0, nameWidth - 1)}…` : first).padEnd(nameWidth);
    const body = row.map((c) => (o.color ? `${background[c.status]} ${RESET} ` : `${letter[c.status]} `)).join('');
    out.push(`${name} ${body.trimEnd()}`);
  }
  const bad = results
    .filter((r) => r.status !== 'ok')
    .sort((a, b) => severity[a.status] - severity[b.status] || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0) || a.instance.localeCompare(b.instance));
  if (bad.length > 0) {
    const limit = o.worst ?? 20;
    out.push('', 'Worst:');
    for (const r of bad.slice(0, limit)) {
      const state = r.status.toUpperCase().padEnd(8);
      out.push(`  ${o.color ? `${foreground[r.status]}${state}${RESET}` : state} ${r.host}  ${r.service} ${r.instance}  ${r.failure ?? ''}: ${r.detail}`);
    }
    if (bad.length > limit) out.push(`  … and ${bad.length - limit} more`);
  }
  return `${out.join('\n')}\n`;
}
