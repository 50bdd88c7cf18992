/**
 * Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/id.js and
 * dist/utils/task-progress.js: the few archive-side helpers the read side's
 * tree/discovery/schemas modules do not already provide.
 */
import { posix } from 'node:path';
import { resolveTaskFilesForChange } from '../schemas';
import { join, type EntryKind, type OpenSpecTree } from '../tree';

/** The folder-safe-name grammar (dist/core/id.js); null when valid. */
export function folderStyleNameProblem(value: string, label: string): string | null {
  if (value.length === 0) return `${label} must not be empty`;
  if (value === '.' || value === '..') return `${label} must not be '${value}'`;
  if (/[\\/]/u.test(value)) return `${label} must not contain path separators`;
  return null;
}

/** What `lstat` would say: the entry's own kind from its parent's listing (a symlink stays `symlink`). */
export function lkind(tree: OpenSpecTree, relPath: string): EntryKind | undefined {
  const parent = posix.dirname(relPath);
  const name = posix.basename(relPath);
  return tree.readdir(parent === '.' ? '' : parent)?.find((e) => e.name === name)?.kind;
}

const TASK_LINE_PATTERN = /^\s*(?:[-*+]|\d{1,9}[.)])\s*\[(?:\s*([^\]\s]?)\s*\](?![([])|\s+\])\s*(.*)/;

export function countTasks(content: string): { total: number; completed: number } {
  let total = 0;
  let completed = 0;
  for (const line of content.split('\n')) {
    const match = line.match(TASK_LINE_PATTERN);
    if (!match) continue;
    total++;
    if ((match[1] ?? '').toLowerCase() === 'x') completed++;
  }
  return { total, completed };
}

/** Task progress of a change: the schema's tracked files, falling back to tasks.md. */
export function taskProgress(tree: OpenSpecTree, changeDir: string): { total: number; completed: number } {
  const files = resolveTaskFilesForChange(tree, changeDir);
  const targets = files.length > 0 ? files : [join(changeDir, 'tasks.md')];
  let total = 0;
  let completed = 0;
  for (const file of targets) {
    const content = tree.readFile(file);
    if (content === null) continue;
    const p = countTasks(content);
    total += p.total;
    completed += p.completed;
  }
  return { total, completed };
}
