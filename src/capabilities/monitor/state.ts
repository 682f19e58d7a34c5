// The state of one monitored instance, and how a probe result moves it: a plain function over plain
// data, so that the monitor, its tests and the state file share one definition.
//
// An instance is ok until `failures` probes in a row are not ok; then it has a problem (warning,
// critical or unknown: the latest result's status). It recovers after `successes` good probes in a
// row. Between problem statuses (warning → critical) it moves at once. The first result of an
// instance never seen before counts like any other: a down instance at start needs `failures`
// results before its alert, as it would have later.
import type { ProbeResult, ProbeStatus } from './types.js';

export type ProblemStatus = Exclude<ProbeStatus, 'ok'>;

/** an alert that was raised for the current problem and not yet closed by a recovery */
export interface OpenAlert {
  /** the problem status the alert (or its last reminder) said */
  status: ProblemStatus;
  /** ISO time the problem was confirmed */
  openedAt: string;
  /** ISO time the last problem alert or reminder went out; null while suppressed (nothing sent) */
  sentAt: string | null;
  /** a host or link that was down when the alert was due: nothing was sent for this instance */
  suppressedBy: string | null;
  /** a repair command ran for this problem */
  repaired: boolean;
}

export interface InstanceState {
  /** the confirmed state; null before the first confirmation */
  status: ProbeStatus | null;
  /** ISO time of the last change of the confirmed state */
  since: string | null;
  /** results in a row that disagree with the confirmed state (toward a problem: not ok; toward a
   *  recovery: ok) */
  streak: number;
  /** the last result's status (whether the instance answers right now) */
  last: ProbeStatus | null;
  alert: OpenAlert | null;
}

export const newState = (): InstanceState => ({ status: null, since: null, streak: 0, last: null, alert: null });

export type Transition =
  /** the instance has (or changed) a problem: an alert is due */
  | { kind: 'problem'; status: ProblemStatus; from: ProbeStatus | null }
  /** it is fine again after a problem */
  | { kind: 'recovery'; from: ProblemStatus }
  /** first confirmation, ok: nothing to say */
  | { kind: 'ok' }
  | null;

/** the next state after one result, and what changed (null: nothing) */
export function step(
  s: InstanceState,
  r: Pick<ProbeResult, 'status' | 'at'>,
  th: { failures: number; successes: number },
): { state: InstanceState; change: Transition } {
  const bad = r.status !== 'ok';
  const next: InstanceState = { ...s, last: r.status };
  const inProblem = s.status !== null && s.status !== 'ok';
  if (!inProblem) {
    if (!bad) {
      next.streak = 0;
      if (s.status === null) return { state: { ...next, status: 'ok', since: r.at }, change: { kind: 'ok' } };
      return { state: next, change: null };
    }
    next.streak = s.streak + 1;
    if (next.streak < th.failures) return { state: next, change: null };
    return { state: { ...next, status: r.status, since: r.at, streak: 0 }, change: { kind: 'problem', status: r.status as ProblemStatus, from: s.status } };
  }
  if (bad) {
    next.streak = 0;
    if (r.status === s.status) return { state: next, change: null };
    return { state: { ...next, status: r.status, since: r.at }, change: { kind: 'problem', status: r.status as ProblemStatus, from: s.status } };
  }
  next.streak = s.streak + 1;
  if (next.streak < th.successes) return { state: next, change: null };
  return { state: { ...next, status: 'ok', since: r.at, streak: 0 }, change: { kind: 'recovery', from: s.status as ProblemStatus } };
}
