// `sha256` against real files and every hostile shape a log line can carry: `..` out of the root, an
// absolute path elsewhere, a symlink out of the root, a FIFO with no writer, /dev/zero, a directory, a
// file over the cap, a NUL byte. The digests are sha256sum's (an independent tool), not our own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashFile, placeUnderRoot } from './sha256.js';

function sha256sum(file: string): string {
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!;
}

function tree(t: { after(fn: () => void): void }) {
  const base = mkdtempSync(path.join(tmpdir(), 'mxray-sha256-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = path.join(base, 'wwwroot');
  mkdirSync(path.join(root, 'scripts'), { recursive: true });
  writeFileSync(path.join(root, 'scripts', 'tool.exe'), 'MZ\x90\x00 pretend executable\n');
  writeFileSync(path.join(root, 'scripts', 'other name.exe'), 'another executable\n');
  writeFileSync(path.join(base, 'secret.txt'), 'outside the root\n');
  return { base, root };
}

test('a file under the root, named the ways logs name it, hashes as sha256sum says', async (t) => {
  const { root } = tree(t);
  const file = path.join(root, 'scripts', 'tool.exe');
  const want = sha256sum(file);
  for (const v of ['/scripts/tool.exe', 'scripts/tool.exe', 'scripts\\tool.exe', '\\scripts\\tool.exe', file, ' /scripts/./x/../tool.exe ']) {
    const o = await hashFile(v, { root });
    assert.deepEqual(o, { ok: true, sha256: want, path: file }, v);
  }
  // a name that starts with two dots is still a file in the root
  writeFileSync(path.join(root, '..hidden.exe'), 'dots\n');
  const dots = await hashFile('/..hidden.exe', { root });
  assert.equal(dots.ok && dots.sha256, sha256sum(path.join(root, '..hidden.exe')));
  // a sibling folder whose name begins like the root's is not under it
  mkdirSync(`${root}2`);
  writeFileSync(path.join(`${root}2`, 'x.exe'), 'x\n');
  const sibling = await hashFile(path.join(`${root}2`, 'x.exe'), { root });
  assert.equal(!sibling.ok && sibling.why, 'missing', 'taken as a URL path under the root, where it is not');
  const up = await hashFile('../wwwroot2/x.exe', { root });
  assert.equal(!up.ok && up.why, 'outside-root');
  const spaced = await hashFile('/scripts/other name.exe', { root });
  assert.equal(spaced.ok && spaced.sha256, sha256sum(path.join(root, 'scripts', 'other name.exe')));
  // a symlink that stays inside the root is followed
  symlinkSync(path.join(root, 'scripts', 'tool.exe'), path.join(root, 'renamed.exe'));
  const linked = await hashFile('/renamed.exe', { root });
  assert.deepEqual(linked, { ok: true, sha256: want, path: file });
  // a root given through a symlink works the same
  const rootLink = path.join(path.dirname(root), 'rootlink');
  symlinkSync(root, rootLink);
  assert.deepEqual(await hashFile('/scripts/tool.exe', { root: rootLink }), { ok: true, sha256: want, path: file });
});

test('hostile paths: out of the root, symlinks out, FIFOs, devices, directories, oversize, NUL — refused, none hangs', async (t) => {
  const { base, root } = tree(t);
  symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'scripts', 'escape.exe'));
  symlinkSync('/dev/zero', path.join(root, 'zero.exe'));
  symlinkSync(base, path.join(root, 'up'));
  execFileSync('mkfifo', [path.join(root, 'scripts', 'pipe.exe')]);
  const why = async (v: string, o: Partial<Parameters<typeof hashFile>[1]> = {}) => {
    const started = Date.now();
    const r = await hashFile(v, { root, timeoutMs: 2000, ...o });
    const took = Date.now() - started;
    assert.ok(took < 1500, `${v} answered in ${took} ms`);
    return r.ok ? 'ok' : `${r.why}: ${r.detail}`;
  };
  assert.match(await why('../secret.txt'), /^outside-root: \.\.\/secret\.txt leads out of/);
  assert.match(await why('/scripts/../../secret.txt'), /^outside-root/);
  assert.match(await why('scripts\\..\\..\\secret.txt'), /^outside-root/);
  // an absolute path elsewhere is taken as a URL path relative to the root: not there
  assert.match(await why(path.join(base, 'secret.txt')), /^missing: .*wwwroot\/tmp\/.*secret\.txt does not exist$/);
  assert.match(await why('/scripts/escape.exe'), /^outside-root: .* resolves to .*secret\.txt, outside/);
  assert.match(await why('/up/secret.txt'), /^outside-root/);
  assert.match(await why('/zero.exe'), /^outside-root: .* resolves to \/dev\/zero/);
  assert.match(await why('/scripts/pipe.exe'), /^not-regular: .* is a FIFO$/);
  assert.match(await why('/scripts'), /^not-regular: .* is a directory$/);
  assert.match(await why('/'), /^not-regular: .* is a directory$/);
  assert.match(await why('zero', { root: '/dev' }), /^not-regular: \/dev\/zero is a character device$/);
  assert.match(await why('/scripts/nothing.exe'), /^missing: .*nothing\.exe does not exist$/);
  assert.match(await why('/scripts/tool.exe/x'), /^missing/);
  assert.match(await why(''), /^missing: the field is empty$/);
  assert.match(await why('-'), /^missing: the field is empty$/);
  assert.match(await why('/scripts/tool.exe\0.txt'), /^error: the path holds a NUL character$/);
  assert.match(
    await why('/scripts/tool.exe', { maxBytes: 10 }),
    new RegExp(`^too-large: .* has ${statSync(path.join(root, 'scripts', 'tool.exe')).size} bytes, over the cap of 10$`),
  );
  assert.match(await why('/scripts/tool.exe', { root: 'relative/root' }), /^error: the root relative\/root is not an absolute path$/);
  assert.match(await why('/scripts/tool.exe', { root: path.join(base, 'absent') }), /^missing: the root .* does not exist$/);
  assert.match(await why('C:\\inetpub\\wwwroot\\scripts\\tool.exe'), /^outside-root: .* is a Windows path/);
  assert.match(await why('\\\\fileserver\\share\\tool.exe'), /^outside-root: .* is a Windows path/);
  // a symlink loop
  symlinkSync(path.join(root, 'loop-b'), path.join(root, 'loop-a'));
  symlinkSync(path.join(root, 'loop-a'), path.join(root, 'loop-b'));
  assert.match(await why('/loop-a'), /^error: .*ELOOP/);
});

test('a read longer than the deadline gives timeout, and the deadline is kept', async (t) => {
  const { root } = tree(t);
  const big = path.join(root, 'big.bin');
  writeFileSync(big, '');
  truncateSync(big, 256 * 1024 * 1024);
  const started = Date.now();
  const o = await hashFile('/big.bin', { root, timeoutMs: 20, maxBytes: 512 * 1024 * 1024 });
  const took = Date.now() - started;
  assert.equal(o.ok, false);
  assert.equal(!o.ok && o.why, 'timeout');
  assert.ok(took < 500, `answered in ${took} ms`);
});

test('Windows shapes placed under a Windows root (path.win32)', () => {
  const root = 'C:\\inetpub\\wwwroot';
  const at = (v: string) => {
    const r = placeUnderRoot(v, root, path.win32);
    return 'path' in r ? r.path : r.why;
  };
  assert.equal(at('/scripts/tool.exe'), 'C:\\inetpub\\wwwroot\\scripts\\tool.exe');
  assert.equal(at('\\scripts\\tool.exe'), 'C:\\inetpub\\wwwroot\\scripts\\tool.exe');
  assert.equal(at('c:\\INETPUB\\wwwroot\\scripts\\tool.exe'), 'c:\\INETPUB\\wwwroot\\scripts\\tool.exe');
  assert.equal(at('scripts/../tool.exe'), 'C:\\inetpub\\wwwroot\\tool.exe');
  assert.equal(at('C:\\Windows\\System32\\cmd.exe'), 'outside-root');
  assert.equal(at('D:\\inetpub\\wwwroot\\x.exe'), 'outside-root');
  assert.equal(at('\\\\server\\share\\x.exe'), 'outside-root');
  assert.equal(at('..\\..\\Windows\\win.ini'), 'outside-root');
  assert.equal(at('/scripts/../../x'), 'outside-root');
  assert.deepEqual(placeUnderRoot('\\\\fs1\\apps\\bin\\x.exe', '\\\\fs1\\apps', path.win32), { path: '\\\\fs1\\apps\\bin\\x.exe' });
});
