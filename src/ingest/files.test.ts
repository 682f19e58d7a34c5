// The walk over the paths an admin names: each folder read once whatever links lead back to it,
// counted by the folders read (not by timing), and everything else still found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandPaths } from './files.js';

function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-walk-'));
  mkdirSync(join(dir, 'logs', 'ex01'), { recursive: true });
  writeFileSync(join(dir, 'logs', 'a.log'), 'a\n');
  writeFileSync(join(dir, 'logs', 'ex01', 'b.log'), 'b\n');
  return dir;
}

test('a folder holding two links to itself is read once, and the loop is a note', async () => {
  const dir = tree();
  try {
    const logs = join(dir, 'logs');
    // with two self links a naive walk reads 2^depth folders: 2^33 before the depth limit
    symlinkSync(logs, join(logs, 'self1'));
    symlinkSync(logs, join(logs, 'self2'));
    const r = await expandPaths([logs]);
    assert.equal(r.foldersRead, 2); // logs and logs/ex01
    assert.deepEqual(
      r.files.map((f) => f.path),
      [join(logs, 'a.log'), join(logs, 'ex01', 'b.log')],
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.notes.map((n) => n.path),
      [join(logs, 'self1'), join(logs, 'self2')],
    );
    assert.match(r.notes[0]!.message, /the same folder as .*logs \(a link back to it\): not read again/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a link from a subfolder to its parent, and the same folder named twice, are each read once', async () => {
  const dir = tree();
  try {
    const logs = join(dir, 'logs');
    symlinkSync(logs, join(logs, 'ex01', 'up'));
    const r = await expandPaths([logs, join(logs, 'ex01'), logs]);
    assert.equal(r.foldersRead, 2);
    assert.equal(r.files.length, 2);
    assert.equal(r.notes.length, 3); // ex01/up, ex01 named again, logs named again
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a link to a folder outside the named ones is followed once, a dangling link is an error', async () => {
  const dir = tree();
  try {
    mkdirSync(join(dir, 'elsewhere'));
    writeFileSync(join(dir, 'elsewhere', 'c.log'), 'c\n');
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'logs', 'more'));
    symlinkSync(join(dir, 'missing'), join(dir, 'logs', 'zz-dangling'));
    const r = await expandPaths([join(dir, 'logs')]);
    assert.equal(r.foldersRead, 3);
    assert.deepEqual(
      r.files.map((f) => f.path.slice(dir.length + 1)),
      ['logs/a.log', 'logs/ex01/b.log', 'logs/more/c.log'].map((p) => join(...p.split('/'))),
    );
    assert.deepEqual(r.errors, [{ path: join(dir, 'logs', 'zz-dangling'), message: 'no such file or folder' }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
