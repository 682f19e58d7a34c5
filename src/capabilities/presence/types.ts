// Presence: the shared vocabulary of its parts. The directory says whom to watch (EnrolledUser), a
// source (XMPP, Microsoft Graph) says how each one is (Observation), and the recorder keeps the
// samples (store and the seed's daily log files) and the poller's own heartbeat.
//
// The state model (specs/presence.md): one set of states for every source, with the seed's decimal
// numbers (Exchange 2000 IM SDK) for its log format; the raw value of the source is kept beside.

/** every state mxray knows, in the order reports show them */
export const presenceStates = ['online', 'invisible', 'busy', 'beRightBack', 'idle', 'away', 'onThePhone', 'outToLunch', 'offline', 'unknown'] as const;
export type PresenceState = (typeof presenceStates)[number];

/** the seed's numbers (written in decimal in its logs: 2 online, 10 busy, 34 away …) */
export const seedCode: Readonly<Record<PresenceState, number>> = {
  online: 0x02,
  invisible: 0x06,
  busy: 0x0a,
  beRightBack: 0x0e,
  idle: 0x12,
  away: 0x22,
  onThePhone: 0x32,
  outToLunch: 0x42,
  offline: 0x01,
  unknown: 0x00,
};

/** a user the directory says to watch */
export interface EnrolledUser {
  /** the IM address as the source knows it, lower case, without a scheme (alice@example.org) */
  readonly imAddress: string;
  /** the account name (sAMAccountName, uid …), as the seed's log writes it */
  readonly username: string;
  /** where the directory holds the user */
  readonly dn: string;
  /** the user's id at the source when it is not the IM address (Graph: the Entra object id, read
   *  from the attribute the source names) */
  readonly sourceId?: string;
}

/** how one user was, seen by a source at one moment */
export interface Observation {
  readonly imAddress: string;
  readonly username: string;
  readonly at: Date;
  readonly state: PresenceState;
  /** the source's own value (XMPP show/type, Graph availability/activity, the seed's number) */
  readonly raw: string;
  readonly source: string;
  /** true: a change the source pushed between samples (XMPP); false: the cycle's sample */
  readonly pushed: boolean;
}

/** a source of presence (one registry: sources.ts) */
export interface PresenceSource {
  readonly name: string;
  /** how every user is now; users the source cannot see are `unknown` with a raw value saying why */
  sample(users: readonly EnrolledUser[], signal?: AbortSignal): Promise<Observation[]>;
  /** changes pushed between samples, as they arrive (optional: XMPP has them, Graph does not) */
  onChange?(listener: (o: Observation) => void): void;
  close(): Promise<void>;
}

/** what a source is opened with besides its settings */
export interface SourceOptions {
  /** one line of news for the admin (logged in, connection lost, a subscription asked for …) */
  readonly log: (line: string) => void;
}
