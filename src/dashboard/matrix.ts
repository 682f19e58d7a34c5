// The health matrix as the dashboard shows it (GET /api/monitor/matrix): every monitored host with
// its worst instance's latest status (the rule of `mxray check --matrix`, capabilities/monitor/
// matrix.ts), and its instances with their latest results, for the hover and the host page. An
// instance not probed yet is unknown (grey).
import type { InstanceView } from '../capabilities/monitor/daemon.js';
import { worse } from '../capabilities/monitor/result.js';
import type { ProbeStatus } from '../capabilities/monitor/types.js';
import type { HealthMatrix, MatrixInstance } from './matrix-types.js';

export type { HealthMatrix, MatrixHost, MatrixInstance } from './matrix-types.js';

export function healthMatrix(views: readonly InstanceView[]): HealthMatrix {
  const by = new Map<string, MatrixInstance[]>();
  for (const v of views) {
    const r = v.lastResult;
    const list = by.get(v.host) ?? [];
    list.push({
      service: v.service,
      instance: v.instance,
      url: v.url,
      status: r?.status ?? 'unknown',
      confirmed: v.state.status,
      failure: r?.failure ?? null,
      detail: r?.detail ?? 'not probed yet',
      durationMs: r?.durationMs ?? null,
      at: r?.at ?? null,
      transcript: r?.transcript ?? null,
    });
    by.set(v.host, list);
  }
  const counts: Record<ProbeStatus, number> = { ok: 0, warning: 0, critical: 0, unknown: 0 };
  const hosts = [...by.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([host, instances]) => {
      const status = instances.map((i) => i.status).reduce(worse);
      counts[status]++;
      return { host, status, instances };
    });
  return { hosts, counts };
}
