#!/usr/bin/env node
// Entry point of the mxray command: runs the compiled CLI (npm run build makes dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('mxray: not built yet. Run `npm run build` (or `npm test` / `npm run demo`, which build first).');
  process.exit(2);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv);
