// A repair command that hangs, with a child of its own, is killed with its whole tree at its
// deadline and reported; one that fails or cannot start says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describeRepair, runRepair } from './repair.js';

/** the process exists and is not a zombie (killed but not yet reaped: a container's init may never
 *  reap an orphan) */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

test('a hanging repair and its child are killed at the deadline', async () => {
  const script = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
console.log('child ' + c.pid); setInterval(() => {}, 1000);`;
  const argv = [process.execPath, '-e', script];
  const started = Date.now();
  const o = await runRepair(argv, 700);
  const took = Date.now() - started;
  assert.equal(o.timedOut, true);
  assert.ok(took >= 650 && took < 3000, `ended after ${took} ms`);
  const child = Number(/child (\d+)/.exec(o.output)?.[1]);
  assert.ok(child > 0, `the command said its child: ${o.output}`);
  // the kill is delivered at once; the kernel may take a moment to reap
  for (let i = 0; i < 50 && (alive(child) || alive(o.pid!)); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(o.pid!), false, 'the command is gone');
  assert.equal(alive(child), false, "the command's child is gone");
  assert.match(describeRepair(argv, o), /hung and was killed with its processes at its 0\.7 s deadline/);
});

test('a failing repair and one that cannot start', async () => {
  const fail = await runRepair([process.execPath, '-e', 'console.error("no such unit"); process.exit(5)'], 5000);
  assert.equal(fail.exitCode, 5);
  assert.equal(fail.output, 'no such unit');
  assert.match(describeRepair(['x'], fail), /^repair x failed: exit code 5 after/);
  const missing = await runRepair(['/nonexistent/mxray-repair'], 5000);
  assert.match(missing.error ?? '', /ENOENT/);
  assert.match(describeRepair(['/nonexistent/mxray-repair'], missing), /could not start/);
});
