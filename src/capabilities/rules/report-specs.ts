// The rules reports as specs (see ../report.ts): `rules alerts`, the alerts `rules run` and serve's
// rules part stored, each with its rule, time and the record that caused it. (`rules check|test|run`
// are commands of their own, cli/rules.ts, in the same group.) Table and CSV: one row per alert;
// JSON: StoredAlerts (alerts.ts), with the alerts per rule per day.
import { renderRows, type ColumnSpec } from '../../render/render.js';
import { outputParams, rangeOf, rangeOrder, rangeParams } from '../params.js';
import { defineReport, param } from '../report.js';
import { storedAlerts, type StoredAlert } from './alerts.js';

interface AlertDisplay {
  time: string;
  rule: string;
  source: string;
  where: string;
  record: string;
  matches: number;
  fired: string;
  ruleSet: string;
}

const columns: ColumnSpec<AlertDisplay>[] = [
  { key: 'time', title: 'time (UTC)', kind: 'text' },
  { key: 'rule', title: 'rule', kind: 'text' },
  { key: 'source', title: 'source', kind: 'text' },
  { key: 'where', title: 'record', kind: 'text' },
  { key: 'record', title: 'fields', kind: 'text' },
  { key: 'matches', title: 'matches', kind: 'int' },
  { key: 'fired', title: 'fired (UTC)', kind: 'text' },
  { key: 'ruleSet', title: 'rule set', kind: 'text' },
];

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** `key=value; …` of the record's fields, cut to `width` characters (0: whole) */
export function recordText(record: Record<string, unknown>, width = 0): string {
  const s = Object.entries(record)
    .map(([k, v]) => `${k}=${oneLine(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join('; ');
  return width > 0 && s.length > width ? `${s.slice(0, width - 1)}…` : s;
}

function display(a: StoredAlert, width: number): AlertDisplay {
  return {
    time: a.time,
    rule: a.rule,
    source: a.source,
    where: a.file === null ? '' : `${a.file}:${a.line}`,
    record: recordText(a.record, width),
    matches: a.matches,
    fired: a.fired,
    ruleSet: a.ruleSet,
  };
}

export const rulesAlerts = defineReport({
  id: 'rules.alerts',
  command: ['rules', 'alerts'],
  description: 'the alerts the rules fired (rules run, serve): rule, time, the record that caused it (file:line, its fields), newest first',
  params: [
    param.text('rule', '--rule <name>', 'only the alerts of this rule', { expects: 'a rule name' }),
    param.text('ruleSet', '--rule-set <name>', 'only the alerts of this rule set (the rules file as given to rules run, or the config file)', {
      expects: 'a rule set',
    }),
    ...rangeParams,
    param.int('limit', '--limit <n>', 'alerts listed at most (newest first)', { default: 100 }),
    ...outputParams,
  ],
  checks: [rangeOrder],
  run: (store, p) => storedAlerts(store, { rule: p.rule, ruleSet: p.ruleSet, range: rangeOf(p) }, p.limit),
  render: (r, format) => {
    if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
    if (format === 'csv')
      return renderRows(
        r.alerts.map((a) => display(a, 0)),
        columns,
        'csv',
      );
    if (!r.alerts.length) return 'no alerts stored for this period (`mxray rules run RULES.yaml` fires and stores them)\n';
    const tail = r.more ? `\n${r.more} more alert(s) (raise --limit, or narrow with --rule, --from, --to)\n` : '';
    return (
      renderRows(
        r.alerts.map((a) => display(a, 100)),
        columns,
        'table',
      ) + tail
    );
  },
});

export const rulesReports = [rulesAlerts] as const;
