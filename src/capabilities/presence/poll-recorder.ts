// What the poller needs of the recorder (recorder.ts, "pdata"): the calls it makes, in time order,
// from one loop. A type of its own so the poller can be tested with a recorder that only counts.
import type { EnrolledUser, Observation } from './types.js';

export interface PollRecorder {
  /** one cycle at `at`: a sample of every observation (and `unknown` for enrolled users not observed) */
  recordCycle(at: Date, users: readonly EnrolledUser[], observations: readonly Observation[]): Promise<void>;
  /** a change pushed between cycles (XMPP) */
  recordPush(o: Observation): Promise<void>;
  /** the poller is running but recorded no samples this cycle (the directory or the source failed) */
  heartbeat(at: Date): Promise<void>;
  /** the poller stops */
  close(at?: Date): Promise<void>;
}
