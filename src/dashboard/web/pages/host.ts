// One host: its instances' latest probe results (with the conversation of a failed one), and their
// history from the store (the report `mxray monitor history --host NAME`).
import type { HealthMatrix } from '../../matrix-types.js';
import { live, report } from '../data.js';
import type { Page } from '../page.js';
import { href } from '../range.js';
import { h, message, section, table } from '../ui.js';
import { statusLabel } from './health.js';

interface History {
  instances: Record<string, unknown>[];
  failures: Record<string, unknown>[];
  moreFailures: number;
}

export const hostPage: Page = {
  path: 'host',
  title: 'Host',
  hidden: true,
  async render({ root, route, signal }) {
    const name = route.args.get('name') ?? '';
    root.append(h('p', {}, h('a', { href: href('health', route.range) }, '← Health matrix')), h('h2', { class: 'host-name' }, name));
    const m = await live<HealthMatrix>('/api/monitor/matrix', signal);
    const host = m.hosts.find((x) => x.host === name);
    if (!host) root.append(message(`${name} is not a monitored host`, 'error'));
    else
      root.append(
        section(
          'Latest results',
          table({
            name: 'host-latest',
            caption: `the latest probe of each instance of ${name}`,
            rows: host.instances,
            columns: [
              { key: 'service', title: 'service', kind: 'text' },
              { key: 'instance', title: 'instance', kind: 'text' },
              { key: 'status', title: 'status', kind: 'text', value: (i) => statusLabel[i.status] },
              { key: 'durationMs', title: 'ms', kind: 'float' },
              { key: 'at', title: 'at (UTC)', kind: 'text' },
              { key: 'failure', title: 'failure', kind: 'text' },
              { key: 'detail', title: 'detail', kind: 'text' },
            ],
          }),
          ...host.instances
            .filter((i) => i.transcript?.length)
            .map((i) => h('details', {}, h('summary', {}, `${i.service} ${i.instance}: the conversation`), h('pre', {}, i.transcript!.join('\n')))),
        ),
      );
    const params = { host: name, ...(route.range.from ? { from: route.range.from } : {}), ...(route.range.to ? { to: route.range.to } : {}) };
    const hist = await report<History>({ id: 'monitor.history', params }, signal);
    const cols = (rows: Record<string, unknown>[]) =>
      Object.keys(rows[0] ?? {}).map((k) => ({
        key: k,
        title: k,
        kind: !rows.every((r) => typeof r[k] === 'number' || r[k] === null)
          ? ('text' as const)
          : rows.every((r) => Number.isInteger(r[k] ?? 0))
            ? ('int' as const)
            : ('float' as const),
      }));
    root.append(
      section('History', table({ name: 'host-history', caption: `probes of ${name} in the store`, rows: hist.instances, columns: cols(hist.instances) })),
      section('Failed probes', table({ name: 'host-failures', caption: `failed probes of ${name}`, rows: hist.failures, columns: cols(hist.failures) })),
    );
  },
};
