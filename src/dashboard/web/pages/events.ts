// Event logs and rules: what fills the Windows event logs (`mxray events top --json`, recovered
// records apart), the events themselves with filters (`events list`), the alerts the rules fired per
// rule and day with their records (`rules alerts`), and the last verify of the store: serve's
// scheduled verify (/api/integrity) when it runs, in the one-file report the verify it ran when it
// was made, else how to run one.
import type { VerifyView } from '../../embedded-types.js';
import { pageRequests, type Range } from '../../requests.js';
import { chart, palette } from '../charts.js';
import { AnswerError, embedded, live, report, reports } from '../data.js';
import type { Page } from '../page.js';
import { href } from '../range.js';
import { h, message, section, table, type Column } from '../ui.js';

interface TopRow {
  provider: string;
  id: number;
  events: number;
  recovered: number;
  first: string | null;
  last: string | null;
  meaning?: string;
}
interface Top {
  rows: TopRow[];
  total: number;
}
interface ListedEvent {
  time: string | null;
  computer: string;
  channel: string;
  recordId: number;
  provider: string;
  id: number;
  level: number;
  data: { name: string; value: string }[];
  userData: unknown;
  recovered: boolean;
}
interface EventList {
  events: ListedEvent[];
  more: number;
}
interface Alert {
  time: string;
  fired: string;
  ruleSet: string;
  rule: string;
  source: string;
  file: string | null;
  line: number | null;
  record: Record<string, unknown>;
  matches: number;
}
interface Alerts {
  alerts: Alert[];
  total: number;
  more: number;
  perDay: { day: string; rule: string; alerts: number }[];
}
interface Integrity {
  intervalMs: number;
  runs: number;
  lastAt: string | null;
  last: VerifyView | null;
  error: string | null;
}

/** the list's filters, as `events list` names them */
const filters = [
  { name: 'provider', label: 'Provider' },
  { name: 'id', label: 'Event id' },
  { name: 'channel', label: 'Channel' },
  { name: 'computer', label: 'Computer' },
  { name: 'match', label: 'Text' },
] as const;

const n = (x: number) => x.toLocaleString('en-US');

function topChart(rows: TopRow[]): HTMLElement {
  const shown = rows.slice(0, 15).reverse();
  return chart(
    'events-top',
    'events per provider and id, the most frequent first; records recovered from broken or free space apart',
    {
      grid: { left: 8, right: 24, top: 30, bottom: 24, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: {
        type: 'category',
        data: shown.map((r) => `${r.provider} ${r.id}`),
        axisLabel: { width: Math.min(250, Math.round(window.innerWidth * 0.35)), overflow: 'truncate' },
      },
      series: [
        { type: 'bar', name: 'live', stack: 'events', data: shown.map((r) => r.events - r.recovered) },
        { type: 'bar', name: 'recovered', stack: 'events', data: shown.map((r) => r.recovered) },
      ],
    },
    Math.max(200, 70 + shown.length * 24),
  );
}

function alertsChart(a: Alerts): HTMLElement {
  const days = [...new Set(a.perDay.map((d) => d.day))].sort();
  const rules = [...new Set(a.perDay.map((d) => d.rule))].sort();
  const count = new Map(a.perDay.map((d) => [`${d.day}|${d.rule}`, d.alerts]));
  return chart('rules-alerts', 'alerts fired per rule and day (of the record, UTC)', {
    grid: { left: 48, right: 24, top: 30 + 20 * Math.ceil(rules.length / 4), bottom: 40 },
    legend: { top: 0 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'category', data: days },
    yAxis: { type: 'value', name: 'alerts', minInterval: 1 },
    series: rules.map((rule, i) => ({
      type: 'bar',
      name: rule,
      stack: 'alerts',
      color: palette[i % palette.length],
      data: days.map((d) => count.get(`${d}|${rule}`) ?? 0),
    })),
  });
}

const insertionStrings = (e: ListedEvent) =>
  e.data.length
    ? e.data.map((d, i) => `%${i + 1}${d.name ? ` ${d.name}` : ''}=${d.value.replace(/\s+/g, ' ').trim()}`).join('; ')
    : e.userData !== null
      ? `UserData ${JSON.stringify(e.userData)}`
      : '';

const listColumns: Column<ListedEvent>[] = [
  { key: 'time', title: 'time (UTC)', kind: 'text' },
  { key: 'computer', title: 'computer', kind: 'text' },
  { key: 'channel', title: 'channel', kind: 'text' },
  { key: 'recordId', title: 'record', kind: 'int' },
  { key: 'provider', title: 'provider', kind: 'text' },
  { key: 'id', title: 'id', kind: 'int' },
  { key: 'level', title: 'level', kind: 'int' },
  { key: 'data', title: 'insertion strings', kind: 'text', value: insertionStrings },
  { key: 'recovered', title: 'recovered', kind: 'text', value: (e) => (e.recovered ? 'yes' : '') },
];

const fieldsText = (record: Record<string, unknown>) =>
  Object.entries(record)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ');

const alertColumns: Column<Alert>[] = [
  { key: 'time', title: 'time (UTC)', kind: 'text' },
  { key: 'rule', title: 'rule', kind: 'text' },
  { key: 'source', title: 'source', kind: 'text' },
  { key: 'where', title: 'record', kind: 'text', value: (a) => (a.file === null ? '' : `${a.file}:${a.line}`) },
  { key: 'record', title: 'fields', kind: 'text', value: (a) => fieldsText(a.record) },
  { key: 'matches', title: 'matches', kind: 'int' },
  { key: 'fired', title: 'fired (UTC)', kind: 'text' },
  { key: 'ruleSet', title: 'rule set', kind: 'text' },
];

function filterForm(range: Range, args: URLSearchParams): HTMLElement {
  const inputs = filters.map((f) =>
    h('input', {
      id: `events-${f.name}`,
      name: f.name,
      type: f.name === 'id' ? 'number' : 'search',
      ...(f.name === 'id' ? { min: 0, inputmode: 'numeric' } : {}),
      value: args.get(f.name) ?? '',
    }),
  );
  return h(
    'form',
    {
      class: 'find filters',
      'aria-label': 'filter the events',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const given = Object.fromEntries(inputs.filter((i) => i.value.trim() !== '').map((i) => [i.name, i.value.trim()]));
        location.hash = href('events', range, given);
      },
    },
    ...filters.flatMap((f, i) => [h('label', { for: `events-${f.name}` }, f.label), inputs[i]!]),
    h('button', { type: 'submit' }, 'Filter'),
  );
}

const integrityBox = (state: string, data: Record<string, string | number>, ...children: (Node | string | null)[]) =>
  section('Store integrity (last verify)', h('div', { id: 'integrity', 'data-integrity': state, ...data }, ...children));

/** a verify's result (serve's last scheduled one, or the one a one-file report ran); `when` says when */
function verdict(r: VerifyView, when: string): HTMLElement {
  const data = { 'data-rows': r.rows, 'data-batches': r.batches, 'data-mode': r.mode };
  if (r.intact)
    return integrityBox(
      'intact',
      data,
      h('p', { class: 'lead verdict ok' }, h('strong', {}, 'Intact'), `: ${n(r.rows)} rows in ${n(r.batches)} sealed batches (${r.mode}) as they were sealed.`),
      h('p', { class: 'note' }, when),
    );
  const kinds = Object.entries(r.counts)
    .filter(([, c]) => c > 0)
    .map(([k, c]) => `${n(c)} ${k}`)
    .join(', ');
  const first = r.findings[0];
  const where = first
    ? `${first.table ?? ''}${first.path !== undefined ? ` ${first.path}:${first.line}` : ''}${first.batch !== undefined ? `, batch ${first.batch}` : ''}`
    : '';
  return integrityBox(
    'tampered',
    data,
    h('p', { class: 'lead verdict bad', role: 'alert' }, h('strong', {}, 'Tampered'), `: ${kinds}.`),
    first
      ? h(
          'p',
          { id: 'integrity-first', 'data-line': String(first.line ?? ''), 'data-batch': String(first.batch ?? '') },
          `First broken row: ${where} — ${first.detail}`,
        )
      : null,
    table({
      name: 'integrity-findings',
      caption: 'the first findings (modified, deleted or inserted rows first)',
      rows: r.findings,
      columns: [
        { key: 'kind', title: 'kind', kind: 'text' },
        { key: 'table', title: 'table', kind: 'text' },
        { key: 'batch', title: 'batch', kind: 'int' },
        { key: 'path', title: 'file', kind: 'text' },
        { key: 'line', title: 'line', kind: 'int' },
        { key: 'detail', title: 'detail', kind: 'text' },
      ],
    }),
    h('p', { class: 'note' }, when),
  );
}

/** the last verify: the one-file report's own, serve's scheduled one, or how to run one */
async function integrity(signal: AbortSignal): Promise<HTMLElement> {
  const how = h(
    'p',
    {},
    'Run ',
    h('code', {}, 'mxray verify --db STORE'),
    ' (exit 0 intact, 4 tampered), or schedule it in serve with ',
    h('code', {}, 'integrity: { verify: { interval: 1h } }'),
    ' in the config.',
  );
  if (embedded) {
    const v = embedded.verify;
    if (!v) return integrityBox('unscheduled', {}, message('This report was made with --no-verify: the store was not verified.'), how);
    if ('error' in v)
      return integrityBox('error', {}, message(`The verify could not tell: ${v.error}`, 'error'), h('p', {}, `verified ${v.at}, when this report was made`));
    return verdict(v.result, `Verified ${v.at}, when this report was made.`);
  }
  const unscheduled = () => integrityBox('unscheduled', {}, message('Verify is not scheduled in this serve (no integrity.verify in its config).'), how);
  // which parts serve runs: asking /api/integrity of a serve without it would be a 404 in the console
  const health = await live<{ parts: string[] }>('/api/health', signal);
  if (!health.parts.includes('integrity')) return unscheduled();
  let s: Integrity;
  try {
    s = await live<Integrity>('/api/integrity', signal);
  } catch (e) {
    if (e instanceof AnswerError && /^no such path/.test(e.message)) return unscheduled();
    throw e;
  }
  const every = `verified every ${n(s.intervalMs / 1000)} s`;
  if (s.error !== null)
    return integrityBox('error', {}, message(`The last verify could not tell: ${s.error}`, 'error'), h('p', {}, `${every}; last at ${s.lastAt}`));
  if (s.last === null) return integrityBox('pending', {}, message(`The first verify is running (${every}).`));
  return verdict(s.last, `Last verify ${s.lastAt}; ${every}.`);
}

export const eventsPage: Page = {
  path: 'events',
  title: 'Event logs and rules',
  async render({ root, route, signal }) {
    const asked = Object.fromEntries(filters.flatMap((f) => (route.args.get(f.name) ? [[f.name, route.args.get(f.name)!]] : [])));
    const requests = pageRequests.events(route.range);
    const filtered = Object.keys(asked).length > 0;
    const [d, list] = await Promise.all([
      reports({ top: requests.top, alerts: requests.alerts }, signal) as Promise<{ top: Top; alerts: Alerts }>,
      report<EventList>(filtered ? { ...requests.list, params: { ...requests.list.params, ...asked } } : requests.list, signal).catch((e: Error) => e),
    ]);
    const recovered = d.top.rows.reduce((a, r) => a + r.recovered, 0);
    const shownTop = d.top.rows.reduce((a, r) => a + r.events, 0);
    root.append(
      section(
        'What fills the logs',
        h(
          'p',
          { class: 'lead', 'data-summary': 'events.top' },
          `${n(d.top.total)} events${shownTop < d.top.total ? ` (${n(d.top.rows.length)} groups shown hold ${n(shownTop)})` : ''}; ${n(recovered)} of those shown recovered from broken or free space.`,
        ),
        d.top.rows.length ? topChart(d.top.rows) : message('no Windows events in this period (`mxray ingest` reads .evtx files)'),
        table({
          name: 'events-top',
          caption: 'events per provider and id, most first (recovered: found outside the live record chain)',
          search: true,
          rows: d.top.rows,
          columns: [
            { key: 'provider', title: 'provider', kind: 'text' },
            { key: 'id', title: 'id', kind: 'int' },
            { key: 'events', title: 'events', kind: 'int' },
            { key: 'recovered', title: 'recovered', kind: 'int' },
            { key: 'first', title: 'first (UTC)', kind: 'text' },
            { key: 'last', title: 'last (UTC)', kind: 'text' },
          ],
          link: (r, key) => (key === 'provider' ? href('events', route.range, { provider: r.provider, id: String(r.id) }) : undefined),
        }),
      ),
      section(
        'Events',
        filterForm(route.range, route.args),
        list instanceof Error
          ? message(list.message, 'error')
          : h(
              'div',
              {},
              h(
                'p',
                { class: 'lead', 'data-summary': 'events.list' },
                `${n(list.events.length)} event(s) listed, oldest first${list.more ? `; ${n(list.more)} more match (narrow the filters)` : ''}.`,
              ),
              table({ name: 'events-list', caption: 'the events with their insertion strings', search: true, rows: list.events, columns: listColumns }),
            ),
      ),
      section(
        'Alerts fired',
        h(
          'p',
          { class: 'lead', 'data-summary': 'rules.alerts' },
          `${n(d.alerts.total)} alert(s)${d.alerts.more ? `; the newest ${n(d.alerts.alerts.length)} listed` : ''}.`,
        ),
        d.alerts.perDay.length ? alertsChart(d.alerts) : message('no alerts stored for this period (`mxray rules run RULES.yaml` fires and stores them)'),
        table({
          name: 'rules-alerts-per-day',
          caption: 'alerts per rule and day (of the record, UTC)',
          rows: d.alerts.perDay,
          columns: [
            { key: 'day', title: 'day', kind: 'text' },
            { key: 'rule', title: 'rule', kind: 'text' },
            { key: 'alerts', title: 'alerts', kind: 'int' },
          ],
        }),
        table({
          name: 'rules-alerts',
          caption: 'the alerts, newest first, with the record that fired each',
          search: true,
          rows: d.alerts.alerts,
          columns: alertColumns,
        }),
      ),
    );
    // after the charts are in the page (they draw on the next frame, only when connected)
    root.append(await integrity(signal));
  },
};
