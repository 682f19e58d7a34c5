// Small DOM helpers the pages share: elements, sections, messages, and the table every page uses
// (search, sort by any column with the keyboard, download as CSV). A cell keeps the report's raw
// value in data-value, so what a test reads is what the API gave, not its formatted text.

type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

export function section(title: string, ...children: (Node | string | null | undefined)[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

export function message(text: string, kind: 'info' | 'error' = 'info'): HTMLElement {
  return h('p', { class: `msg ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export type Kind = 'text' | 'int' | 'float' | 'bytes' | 'percent';

export interface Column<R> {
  readonly key: string;
  readonly title: string;
  readonly kind: Kind;
  /** the value (default: row[key]) */
  readonly value?: (row: R) => unknown;
}

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function formatValue(kind: Kind, v: unknown): string {
  if (v === null || v === undefined) return '';
  switch (kind) {
    case 'int':
      return Number(v).toLocaleString('en-US');
    case 'float':
      return Number(v).toFixed(2);
    case 'bytes':
      return humanBytes(Number(v));
    case 'percent':
      return `${Number(v).toFixed(1)}%`;
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** the rows as CSV, the CLI's way (header of keys, CRLF) */
export function toCsv<R>(rows: readonly R[], columns: readonly Column<R>[]): string {
  const cellOf = (r: R, c: Column<R>) => (c.value ? c.value(r) : (r as Record<string, unknown>)[c.key]);
  return [columns.map((c) => csvCell(c.key)).join(','), ...rows.map((r) => columns.map((c) => csvCell(cellOf(r, c))).join(','))].join('\r\n') + '\r\n';
}

export function download(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export interface TableOptions<R> {
  /** names the table for tests and the CSV file (tracking-users) */
  readonly name: string;
  readonly caption: string;
  readonly rows: readonly R[];
  readonly columns: readonly Column<R>[];
  readonly search?: boolean;
  /** rows shown at most (the CSV has all of them) */
  readonly limit?: number;
  /** a cell that links (the host page, a meeting) */
  readonly link?: (row: R, key: string) => string | undefined;
}

export function table<R>(o: TableOptions<R>): HTMLElement {
  const limit = o.limit ?? 500;
  const cellOf = (r: R, c: Column<R>) => (c.value ? c.value(r) : (r as Record<string, unknown>)[c.key]);
  let sortKey: string | undefined;
  let descending = false;
  let query = '';
  const tbody = h('tbody');
  const status = h('p', { class: 'table-status', 'aria-live': 'polite' });
  const headers = o.columns.map((c) => {
    const btn = h('button', { type: 'button', class: 'sort', title: `sort by ${c.title}` }, c.title);
    const th = h('th', { scope: 'col', 'aria-sort': 'none', class: c.kind === 'text' ? '' : 'num' }, btn);
    btn.addEventListener('click', () => {
      descending = sortKey === c.key ? !descending : c.kind !== 'text';
      sortKey = c.key;
      for (const other of headers) other.setAttribute('aria-sort', 'none');
      th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      draw();
    });
    return th;
  });
  const draw = () => {
    let rows = [...o.rows];
    if (query) {
      const q = query.toLowerCase();
      rows = rows.filter((r) =>
        o.columns.some(
          (c) =>
            c.kind === 'text' &&
            String(cellOf(r, c) ?? '')
              .toLowerCase()
              .includes(q),
        ),
      );
    }
    if (sortKey) {
      const c = o.columns.find((x) => x.key === sortKey)!;
      rows.sort((a, b) => {
        const x = cellOf(a, c);
        const y = cellOf(b, c);
        const d = c.kind === 'text' ? String(x ?? '').localeCompare(String(y ?? '')) : Number(x ?? 0) - Number(y ?? 0);
        return descending ? -d : d;
      });
    }
    tbody.replaceChildren(
      ...rows.slice(0, limit).map((r) =>
        h(
          'tr',
          {},
          ...o.columns.map((c) => {
            const v = cellOf(r, c);
            const text = formatValue(c.kind, v);
            const href = o.link?.(r, c.key);
            return h(
              'td',
              { 'data-key': c.key, 'data-value': JSON.stringify(v ?? null), class: c.kind === 'text' ? '' : 'num' },
              href ? h('a', { href }, text) : text,
            );
          }),
        ),
      ),
    );
    status.textContent =
      rows.length > limit
        ? `${rows.length.toLocaleString('en-US')} rows; the first ${limit} shown (the CSV has all)`
        : `${rows.length.toLocaleString('en-US')} row${rows.length === 1 ? '' : 's'}`;
  };
  draw();
  const tools = h(
    'div',
    { class: 'tools' },
    o.search
      ? h(
          'label',
          {},
          'Search ',
          h('input', {
            type: 'search',
            name: `${o.name}-search`,
            oninput: (e: Event) => {
              query = (e.target as HTMLInputElement).value.trim();
              draw();
            },
          }),
        )
      : null,
    h('button', { type: 'button', class: 'csv', onclick: () => download(`${o.name}.csv`, toCsv(o.rows, o.columns)) }, 'Download CSV'),
  );
  return h(
    'div',
    { class: 'table-wrap', 'data-table': o.name },
    tools,
    h('div', { class: 'scroll' }, h('table', {}, h('caption', {}, o.caption), h('thead', {}, h('tr', {}, ...headers)), tbody)),
    status,
  );
}

/** the value of a report's JSON column list (GET /api/reports) is not needed here: pages name their columns */
export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
