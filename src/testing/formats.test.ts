// assertGolden: a missing golden file fails (and is not written) unless UPDATE_GOLDEN=1, in CI and out
// of it; a golden that differs fails and stays as it was.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertGolden } from './formats.js';

describe('assertGolden', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-golden-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const actual = { rows: [{ user: 'a', sent: 2 }], rejects: [] };

  /** run fn with CI and UPDATE_GOLDEN set as given (undefined: unset), restoring them after */
  function withEnv(env: { CI?: string; UPDATE_GOLDEN?: string }, fn: () => void): void {
    const saved = { CI: process.env.CI, UPDATE_GOLDEN: process.env.UPDATE_GOLDEN };
    const set = (k: 'CI' | 'UPDATE_GOLDEN', v: string | undefined) => {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    };
    set('CI', env.CI);
    set('UPDATE_GOLDEN', env.UPDATE_GOLDEN);
    try {
      fn();
    } finally {
      set('CI', saved.CI);
      set('UPDATE_GOLDEN', saved.UPDATE_GOLDEN);
    }
  }

  for (const CI of [undefined, 'true']) {
    it(`fails on a missing golden file and does not write it (CI ${CI ?? 'unset'})`, () => {
      const path = join(dir, `missing-${CI ?? 'local'}.expected.json`);
      withEnv({ CI }, () => {
        assert.throws(
          () => assertGolden(path, actual),
          (e: Error) => e.message.includes('golden file missing') && e.message.includes(path),
        );
      });
      assert.equal(existsSync(path), false, 'a plain run must not create the golden file');
    });
  }

  it('writes a missing golden file with UPDATE_GOLDEN=1, and then compares with it', () => {
    const path = join(dir, 'new.expected.json');
    withEnv({ UPDATE_GOLDEN: '1' }, () => assertGolden(path, actual));
    assert.equal(readFileSync(path, 'utf8'), '{\n  "rows": [\n    {\n      "user": "a",\n      "sent": 2\n    }\n  ],\n  "rejects": []\n}\n');
    withEnv({}, () => {
      assertGolden(path, { rows: [{ user: 'a', sent: 2 }], rejects: [] });
      assert.throws(() => assertGolden(path, { rows: [{ user: 'a', sent: 3 }], rejects: [] }), /differs from/);
    });
  });

  it('fails on a golden file that differs and leaves it as it was', () => {
    const path = join(dir, 'old.expected.json');
    const before = '{ "rows": [], "rejects": [] }\n';
    writeFileSync(path, before);
    withEnv({}, () => assert.throws(() => assertGolden(path, actual), /differs from/));
    assert.equal(readFileSync(path, 'utf8'), before);
  });
});
