// mxray formats: the log formats this build reads, from the one registry.
import type { Command } from 'commander';
import { formatList } from '../formats/registry.js';
import { renderRows, type ColumnSpec } from '../render/render.js';
import { write } from './common.js';

interface Row {
  name: string;
  kind: string;
  title: string;
}
const cols: ColumnSpec<Row>[] = [
  { key: 'name', title: 'format', kind: 'text' },
  { key: 'kind', title: 'records', kind: 'text' },
  { key: 'title', title: 'what', kind: 'text' },
];

export function registerFormats(program: Command): void {
  program
    .command('formats')
    .description('list the log formats mxray reads')
    .option('--json', 'as JSON')
    .action((o: { json?: boolean }) => {
      const rows = formatList.map((f) => ({ name: f.name, kind: f.tables.join(', '), title: f.title }));
      write(renderRows(rows, cols, o.json ? 'json' : 'table'));
    });
}
