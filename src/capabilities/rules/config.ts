// rules: the `rules` section of mxray.yaml, or the same list in a file of its own given to the
// commands (`rules:` at its top). Validated once at load: every field is resolved against its source
// (fields.ts), every operator checked against the field's type, with a message naming the key and
// line (`rules.yaml:7: rules[0].include[1].value: > compares numbers: expected a number, got "big"`).
import * as z from 'zod';
import { defineSection } from '../../config/section.js';
import { filePath } from '../../config/refs.js';
import { bool, expected, got, text, wholeNumber } from '../../config/fields.js';
import { resolveField, sourceNames, sources, type Field, type SourceName } from './fields.js';
import type { RuleAction } from './ports.js';
import type { ParamTest } from './ops/param.js';

export const operators = ['==', '!=', '<', '<=', '>', '>=', 'in', 'matches', 'like', 'sha256', 'memberOf', 'param'] as const;
export type Operator = (typeof operators)[number];
/** operators the store cannot evaluate: the engine applies them to the candidate rows, one at a time
 *  (sha256 and memberOf through the ports, ports.ts; param parses the cmdlet log's parameters, ops/param.ts) */
export const rowOperators: readonly Operator[] = ['sha256', 'memberOf', 'param'];
const ordering: readonly Operator[] = ['<', '<=', '>', '>='];
const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof weekdays)[number];

/** '90s', '30m', '1h', '7d' → milliseconds */
export function parseDuration(v: string): number | undefined {
  const m = /^\s*(\d+)\s*(s|m|h|d)\s*$/.exec(v);
  if (!m || Number(m[1]) < 1) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

function duration() {
  return z.string({ error: (iss) => expected('a period such as 30m, 1h or 1d', iss.input) }).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: `expected a period such as 30m, 1h or 1d, got ${got(v)}` });
    return ms ?? 0;
  });
}

const scalar = z.union([z.string(), z.number()], { error: (iss) => expected('text or a number', iss.input) });

const condition = z.strictObject({
  field: text('a field name of the source'),
  op: z.enum(operators, { error: (iss) => expected(`an operator (${operators.join(', ')})`, iss.input) }),
  value: z.union([scalar, z.array(scalar)], { error: (iss) => expected('text, a number or a list', iss.input) }).optional(),
  field2: text('a second field of the same record').optional(),
  /** sha256: the directory the path must stay under */
  root: filePath('the directory the file must be under').optional(),
  maxBytes: wholeNumber('bytes', 1, 2 ** 40).optional(),
  timeoutMs: wholeNumber('milliseconds', 1, 600_000).optional(),
  /** param: the parameter's value is one of these */
  equals: z.union([scalar, z.array(scalar)], { error: (iss) => expected('text or a list of text', iss.input) }).optional(),
  /** param: the parameter's value matches this expression */
  matches: text('a regular expression').optional(),
  /** param: set (bound, whatever its value) or not-null (bound to a value other than $null and "") */
  is: z.enum(['set', 'not-null'], { error: (iss) => `expected set or not-null, got ${got(iss.input)}` }).optional(),
});

const action = z.union(
  [
    z.strictObject({ email: text('an e-mail address') }),
    z.strictObject({ webhook: text('a webhook URL') }),
    z.strictObject({ command: z.array(text('an argument')).min(1), timeoutMs: wholeNumber('milliseconds', 1, 3_600_000).default(60_000) }),
    z.strictObject({ log: filePath('the alert log file') }),
  ],
  { error: (iss) => `expected an action: { email: ADDRESS }, { webhook: URL }, { command: [ARGV…] } or { log: FILE }, got ${got(iss.input)}` },
);

const HOURS = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

const window = z.strictObject({
  days: z
    .array(z.enum(weekdays, { error: (iss) => `expected a weekday (${weekdays.join(', ')}), got ${got(iss.input)}` }))
    .min(1)
    .optional(),
  hours: z
    .string()
    .refine(
      (v) => {
        const m = HOURS.exec(v);
        return !!m && Number(m[1]) <= 24 && Number(m[3]) <= 24 && Number(m[2]) < 60 && Number(m[4]) < 60;
      },
      { error: (iss) => `expected hours like 07:00-19:00, got ${got(iss.input)}` },
    )
    .optional(),
  tz: text('a time zone such as Europe/Berlin')
    .refine(
      (v) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: v });
          return true;
        } catch {
          return false;
        }
      },
      { error: (iss) => `expected a time zone such as Europe/Berlin or UTC, got ${got(iss.input)}` },
    )
    .optional(),
});

const aggregate = z.strictObject({
  by: z.array(text('a field name')).min(1),
  per: z.enum(['hour', 'day'], { error: (iss) => `expected hour or day, got ${got(iss.input)}` }),
  /** fires for a group whose count compares so */
  count: z
    .strictObject({
      op: z.enum(['>', '>=', '<', '<=', '==', '!='], { error: (iss) => `expected a comparison (> >= < <= == !=), got ${got(iss.input)}` }),
      value: z.number({ error: (iss) => expected('a number', iss.input) }),
    })
    .optional(),
  /** fires for a group whose count is more than `factor` times its own mean over the `buckets` before it */
  baseline: z
    .strictObject({
      buckets: wholeNumber('buckets', 1, 1000),
      factor: z.number({ error: (iss) => expected('a number', iss.input) }).positive(),
      min: wholeNumber('a count', 0, 1e12).default(0),
    })
    .optional(),
});

const ruleShape = z.strictObject({
  name: text('a rule name'),
  source: z.enum(sourceNames as [SourceName, ...SourceName[]], { error: (iss) => `expected a source (${sourceNames.join(', ')}), got ${got(iss.input)}` }),
  include: z.array(condition).default([]),
  exclude: z.array(condition).default([]),
  actions: z.array(action).default([]),
  window: window.optional(),
  threshold: z.strictObject({ count: wholeNumber('a count', 1, 1_000_000), within: duration() }).optional(),
  stop: bool().default(false),
  aggregate: aggregate.optional(),
  description: z.string().optional(),
});

type RawRule = z.output<typeof ruleShape>;
type RawCondition = z.output<typeof condition>;

/** a condition with its field(s) resolved */
export interface Condition {
  readonly field: Field;
  readonly op: Operator;
  readonly value?: string | number | readonly (string | number)[];
  readonly field2?: Field;
  readonly root?: string;
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  /** param: the parameters and the condition on their value */
  readonly param?: ParamTest;
}

export interface Rule {
  readonly name: string;
  readonly source: SourceName;
  readonly description?: string;
  readonly include: readonly Condition[];
  readonly exclude: readonly Condition[];
  readonly actions: readonly RuleAction[];
  readonly window?: { readonly days?: readonly Weekday[]; readonly hours?: string; readonly tz?: string };
  readonly threshold?: { readonly count: number; readonly withinMs: number };
  readonly stop: boolean;
  readonly aggregate?: {
    readonly by: readonly Field[];
    readonly per: 'hour' | 'day';
    readonly count?: { readonly op: '>' | '>=' | '<' | '<=' | '==' | '!='; readonly value: number };
    readonly baseline?: { readonly buckets: number; readonly factor: number; readonly min: number };
  };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const TIME_TEXT = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?$/;

/** the problems of one condition, as [key, message]; '' is the condition itself */
function checkCondition(c: RawCondition, f: Field, f2: Field | undefined): [string, string][] {
  const out: [string, string][] = [];
  const v = c.value;
  if (c.field2 !== undefined) {
    if (!['==', '!=', '<', '<=', '>', '>='].includes(c.op)) out.push(['op', `${c.op} does not compare two fields (field2 takes == != < <= > >=)`]);
    if (v !== undefined) out.push(['value', 'give either value or field2, not both']);
    if (f2 && (f.type === 'number') !== (f2.type === 'number'))
      out.push([
        'field2',
        `${f.name} is ${f.type === 'number' ? 'a number' : 'text'} and ${f2.name} is ${f2.type === 'number' ? 'a number' : 'text'}: a comparison needs two of a kind`,
      ]);
    return out;
  }
  if (c.op === 'param') return checkParam(c, f);
  for (const k of ['equals', 'matches', 'is'] as const) if (c[k] !== undefined) out.push([k, `${k} goes with op: param only`]);
  if (out.length) return out;
  if (v === undefined) return [['value', `missing: expected the value ${c.op} compares with`]];
  if (c.op === 'in') {
    if (!Array.isArray(v) || v.length === 0) out.push(['value', `in takes a list of values, got ${got(v)}`]);
    else if (f.type === 'number' && !v.every(isNum))
      out.push(['value', `${f.name} is a number: every value of the list must be a number, got ${got(v.find((x) => !isNum(x)))}`]);
    return out;
  }
  if (Array.isArray(v)) return [['value', `${c.op} takes one value, got a list (a list goes with in)`]];
  if (ordering.includes(c.op)) {
    if (f.type === 'number' && !isNum(v)) out.push(['value', `${c.op} compares numbers: ${f.name} is a number, and ${got(v)} is not a number`]);
    else if (f.type === 'time' && (typeof v !== 'string' || !TIME_TEXT.test(v)))
      out.push(['value', `${c.op} compares times: expected a time like 2024-03-04 12:00:00, got ${got(v)}`]);
    else if (f.type === 'text' && !isNum(v)) out.push(['value', `${c.op} compares numbers, and ${got(v)} is not a number`]);
  } else if (c.op === '==' || c.op === '!=') {
    if (f.type === 'number' && !isNum(v)) out.push(['value', `${f.name} is a number: ${c.op} needs a number, got ${got(v)}`]);
  } else if (c.op === 'matches') {
    try {
      new RegExp(String(v));
    } catch (e) {
      out.push(['value', `not a valid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`]);
    }
  } else if (c.op === 'sha256') {
    if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) out.push(['value', `sha256 takes the file's SHA-256 as 64 hex digits, got ${got(v)}`]);
    if (c.root === undefined) out.push(['root', 'missing: sha256 needs root, the directory the file must be under']);
  } else if (c.op === 'memberOf') {
    if (typeof v !== 'string' || !/^[^=,]+=[^,]+(,[^=,]+=[^,]+)*$/.test(v))
      out.push(['value', `memberOf takes a group's DN like cn=Admins,ou=Groups,dc=corp,dc=example, got ${got(v)}`]);
  }
  if ((c.op === 'sha256' || c.op === 'memberOf') && f.type !== 'text') out.push(['field', `${c.op} reads a text field; ${f.name} is a ${f.type}`]);
  if (c.root !== undefined && c.op !== 'sha256') out.push(['root', 'root goes with sha256 only']);
  return out;
}

const PARAM_NAME = /^-?[A-Za-z_][A-Za-z0-9_]*$/;

/** the problems of a param condition */
function checkParam(c: RawCondition, f: Field): [string, string][] {
  const out: [string, string][] = [];
  const names = c.value === undefined ? [] : Array.isArray(c.value) ? c.value : [c.value];
  if (c.value === undefined) out.push(['value', 'missing: param takes the parameter name (ForwardingSmtpAddress) or a list of names']);
  else if (names.length === 0 || !names.every((n) => typeof n === 'string' && PARAM_NAME.test(n)))
    out.push([
      'value',
      `param takes parameter names like ForwardingSmtpAddress, got ${got(names.find((n) => typeof n !== 'string' || !PARAM_NAME.test(n)) ?? c.value)}`,
    ]);
  const given = (['equals', 'matches', 'is'] as const).filter((k) => c[k] !== undefined);
  if (given.length > 1) out.push([given[1]!, `give one of equals, matches and is, not ${given.join(' and ')}`]);
  if (c.matches !== undefined) {
    try {
      new RegExp(c.matches, 'i');
    } catch (e) {
      out.push(['matches', `not a valid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`]);
    }
  }
  if (Array.isArray(c.equals) && c.equals.length === 0) out.push(['equals', 'an empty list: give the values the parameter may have']);
  if (f.type !== 'text') out.push(['field', `param reads a text field (the cmdlet log's parameters, %2); ${f.name} is a ${f.type}`]);
  if (c.field2 !== undefined) out.push(['field2', 'param reads one field']);
  if (c.root !== undefined) out.push(['root', 'root goes with sha256 only']);
  return out;
}

/** a param condition's test, once it is valid */
function paramTest(c: RawCondition): ParamTest {
  const names = (Array.isArray(c.value) ? c.value : [c.value]).map((n) => String(n).replace(/^-/, ''));
  const equals = c.equals === undefined ? undefined : (Array.isArray(c.equals) ? c.equals : [c.equals]).map(String);
  return {
    names,
    is: c.is ?? 'not-null',
    ...(equals && { equals }),
    ...(c.matches !== undefined && { matches: new RegExp(c.matches, 'i') }),
  };
}

/** a raw rule's problems added to ctx at their keys; the resolved rule when there are none */
function resolveRule(r: RawRule, add: (path: (string | number)[], message: string) => void): Rule | undefined {
  const source = sources[r.source];
  let ok = true;
  const fail = (path: (string | number)[], message: string) => {
    ok = false;
    add(path, message);
  };
  const conds = (list: readonly RawCondition[], key: 'include' | 'exclude'): Condition[] =>
    list.flatMap((c, i) => {
      const f = resolveField(source, c.field);
      if (!f.ok) {
        fail([key, i, 'field'], f.message);
        return [];
      }
      let f2: Field | undefined;
      if (c.field2 !== undefined) {
        const r2 = resolveField(source, c.field2);
        if (!r2.ok) {
          fail([key, i, 'field2'], r2.message);
          return [];
        }
        f2 = r2.field;
      }
      const problems = checkCondition(c, f.field, f2);
      for (const [k, m] of problems) fail([key, i, ...(k ? [k] : [])], m);
      if (problems.length) return [];
      return [
        {
          field: f.field,
          op: c.op,
          ...(c.value !== undefined && { value: c.value }),
          ...(f2 && { field2: f2 }),
          ...(c.root !== undefined && { root: c.root }),
          ...(c.maxBytes !== undefined && { maxBytes: c.maxBytes }),
          ...(c.timeoutMs !== undefined && { timeoutMs: c.timeoutMs }),
          ...(c.op === 'param' && { param: paramTest(c) }),
        },
      ];
    });
  const include = conds(r.include, 'include');
  const exclude = conds(r.exclude, 'exclude');
  if (r.include.length === 0 && !r.aggregate) fail(['include'], 'missing: a rule needs at least one include condition (or an aggregate block)');
  let aggregate: Rule['aggregate'];
  if (r.aggregate) {
    const by = r.aggregate.by.flatMap((name, i) => {
      const f = resolveField(source, name);
      if (!f.ok) fail(['aggregate', 'by', i], f.message);
      return f.ok ? [f.field] : [];
    });
    if (!r.aggregate.count === !r.aggregate.baseline) fail(['aggregate'], "give one of count (a fixed limit) or baseline (against the group's own history)");
    for (const [key, list] of [
      ['include', r.include],
      ['exclude', r.exclude],
    ] as const)
      list.forEach((c, i) => {
        if (rowOperators.includes(c.op))
          fail([key, i, 'op'], `${c.op} reads one record at a time: an aggregate rule takes conditions the store evaluates (== != < <= > >= in matches like)`);
      });
    if (r.threshold) fail(['threshold'], 'an aggregate rule fires per group and bucket: it takes no threshold');
    aggregate = {
      by,
      per: r.aggregate.per,
      ...(r.aggregate.count && { count: r.aggregate.count }),
      ...(r.aggregate.baseline && { baseline: r.aggregate.baseline }),
    };
  }
  if (!ok) return undefined;
  return {
    name: r.name,
    source: r.source,
    ...(r.description !== undefined && { description: r.description }),
    include,
    exclude,
    actions: r.actions.map((a): RuleAction => a as RuleAction),
    ...(r.window && { window: r.window }),
    ...(r.threshold && { threshold: { count: r.threshold.count, withinMs: r.threshold.within } }),
    stop: r.stop,
    ...(aggregate && { aggregate }),
  };
}

/** one rule, resolved against its source: each rule whose shape is right is checked, also when
 *  another rule of the list is not */
const resolvedRule = ruleShape.transform((r, ctx) => {
  const rule = resolveRule(r, (path, message) => ctx.addIssue({ code: 'custom', path, message }));
  return rule ?? z.NEVER;
});

export const rulesSchema = z.array(resolvedRule, { error: (iss) => expected('a list of rules', iss.input) }).superRefine((list, ctx) => {
  const names = new Map<string, number>();
  list.forEach((r, i) => {
    const before = names.get(r.name.toLowerCase());
    if (before !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `the rule name ${r.name} is used by rules[${before}] already` });
    else names.set(r.name.toLowerCase(), i);
  });
});

export const rulesSection = defineSection({
  key: 'rules',
  schema: rulesSchema,
  doc: `# Rules over stored events (mxray rules check|test|run; mxray serve after each ingest): include and
# exclude conditions on the fields of the log a record came from, a time window, a threshold, actions.
# The same list may be a file of its own (rules: at its top), given to the commands.
rules:
  - name: large-deliveries
    source: tracking
    include:
      - { field: event-id, op: "==", value: DELIVER }
      - { field: total-bytes, op: ">", value: 10000000 }
    exclude:
      - { field: sender-address, op: matches, value: "^noreply@" }
    actions: [ { log: alerts.log } ]
`,
});
