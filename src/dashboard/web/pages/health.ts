// The health matrix (seed 002): every monitored host one square, coloured by its worst instance's
// latest probe (green OK, orange warning, red critical, grey unknown), refreshed every few seconds;
// hovering or focusing a square lists its services and instances; a click opens the host's page.
import type { HealthMatrix, MatrixHost } from '../../matrix-types.js';
import { AnswerError, embedded, live } from '../data.js';
import type { Page } from '../page.js';
import { href } from '../range.js';
import { h, message, section } from '../ui.js';

export const statusLabel = { ok: 'OK', warning: 'warning', critical: 'critical', unknown: 'unknown' } as const;

function tip(host: MatrixHost): string {
  return [
    `${host.host}: ${statusLabel[host.status]}`,
    ...host.instances.map((i) => `${i.service} ${i.instance}: ${statusLabel[i.status]}${i.status === 'ok' ? '' : ` (${i.detail})`}`),
  ].join('\n');
}

export const healthPage: Page = {
  path: 'health',
  title: 'Health',
  async render({ root, route, signal, onLeave }) {
    if (embedded) {
      root.append(message('The health matrix is live: `mxray serve` shows it.'));
      return;
    }
    const legend = h('p', { class: 'legend', 'aria-live': 'polite' });
    const grid = h('div', { id: 'matrix', class: 'matrix', role: 'list', 'aria-label': 'hosts by health' });
    const hover = h('pre', { class: 'hover', role: 'tooltip', id: 'matrix-tip', hidden: true });
    root.append(section('Health matrix', legend, grid, hover));
    const show = (host: MatrixHost, cell: HTMLElement) => {
      hover.textContent = tip(host);
      hover.hidden = false;
      const r = cell.getBoundingClientRect();
      const box = grid.getBoundingClientRect();
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
            href: href('host', route.range, { name: host.host }),
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
    const load = async () => {
      try {
        draw(await live<HealthMatrix>('/api/monitor/matrix', signal));
      } catch (e) {
        if (signal.aborted) return;
        grid.dataset.hosts = '0';
        const text =
          e instanceof AnswerError && /no such path/.test(e.message)
            ? 'No monitor runs in this serve: its config has no monitor section.'
            : (e as Error).message;
        legend.replaceChildren(message(text, 'error'));
      }
    };
    await load();
    const timer = setInterval(() => void load(), 5000);
    onLeave(() => clearInterval(timer));
  },
};
