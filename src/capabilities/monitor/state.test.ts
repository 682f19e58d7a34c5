// The state machine of one instance, table-driven: a sequence of probe results and the transitions
// it must give, with failure and success thresholds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newState, step } from './state.js';
import type { ProbeStatus } from './types.js';

const cases: { name: string; failures: number; successes: number; results: ProbeStatus[]; changes: string[]; final: ProbeStatus | null }[] = [
  { name: 'ok from the start', failures: 2, successes: 1, results: ['ok', 'ok'], changes: ['ok', '-'], final: 'ok' },
  {
    name: 'one failure under the threshold is no problem',
    failures: 2,
    successes: 1,
    results: ['ok', 'critical', 'ok', 'critical', 'ok'],
    changes: ['ok', '-', '-', '-', '-'],
    final: 'ok',
  },
  {
    name: 'two failures in a row are',
    failures: 2,
    successes: 1,
    results: ['ok', 'critical', 'critical', 'critical'],
    changes: ['ok', '-', 'problem critical from ok', '-'],
    final: 'critical',
  },
  {
    name: 'down from the start needs the threshold too',
    failures: 3,
    successes: 1,
    results: ['critical', 'critical', 'critical'],
    changes: ['-', '-', 'problem critical from null'],
    final: 'critical',
  },
  {
    name: 'warning then critical counts as failures in a row; the latest status wins',
    failures: 2,
    successes: 1,
    results: ['ok', 'warning', 'critical'],
    changes: ['ok', '-', 'problem critical from ok'],
    final: 'critical',
  },
  {
    name: 'a problem that changes status alerts again at once',
    failures: 2,
    successes: 1,
    results: ['ok', 'warning', 'warning', 'critical'],
    changes: ['ok', '-', 'problem warning from ok', 'problem critical from warning'],
    final: 'critical',
  },
  {
    name: 'recovery after the success threshold',
    failures: 1,
    successes: 3,
    results: ['ok', 'critical', 'ok', 'ok', 'critical', 'ok', 'ok', 'ok'],
    changes: ['ok', 'problem critical from ok', '-', '-', '-', '-', '-', 'recovery from critical'],
    final: 'ok',
  },
  {
    name: 'unknown is a problem',
    failures: 1,
    successes: 1,
    results: ['ok', 'unknown', 'ok'],
    changes: ['ok', 'problem unknown from ok', 'recovery from unknown'],
    final: 'ok',
  },
];

for (const c of cases) {
  test(`state: ${c.name}`, () => {
    let s = newState();
    const changes: string[] = [];
    c.results.forEach((status, i) => {
      const r = step(s, { status, at: `2026-12-01T00:0${i}:00.000Z` }, c);
      s = r.state;
      const ch = r.change;
      changes.push(!ch ? '-' : ch.kind === 'problem' ? `problem ${ch.status} from ${ch.from}` : ch.kind === 'recovery' ? `recovery from ${ch.from}` : 'ok');
    });
    assert.deepEqual(changes, c.changes);
    assert.equal(s.status, c.final);
    assert.equal(s.last, c.results.at(-1));
  });
}
