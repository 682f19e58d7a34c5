// Paths for tests and tools: the repository root (where package.json of mxray is), found by walking
// up from this module, so tests work from dist/ and from any other build folder inside the repo.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 12; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'mxray') return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return process.cwd();
}

export const repoRoot = findRoot();

/** a path inside the repository, e.g. repoPath('fixtures', 'corpus', 'x.log') */
export function repoPath(...parts: string[]): string {
  return resolve(repoRoot, ...parts);
}

/** golden files are rewritten instead of compared when UPDATE_GOLDEN=1 */
export const updateGolden = process.env.UPDATE_GOLDEN === '1';
