#!/usr/bin/env node
// One entry point for the README's commands. Each does its own set-up on a fresh clone: installs the
// npm packages exactly as package-lock.json lists them (npm ci, which never rewrites the lock) when
// node_modules is missing or older than the lock, builds the TypeScript when any source is newer than
// the build, then runs the job.
//   node scripts/run.mjs test [file-filter...]   the checks, then every test (node's test runner over
//                                                dist/**/*.test.js); with filters, only the matching
//                                                test files and no checks
//   node scripts/run.mjs check                   Biome (lint; format too once FORMAT_CHECK is on) and
//                                                dependency-cruiser's layer rules
//   node scripts/run.mjs fuzz [file-filter...]   the fuzz tests (files named fuzz.test.js or
//                                                *.fuzz.test.js) with many more runs than in
//                                                `test`, from a random seed it prints: MXRAY_FUZZ_RUNS
//                                                (default 2000 per property) and MXRAY_FUZZ_SEED
//                                                (replays a failure) set them
//   node scripts/run.mjs demo                    generate sample logs, ingest them, print the reports
//   node scripts/run.mjs bench                   the benchmarks
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Off until the whole tree is formatted once (the lead's own commit, `npx biome format --write .`):
// then true, and `check` fails on any file Biome would format differently.
const FORMAT_CHECK = true;

// A hung test fails instead of stalling CI. Node 20 applies --test-timeout to each test and also to
// each test file as a whole (its child process), so it must exceed the slowest file: cli/eas.test.js,
// about 90 s on this 2-core machine under a load of 15, but over 300 s under a load of 23 (the slowest
// suites are printed at the end of each run).
const TEST_TIMEOUT_MS = 600_000;

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

/** npm, also where it is a .cmd (Windows) */
function npm(args) {
  if (process.env.npm_execpath) return sh(process.execPath, [process.env.npm_execpath, ...args]);
  return sh(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { shell: process.platform === 'win32' });
}

/** npm ci when node_modules is missing or older than the lock */
function install() {
  const lock = existsSync('package-lock.json') ? statSync('package-lock.json').mtimeMs : 0;
  const marker = 'node_modules/.package-lock.json';
  if (!existsSync(marker) || statSync(marker).mtimeMs < lock) {
    if (existsSync('node_modules') && lstatSync('node_modules').isSymbolicLink()) {
      // a worktree borrowing another checkout's packages: installing would rewrite those
      console.error('mxray: node_modules is a link to another checkout and older than package-lock.json; not installing into it');
    } else {
      console.error('mxray: installing npm packages (npm ci)…');
      const st = npm(['ci', '--no-audit', '--no-fund']);
      if (st !== 0) process.exit(st);
    }
  }
}

/** the dashboard's pages (src/dashboard/web/, TypeScript for the browser): type-checked with their own
 *  tsconfig (DOM, no Node), bundled by esbuild with the ECharts parts they import into
 *  dist/dashboard/web/app.js and app.css, served by `mxray serve` and inlined by `mxray report --html` */
async function bundleWeb() {
  const web = join('src', 'dashboard', 'web');
  const st = sh(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(web, 'tsconfig.json')]);
  if (st !== 0) process.exit(st);
  const esbuild = await import('esbuild');
  const out = join('dist', 'dashboard', 'web');
  const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning' };
  await esbuild.build({
    ...common,
    entryPoints: [join(web, 'app.ts')],
    outfile: join(out, 'app.js'),
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
  });
  await esbuild.build({ ...common, entryPoints: [join(web, 'style.css')], outfile: join(out, 'app.css') });
}

/** tsc into a clean dist when a source is newer than the build */
async function build() {
  const built = existsSync('dist/.built') ? statSync('dist/.built').mtimeMs : 0;
  const src = Math.max(
    newest('src', (p) => p.endsWith('.ts') || p.endsWith('.css')),
    statSync('tsconfig.json').mtimeMs,
  );
  if (src > built) {
    console.error('mxray: building (tsc)…');
    // a clean build: a test file moved or removed in src must not keep running from an old dist
    rmSync('dist', { recursive: true, force: true });
    const st = sh(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
    if (st !== 0) process.exit(st);
    await bundleWeb();
    // the built-in monitoring presets, parsed once: `mxray check` then starts without the yaml package
    await (await import(pathToFileURL(join(root, 'dist', 'capabilities', 'monitor', 'presets.js')).href)).compileBuiltinPresets();
    writeFileSync('dist/.built', '');
  }
}

/** Biome and dependency-cruiser; the exit status of the first that fails */
function check() {
  const biome = ['node_modules/@biomejs/biome/bin/biome', FORMAT_CHECK ? 'check' : 'lint', '--error-on-warnings', '--no-errors-on-unmatched', '.'];
  console.error(`mxray: biome ${biome[1]}…`);
  let st = sh(process.execPath, biome);
  if (st !== 0) return st;
  console.error('mxray: dependency-cruiser (layer rules, no cycles)…');
  st = sh(process.execPath, [
    'node_modules/dependency-cruiser/bin/dependency-cruise.mjs',
    'src',
    '--config',
    '.dependency-cruiser.cjs',
    '--ignore-known',
    '.dependency-cruiser-known-violations.json',
    '--output-type',
    'err',
  ]);
  return st;
}

/** the slowest top-level tests and suites, and test files, of the run, from scripts/test-times.mjs's
 *  report */
function slowest(timesFile, n = 5) {
  if (!existsSync(timesFile)) return { tests: [], files: [] };
  const times = JSON.parse(readFileSync(timesFile, 'utf8'));
  const top = (o) =>
    Object.entries(o ?? {})
      .sort((a, b) => b[1] - a[1])
      .slice(0, n);
  return { tests: top(times.tests), files: top(times.files).map(([f, ms]) => [relative(join(root, 'dist'), f), ms]) };
}

// How long each test file took last time (git-ignored): the next run starts the slowest files
// first, so that no long file starts last while the other worker idles (files never run before
// go first of all).
const historyFile = '.test-times.json';

function history() {
  try {
    return JSON.parse(readFileSync(historyFile, 'utf8'));
  } catch {
    return {};
  }
}

function slowestFirst(tests) {
  const h = history();
  const ms = (t) => h[relative(join(root, 'dist'), t)] ?? Number.POSITIVE_INFINITY;
  return [...tests].sort((a, b) => ms(b) - ms(a) || (a < b ? -1 : 1));
}

/** keep this run's file times (those of the files that ran) for the next run's order */
function remember(timesFile) {
  if (!existsSync(timesFile)) return;
  const { files: times = {} } = JSON.parse(readFileSync(timesFile, 'utf8'));
  const h = history();
  for (const [f, ms] of Object.entries(times)) h[relative(join(root, 'dist'), f)] = Math.round(ms);
  writeFileSync(historyFile, `${JSON.stringify(h, null, 1)}\n`);
}

/** as root on Debian: install the packages the tests' real servers need (scripts/test-packages.txt),
 *  so a fresh machine runs every test; it does nothing when they are there. Elsewhere the tests that
 *  need a missing server say why they skip (under CI=true they fail). */
function installTestPackages() {
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !existsSync('/usr/bin/dpkg-query')) return;
  const pkgs = readFileSync(join(root, 'scripts/test-packages.txt'), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .flatMap((l) => l.split(/\s+/))
    .filter(Boolean);
  if (sh('bash', [join(root, 'scripts/install-debian-packages.sh'), ...pkgs]) !== 0)
    console.error('mxray: could not install the test servers from Debian; the tests that need them will say so');
}

async function test(filters) {
  installTestPackages();
  if (!filters.length) {
    const st = check();
    if (st !== 0) return st;
  }
  await build();
  let tests = files('dist', (p) => p.endsWith('.test.js'));
  if (filters.length) tests = tests.filter((t) => filters.some((f) => t.includes(f)));
  if (!tests.length) {
    console.error('no test files matched');
    return 1;
  }
  tests = slowestFirst(tests);
  // the servers the tests share, started once for the run (src/testing/run-servers.ts)
  const { startRunServers } = await import(pathToFileURL(join(root, 'dist/testing/run-servers.js')).href);
  const t0 = performance.now();
  let servers = { env: {}, started: [], stop: async () => {} };
  try {
    servers = await startRunServers(tests);
    if (servers.started.length) console.error(`mxray: started ${servers.started.join(' and ')} in ${Math.round(performance.now() - t0)} ms`);
  } catch (err) {
    // the tests that need them say why too (or skip, with MXRAY_SKIP_CLICKHOUSE=1); the others still run
    console.error(`mxray: could not start the shared test servers: ${err instanceof Error ? err.message : err}`);
  }
  let child;
  let sets;
  let stopped;
  const stopServers = () => (stopped ??= servers.stop());
  const onSignal = (sig) => {
    child?.kill(sig);
    if (sets) rmSync(sets, { recursive: true, force: true });
    stopServers().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const conc = process.env.MXRAY_TEST_CONCURRENCY ?? '2';
    const times = join('dist', 'test-times.json');
    rmSync(times, { force: true });
    const args = [
      '--test',
      `--test-concurrency=${conc}`,
      `--test-timeout=${TEST_TIMEOUT_MS}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${pathToFileURL(join(root, 'scripts/test-times.mjs')).href}`,
      `--test-reporter-destination=${times}`,
      ...tests.map((t) => relative(root, t)),
    ];
    // generated log sets that several test files share (src/testing/shared-sets.ts), for this run
    sets = mkdtempSync(join(tmpdir(), 'mxray-test-sets-'));
    child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, ...servers.env, MXRAY_TEST_SETS: sets } });
    const code = await new Promise((resolve) => {
      child.once('error', (e) => {
        console.error(e);
        resolve(1);
      });
      child.once('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
    });
    remember(times);
    const slow = slowest(times);
    const list = (l) => l.map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`).join('; ');
    if (slow.tests.length > 1) console.error(`slowest: ${list(slow.tests)}`);
    if (slow.files.length > 1) console.error(`slowest files: ${list(slow.files)}`);
    return code;
  } finally {
    if (sets) rmSync(sets, { recursive: true, force: true });
    await stopServers();
  }
}

/** the fuzz tests with many runs from a seed that is printed first, so that a failure can be replayed */
async function fuzz(filters) {
  await build();
  let tests = files('dist', (p) => /(^|[\\/.])fuzz\.test\.js$/.test(p));
  if (filters.length) tests = tests.filter((t) => filters.some((f) => t.includes(f)));
  if (!tests.length) {
    console.error('no fuzz test files matched');
    return 1;
  }
  const runs = process.env.MXRAY_FUZZ_RUNS ?? '2000';
  const seed = process.env.MXRAY_FUZZ_SEED ?? String((Math.random() * 2 ** 31) | 0);
  console.error(`mxray: fuzzing with MXRAY_FUZZ_RUNS=${runs} MXRAY_FUZZ_SEED=${seed} (set both to replay)`);
  const args = ['--test', '--test-concurrency=1', `--test-timeout=${4 * 3600_000}`, ...tests.map((t) => relative(root, t))];
  const st = sh(process.execPath, args, { env: { ...process.env, MXRAY_FUZZ_RUNS: runs, MXRAY_FUZZ_SEED: seed } });
  console.error(`mxray: fuzzing ${st === 0 ? 'found nothing' : 'failed'} (MXRAY_FUZZ_RUNS=${runs} MXRAY_FUZZ_SEED=${seed})`);
  return st;
}

const [job = 'test', ...rest] = process.argv.slice(2);
install();
if (job === 'check') process.exit(check());
if (job === 'test') process.exit(await test(rest));
if (job === 'fuzz') process.exit(await fuzz(rest));
await build();
if (job === 'build') process.exit(0);
if (job === 'demo') process.exit(sh(process.execPath, ['dist/cli/demo.js', ...rest]));
if (job === 'bench') process.exit(sh(process.execPath, ['--expose-gc', 'dist/bench/main.js', ...rest]));
console.error(`unknown job ${job}: test | check | fuzz | demo | bench | build`);
process.exit(2);
