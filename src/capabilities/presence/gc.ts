// V8's full collection for the presence poller, where its cycle leaves its garbage (the directory's
// pages after the enrolment, a batch's rows after the recorder stored them, a cycle's observations).
// Left to itself V8 lets the heap grow to 3-4 times what is live (~40 MB for 20,000 users) before it
// collects: issue 18's bench measured the heap at 98-142 MB at a cycle's peak, 80 MB with these
// collections. One costs a few tens of milliseconds, a few times per cycle of 15 minutes.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** a full collection now (gc() of --expose-gc, made available once at run time) */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
