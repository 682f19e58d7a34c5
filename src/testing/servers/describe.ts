// describe() for suites that need real test servers: skipped with the servers' reason when one is
// missing outside CI (under CI nothing is skipped: starting it fails with the reason instead).
import { describe, it } from 'node:test';

/** `skips`: each server's skipReason() (string = skip, false = run) */
export function describeWithServers(name: string, skips: readonly (string | false)[], fn: () => void | Promise<void>): void {
  const skip = skips.find((s): s is string => typeof s === 'string');
  if (!skip) {
    describe(name, fn);
    return;
  }
  // one skipped test per skipped suite, so the summary counts it
  describe(name, () => {
    it('needs its test servers', { skip }, () => {});
  });
}
