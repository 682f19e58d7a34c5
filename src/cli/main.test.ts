// The command line loads a command's modules only when that command runs: `mxray check URL` must not
// pay for DuckDB's native addon, the log formats or the config schemas (zod). Checked in a child
// process whose module loader records every module it resolves (a loader hook), so the test sees
// what was really imported; --help still lists every command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoPath } from '../testing/paths.js';

/** run bin/mxray.js with `args`; the URLs of the modules it resolved, and its exit code and stdout */
function traced(args: string[]): { modules: string[]; code: number | null; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-main-test-'));
  try {
    const log = join(dir, 'modules.txt');
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, repoPath('bin', 'mxray.js'), ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    let modules: string[] = [];
    try {
      modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    } catch {}
    return { modules, code: r.status, stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('mxray check loads the monitor, not the store, the formats, the config schemas or the YAML parser', () => {
  // port 1 on loopback: refused, so the check is quick and CRITICAL (2)
  const r = traced(['check', '--timeout', '5', 'tcp://127.0.0.1:1']);
  assert.equal(r.code, 2, r.stdout);
  assert.ok(
    r.modules.some((m) => m.endsWith('/dist/capabilities/monitor/engine.js')),
    'the trace saw the engine load (else it sees nothing)',
  );
  // yaml too: the built-in presets come parsed from the build (presets.compiled.json)
  for (const heavy of [
    '@duckdb',
    '/dist/store/',
    '/dist/formats/',
    '/node_modules/zod/',
    '/node_modules/yaml/',
    '/dist/cli/ingest.js',
    '/dist/cli/reports.js',
  ]) {
    const hit = r.modules.find((m) => m.includes(heavy));
    assert.equal(hit, undefined, `mxray check loaded ${hit}`);
  }
});

test('--help still lists every command, and a report group still runs', () => {
  const r = traced(['--help']);
  assert.equal(r.code, 0);
  for (const word of ['ingest', 'tracking', 'eas', 'calendar', 'presence', 'monitor', 'serve', 'generate', 'formats', 'config', 'check'])
    assert.match(r.stdout, new RegExp(`^  ${word}\\b`, 'm'), word);
  const monitor = traced(['monitor', '--help']);
  assert.equal(monitor.code, 0);
  assert.match(monitor.stdout, /history/);
  assert.equal(
    monitor.modules.find((m) => m.includes('/dist/cli/check.js')),
    undefined,
    'a report group does not load mxray check',
  );
});
