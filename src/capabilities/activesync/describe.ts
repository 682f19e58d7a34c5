// What `mxray eas decode STRING` prints: one row per element (element, raw value, name, meaning),
// as a text table or as JSON. The functions return data; the CLI command only prints it (with
// render/render.ts: renderRows(describeJson(log), describeColumns, format) gives csv too).
//   mxray eas decode 'V120_Ty:Em_Fid:37_Fc1_Filt2_St:S_Sk:1805_Srv:1a0c0d0s0e0r_Pk2260121383_S1_'
//   mxray eas decode --json '…'
import { renderTable, type ColumnSpec } from '../../render/render.js';
import { decodeLog } from './decode.js';

/** the JSON form: [{ key, separator, value, name, meaning }] (counter parts are in the meaning
 *  text). `key` is the element's name as the EAS documentation writes it (`Ty`, `Fid`, `Filt`);
 *  `separator` is what the log put between it and the value (`:` for `Ty:Em`, '' for `Filt2`), so
 *  key + separator + value is the element as logged. */
export interface DescribedElement {
  key: string;
  separator: string;
  value: string;
  name: string;
  meaning: string;
}

/** the table's columns: the element as logged (`Ty:`), then its value, name and meaning */
export const describeColumns: readonly ColumnSpec<DescribedRow>[] = [
  { key: 'element', title: 'element', kind: 'text' },
  { key: 'value', title: 'raw value', kind: 'text' },
  { key: 'name', title: 'name', kind: 'text' },
  { key: 'meaning', title: 'meaning', kind: 'text' },
];

type DescribedRow = { element: string; value: string; name: string; meaning: string };

export function describeJson(log: string): DescribedElement[] {
  return decodeLog(log).map(({ key, value, name, meaning }) => {
    const separator = key.endsWith(':') ? ':' : '';
    return { key: separator ? key.slice(0, -1) : key, separator, value, name, meaning };
  });
}

/** rows for the table and CSV: the element as logged */
export function describeRows(log: string): DescribedRow[] {
  return describeJson(log).map(({ key, separator, value, name, meaning }) => ({ element: key + separator, value, name, meaning }));
}

/** widest cell of each column in the text table; longer text is cut with `…` (Budget and
 *  ActivityContextData run to kilobytes). The JSON form keeps everything. */
const MAX_CELL = { element: 24, value: 48, name: 32, meaning: 160 } as const;

function cut(s: string, max: number): string {
  const flat = s.replace(/[\t\r\n]/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The table as text (render/render.ts renderTable), long values cut (MAX_CELL). An empty Log
 *  gives a one-line explanation instead of an empty table. */
export function describeText(log: string): string {
  const rows = describeRows(log);
  if (rows.length === 0) return 'no elements: the Log value is empty\n';
  return renderTable(
    rows.map((r) => ({
      element: cut(r.element, MAX_CELL.element),
      value: cut(r.value, MAX_CELL.value),
      name: cut(r.name, MAX_CELL.name),
      meaning: cut(r.meaning, MAX_CELL.meaning),
    })),
    describeColumns,
  );
}
