// Paths -> files: files as given, folders walked recursively (sorted, so runs are repeatable).
// A path that cannot be read is reported, never fatal for the others. Each folder is read once:
// links that lead back to a folder already read (a link to itself, two links to a parent) would
// otherwise make the walk exponential. A folder is known by device + inode, read as bigint (a
// number loses the low bits of 64-bit inodes, as on some SMB mounts); where the file system
// reports inode 0 (some Windows and SMB shares) by its real path instead.
// Inside a folder, what is neither a file nor a folder (a named pipe, a socket, a device) is noted
// and never opened: opening a FIFO for reading waits until something writes to it. Named on the
// command line, it is an error (what was asked for was not read).
// Names are read as bytes: a name that is not UTF-8 (written by another system) is opened by its
// bytes and shown with \xNN for the bytes that are not (shownName()).
import { isUtf8 } from 'node:buffer';
import type { Stats, BigIntStats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

export interface FoundFile {
  /** the path as shown and stored: the real path, or with \xNN for bytes of a name that are not UTF-8 */
  path: string;
  /** what to open: `path`, or the path's bytes when a name in it is not UTF-8 */
  fsPath: string | Buffer;
  size: number;
  mtimeMs: number;
  /** identity when listed: reading checks that the same file is still there */
  dev: bigint;
  ino: bigint;
}
export interface PathError {
  path: string;
  message: string;
}

export interface Expanded {
  files: FoundFile[];
  errors: PathError[];
  /** observations about the walk, e.g. a link back to a folder already read */
  notes: PathError[];
  /** how many folders were read (each once) */
  foldersRead: number;
}

async function folderId(p: string | Buffer, dev: bigint, ino: bigint): Promise<string> {
  if (ino !== 0n) return `${dev}:${ino}`;
  try {
    return `path:${(await realpath(p, { encoding: 'buffer' })).toString('latin1')}`;
  } catch {
    return `path:${typeof p === 'string' ? resolve(p) : p.toString('latin1')}`;
  }
}

/** a name's bytes as text: UTF-8 as it is, other bytes as \xNN */
export function shownName(name: Buffer): string {
  if (isUtf8(name)) return name.toString('utf8');
  let out = '';
  let i = 0;
  while (i < name.length) {
    // the longest valid UTF-8 sequence starting here (1-4 bytes), else one escaped byte
    let n = 0;
    for (let k = 4; k >= 1; k--) {
      if (i + k <= name.length && isUtf8(name.subarray(i, i + k))) {
        n = k;
        break;
      }
    }
    if (n > 0) {
      out += name.toString('utf8', i, i + n);
      i += n;
    } else {
      out += `\\x${name[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

/** what a thing that is neither a file nor a folder is, in words */
function kindOf(st: Stats | BigIntStats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file or folder';
}

/** a path to visit: as shown, and as opened */
interface Place {
  shown: string;
  fs: string | Buffer;
}

function child(parent: Place, name: Buffer): Place {
  const shown = join(parent.shown, shownName(name));
  if (typeof parent.fs === 'string' && isUtf8(name)) return { shown, fs: join(parent.fs, name.toString('utf8')) };
  const base = typeof parent.fs === 'string' ? Buffer.from(parent.fs, 'utf8') : parent.fs;
  const slash = base.length && base[base.length - 1] === sep.charCodeAt(0) ? Buffer.alloc(0) : Buffer.from(sep);
  return { shown, fs: Buffer.concat([base, slash, name]) };
}

export async function expandPaths(paths: readonly string[]): Promise<Expanded> {
  const files: FoundFile[] = [];
  const errors: PathError[] = [];
  const notes: PathError[] = [];
  const seen = new Set<string>();
  /** folder id -> the path it was first read under */
  const folders = new Map<string, string>();
  const visit = async (p: Place, depth: number): Promise<void> => {
    let st;
    try {
      st = await stat(p.fs, { bigint: true });
    } catch (e) {
      errors.push({ path: p.shown, message: describeFsError(e) });
      return;
    }
    if (st.isDirectory()) {
      const id = await folderId(p.fs, st.dev, st.ino);
      const first = folders.get(id);
      if (first !== undefined) {
        notes.push({ path: p.shown, message: `the same folder as ${first} (a link back to it): not read again` });
        return;
      }
      folders.set(id, p.shown);
      if (depth > 32) {
        errors.push({ path: p.shown, message: 'folders nested too deep (32 levels)' });
        return;
      }
      let names: Buffer[];
      try {
        names = (await readdir(p.fs, { encoding: 'buffer' })).sort(Buffer.compare);
      } catch (e) {
        errors.push({ path: p.shown, message: describeFsError(e) });
        return;
      }
      for (const n of names) {
        if (n[0] === 0x2e) continue; // a name starting with '.'
        await visit(child(p, n), depth + 1);
      }
    } else if (st.isFile()) {
      const abs = typeof p.fs === 'string' ? resolve(p.fs) : `${st.dev}:${st.ino}`;
      if (seen.has(abs)) return;
      seen.add(abs);
      files.push({ path: p.shown, fsPath: p.fs, size: Number(st.size), mtimeMs: Number(st.mtimeMs), dev: st.dev, ino: st.ino });
    } else if (depth > 0) {
      notes.push({ path: p.shown, message: `${kindOf(st)}: skipped, not read` });
    } else {
      errors.push({ path: p.shown, message: `${kindOf(st)}, not a file or folder: not read` });
    }
  };
  for (const p of paths) {
    const before = files.length + errors.length;
    await visit({ shown: p, fs: p }, 0);
    // a folder named on the command line that holds no file at all (an export that wrote nothing,
    // a wrong folder) is said, not passed over in silence
    if (files.length + errors.length === before && folders.has(await folderKey(p)))
      errors.push({ path: p, message: 'an empty folder: no files to read in it' });
  }
  return { files, errors, notes, foldersRead: folders.size };
}

/** the id visit() gave folder p, if it is one */
async function folderKey(p: string): Promise<string> {
  try {
    const st = await stat(p, { bigint: true });
    return st.isDirectory() ? await folderId(p, st.dev, st.ino) : '';
  } catch {
    return '';
  }
}

export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder';
    default:
      return err.message ?? String(e);
  }
}
