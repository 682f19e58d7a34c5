// The health matrix as the dashboard shows it (GET /api/monitor/matrix): every monitored host with
// its worst instance's latest status (the rule of `mxray check --matrix`, capabilities/monitor/
// matrix.ts), and its instances with their latest results, for the hover and the host page. An
// instance not probed yet is unknown (grey). The one-file report draws the same matrix from the
// probes stored in its period (`mxray monitor history`): each instance's last status there.
import type { InstanceView } from '../capabilities/monitor/daemon.js';
import type { InstanceHistory } from '../capabilities/monitor/history.js';
import { worse } from '../capabilities/monitor/result.js';
import type { ProbeStatus } from '../capabilities/monitor/types.js';
import type { HealthMatrix, MatrixInstance } from './matrix-types.js';

export type { HealthMatrix, MatrixHost, MatrixInstance } from './matrix-types.js';

export function healthMatrix(views: readonly InstanceView[]): HealthMatrix {
  return byHost(
    views.map((v) => {
      const r = v.lastResult;
      const instance: MatrixInstance = {
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
      };
      return [v.host, instance] as const;
    }),
  );
}

const statuses: ReadonlySet<string> = new Set<ProbeStatus>(['ok', 'warning', 'critical', 'unknown']);

/** the matrix of a period's stored probes (`mxray monitor history --json`'s instances): each
 *  instance's last status in the period, its failed probes of all and average time as detail */
export function historyMatrix(history: readonly InstanceHistory[]): HealthMatrix {
  return byHost(
    history.map((i) => [
      i.host,
      {
        service: i.service,
        instance: i.instance,
        url: i.url,
        status: statuses.has(i.lastStatus) ? (i.lastStatus as ProbeStatus) : 'unknown',
        confirmed: null,
        failure: null,
        detail: `${i.failed} of ${i.probes} probes failed, ${i.availability}% available`,
        durationMs: i.avgMs,
        at: i.last,
        transcript: null,
      },
    ]),
  );
}

/** hosts in name order, each with its instances and its worst status; the count per status */
function byHost(instances: readonly (readonly [string, MatrixInstance])[]): HealthMatrix {
  const by = new Map<string, MatrixInstance[]>();
  for (const [host, i] of instances) {
    const list = by.get(host);
    if (list) list.push(i);
    else by.set(host, [i]);
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
