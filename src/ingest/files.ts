// Paths -> files: files as given, folders walked recursively (sorted, so runs are repeatable).
// A path that cannot be read is reported, never fatal for the others.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface FoundFile { path: string; size: number; mtimeMs: number }
export interface PathError { path: string; message: string }

export async function expandPaths(paths: readonly string[]): Promise<{ files: FoundFile[]; errors: PathError[] }> {
  const files: FoundFile[] = [];
  const errors: PathError[] = [];
  const seen = new Set<string>();
  const visit = async (p: string, depth: number): Promise<void> => {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      errors.push({ path: p, message: describeFsError(e) });
      return;
    }
    if (st.isDirectory()) {
      if (depth > 32) { errors.push({ path: p, message: 'folders nested too deep (32 levels)' }); return; }
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
      files.push({ path: p, size: st.size, mtimeMs: st.mtimeMs });
    } else {
      errors.push({ path: p, message: 'not a regular file or folder' });
    }
  };
  for (const p of paths) await visit(p, 0);
  return { files, errors };
}

export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return 'no such file or folder';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a folder';
    default: return err.message ?? String(e);
  }
}
