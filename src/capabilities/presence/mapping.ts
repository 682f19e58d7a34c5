// Each source's values mapped onto the one state model (types.ts), as data (specs/presence.md).
// The raw value is kept beside the mapped state by the sources.
import type { PresenceState } from './types.js';

/** XMPP (RFC 6121): <show/> of an available presence; no <show/> is plain available */
export const xmppShow: Readonly<Record<string, PresenceState>> = {
  '': 'online',
  chat: 'online',
  away: 'away',
  xa: 'away',
  dnd: 'busy',
};

/** how available each state is, to aggregate a user's XMPP resources: the most available wins */
export const availability: Readonly<Record<PresenceState, number>> = {
  online: 9,
  onThePhone: 8,
  busy: 7,
  idle: 6,
  beRightBack: 5,
  outToLunch: 4,
  away: 3,
  invisible: 2,
  offline: 1,
  unknown: 0,
};

/** Microsoft Graph presence availability */
export const graphAvailability: Readonly<Record<string, PresenceState>> = {
  Available: 'online',
  AvailableIdle: 'idle',
  Away: 'away',
  BeRightBack: 'beRightBack',
  Busy: 'busy',
  BusyIdle: 'idle',
  DoNotDisturb: 'busy',
  Offline: 'offline',
  PresenceUnknown: 'unknown',
};

/** Graph activities that say more than the availability does */
export const graphActivity: Readonly<Record<string, PresenceState>> = {
  InACall: 'onThePhone',
  InAConferenceCall: 'onThePhone',
};

/** a Graph availability/activity pair as a state (an unknown availability is unknown) */
export function graphState(availabilityValue: string | undefined, activity: string | undefined): PresenceState {
  const byActivity = activity ? graphActivity[activity] : undefined;
  if (byActivity) return byActivity;
  return (availabilityValue && graphAvailability[availabilityValue]) || 'unknown';
}
