// Where a generator writes: the logs under OUT/logs/ (the folder to hand to `mxray ingest`) and
// the truth beside them in OUT/truth.json, so that ingesting the logs never meets the truth file.
import { join } from 'node:path';

/** the folder of the generated log files */
export function generatedLogs(out: string): string {
  return join(out, 'logs');
}

/** the generator's truth: the exact counts the reports must find */
export function generatedTruth(out: string): string {
  return join(out, 'truth.json');
}
