// Rules on new records as a part of `mxray serve` (the rules: section of the config): every round,
// the records committed since the last round are evaluated with the same runRules as `mxray rules
// run` — one cursor per file over committed batches, thresholds, actions, alerts stored with their
// record — so an ingest into the served store (ClickHouse: any ingest; DuckDB: the live rows of the
// monitor and the presence poller) is looked at within a round. Rounds never overlap; a config reload
// takes the new rules at the next round. The last rounds are at /api/rules (read-only JSON).
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { buildPorts } from '../cli/rules.js';
import { runRules, type RunResult } from '../capabilities/rules/run.js';
import type { Rule } from '../capabilities/rules/config.js';
import { LiveLog } from '../store/live.js';
import { json } from './http.js';
import type { Part, PartContext } from './part.js';

/** how often the rules look at what is new (MXRAY_RULES_INTERVAL_MS overrides it, e.g. in tests) */
export const RULES_INTERVAL_MS = 15_000;

export interface RulesState {
  intervalMs: number;
  rounds: number;
  running: boolean;
  lastAt: string | null;
  /** alerts fired since serve started */
  fired: number;
  /** the last round's matches per rule, and its alerts (rule, record origin) */
  last: { matches: Record<string, number>; alerts: { rule: string; origin: { file: string; line: number } | null; matches: number }[] } | null;
  error: string | null;
}

function rulesOf(config: Config): readonly Rule[] {
  const rules = config.section('rules');
  if (!rules)
    throw new ConfigError([
      { file: config.file?.shown ?? 'mxray.yaml', path: 'rules', message: 'the rules: section is gone: restart serve to stop the rules' },
    ]);
  return rules;
}

export const rulesPart: Part = {
  name: 'rules',
  section: 'rules',
  async start(ctx: PartContext) {
    let config = ctx.config;
    let rules = rulesOf(config);
    const ruleSet = config.file?.shown ?? 'mxray.yaml';
    const fromEnv = Number(process.env.MXRAY_RULES_INTERVAL_MS);
    const state: RulesState = {
      intervalMs: Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : RULES_INTERVAL_MS,
      rounds: 0,
      running: false,
      lastAt: null,
      fired: 0,
      last: null,
      error: null,
    };
    const out = await LiveLog.open(ctx.store, 'rules');
    const round = async () => {
      if (state.running) return;
      state.running = true;
      const ports = await buildPorts(config);
      try {
        const r: RunResult = await runRules(ctx.store, rules, { ports, ruleSet, out });
        state.fired += r.alerts.length;
        state.last = { matches: r.matches, alerts: r.alerts.map((a) => ({ rule: a.rule, origin: a.origin, matches: a.matches })) };
        state.error = null;
        for (const a of r.alerts) ctx.log(`${a.rule} fired${a.origin ? ` on ${a.origin.file}:${a.origin.line}` : ''}`);
      } catch (e) {
        state.error = (e as Error).message;
        ctx.log(`the rules could not run: ${state.error}`);
      } finally {
        await ports.close();
        state.rounds++;
        state.lastAt = new Date().toISOString();
        state.running = false;
      }
    };

    ctx.routes.get('/api/rules', (_req, res) => json(res, 200, state));
    let timer: NodeJS.Timeout | undefined;
    let current: Promise<void> = Promise.resolve();
    const schedule = (ms: number) => {
      timer = setTimeout(() => {
        if (ctx.signal.aborted) return;
        current = round().then(() => {
          if (!ctx.signal.aborted) schedule(state.intervalMs);
        });
      }, ms);
    };
    schedule(0);
    ctx.log(`${rules.length} rule(s) on new records every ${state.intervalMs / 1000} s`);
    return {
      async stop() {
        clearTimeout(timer);
        await current;
      },
      async reload(next: Config) {
        rules = rulesOf(next);
        config = next;
      },
    };
  },
};
