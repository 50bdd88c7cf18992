// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/list.js
import { describeNestedChange, discoverSpecFiles, findNestedChanges } from './discovery';
import { MarkdownParser } from './parsers/markdown-parser';
import { getTaskProgressForChange } from './tasks';
import { CHANGES_DIR, SPECS_DIR, join, type OpenSpecTree } from './tree';
import type { ChangeListEntry, NestedChangeWarning, SpecListEntry } from './types';

export type ChangeSort = 'recent' | 'name';

export interface ChangeList {
  changes: ChangeListEntry[];
  warnings?: NestedChangeWarning[];
}

/** Newest mtime of any file under a directory (recursive), else the directory's own mtime. */
function getLastModified(tree: OpenSpecTree, dir: string): number {
  let latest: number | null = null;
  const walk = (d: string): void => {
    for (const entry of tree.readdir(d) ?? []) {
      const full = join(d, entry.name);
      if (entry.kind === 'dir') {
        walk(full);
        continue;
      }
      // Dangling links are skipped rather than failing the whole listing.
      const stat = tree.stat(full);
      if (stat && (latest === null || stat.mtimeMs > latest)) latest = stat.mtimeMs;
    }
  };
  walk(dir);
  return latest ?? tree.stat(dir)?.mtimeMs ?? 0;
}

/**
 * `list --json`: every directory under changes/ except `archive` — dot-directories included,
 * unlike show/validate. Ties under `recent` keep readdir order (stable sort).
 */
export function listChanges(tree: OpenSpecTree, options: { sort?: ChangeSort } = {}): ChangeList {
  const sort = options.sort ?? 'recent';
  const changeDirs = (tree.readdir(CHANGES_DIR) ?? []).filter((e) => e.kind === 'dir' && e.name !== 'archive').map((e) => e.name);
  if (changeDirs.length === 0) return { changes: [] };
  const nestedFindings = findNestedChanges(tree, changeDirs);
  const nestedByName = new Map(nestedFindings.map((f) => [f.name, f]));
  const rows = changeDirs.map((name) => {
    const dir = join(CHANGES_DIR, name);
    return { name, progress: getTaskProgressForChange(tree, dir), lastModified: getLastModified(tree, dir) };
  });
  if (sort === 'recent') rows.sort((a, b) => b.lastModified - a.lastModified);
  // localeCompare (ICU collation), not code-point order: this is what the CLI uses here.
  else rows.sort((a, b) => a.name.localeCompare(b.name));
  const changes: ChangeListEntry[] = rows.map((c) => {
    const nested = nestedByName.get(c.name)?.nested;
    return {
      name: c.name,
      completedTasks: c.progress.completed,
      totalTasks: c.progress.total,
      lastModified: new Date(c.lastModified).toISOString(),
      status: c.progress.total === 0 ? 'no-tasks' : c.progress.completed === c.progress.total ? 'complete' : 'in-progress',
      ...(nested ? { nested } : {}),
    };
  });
  const warnings: NestedChangeWarning[] = nestedFindings.map((f) => ({
    code: 'nested_change_directory',
    name: f.name,
    nested: f.nested,
    message: describeNestedChange(f),
  }));
  return { changes, ...(warnings.length > 0 ? { warnings } : {}) };
}

/** `list --specs --json`: a spec that fails to parse is listed with 0 requirements. */
export function listSpecs(tree: OpenSpecTree): SpecListEntry[] {
  if (!tree.exists(SPECS_DIR)) return [];
  const specs: SpecListEntry[] = discoverSpecFiles(tree, SPECS_DIR).map(({ id, specFile }) => {
    try {
      const spec = new MarkdownParser(tree.readFile(specFile) ?? '').parseSpec(id);
      return { id, requirementCount: spec.requirements.length };
    } catch {
      return { id, requirementCount: 0 };
    }
  });
  return specs.sort((a, b) => a.id.localeCompare(b.id));
}
