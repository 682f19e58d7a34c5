// Failures of a presence source as a whole (the server unreachable, a login or token refused), said
// for the admin: the poller prints the message as it is and tries again at the next cycle.
export class SourceError extends Error {
  override readonly name = 'SourceError';
}
