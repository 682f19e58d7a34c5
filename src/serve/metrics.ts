// Prometheus metrics on serve's listener (/metrics), named as blackbox_exporter names them so that
// existing dashboards and alert rules work: probe_success, probe_duration_seconds,
// probe_ssl_earliest_cert_expiry (a Unix time). Labels are host, service and instance as the config
// names them — never URLs or free text (the cardinality stays the config's).
import { Gauge, Registry } from 'prom-client';
import type { ProbeResult } from '../capabilities/monitor/types.js';

export type MetricsRegistry = Registry;

const labelNames = ['host', 'service', 'instance'] as const;

/** a registry of serve's own (no default process metrics: their event-loop monitor ticks every 10 ms,
 *  and serve idles between rounds) */
export function createMetrics(): Registry {
  return new Registry();
}

/** the probe gauges on `registry`, and a function that sets them from a result */
export function probeMetrics(registry: Registry) {
  const get = <N extends string>(name: N, help: string) =>
    (registry.getSingleMetric(name) as Gauge<(typeof labelNames)[number]> | undefined) ?? new Gauge({ name, help, labelNames, registers: [registry] });
  const success = get('probe_success', 'Whether the last probe of the instance succeeded (1: ok or warning, 0: critical or unknown)');
  const duration = get('probe_duration_seconds', 'How long the last probe of the instance took, in seconds');
  const expiry = get('probe_ssl_earliest_cert_expiry', "When the instance's certificate expires, as a Unix time (seconds)");
  const status = get('mxray_probe_status', 'The last probe status of the instance: 0 ok, 1 warning, 2 critical, 3 unknown (Monitoring Plugins codes)');
  const codes = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;
  return {
    set(r: Pick<ProbeResult, 'host' | 'service' | 'instance' | 'status' | 'durationMs' | 'certDaysLeft' | 'at'>) {
      const labels = { host: r.host, service: r.service, instance: r.instance };
      success.set(labels, r.status === 'ok' || r.status === 'warning' ? 1 : 0);
      // to the microsecond: 9.7 ms is 0.0097 s, not 0.009699999999999999
      duration.set(labels, Math.round(r.durationMs * 1000) / 1e6);
      status.set(labels, codes[r.status]);
      if (r.certDaysLeft !== null) expiry.set(labels, Math.round(Date.parse(r.at) / 1000 + r.certDaysLeft * 86_400));
      else expiry.remove(labels);
    },
    /** an instance no longer monitored (a reload removed it) */
    remove(l: { host: string; service: string; instance: string }) {
      for (const g of [success, duration, expiry, status]) g.remove(l);
    },
  };
}
