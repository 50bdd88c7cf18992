/** `list` (changes) and `list --specs` (reference §3.1, §3.2). */
import { changeProgress } from './model/change';
import { byLocale, changeDir, listedChangeNames, nestedChangeMessage, nestedChangesOf, specIds, specPath } from './model/discovery';
import { readSpecView } from './markdown/requirements';
import { walk } from './markdown/walk';
import type { ChangeListEntry, NestedChangeWarning, SpecListEntry } from './schemas';
import { specParseProblem } from './validate/spec-rules';
import type { OpenSpecTree } from './tree';

export type ChangeSort = 'recent' | 'name';

export interface ChangeList {
  changes: ChangeListEntry[];
  warnings?: NestedChangeWarning[];
}

/** Newest mtime of any file under the change, else the folder's own. */
function lastModified(tree: OpenSpecTree, dir: string): number {
  let newest = -Infinity;
  for (const f of tree.filesUnder(dir)) newest = Math.max(newest, tree.mtime(f) ?? -Infinity);
  return newest === -Infinity ? (tree.mtime(dir) ?? 0) : newest;
}

export function listChanges(tree: OpenSpecTree, options: { sort?: ChangeSort } = {}): ChangeList {
  return tree.cached(`list:${options.sort ?? 'recent'}`, () => {
    const warnings: NestedChangeWarning[] = [];
    const rows = listedChangeNames(tree).map((name) => {
      const dir = changeDir(name);
      const { total, completed } = changeProgress(tree, dir);
      const nested = nestedChangesOf(tree, name);
      if (nested) warnings.push({ code: 'nested_change_directory', name, nested, message: nestedChangeMessage(name, nested) });
      const entry: ChangeListEntry = {
        name,
        completedTasks: completed,
        totalTasks: total,
        // Sub-millisecond mtimes round to the nearest millisecond, as the official CLI reports them.
        lastModified: new Date(Math.round(lastModified(tree, dir))).toISOString(),
        status: total === 0 ? 'no-tasks' : completed === total ? 'complete' : 'in-progress',
        ...(nested ? { nested } : {}),
      };
      return { entry, mtime: Date.parse(entry.lastModified) };
    });
    // Array.prototype.sort is stable: ties keep readdir order, as the CLI's do.
    if (options.sort === 'name') rows.sort((a, b) => byLocale(a.entry.name, b.entry.name));
    else rows.sort((a, b) => b.mtime - a.mtime);
    const changes = rows.map((r) => r.entry);
    if (warnings.length > 0) {
      const order = new Map(changes.map((c, i) => [c.name, i]));
      warnings.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
    }
    return warnings.length > 0 ? { changes, warnings } : { changes };
  });
}

/** Requirement count of a main spec as `list --specs` shows it (0 when it does not parse). */
export function specRequirementCount(content: string): number {
  const view = readSpecView(walk(content));
  return specParseProblem(view) ? 0 : view.requirements.length;
}

export function listSpecs(tree: OpenSpecTree): SpecListEntry[] {
  return tree.cached('listSpecs', () =>
    specIds(tree).map((id) => ({ id, requirementCount: specRequirementCount(tree.read(specPath(id)) ?? '') })),
  );
}
