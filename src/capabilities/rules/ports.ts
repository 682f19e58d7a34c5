// The rule engine's view of the three parts that reach outside the store: file hashing (`sha256`),
// directory membership (`memberOf`) and actions. The engine (engine.ts) depends on these types
// only; ops/sha256.ts, ops/member-of.ts and actions.ts implement them.

/** `sha256`: the field is a path under `root`; what reading it gave */
export interface HashOptions {
  /** the directory the path must stay under after normalisation (an absolute path) */
  readonly root: string;
  /** files above this size are not read (default 64 MiB) */
  readonly maxBytes?: number;
  /** reading longer than this gives `timeout` (default 5 s) */
  readonly timeoutMs?: number;
}
export type HashFailure = 'outside-root' | 'missing' | 'not-regular' | 'too-large' | 'timeout' | 'error';
export type HashOutcome =
  | { readonly ok: true; readonly sha256: string; readonly path: string }
  | { readonly ok: false; readonly why: HashFailure; readonly detail: string };
/** hash the file a field names; never throws, never hangs past the timeout */
export type FileHasher = (fieldValue: string, options: HashOptions) => Promise<HashOutcome>;

/** `memberOf`: is the user a field names (an address, DOMAIN\user, or a legacy Exchange DN) a member,
 *  directly or through nested groups, of the group with this DN? */
export interface MembershipResolver {
  isMember(user: string, groupDn: string): Promise<boolean>;
  close(): Promise<void>;
}

/** what a rule's actions receive when it fires */
export interface FiredAlert {
  readonly rule: string;
  readonly source: string;
  /** when the rule fired (the engine's clock) */
  readonly firedAt: Date;
  /** time of the record that fired it */
  readonly recordTime: string | null;
  /** the record that fired it, by the source's field names */
  readonly record: Readonly<Record<string, unknown>>;
  /** where the record came from: file path and line, for the admin to look */
  readonly origin: { readonly file: string; readonly line: number } | null;
  /** matches counted in the threshold period when it fired */
  readonly matches: number;
}

/** one action of a rule, as configured */
export type RuleAction =
  | { readonly email: string }
  | { readonly webhook: string }
  | { readonly command: readonly string[]; readonly timeoutMs: number }
  | { readonly log: string };

export interface ActionOutcome {
  readonly action: 'email' | 'webhook' | 'command' | 'log';
  readonly ok: boolean;
  /** one line for the alert log and the report: what happened */
  readonly detail: string;
}

/** carries out a fired rule's actions; one failing action does not stop the others */
export type ActionRunner = (alert: FiredAlert, actions: readonly RuleAction[]) => Promise<ActionOutcome[]>;
