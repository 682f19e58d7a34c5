// The health matrix (seed 002): every monitored host one square, coloured by its worst instance's
// latest probe (green OK, orange warning, red critical, grey unknown), refreshed every few seconds;
// hovering or focusing a square lists its services and instances; a click opens the host's page.
// In the one-file report: the same matrix of the probes stored in its period (each instance's last
// status there, built when the report was made), and the probe history behind it.
import type { HealthMatrix, MatrixHost } from '../../matrix-types.js';
import { pageRequests } from '../../requests.js';
import { AnswerError, embedded, live, report } from '../data.js';
import type { Page } from '../page.js';
import { href, type Route } from '../range.js';
import { h, message, section, table } from '../ui.js';

export const statusLabel = { ok: 'OK', warning: 'warning', critical: 'critical', unknown: 'unknown' } as const;

function tip(host: MatrixHost): string {
  return [
    `${host.host}: ${statusLabel[host.status]}`,
    ...host.instances.map((i) => `${i.service} ${i.instance}: ${statusLabel[i.status]}${i.status === 'ok' ? '' : ` (${i.detail})`}`),
  ].join('\n');
}

/** the matrix's legend and squares; `draw` (re)draws them; squares link to the host's page when
 *  `links` (serve), else they are focusable for their tip only */
function matrixView(route: Route, links: boolean): { view: HTMLElement[]; legend: HTMLElement; grid: HTMLElement; draw: (m: HealthMatrix) => void } {
  const legend = h('p', { class: 'legend', 'aria-live': 'polite' });
  const grid = h('div', { id: 'matrix', class: 'matrix', role: 'list', 'aria-label': 'hosts by health' });
  const hover = h('pre', { class: 'hover', role: 'tooltip', id: 'matrix-tip', hidden: true });
  const show = (host: MatrixHost, cell: HTMLElement) => {
    hover.textContent = tip(host);
    hover.hidden = false;
    const r = cell.getBoundingClientRect();
    // placed in the box it is positioned in (the card), under the square
    const box = (hover.offsetParent ?? grid).getBoundingClientRect();
    hover.style.left = `${Math.min(r.left - box.left, box.width - 260)}px`;
    hover.style.top = `${r.bottom - box.top + 6}px`;
  };
  const draw = (m: HealthMatrix) => {
    legend.replaceChildren(
      `${m.hosts.length} hosts: `,
      ...(['ok', 'warning', 'critical', 'unknown'] as const).flatMap((s) => [
        h('span', { class: `dot s-${s}`, 'aria-hidden': 'true' }),
        ` ${m.counts[s]} ${statusLabel[s]}  `,
      ]),
    );
    grid.replaceChildren(
      ...m.hosts.map((host) => {
        const cell = h('a', {
          class: `cell s-${host.status}`,
          role: 'listitem',
          ...(links ? { href: href('host', route.range, { name: host.host }) } : { tabindex: 0 }),
          'aria-label': `${host.host}: ${statusLabel[host.status]}, ${host.instances.length} instances`,
          'aria-describedby': 'matrix-tip',
          'data-host': host.host,
          'data-status': host.status,
        });
        const on = () => show(host, cell);
        cell.addEventListener('mouseenter', on);
        cell.addEventListener('focus', on);
        cell.addEventListener('mouseleave', () => (hover.hidden = true));
        cell.addEventListener('blur', () => (hover.hidden = true));
        return cell;
      }),
    );
    grid.dataset.hosts = String(m.hosts.length);
  };
  return { view: [legend, grid, hover], legend, grid, draw };
}

interface History {
  instances: Record<string, unknown>[];
  failures: Record<string, unknown>[];
  moreFailures: number;
}

/** the one-file report's health page: the matrix of the stored probes, and their history */
async function storedHealth(root: HTMLElement, route: Route, signal: AbortSignal): Promise<void> {
  const m = matrixView(route, false);
  root.append(
    section(
      'Health matrix',
      h('p', { class: 'note' }, 'Each host by the last stored probe of its instances in the period (`mxray monitor history`); `mxray serve` shows it live.'),
      ...m.view,
    ),
  );
  const matrix = embedded?.matrix;
  if (!matrix?.hosts.length) {
    m.grid.dataset.hosts = '0';
    m.legend.replaceChildren(message('No probe results stored in this period (`mxray serve` records them while its monitor runs).'));
    return;
  }
  m.draw(matrix);
  const hist = await report<History>(pageRequests.health(route.range).history, signal);
  root.append(
    section(
      'Probes per instance',
      table({
        name: 'health-history',
        caption: 'probes per instance in the period: failed, availability, response times, last status',
        search: true,
        rows: hist.instances,
        columns: [
          { key: 'host', title: 'host', kind: 'text' },
          { key: 'service', title: 'service', kind: 'text' },
          { key: 'instance', title: 'instance', kind: 'text' },
          { key: 'lastStatus', title: 'last', kind: 'text' },
          { key: 'probes', title: 'probes', kind: 'int' },
          { key: 'failed', title: 'failed', kind: 'int' },
          { key: 'availability', title: 'available %', kind: 'float' },
          { key: 'avgMs', title: 'avg ms', kind: 'float' },
          { key: 'maxMs', title: 'max ms', kind: 'float' },
          { key: 'last', title: 'last (UTC)', kind: 'text' },
        ],
      }),
    ),
    section(
      'Failed probes',
      table({
        name: 'health-failures',
        caption: `failed probes in the period, oldest first${hist.moreFailures ? ` (the first ${hist.failures.length}; ${hist.moreFailures} more)` : ''}`,
        rows: hist.failures,
        columns: [
          { key: 'time', title: 'time (UTC)', kind: 'text' },
          { key: 'host', title: 'host', kind: 'text' },
          { key: 'service', title: 'service', kind: 'text' },
          { key: 'instance', title: 'instance', kind: 'text' },
          { key: 'status', title: 'status', kind: 'text' },
          { key: 'failure', title: 'failure', kind: 'text' },
          { key: 'detail', title: 'detail', kind: 'text' },
        ],
      }),
    ),
  );
}

export const healthPage: Page = {
  path: 'health',
  title: 'Health',
  async render({ root, route, signal, onLeave }) {
    if (embedded) return storedHealth(root, route, signal);
    const m = matrixView(route, true);
    root.append(section('Health matrix', ...m.view));
    const load = async () => {
      try {
        m.draw(await live<HealthMatrix>('/api/monitor/matrix', signal));
      } catch (e) {
        if (signal.aborted) return;
        m.grid.dataset.hosts = '0';
        const text =
          e instanceof AnswerError && /no such path/.test(e.message)
            ? 'No monitor runs in this serve: its config has no monitor section.'
            : (e as Error).message;
        m.legend.replaceChildren(message(text, 'error'));
      }
    };
    await load();
    const timer = setInterval(() => void load(), 5000);
    onLeave(() => clearInterval(timer));
  },
};
