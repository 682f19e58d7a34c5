#!/usr/bin/env node
// One entry point for the README's commands. Each does its own set-up on a fresh clone:
// installs npm packages when node_modules is missing or older than package-lock.json (npm install,
// not npm ci: with this machine's npm settings the lock records only the platform packages it
// installed, and npm ci refuses such a lock), builds the
// TypeScript when any source is newer than the build, then runs the job.
//   node scripts/run.mjs test [file-filter...]   every test (node's test runner over dist/**/*.test.js)
//   node scripts/run.mjs demo                    generate sample logs, ingest them, print the reports
//   node scripts/run.mjs bench                   the benchmarks
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function newest(dir, filter) {
  let t = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, filter));
    else if (filter(p)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function files(dir, filter, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, filter, out);
    else if (filter(p)) out.push(p);
  }
  return out.sort();
}

function setup() {
  const lock = existsSync('package-lock.json') ? statSync('package-lock.json').mtimeMs : 0;
  const marker = 'node_modules/.package-lock.json';
  if (!existsSync(marker) || statSync(marker).mtimeMs < lock) {
    console.error('mxray: installing npm packages (npm install)…');
    const st = sh('npm', ['install', '--no-audit', '--no-fund']);
    if (st !== 0) process.exit(st);
  }
  const built = existsSync('dist/.built') ? statSync('dist/.built').mtimeMs : 0;
  const src = Math.max(newest('src', (p) => p.endsWith('.ts')), statSync('tsconfig.json').mtimeMs);
  if (src > built) {
    console.error('mxray: building (tsc)…');
    // a clean build: a test file moved or removed in src must not keep running from an old dist
    rmSync('dist', { recursive: true, force: true });
    const st = sh(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
    if (st !== 0) process.exit(st);
    sh('touch', ['dist/.built']);
  }
}

const [job = 'test', ...rest] = process.argv.slice(2);
setup();
if (job === 'build') process.exit(0);
if (job === 'test') {
  let tests = files('dist', (p) => p.endsWith('.test.js'));
  if (rest.length) tests = tests.filter((t) => rest.some((f) => t.includes(f)));
  if (!tests.length) { console.error('no test files matched'); process.exit(1); }
  const conc = process.env.MXRAY_TEST_CONCURRENCY ?? '2';
  process.exit(sh(process.execPath, ['--test', `--test-concurrency=${conc}`, '--test-reporter=spec', ...tests.map((t) => relative(root, t))]));
}
if (job === 'demo') process.exit(sh(process.execPath, ['dist/cli/demo.js', ...rest]));
if (job === 'bench') process.exit(sh(process.execPath, ['--expose-gc', 'dist/bench/main.js', ...rest]));
console.error(`unknown job ${job}: test | demo | bench | build`);
process.exit(2);
