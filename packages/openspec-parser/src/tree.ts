/**
 * An OpenSpec root held in memory: directory listings, file contents and
 * mtimes. Every reader (list, show, validate, archive) works on this
 * snapshot, so one disk walk serves all of them and tests can build roots
 * from plain objects.
 */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

export interface TreeEntry {
  name: string;
  kind: EntryKind;
}

export interface TreeStat {
  mtimeMs: number;
}

export interface TreeSnapshot {
  dirs: Record<string, { mtimeMs: number; entries: TreeEntry[] }>;
  files: Record<string, { content: string; mtimeMs: number }>;
  /** What a symlink inside the project points at (links leaving the project are never described). */
  links?: Record<string, { kind: EntryKind; mtimeMs: number }>;
  /** Symlinks that were not followed because they resolve outside the project. */
  skipped?: string[];
}

export const OPENSPEC_DIR = 'openspec';
export const CHANGES_DIR = 'openspec/changes';
export const SPECS_DIR = 'openspec/specs';
export const ARCHIVE_DIR = 'openspec/changes/archive';

/** Tree paths are `/`-joined and relative to the project (the folder holding `openspec/`). */
export const join = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');

/**
 * Puts `files` (tree paths → content) into `snapshot`, creating the directories their paths imply
 * (parents first). `addEntry` lists a new name in its directory: building a tree pushes, an overlay
 * copies the listing so the snapshot it started from stays as it was.
 */
export function addFiles(
  snapshot: TreeSnapshot,
  files: Record<string, string>,
  mtimeMs: number,
  addEntry: (dir: string, name: string, kind: 'dir' | 'file') => void,
): void {
  const ensureDir = (dir: string): void => {
    if (snapshot.dirs[dir]) return;
    const slash = dir.lastIndexOf('/');
    const parent = slash < 0 ? '' : dir.slice(0, slash);
    ensureDir(parent);
    snapshot.dirs[dir] = { mtimeMs, entries: [] };
    addEntry(parent, dir.slice(slash + 1), 'dir');
  };
  for (const [rel, content] of Object.entries(files)) {
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? '' : rel.slice(0, slash);
    ensureDir(parent);
    addEntry(parent, rel.slice(slash + 1), 'file');
    snapshot.files[rel] = { content, mtimeMs };
  }
}

export class OpenSpecTree {
  /** Per-snapshot memo of derived values (parsed documents), keyed by the caller. */
  readonly memo = new Map<string, unknown>();

  constructor(readonly snapshot: TreeSnapshot) {}

  /** A tree from `path → content`; directories are implied by the paths. */
  static fromFiles(files: Record<string, string>, mtimeMs = 0): OpenSpecTree {
    const snapshot: TreeSnapshot = { dirs: { '': { mtimeMs, entries: [] } }, files: {}, links: {} };
    addFiles(snapshot, files, mtimeMs, (dir, name, kind) => {
      snapshot.dirs[dir]!.entries.push({ name, kind });
    });
    return new OpenSpecTree(snapshot);
  }

  readdir(dir: string): TreeEntry[] | undefined {
    return this.snapshot.dirs[dir]?.entries;
  }

  read(file: string): string | undefined {
    return this.snapshot.files[file]?.content;
  }

  /** The entry's own kind (a symlink is `symlink`), like lstat. */
  lkind(rel: string): EntryKind | undefined {
    if (this.snapshot.dirs[rel]) return 'dir';
    if (this.snapshot.links?.[rel]) return 'symlink';
    if (this.snapshot.files[rel]) return 'file';
    const slash = rel.lastIndexOf('/');
    return this.readdir(slash < 0 ? '' : rel.slice(0, slash))?.find((e) => e.name === rel.slice(slash + 1))?.kind;
  }

  /** The kind after following a link (inside the project), like stat. */
  kind(rel: string): EntryKind | undefined {
    const own = this.lkind(rel);
    return own === 'symlink' ? this.snapshot.links?.[rel]?.kind : own;
  }

  isDir(rel: string): boolean {
    return this.kind(rel) === 'dir';
  }

  isFile(rel: string): boolean {
    return this.kind(rel) === 'file';
  }

  mtime(rel: string): number | undefined {
    return this.snapshot.dirs[rel]?.mtimeMs ?? this.snapshot.files[rel]?.mtimeMs ?? this.snapshot.links?.[rel]?.mtimeMs;
  }

  /** Child directories of `dir` (real directories only: links are not walked). */
  subdirs(dir: string): string[] {
    return (this.readdir(dir) ?? []).filter((e) => e.kind === 'dir').map((e) => e.name);
  }

  /** Every file under `dir`, recursively, as tree paths (links not walked). */
  filesUnder(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
      for (const e of this.readdir(d) ?? []) {
        const p = join(d, e.name);
        if (e.kind === 'dir') walk(p);
        else if (e.kind === 'file' || (e.kind === 'symlink' && this.snapshot.files[p])) out.push(p);
      }
    };
    walk(dir);
    return out;
  }

  /** Memoise a value derived from this snapshot (snapshots never change). */
  cached<T>(key: string, make: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const value = make();
    this.memo.set(key, value);
    return value;
  }
}
