// Whole-file loading of Exchange 2007+ tracking logs (schema/bulk.ts): the same row as
// writeRow2007 (row.ts) writes, described as data, for a store that reads the CSV itself. The plan
// accepts only the plain shape Exchange writes — a header block (#Software … #Fields:, optionally a
// bare CSV header line) and then data lines — and refuses anything the parser would remark on
// (no header, a foreign #Log-type), so those files take the parser's path with its notes.
import { Fields, splitCsv } from '../fields.js';
import { mapColumns } from '../columns.js';
import type { BulkCsv, BulkPlan } from '../../schema/bulk.js';
import { columns, countingRoles } from './layouts.js';

/** the names of a header line, compared as the parser compares them (mapColumns: trimmed, lower case) */
function names(line: string): readonly string[] {
  const b = Buffer.from(line, 'utf8');
  const f = new Fields(512);
  const n = splitCsv(b, 0, b.length, f);
  if (f.unterminated || n > f.max) return [];
  const raw: string[] = [];
  for (let i = 0; i < n; i++) raw.push(f.text(b, i));
  return mapColumns(raw, {}, 0).names;
}

function plan(lines: readonly string[]): BulkPlan | { refused: string } {
  let header: { names: readonly string[]; line: number } | undefined;
  let k = 0;
  for (; k < lines.length; k++) {
    const l = lines[k]!;
    if (l.startsWith('#Fields:')) header = { names: names(l.slice(8).replace(/^ +/, '')), line: k + 1 };
    else if (l.startsWith('#Log-type:')) {
      if (!/^message tracking log$/i.test(l.slice(10).trim())) return { refused: 'a foreign #Log-type' };
    } else if (l.startsWith('date-time,')) header = { names: names(l), line: k + 1 };
    else if (!l.startsWith('#')) break;
  }
  if (!header) return { refused: 'no #Fields header before the data' };
  if (k === lines.length) return { refused: 'no data line among the first lines' };
  if (!header.names.includes(columns.dateTime) || !header.names.includes(columns.event)) return { refused: 'the header has no date-time or event-id' };
  return { headerLines: k, names: header.names, state: { names: header.names, line: header.line } };
}

const text = (field: string, lower?: boolean) => ({ kind: 'text', field, absent: 'null', ...(lower ? { lower } : {}) }) as const;
const label = (field: string) => ({ kind: 'text', field, absent: 'empty' }) as const;

export const msgtrkBulk: BulkCsv = {
  table: 'tracking',
  delimiter: ',',
  quote: '"',
  plan,
  columns: {
    file_id: { kind: 'file' },
    line: { kind: 'line' },
    ts: { kind: 'iso-utc-ms', field: columns.dateTime },
    server: label(columns.server),
    event: label(columns.event),
    source: label(columns.source),
    role: { kind: 'code', rules: countingRoles.map((r) => ({ equals: { [columns.event]: r.event, [columns.source]: r.source }, code: r.role })) },
    message_id: { kind: 'key', field: columns.messageId },
    internal_id: text(columns.internalId),
    sender: text(columns.sender, true),
    recipients: text(columns.recipients, true),
    recipient_count: { kind: 'count', field: columns.recipientCount },
    bytes: { kind: 'count', field: columns.bytes },
    directionality: label(columns.directionality),
    subject: text(columns.subject),
    client_ip: text(columns.clientIp),
  },
};
