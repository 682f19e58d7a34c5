// Renderers shared by every report: an aligned text table for people, CSV for spreadsheets, JSON
// for other tools. A report gives rows and a column list; the renderer never guesses types.

export type OutputFormat = 'table' | 'csv' | 'json';
export const outputFormats: readonly OutputFormat[] = ['table', 'csv', 'json'];

export interface ColumnSpec<R> {
  key: keyof R & string;
  title: string;
  kind: 'text' | 'int' | 'float' | 'bytes' | 'percent';
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

function cellText(kind: ColumnSpec<unknown>['kind'], v: unknown): string {
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
      return String(v);
  }
}

export function renderTable<R>(rows: readonly R[], cols: readonly ColumnSpec<R>[]): string {
  const cells = rows.map((r) => cols.map((c) => cellText(c.kind, (r as Record<string, unknown>)[c.key])));
  const widths = cols.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const right = cols.map((c) => c.kind !== 'text');
  const line = (vals: string[]) =>
    vals
      .map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(cols.map((c) => c.title)), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of cells) out.push(line(row));
  return out.join('\n') + '\n';
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv<R>(rows: readonly R[], cols: readonly ColumnSpec<R>[]): string {
  const out = [cols.map((c) => csvCell(c.key)).join(',')];
  for (const r of rows) out.push(cols.map((c) => csvCell((r as Record<string, unknown>)[c.key])).join(','));
  return out.join('\r\n') + '\r\n';
}

export function renderRows<R>(rows: readonly R[], cols: readonly ColumnSpec<R>[], format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  if (format === 'csv') return renderCsv(rows, cols);
  return renderTable(rows, cols);
}
