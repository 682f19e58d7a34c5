// The date range every page applies: kept in the address (#/page?from=…&to=…), so a link or a
// reload shows the same period; set by the form in the header.
import type { Range } from '../requests.js';

export interface Route {
  readonly page: string;
  readonly range: Range;
  readonly args: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = hash.split('?', 2) as [string?, string?];
  const args = new URLSearchParams(query);
  const from = args.get('from') ?? '';
  const to = args.get('to') ?? '';
  return { page: path || 'health', range: { ...(from ? { from } : {}), ...(to ? { to } : {}) }, args };
}

/** the address of a page with the current range and the page's own arguments */
export function href(page: string, range: Range, args: Record<string, string> = {}): string {
  const q = new URLSearchParams({ ...args, ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) }).toString();
  return `#/${page}${q ? `?${q}` : ''}`;
}
