// `sha256`: the field names a file (an IIS URL path like /scripts/tool.exe, a Windows path, a POSIX
// path); its SHA-256 is compared with a known value, which catches a renamed executable. The value
// comes from log data, which an attacker writes, so the file is read only when, after normalisation
// (node:path, `..`, symlinks resolved with realpath), it stays under the rule's root, is a regular file
// (not a FIFO, a device, a directory) and is below the size cap; and the whole look-up ends at its
// deadline. Never throws.
import { createHash } from 'node:crypto';
import { constants, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import type { FileHasher, HashFailure, HashOptions, HashOutcome } from '../ports.js';

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 5000;
const CHUNK = 1024 * 1024;

const fail = (why: HashFailure, detail: string): HashOutcome => ({ ok: false, why, detail });

/** a Windows drive path (C:\x, C:/x) or a UNC path (\\server\share) */
const windowsAbsolute = /^([A-Za-z]:[\\/]|\\\\|\/\/)/;

/**
 * Where a field value points, as an absolute path of this machine under `root` (lexically; symlinks
 * are resolved later), or a failure. Shapes:
 * - relative (`scripts\tool.exe`, `scripts/tool.exe`): under the root;
 * - rooted but not under the root (`/scripts/tool.exe`, an IIS URL path): relative to the root;
 * - absolute and under the root (`C:\inetpub\wwwroot\x.exe` with root C:\inetpub\wwwroot): as is.
 * Backslashes are separators in every shape (log data comes from Windows); on a POSIX machine a drive
 * or UNC path names another machine's disk, so it is outside the root.
 */
export function placeUnderRoot(value: string, root: string, p: path.PlatformPath = path): { path: string } | { why: HashFailure; detail: string } {
  const windows = p.sep === '\\';
  const v = windows ? value : value.replaceAll('\\', '/');
  if (!windows && windowsAbsolute.test(value))
    return { why: 'outside-root', detail: `${value} is a Windows path: it cannot be read under ${root} on this machine` };
  const inside = (x: string) => {
    const rel = p.relative(root, x);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${p.sep}`) && !p.isAbsolute(rel));
  };
  let target: string;
  if (p.isAbsolute(v) && inside(p.resolve(v))) target = p.resolve(v);
  else if (windows && windowsAbsolute.test(v)) return { why: 'outside-root', detail: `${value} is not under ${root}` };
  else target = p.resolve(root, v.replace(/^[\\/]+/, ''));
  if (!inside(target)) return { why: 'outside-root', detail: `${value} leads out of ${root} (to ${target})` };
  return { path: target };
}

function isInside(root: string, x: string): boolean {
  const rel = path.relative(root, x);
  // `..name` is a file in the root; `..` and `../x` are not under it
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

function fsFailure(e: unknown, what: string): HashOutcome {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return fail('missing', `${what} does not exist`);
  return fail('error', `${what}: ${err.code ?? err.message}`);
}

async function hashUnder(value: string, o: HashOptions, maxBytes: number, stopped: () => boolean): Promise<HashOutcome> {
  if (!path.isAbsolute(o.root)) return fail('error', `the root ${o.root} is not an absolute path`);
  if (value.includes('\0')) return fail('error', 'the path holds a NUL character');
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === '-') return fail('missing', 'the field is empty');
  let root: string;
  try {
    root = await fs.realpath(o.root);
  } catch (e) {
    return fsFailure(e, `the root ${o.root}`);
  }
  const placed = placeUnderRoot(trimmed, path.resolve(o.root));
  if ('why' in placed) return fail(placed.why, placed.detail);
  // the root as written and as resolved may differ (a symlinked root): re-base before resolving links
  const lexical = path.join(root, path.relative(path.resolve(o.root), placed.path));
  let real: string;
  try {
    real = await fs.realpath(lexical);
  } catch (e) {
    return fsFailure(e, lexical);
  }
  if (!isInside(root, real)) return fail('outside-root', `${value} resolves to ${real}, outside ${root}`);
  let st: Stats;
  try {
    st = await fs.stat(real);
  } catch (e) {
    return fsFailure(e, real);
  }
  if (!st.isFile()) return fail('not-regular', `${real} is ${kindOf(st)}`);
  if (st.size > maxBytes) return fail('too-large', `${real} has ${st.size} bytes, over the cap of ${maxBytes}`);
  if (stopped()) return fail('timeout', 'stopped');
  // O_NONBLOCK: were it swapped for a FIFO since the stat, open() must not wait for a writer;
  // O_NOFOLLOW: nor for a symlink. The opened file is checked again (fstat) before a byte is read.
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(real, flags);
  } catch (e) {
    return fsFailure(e, real);
  }
  try {
    const opened = await fh.stat();
    if (!opened.isFile() || opened.ino !== st.ino || opened.dev !== st.dev) return fail('not-regular', `${real} changed while it was opened`);
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    let total = 0;
    for (;;) {
      if (stopped()) return fail('timeout', 'stopped');
      const { bytesRead } = await fh.read(buf, 0, CHUNK, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) return fail('too-large', `${real} grew over the cap of ${maxBytes} bytes while it was read`);
      hash.update(buf.subarray(0, bytesRead));
    }
    return { ok: true, sha256: hash.digest('hex'), path: real };
  } catch (e) {
    return fsFailure(e, real);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** the SHA-256 of the file a field names, under options.root; never throws, never waits past the timeout */
export const hashFile: FileHasher = (fieldValue, options) => {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<HashOutcome>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve(fail('timeout', `no answer from the file system within ${timeoutMs} ms for ${fieldValue}`));
    }, timeoutMs);
  });
  const work = hashUnder(String(fieldValue), options, maxBytes, () => timedOut).catch((e: unknown) => fail('error', (e as Error)?.message ?? String(e)));
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
};
