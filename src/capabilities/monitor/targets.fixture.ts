// Monitored targets and probe results for the monitor's tests: the scripted prober's answers.
import type { MonitoredTarget } from './config.js';
import type { ProbeResult, ProbeStatus } from './types.js';

export function target(host: string, instance: string, o: Partial<MonitoredTarget> = {}): MonitoredTarget {
  return {
    key: `${host}/SMTP/${instance}`,
    host,
    service: 'SMTP',
    instance,
    url: `smtp://${host}:25`,
    scheme: 'smtp',
    address: '127.0.0.1',
    port: 25,
    tls: {},
    timeoutMs: 1000,
    intervalMs: 60_000,
    failures: 2,
    successes: 1,
    reminderMs: 3_600_000,
    routes: ['ops'],
    dependsOn: [],
    ...o,
  };
}

export function result(t: MonitoredTarget, status: ProbeStatus, at = new Date().toISOString()): ProbeResult {
  return {
    host: t.host,
    service: t.service,
    instance: t.instance,
    url: t.url,
    status,
    failure: status === 'ok' ? null : 'refused',
    durationMs: 3,
    phases: { connect: status === 'ok' ? 1 : null, tls: null, banner: status === 'ok' ? 2 : null, total: 3 },
    certDaysLeft: null,
    detail: status === 'ok' ? '220 mx ESMTP' : 'connection refused',
    transcript: status === 'ok' ? null : ['C: (connect)'],
    at,
  };
}
