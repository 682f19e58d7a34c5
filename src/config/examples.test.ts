// Every example config mxray ships is valid: examples/*.yaml, `mxray config example` (the same text
// as examples/mxray.yaml) and the README's yaml blocks. Secrets are references to files and
// variables that exist on an admin's machine, not here: they are served by stand-ins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from './load.js';
import { sections } from './sections.js';
import { exampleConfig } from './example.js';
import { formatIssue } from './errors.js';
import { repoPath, updateGolden } from '../testing/paths.js';

const anyVariable = new Proxy({}, { get: () => 'stand-in' }) as Record<string, string>;

function check(text: string, shown: string) {
  const config = parseConfig(text, { path: repoPath(shown), shown, via: '--config' }, sections, { env: anyVariable, readFile: () => 'stand-in' });
  return { config, issues: config.check().map(formatIssue) };
}

test('examples/mxray.yaml is `mxray config example`, and every example file is valid with every section', () => {
  const path = repoPath('examples', 'mxray.yaml');
  if (updateGolden) writeFileSync(path, exampleConfig());
  assert.equal(readFileSync(path, 'utf8'), exampleConfig(), 'examples/mxray.yaml differs from `mxray config example` (UPDATE_GOLDEN=1 rewrites it)');
  const files = readdirSync(repoPath('examples')).filter((f) => /\.ya?ml$/.test(f));
  assert.ok(files.includes('mxray.yaml'));
  for (const f of files) {
    const { config, issues } = check(readFileSync(repoPath('examples', f), 'utf8'), join('examples', f));
    assert.deepEqual(issues, [], f);
    if (f === 'mxray.yaml') assert.deepEqual(config.present, Object.keys(sections), 'the example shows every section');
  }
});

test("the README's yaml blocks are valid, and its `config check` output is what mxray says", () => {
  const readme = readFileSync(repoPath('README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  assert.ok(blocks.length >= 1, 'the README shows a config');
  for (const b of blocks) assert.deepEqual(check(b, 'mxray.yaml').issues, [], b);
  // the README's example of an error: the first block with the directory's LDAP URL, made a web one
  const shown = /^\$ mxray config check\n(mxray\.yaml:\d+: .*)$/m.exec(readme)?.[1];
  assert.ok(shown, 'the README shows an error of config check');
  const withUrl = blocks.find((b) => b.includes('url: ldaps://dc1.corp.example'));
  assert.ok(withUrl, 'the README shows a directory: section with url: ldaps://dc1.corp.example');
  const broken = withUrl.replace(/url: ldaps:\/\/dc1\.corp\.example/, 'url: http://dc1.corp.example');
  assert.deepEqual(check(broken, 'mxray.yaml').issues, [shown]);
});
