// The long-running parts `mxray serve` hosts: the one list of them (part.ts says what a part is). The
// monitor is the first; the presence poller and rules on new events join the list the same way.
import type { Part } from './part.js';
import { monitorPart } from './monitor-part.js';
import { presencePart } from './presence-part.js';
import { integrityPart } from './integrity-part.js';
import { rulesPart } from './rules-part.js';

export type { Part, PartContext, RunningPart } from './part.js';

/** every part serve knows, in start order */
export const parts: readonly Part[] = [monitorPart, presencePart, rulesPart, integrityPart];
