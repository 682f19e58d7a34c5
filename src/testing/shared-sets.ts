// Generated log sets shared by the test files of one run: test files that generate the same set
// (the same generator options) get one copy, made by whichever asks first. scripts/run.mjs names a
// folder for the run (MXRAY_TEST_SETS) and removes it at the end; without it (a test file run alone
// with node --test) each caller generates its own set where it asks. Tests must not change the
// files of a shared set (they write copies elsewhere).
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { generateTracking, type TrackingGenOptions } from '../generate/tracking/index.js';

/** the folder of a tracking log set made with `options` (and its truth.json): the run's shared
 *  copy, or `out` generated now when there is no run folder */
export async function sharedTrackingSet(options: Omit<TrackingGenOptions, 'out'>, out: string): Promise<string> {
  const root = process.env.MXRAY_TEST_SETS;
  if (!root) {
    await generateTracking({ ...options, out });
    return out;
  }
  const key = createHash('sha1')
    .update(JSON.stringify(Object.entries(options).sort()))
    .digest('hex')
    .slice(0, 16);
  const dir = join(root, `tracking-${key}`);
  if (existsSync(dir)) return dir;
  // generated aside and renamed into place: a folder that exists is complete, also when two test
  // files (two processes) make it at once
  mkdirSync(root, { recursive: true });
  const tmp = join(root, `.tmp-${process.pid}-${key}`);
  rmSync(tmp, { recursive: true, force: true });
  await generateTracking({ ...options, out: tmp });
  try {
    renameSync(tmp, dir);
  } catch (e) {
    if (!existsSync(dir)) throw e;
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}
