// The dashboard's entry (bundled by esbuild into dist/dashboard/web/app.js): the header with the
// navigation and the date range form, and the page the address names.
import { disposeCharts } from './charts.js';
import { embedded } from './data.js';
import { pages } from './pages.js';
import { currentRoute, href } from './range.js';
import { h, message } from './ui.js';

const app = document.getElementById('app')!;
let stopPage: (() => void) | undefined;
let aborter: AbortController | undefined;

function header(): HTMLElement {
  const { page, range } = currentRoute();
  const from = h('input', { type: 'date', id: 'range-from', name: 'from', value: range.from ?? '' });
  const to = h('input', { type: 'date', id: 'range-to', name: 'to', value: range.to ?? '' });
  const form = h(
    'form',
    {
      class: 'range',
      'aria-label': 'date range (UTC)',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const r = currentRoute();
        location.hash = href(
          r.page,
          { ...(from.value ? { from: from.value } : {}), ...(to.value ? { to: to.value } : {}) },
          Object.fromEntries([...r.args].filter(([k]) => k !== 'from' && k !== 'to')),
        );
      },
    },
    h('label', { for: 'range-from' }, 'From'),
    from,
    h('label', { for: 'range-to' }, 'to'),
    to,
    h('button', { type: 'submit' }, 'Apply'),
  );
  if (embedded) {
    from.disabled = true;
    to.disabled = true;
    form.querySelector('button')!.remove();
  }
  const nav = h(
    'nav',
    { 'aria-label': 'pages' },
    ...pages.filter((p) => !p.hidden).map((p) => h('a', { href: href(p.path, range), ...(p.path === page ? { 'aria-current': 'page' } : {}) }, p.title)),
  );
  return h('header', {}, h('a', { class: 'brand', href: href('health', range) }, 'mxray'), nav, form);
}

async function show(): Promise<void> {
  stopPage?.();
  stopPage = undefined;
  aborter?.abort();
  disposeCharts();
  const ctl = new AbortController();
  aborter = ctl;
  const route = currentRoute();
  const page = pages.find((p) => p.path === route.page) ?? pages[0]!;
  const root = h('main', { id: 'main', 'data-page': page.path, 'aria-busy': 'true' });
  const title = h('h1', {}, page.title);
  const note = embedded
    ? h(
        'p',
        { class: 'note' },
        `One-file report of ${embedded.store}, made ${embedded.generated}${embedded.from || embedded.to ? ` for ${embedded.from ?? '…'} to ${embedded.to ?? '…'}` : ''}.`,
      )
    : null;
  app.replaceChildren(header(), h('div', { class: 'page' }, title, note ?? '', root));
  document.title = `${page.title} · mxray`;
  try {
    await page.render({
      root,
      route,
      signal: ctl.signal,
      onLeave: (stop) => {
        if (ctl.signal.aborted) stop();
        else stopPage = stop;
      },
    });
  } catch (e) {
    if (!ctl.signal.aborted) root.append(message((e as Error).message, 'error'));
  }
  if (!ctl.signal.aborted) {
    root.setAttribute('aria-busy', 'false');
    root.dataset.ready = 'true';
  }
}

window.addEventListener('hashchange', () => void show());
if (embedded && !location.hash)
  location.hash = href('tracking', { ...(embedded.from ? { from: embedded.from } : {}), ...(embedded.to ? { to: embedded.to } : {}) });
else void show();
