// The report commands, built from the capability registry: `mxray <group> <report>` for every
// report spec, with the spec's parameters as options. Adding a report is adding its spec; this
// file does not change. Commands that are not store reports (eas decode, eas export) are written
// by hand and slot in around a capability's reports.
import { Option, type Command } from 'commander';
import { outputFormat } from '../capabilities/params.js';
import { capabilities, type Capability } from '../capabilities/registry.js';
import { ParamError, validate, type AnyReport, type Param, type ParamInput, type ParamSet } from '../capabilities/report.js';
import { storeOptions, UsageError, withStore, write, type StoreOpts } from './common.js';

/** the commander option of a parameter: flag, help, choices, default and mandatory as --help shows them */
export function optionOf(p: Param): Option {
  const o = new Option(p.flag, p.help);
  // commander hands the value over under the flag's camelCase name: it must be the parameter's
  if (o.attributeName() !== p.name) throw new Error(`parameter ${p.name}: its flag ${p.flag} would be read as ${o.attributeName()}`);
  if (p.choices) o.choices([...p.choices]);
  if (p.default !== undefined) o.default(p.default);
  if (p.required) o.makeOptionMandatory();
  return o;
}

/** --db/--store/--config, then the parameters' options in their order */
export function withParams(cmd: Command, set: ParamSet): Command {
  storeOptions(cmd);
  for (const p of set.params) cmd.addOption(optionOf(p));
  return cmd;
}

/** what the user typed, as the record of strings a query string would give: an option left at its
 *  default is left out (the spec supplies defaults), a bare flag is 'true' */
export function inputOf(cmd: Command, set: ParamSet): ParamInput {
  const opts = cmd.opts<Record<string, unknown>>();
  const input: Record<string, string> = {};
  for (const p of set.params) {
    const v = opts[p.name];
    if (v === undefined || cmd.getOptionValueSource(p.name) === 'default') continue;
    input[p.name] = String(v);
  }
  return input;
}

/** the command's parameters validated by the spec; a bad one is a usage error (exit code 2) */
export function paramsOf<Ps extends readonly Param[]>(cmd: Command, set: ParamSet<Ps>) {
  try {
    return validate(set, inputOf(cmd, set));
  } catch (e) {
    if (e instanceof ParamError) throw new UsageError(e.message);
    throw e;
  }
}

export function storeOf(cmd: Command): StoreOpts {
  const { db, store, config } = cmd.opts<StoreOpts>();
  return { ...(db !== undefined ? { db } : {}), ...(store !== undefined ? { store } : {}), ...(config !== undefined ? { config } : {}) };
}

/** what a report command does once its parameters are valid (a test swaps it to see the parameters) */
export type Execute = (report: AnyReport, params: unknown, store: StoreOpts) => Promise<void>;

const execute: Execute = async (report, params, store) => {
  const result = await withStore(store, (s) => report.run(s, params as never));
  const format = outputFormat(params as never);
  write(report.render(result, format, params as never));
  const note = format === 'json' ? report.note?.(result, params as never) : undefined;
  if (note) process.stderr.write(note.endsWith('\n') ? note : `${note}\n`);
};

export function addReport(group: Command, report: AnyReport, exec: Execute = execute): Command {
  const cmd = withParams(group.command(report.command[1]).description(report.description), report);
  return cmd.action(async (_opts: unknown, c: Command) => {
    const params = paramsOf(c, report);
    await exec(report, params, storeOf(c));
  });
}

/** hand-written commands of a capability's group, before and after its reports in --help */
export interface HandWritten {
  before?: readonly ((group: Command) => void)[];
  after?: readonly ((group: Command) => void)[];
}

export function addCapability(program: Command, cap: Capability, extra: HandWritten = {}, exec?: Execute): Command {
  const word = cap.reports[0]?.command[0] ?? cap.name;
  for (const r of cap.reports) {
    if (r.command[0] !== word) throw new Error(`report ${r.id}: command ${r.command.join(' ')} is outside its capability's group ${word}`);
  }
  const group = program.command(word).description(cap.description);
  for (const add of extra.before ?? []) add(group);
  for (const r of cap.reports) addReport(group, r, exec);
  for (const add of extra.after ?? []) add(group);
  return group;
}

/** every capability's group, in the registry's order */
export function registerReports(program: Command, handWritten: Readonly<Record<string, HandWritten>> = {}, exec?: Execute): void {
  for (const cap of capabilities) addCapability(program, cap, handWritten[cap.name], exec);
}
