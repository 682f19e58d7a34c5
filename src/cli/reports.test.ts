// Every registered report takes its parameters the same way from a command line and from a record
// of strings (what the web API gets from a query string): the same typed values, and the same
// message for a bad value. Both paths run in-process; the CLI's store is never opened (the test
// catches the validated parameters where the command would run the report).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, CommanderError } from 'commander';
import { capabilities, reports } from '../capabilities/registry.js';
import { ParamError, validate, type AnyReport, type Param, type ParamInput } from '../capabilities/report.js';
import { UsageError } from './common.js';
import { registerReports } from './reports.js';

const all = capabilities.flatMap((c) => c.reports);

type Outcome = { params: unknown } | { error: string };

/** the report's command run in-process with these option words */
async function viaCli(report: AnyReport, args: string[]): Promise<Outcome> {
  let params: unknown;
  const p = new Command('mxray').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerReports(p, {}, async (r, values) => {
    assert.equal(r, report);
    params = values;
  });
  try {
    await p.parseAsync([...report.command, ...args], { from: 'user' });
    return { params };
  } catch (e) {
    // commander's own messages (a choice, a missing required option) start with "error: "
    if (e instanceof CommanderError) return { error: e.message.replace(/^error: /, '') };
    if (e instanceof UsageError) return { error: e.message };
    throw e;
  }
}

function viaRecord(report: AnyReport, input: ParamInput): Outcome {
  try {
    return { params: validate(report, input) };
  } catch (e) {
    if (e instanceof ParamError) return { error: e.message };
    throw e;
  }
}

const flagOf = (p: Param) => p.flag.split(' ')[0]!;

/** a good value of each parameter, by its type, as a user would type it */
function goodValue(p: Param): string {
  if (p.name === 'from') return '2024-03-04';
  if (p.name === 'tz') return 'Europe/Berlin';
  if (p.name === 'day') return '2024-03-05';
  if (p.name === 'by' && p.type === 'text') return 'provider,id';
  // presence reports count whole days (in --tz): their --to is a day
  if (p.name === 'to') return p.help.includes('YYYY-MM-DD, in --tz') ? '2024-03-05' : '2024-03-05T10:00Z';
  switch (p.type) {
    case 'int':
      return '7';
    case 'number':
      return '2.5';
    case 'choice':
      return p.choices![p.choices!.length - 1]!;
    case 'flag':
      return 'true';
    default:
      return ' Some Name ';
  }
}

/** bad values of a parameter, each alone */
function badValues(p: Param): string[] {
  if (p.name === 'from' || p.name === 'to') return ['2024-02-30', 'soon', '2024-03-04T25:00'];
  switch (p.type) {
    case 'int':
      return ['0', 'x', '1.5', ''];
    case 'number':
      return ['many', '-1'];
    case 'choice':
      return ['nope'];
    case 'text':
      return p.name === 'out' ? [] : ['', '  '];
    default:
      return [];
  }
}

function argsOf(input: Record<string, string>, report: AnyReport): string[] {
  return report.params.flatMap((p) => {
    const v = input[p.name];
    if (v === undefined) return [];
    return p.type === 'flag' ? (v === 'true' ? [flagOf(p)] : []) : [flagOf(p), v];
  });
}

test("the registry: every report once, under its capability's command group", () => {
  assert.deepEqual(
    all.map((r) => r.id),
    [
      'tracking.users',
      'tracking.classes',
      'tracking.traffic',
      'tracking.top',
      'eas.users',
      'eas.devices',
      'eas.commands',
      'eas.runaway',
      'eas.hourly',
      'eas.coverage',
      'calendar.meetings',
      'calendar.timeline',
      'presence.report',
      'presence.timeline',
      'presence.pc-in-use',
      'presence.heatmap',
      'monitor.history',
      'events.top',
      'events.list',
      'events.ids',
      'rules.alerts',
    ],
  );
  assert.equal(reports.size, all.length);
  for (const r of all) assert.deepEqual(r.id.split('.'), [...r.command], r.id);
});

test('every report: no options, every option, and each option alone give the same values through both paths', async () => {
  for (const report of all) {
    assert.deepEqual(await viaCli(report, []), viaRecord(report, {}), `${report.id} with no options`);
    const input = Object.fromEntries(report.params.filter((p) => p.name !== 'format').map((p) => [p.name, goodValue(p)]));
    const both = await viaCli(report, argsOf(input, report));
    assert.ok('params' in both, `${report.id}: ${JSON.stringify(both)}`);
    assert.deepEqual(both, viaRecord(report, input), `${report.id} with every option`);
    for (const p of report.params) {
      const one = { [p.name]: goodValue(p) };
      assert.deepEqual(await viaCli(report, argsOf(one, report)), viaRecord(report, one), `${report.id} ${p.name}`);
    }
  }
});

test('every report: each bad value, and each broken rule between options, is the same message through both paths', async () => {
  let compared = 0;
  for (const report of all) {
    for (const p of report.params) {
      for (const bad of badValues(p)) {
        const input = { [p.name]: bad };
        const cli = await viaCli(report, argsOf(input, report));
        assert.ok('error' in cli, `${report.id} ${p.name}=${JSON.stringify(bad)} is refused`);
        assert.deepEqual(viaRecord(report, input), cli, `${report.id} ${p.name}=${JSON.stringify(bad)}`);
        compared++;
      }
    }
    // a report over one day (presence timeline) has no --from/--to to break
    const rules: Record<string, string>[] = report.params.some((p) => p.name === 'from') ? [{ from: '2024-03-05', to: '2024-03-04' }] : [];
    if (report.params.some((p) => p.name === 'lightMax')) rules.push({ lightMax: '50', heavyMin: '40' });
    for (const input of rules) {
      const cli = await viaCli(report, argsOf(input, report));
      assert.ok('error' in cli);
      assert.deepEqual(viaRecord(report, input), cli, `${report.id} ${JSON.stringify(input)}`);
      compared++;
    }
  }
  assert.ok(compared > 100, `${compared} bad inputs compared`);
});

// hand-worked values and the messages mxray has always printed

test('typed values: dates to UTC bounds (a --to date includes its day), trimmed text, numbers, defaults', () => {
  // a parameter not given and without a default is absent; an empty date is given, and no bound
  assert.deepEqual(validate(reports.get('eas.runaway')!, { from: '2024-03-04', to: '2024-03-04', user: ' Contoso\\MHall ', minHits: '500', per: 'day' }), {
    from: '2024-03-04 00:00:00',
    to: '2024-03-05 00:00:00',
    json: false,
    user: 'Contoso\\MHall',
    minHits: 500,
    per: 'day',
  });
  assert.deepEqual(validate(reports.get('tracking.top')!, { to: '2024-05-06T09:30Z', json: '' }), {
    to: '2024-05-06 09:30:00',
    json: true,
    lightMax: 48,
    heavyMin: 78,
    mode: 'combined',
    recipients: 'once',
    by: 'sent',
    limit: 20,
  });
  assert.deepEqual(validate(reports.get('tracking.classes')!, { lightMax: '0.6', heavyMin: '1', mode: 'sent', format: 'csv', from: '' }), {
    from: undefined,
    format: 'csv',
    json: false,
    lightMax: 0.6,
    heavyMin: 1,
    mode: 'sent',
    recipients: 'once',
  });
});

test('messages: the ones the CLI has always printed, and unknown keys of a query named', () => {
  const message = (id: string, input: ParamInput) => {
    const r = viaRecord(reports.get(id)!, input);
    return 'error' in r ? r.error : undefined;
  };
  assert.equal(message('eas.users', { limit: 'x' }), '--limit: expected a whole number ≥ 1, got "x"');
  assert.equal(message('eas.runaway', { minHits: '0' }), '--min-hits: expected a whole number ≥ 1, got "0"');
  assert.equal(message('eas.runaway', { per: 'week' }), "option '--per <period>' argument 'week' is invalid. Allowed choices are hour, day.");
  assert.equal(message('eas.users', { user: '' }), '--user: expected a user name, got an empty value');
  assert.equal(message('eas.devices', { device: ' ' }), '--device: expected a DeviceId, got an empty value');
  assert.equal(message('tracking.classes', { lightMax: '50', heavyMin: '40' }), '--light-max (50) must not be above --heavy-min (40)');
  assert.equal(message('tracking.classes', { lightMax: 'many' }), '--light-max: expected a number ≥ 0, got "many"');
  assert.equal(message('tracking.users', { from: '2024-13-01' }), '--from: "2024-13-01" is not a valid date');
  assert.equal(
    message('tracking.users', { to: 'yesterday' }),
    '--to: expected an ISO date (2024-03-04) or date-time (2024-03-04T09:00Z) in UTC, got "yesterday"',
  );
  assert.equal(message('tracking.users', { from: '2024-05-08', to: '2024-05-01' }), '--from (2024-05-08) must be before --to (2024-05-01)');
  assert.equal(message('eas.hourly', { json: 'maybe' }), '--json: expected true or false, got "maybe"');
  assert.equal(message('tracking.traffic', { by: 'hour', limit: '3' }), 'unknown parameter "limit"; known: from, to, format, json, by');
});
