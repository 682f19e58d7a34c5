// Paths -> files: files as given, folders walked recursively (sorted, so runs are repeatable).
// A path that cannot be read is reported, never fatal for the others. Each folder is read once:
// links that lead back to a folder already read (a link to itself, two links to a parent) would
// otherwise make the walk exponential. A folder is known by device + inode, read as bigint (a
// number loses the low bits of 64-bit inodes, as on some SMB mounts); where the file system
// reports inode 0 (some Windows and SMB shares) by its real path instead.
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface FoundFile {
  path: string;
  size: number;
  mtimeMs: number;
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

async function folderId(p: string, dev: bigint, ino: bigint): Promise<string> {
  if (ino !== 0n) return `${dev}:${ino}`;
  try {
    return `path:${await realpath(p)}`;
  } catch {
    return `path:${resolve(p)}`;
  }
}

export async function expandPaths(paths: readonly string[]): Promise<Expanded> {
  const files: FoundFile[] = [];
  const errors: PathError[] = [];
  const notes: PathError[] = [];
  const seen = new Set<string>();
  /** folder id -> the path it was first read under */
  const folders = new Map<string, string>();
  const visit = async (p: string, depth: number): Promise<void> => {
    let st;
    try {
      st = await stat(p, { bigint: true });
    } catch (e) {
      errors.push({ path: p, message: describeFsError(e) });
      return;
    }
    if (st.isDirectory()) {
      const id = await folderId(p, st.dev, st.ino);
      const first = folders.get(id);
      if (first !== undefined) {
        notes.push({ path: p, message: `the same folder as ${first} (a link back to it): not read again` });
        return;
      }
      folders.set(id, p);
      if (depth > 32) {
        errors.push({ path: p, message: 'folders nested too deep (32 levels)' });
        return;
      }
      let names: string[];
      try {
        names = (await readdir(p)).sort();
      } catch (e) {
        errors.push({ path: p, message: describeFsError(e) });
        return;
      }
      for (const n of names) {
        if (n.startsWith('.')) continue;
        await visit(join(p, n), depth + 1);
      }
    } else if (st.isFile()) {
      const abs = resolve(p);
      if (seen.has(abs)) return;
      seen.add(abs);
      files.push({ path: p, size: Number(st.size), mtimeMs: Number(st.mtimeMs) });
    } else {
      errors.push({ path: p, message: 'not a regular file or folder' });
    }
  };
  for (const p of paths) {
    const before = files.length + errors.length;
    await visit(p, 0);
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
