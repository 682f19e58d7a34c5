// `mxray monitor history`: what the monitor in `mxray serve` recorded, per instance (probes, failed
// probes, availability, response times, certificate days, the last status) and the failed probes
// themselves, oldest first. Table: the instances, then the failures; CSV: the instances; JSON:
// { instances, failures, moreFailures } (README).
import { renderRows, type ColumnSpec } from '../../render/render.js';
import { outputParams, rangeOf, rangeOrder, rangeParams } from '../params.js';
import { defineReport, param } from '../report.js';
import { historyReport, type FailedProbe, type InstanceHistory } from './history.js';

const instanceColumns: ColumnSpec<InstanceHistory>[] = [
  { key: 'host', title: 'host', kind: 'text' },
  { key: 'service', title: 'service', kind: 'text' },
  { key: 'instance', title: 'instance', kind: 'text' },
  { key: 'lastStatus', title: 'last', kind: 'text' },
  { key: 'probes', title: 'probes', kind: 'int' },
  { key: 'failed', title: 'failed', kind: 'int' },
  { key: 'availability', title: 'available', kind: 'percent' },
  { key: 'avgMs', title: 'avg ms', kind: 'float' },
  { key: 'maxMs', title: 'max ms', kind: 'float' },
  { key: 'minCertDays', title: 'cert days', kind: 'float' },
  { key: 'repairs', title: 'repairs', kind: 'int' },
  { key: 'first', title: 'first (UTC)', kind: 'text' },
  { key: 'last', title: 'last (UTC)', kind: 'text' },
];

const failureColumns: ColumnSpec<FailedProbe>[] = [
  { key: 'time', title: 'time (UTC)', kind: 'text' },
  { key: 'host', title: 'host', kind: 'text' },
  { key: 'service', title: 'service', kind: 'text' },
  { key: 'instance', title: 'instance', kind: 'text' },
  { key: 'status', title: 'status', kind: 'text' },
  { key: 'failure', title: 'failure', kind: 'text' },
  { key: 'kind', title: 'kind', kind: 'text' },
  { key: 'detail', title: 'detail', kind: 'text' },
];

export const monitorHistory = defineReport({
  id: 'monitor.history',
  command: ['monitor', 'history'],
  description: 'the probe history `mxray serve` recorded: per instance probes, failures, availability and response times, then the failed probes',
  params: [
    ...rangeParams,
    param.text('host', '--host <name>', 'only this host (as the config names it)', { expects: 'a host name' }),
    param.text('service', '--service <name>', 'only this service (SMTP, IMAP …)', { expects: 'a service name' }),
    param.int('limit', '--limit <n>', 'failed probes listed at most', { default: 100 }),
    ...outputParams,
  ],
  checks: [rangeOrder],
  run: (store, p) => historyReport(store, { host: p.host, service: p.service, range: rangeOf(p) }, p.limit),
  render: (h, format) => {
    if (format === 'json') return `${JSON.stringify(h, null, 2)}\n`;
    if (format === 'csv') return renderRows(h.instances, instanceColumns, 'csv');
    if (!h.instances.length) return 'no probe results in the period (`mxray serve` records them while its monitor runs)\n';
    const out = [renderRows(h.instances, instanceColumns, 'table')];
    if (h.failures.length) {
      out.push(
        '',
        `failed probes${h.moreFailures ? ` (the first ${h.failures.length}; ${h.moreFailures} more)` : ''}:`,
        renderRows(h.failures, failureColumns, 'table'),
      );
    }
    return out.join('\n');
  },
});

export const monitorReports = [monitorHistory] as const;
