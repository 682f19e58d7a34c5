// The Windows event log reports as specs (see ../report.ts): `events top` (what fills the logs:
// events per provider and id, or any of provider, id, channel, computer, level) and `events list`
// (the events themselves with their insertion strings, filtered). Table and CSV: one row per group
// or event; JSON: the shapes of queries.ts (Top, EventList).
import { renderRows, type ColumnSpec } from '../../render/render.js';
import { outputParams, rangeOf, rangeOrder, rangeParams } from '../params.js';
import { defineReport, param } from '../report.js';
import { listReport, parseBy, topReport, type EventFilter, type ListedEvent, type TopRow } from './queries.js';
import { exchangeEvents, type KnownEvent } from './knowledge.js';

const filterParams = [
  param.text('provider', '--provider <name>', 'only this provider (event source), exactly as logged', { expects: 'a provider name' }),
  param.int('id', '--id <n>', 'only this EventID'),
  param.text('channel', '--channel <name>', 'only this channel (Application, Security, MSExchange Management …)', { expects: 'a channel name' }),
  param.text('computer', '--computer <name>', 'only this computer, as logged', { expects: 'a computer name' }),
  param.text('match', '--match <text>', 'only events whose insertion strings (or UserData, or message text of CSV exports) contain this text, any case', {
    expects: 'a text',
  }),
  ...rangeParams,
] as const;

function filterOf(p: {
  provider: string | undefined;
  id: number | undefined;
  channel: string | undefined;
  computer: string | undefined;
  match: string | undefined;
  from: string | undefined;
  to: string | undefined;
}): EventFilter {
  return { provider: p.provider, id: p.id, channel: p.channel, computer: p.computer, match: p.match, range: rangeOf(p) };
}

const topColumns: Record<string, ColumnSpec<TopRow>> = {
  provider: { key: 'provider', title: 'provider', kind: 'text' },
  id: { key: 'id', title: 'id', kind: 'text' },
  channel: { key: 'channel', title: 'channel', kind: 'text' },
  computer: { key: 'computer', title: 'computer', kind: 'text' },
  level: { key: 'level', title: 'level', kind: 'int' },
};
const countColumns: ColumnSpec<TopRow>[] = [
  { key: 'events', title: 'events', kind: 'int' },
  { key: 'recovered', title: 'recovered', kind: 'int' },
  { key: 'first', title: 'first (UTC)', kind: 'text' },
  { key: 'last', title: 'last (UTC)', kind: 'text' },
];
/** shown when the groups have provider and id: what the event means (exchange-events.yaml) */
const meaningColumn: ColumnSpec<TopRow> = { key: 'meaning', title: 'meaning', kind: 'text' };

export const eventsTop = defineReport({
  id: 'events.top',
  command: ['events', 'top'],
  description: 'what fills the Windows event logs: events per provider and id (or channel, computer, level), most first',
  params: [
    param.custom('by', '--by <columns>', 'group by these, separated by commas: provider, id, channel, computer, level (default provider,id)', 'text', parseBy),
    ...filterParams,
    param.int('limit', '--limit <n>', 'groups listed at most', { default: 50 }),
    ...outputParams,
  ],
  checks: [rangeOrder],
  run: (store, p) => topReport(store, p.by, filterOf(p), p.limit, exchangeEvents().meaning),
  render: (top, format) => {
    if (format === 'json') return `${JSON.stringify(top, null, 2)}\n`;
    const known = top.by.includes('provider') && top.by.includes('id');
    const cols = [...top.by.map((k) => topColumns[k]!), ...countColumns, ...(known ? [meaningColumn] : [])];
    if (format === 'csv') return renderRows(top.rows, cols, 'csv');
    if (!top.rows.length) return 'no Windows events in the period (`mxray ingest` reads .evtx files)\n';
    const shownEvents = top.rows.reduce((a, r) => a + r.events, 0);
    const tail = shownEvents < top.total ? `\n${top.total - shownEvents} more event(s) in groups beyond --limit ${top.rows.length}\n` : '';
    return renderRows(top.rows, cols, 'table') + tail;
  },
});

interface ListDisplay {
  time: string | null;
  computer: string;
  channel: string;
  recordId: number;
  provider: string;
  id: number;
  level: number;
  data: string;
  recovered: string;
}
const listColumns: ColumnSpec<ListDisplay>[] = [
  { key: 'time', title: 'time (UTC)', kind: 'text' },
  { key: 'computer', title: 'computer', kind: 'text' },
  { key: 'channel', title: 'channel', kind: 'text' },
  { key: 'recordId', title: 'record', kind: 'int' },
  { key: 'provider', title: 'provider', kind: 'text' },
  { key: 'id', title: 'id', kind: 'text' },
  { key: 'level', title: 'level', kind: 'int' },
  { key: 'data', title: 'insertion strings', kind: 'text' },
  { key: 'recovered', title: 'recovered', kind: 'text' },
];

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
function display(e: ListedEvent, width: number): ListDisplay {
  let data = e.data.map((d, i) => `%${i + 1}${d.name ? ` ${d.name}` : ''}=${oneLine(d.value)}`).join('; ');
  if (!e.data.length && e.userData !== null) data = `UserData ${JSON.stringify(e.userData)}`;
  if (!e.data.length && e.userData === null && e.message) data = `Message: ${oneLine(e.message)}`;
  if (width > 0 && data.length > width) data = `${data.slice(0, width - 1)}…`;
  return { ...e, data, recovered: e.recovered ? 'yes' : '' };
}

export const eventsList = defineReport({
  id: 'events.list',
  command: ['events', 'list'],
  description: 'the Windows events themselves, oldest first, with their insertion strings: filter by provider, id, channel, computer, text, time',
  params: [...filterParams, param.int('limit', '--limit <n>', 'events listed at most', { default: 100 }), ...outputParams],
  checks: [rangeOrder],
  run: (store, p) => listReport(store, filterOf(p), p.limit),
  render: (l, format) => {
    if (format === 'json') return `${JSON.stringify(l, null, 2)}\n`;
    if (format === 'csv')
      return renderRows(
        l.events.map((e) => display(e, 0)),
        listColumns,
        'csv',
      );
    if (!l.events.length) return 'no Windows events match\n';
    const tail = l.more ? `\n${l.more} more event(s) match (raise --limit, or narrow the filters)\n` : '';
    return (
      renderRows(
        l.events.map((e) => display(e, 160)),
        listColumns,
        'table',
      ) + tail
    );
  },
});

const idColumns: ColumnSpec<KnownEvent>[] = [
  { key: 'provider', title: 'provider', kind: 'text' },
  { key: 'id', title: 'id', kind: 'text' },
  { key: 'meaning', title: 'meaning', kind: 'text' },
  { key: 'source', title: 'source', kind: 'text' },
];

export const eventsIds = defineReport({
  id: 'events.ids',
  command: ['events', 'ids'],
  description: 'the Exchange event ids mxray knows (exchange-events.yaml): provider, id, what it means and where that is documented',
  params: [param.text('provider', '--provider <name>', 'only this provider (event source), any case', { expects: 'a provider name' }), ...outputParams],
  run: async (_store, p) => {
    const want = p.provider?.toLowerCase();
    return exchangeEvents()
      .events.filter((e) => want === undefined || e.provider.toLowerCase() === want)
      .map((e) => ({ provider: e.provider, id: e.id, meaning: e.meaning, source: e.source, ...(e.note ? { note: e.note } : {}) }));
  },
  render: (rows, format) => {
    if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
    if (format === 'csv') return renderRows(rows, idColumns, 'csv');
    if (!rows.length) return 'no known event ids for that provider\n';
    return renderRows(rows, idColumns, 'table');
  },
});

export const eventsReports = [eventsTop, eventsList, eventsIds] as const;
