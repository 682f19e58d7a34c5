// What the fuzz tests (formats/fuzz.test.ts) feed each format, and what each format may read
// without writing a row or counting a reject, said from the line's text by the format's documented
// rules (`#` directives, CSV headers, continuation lines), not by asking the format.
import { readdirSync } from 'node:fs';
import { formats } from '../formats/registry.js';
import { csvDataFormat, isoToStored } from '../formats/csv-data.js';
import type { TextFormat } from '../formats/types.js';
import { origin, recordTables, type RecordKind, type RecordTable } from '../schema/tables.js';
import { repoPath } from './paths.js';

// ---- a csv-data format (none is registered yet): calendar items, as csv-data.test.ts declares --

const calendarTable: RecordTable = {
  name: 'fuzz_calendar',
  doc: 'calendar items of the fuzz tests',
  columns: [
    ...origin,
    { name: 'subject', type: 'text', doc: '' },
    { name: 'start', type: 'timestamp', doc: '' },
    { name: 'end', type: 'text', doc: '' },
    { name: 'organizer', type: 'text', lower: true, doc: '' },
    { name: 'attendee_count', type: 'int', doc: '' },
    { name: 'size', type: 'bigint', doc: '' },
    { name: 'score', type: 'double', doc: '' },
    { name: 'body', type: 'text', doc: '' },
    { name: 'extra', type: 'text', doc: '' },
  ],
};
export const calendarKind = 'fuzz_calendar' as unknown as RecordKind;
Object.assign(recordTables, { [calendarKind]: calendarTable });
export const calendar = csvDataFormat({
  name: 'fuzz-calendar-csv',
  title: 'calendar items exported to CSV (fuzz tests only)',
  table: calendarKind,
  columns: {
    subject: { aliases: ['Betreff'], required: true },
    start: { aliases: ['StartTime', 'Beginnt am'], required: true },
    end: { aliases: ['EndTime'], parse: (v) => (v.trim() === '' ? null : isoToStored(v)), invalid: 'bad-time' },
    organizer: { aliases: ['Organisator'] },
    attendee_count: { aliases: ['Attendees', 'AttendeeCount'] },
    size: { aliases: ['Size'] },
    score: { aliases: ['Score'] },
    body: { aliases: ['Notes'] },
  },
  extra: 'extra',
});

// ---- the samples, and what each format may read without a row or a reject ------------------------

const files = (dir: string, keep: (name: string) => boolean = () => true) =>
  readdirSync(repoPath('fixtures', ...dir.split('/')))
    .filter((n) => !n.endsWith('.json') && keep(n))
    .sort()
    .map((n) => repoPath('fixtures', ...dir.split('/'), n));

const hash = (t: string) => t.startsWith('#');
const proxyAddress = /^[A-Za-z][A-Za-z0-9]*:\S/;

/** CSV quoting (RFC 4180 as formats/fields.ts reads it: a quote opens a field only at its start,
 *  "" inside is a quote, text after the closing quote up to the separator is kept): which lines
 *  continue a row a quoted line break left open, and which is the header (the first row) */
function csvSilentLines(handed: ReadonlyMap<number, string>, sep = ','): Set<number> {
  const silent = new Set<number>();
  let open = false;
  let header = false;
  for (const n of [...handed.keys()].sort((a, b) => a - b)) {
    const t = handed.get(n)!;
    if (!open && n === 1 && t.startsWith('#TYPE')) {
      silent.add(n);
      continue;
    }
    if (open || !header) silent.add(n);
    if (!open) header = true;
    // scan the line in the state the row is in
    let i = 0;
    let atFieldStart = !open;
    while (i <= t.length) {
      if (open) {
        const q = t.indexOf('"', i);
        if (q < 0) break;
        if (t[q + 1] === '"') {
          i = q + 2;
          continue;
        }
        open = false;
        const s = t.indexOf(sep, q + 1);
        if (s < 0) break;
        i = s + 1;
        atFieldStart = true;
        continue;
      }
      if (atFieldStart && t[i] === '"') {
        open = true;
        i++;
        continue;
      }
      const s = t.indexOf(sep, i);
      if (s < 0) break;
      i = s + 1;
      atFieldStart = true;
    }
  }
  return silent;
}

export interface Target {
  format: TextFormat;
  samples: string[];
  silent: (text: string, line: number, handed: ReadonlyMap<number, string>) => boolean;
  /** a bad stored value that is a known issue fixed elsewhere (the reason is given where it is set) */
  knownIssue?: (table: RecordKind, column: string, value: string | null) => boolean;
}

/** a CSV line's fields as the quoting rule above reads them (trimmed, lower case) */
function csvNames(t: string, sep = ','): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let v = '';
    if (t[i] === '"') {
      i++;
      for (;;) {
        const q = t.indexOf('"', i);
        if (q < 0) {
          v += t.slice(i);
          i = t.length;
          break;
        }
        v += t.slice(i, q);
        if (t[q + 1] === '"') {
          v += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      const s = t.indexOf(sep, i);
      i = s < 0 ? t.length + 1 : s + 1;
    } else {
      const s = t.indexOf(sep, i);
      v = t.slice(i, s < 0 ? t.length : s);
      i = s < 0 ? t.length + 1 : s + 1;
    }
    out.push(v.trim().toLowerCase());
    if (i > t.length) return out;
  }
}

export const targets: Target[] = [
  {
    format: formats.iis,
    samples: [...files('corpus/iis_activesync'), ...files('iis')],
    // W3C directives (#Software, #Version, #Date, #Fields …)
    silent: hash,
    // KNOWN, fixed by another engineer in schema/tsv.ts: a Log= number above 2^31-1 (Hb, Att …) is
    // written into its int column as it is and sinks the ingest; here such values are let through,
    // and the DuckDB ingest property skips the inputs that have one
    knownIssue: (table, column, value) => table === 'iis' && column.startsWith('eas_') && value !== null && /^\d{10,}$/.test(value),
  },
  {
    format: formats.msgtrk,
    samples: [...files('corpus/exchange_msgtrk_2007plus'), ...files('tracking/msgtrk'), ...files('corpus/exchange_other_logs')],
    // directives, and the bare CSV header Exchange writes before the #Software block
    silent: (t) => hash(t) || /^date-time,/i.test(t),
  },
  {
    format: formats['msgtrk-export'],
    samples: files('tracking/msgtrk-export'),
    // Export-Csv's #TYPE line, and a header naming the Timestamp and EventId properties
    silent: (t) => t.startsWith('#TYPE') || (csvNames(t).includes('timestamp') && csvNames(t).includes('eventid')),
  },
  {
    format: formats.msgtrk2003,
    samples: [...files('tracking/msgtrk2003'), ...files('corpus/exchange_msgtrk_2000_2003')],
    silent: hash,
  },
  {
    format: formats.msgtrk55,
    samples: [...files('tracking/msgtrk55'), ...files('corpus/exchange55_tracking')],
    // recipient lines (KB Q173280): they start with a TAB or /o=, or are a proxy address (SMTP:…)
    // in one or two fields; they belong to the entry before them, whose row has that entry's line
    silent: (t) => t.startsWith('\t') || /^\/o=/i.test(t) || (proxyAddress.test(t) && t.split('\t').length <= 2),
  },
  {
    // generated by `mxray generate calendar` (fixtures/PROVENANCE.md): with and without #TYPE, CRLF
    format: formats['calendar-csv'],
    samples: files('calendar/csv'),
    silent: (_t, n, handed) => csvSilentLines(handed).has(n),
  },
  {
    // Get-WinEvent | Export-Csv written by hand (fixtures/PROVENANCE.md); the UTF-8 ones (the UTF-16
    // file is read in evtx-csv.test.ts): #TYPE, the header and a Message's continuation lines are silent
    format: formats['evtx-csv'],
    samples: files('windows-csv', (n) => !n.includes('unicode')),
    silent: (_t, n, handed) => csvSilentLines(handed).has(n),
  },
  {
    // the seed's lines by hand and a generated Berlin autumn day (fixtures/PROVENANCE.md); every line
    // is a row or a reject, empty lines aside
    format: formats['presence-log'],
    samples: files('presence'),
    silent: (t) => t.trim() === '',
  },
  {
    format: calendar,
    samples: files('csv-data'),
    silent: (_t, n, handed) => csvSilentLines(handed).has(n),
  },
];
