/**
 * An in-memory snapshot of a project's `openspec/` folder: the only input the pure API reads.
 *
 * Paths are POSIX and relative to the project root (the folder that contains `openspec/`), e.g.
 * `openspec/changes/add-2fa/tasks.md`. Directory listings keep the order the file system returned
 * them in, because the official CLI's output depends on `readdir` order in a few places (ties of
 * `list --sort recent`, bulk-validation id ties).
 */
import { posix } from 'node:path';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

export interface TreeEntry {
  name: string;
  /** The entry's own type (`lstat`): a symlink is `symlink`, never `dir`, as with `Dirent`. */
  kind: EntryKind;
}

/** What `stat` (following symlinks) says about a path. */
export interface TreeStat {
  kind: 'file' | 'dir' | 'other';
  mtimeMs: number;
}

export interface TreeSnapshot {
  /** Directory path -> entries, in readdir order. The root directory is `''`. */
  dirs: Record<string, { mtimeMs: number; entries: TreeEntry[] }>;
  /** File path -> content and mtime. A symlinked file is stored under its link path. */
  files: Record<string, { content: string; mtimeMs: number }>;
  /** Symlink path -> what it resolves to (absent when dangling). */
  links?: Record<string, TreeStat>;
}

export class OpenSpecTree {
  constructor(private readonly snapshot: TreeSnapshot) {}

  static fromFiles(files: Record<string, string>, mtimeMs = Date.UTC(2025, 0, 1)): OpenSpecTree {
    const snapshot: TreeSnapshot = { dirs: { '': { mtimeMs, entries: [] } }, files: {} };
    for (const [file, content] of Object.entries(files)) {
      snapshot.files[file] = { content, mtimeMs };
      const parts = file.split('/');
      for (let i = 0; i < parts.length; i++) {
        const parent = parts.slice(0, i).join('/');
        const self = parts.slice(0, i + 1).join('/');
        const dir = (snapshot.dirs[parent] ??= { mtimeMs, entries: [] });
        if (!dir.entries.some((e) => e.name === parts[i])) {
          dir.entries.push({ name: parts[i], kind: i === parts.length - 1 ? 'file' : 'dir' });
        }
        if (i < parts.length - 1) snapshot.dirs[self] ??= { mtimeMs, entries: [] };
      }
    }
    return new OpenSpecTree(snapshot);
  }

  toSnapshot(): TreeSnapshot {
    return this.snapshot;
  }

  /** Entries of a directory, or `null` when it is missing or not a directory (ENOENT/ENOTDIR). */
  readdir(dir: string): TreeEntry[] | null {
    return this.snapshot.dirs[norm(dir)]?.entries ?? null;
  }

  /** Content of a file (symlinks followed), or `null`. */
  readFile(file: string): string | null {
    return this.snapshot.files[norm(file)]?.content ?? null;
  }

  stat(path: string): TreeStat | null {
    const p = norm(path);
    const file = this.snapshot.files[p];
    if (file) return { kind: 'file', mtimeMs: file.mtimeMs };
    const dir = this.snapshot.dirs[p];
    if (dir) return { kind: 'dir', mtimeMs: dir.mtimeMs };
    return this.snapshot.links?.[p] ?? null;
  }

  isFile(path: string): boolean {
    return this.stat(path)?.kind === 'file';
  }

  isDir(path: string): boolean {
    return this.stat(path)?.kind === 'dir';
  }

  exists(path: string): boolean {
    return this.stat(path) !== null;
  }
}

function norm(p: string): string {
  if (p === '' || p === '.') return '';
  const n = posix.normalize(p);
  return n === '.' ? '' : n.replace(/\/$/, '');
}

export const join = (...parts: string[]): string => {
  const j = posix.join(...parts);
  return j === '.' ? '' : j;
};

/** Canonical sub-paths of a root. */
export const OPENSPEC_DIR = 'openspec';
export const CHANGES_DIR = 'openspec/changes';
export const SPECS_DIR = 'openspec/specs';
export const ARCHIVE_DIR = 'openspec/changes/archive';
