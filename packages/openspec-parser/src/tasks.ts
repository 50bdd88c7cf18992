// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/utils/task-progress.js
import { resolveTaskFilesForChange } from './schemas';
import { join, type OpenSpecTree } from './tree';
import type { TaskItem, TaskProgress } from './types';

/**
 * A task line: any list marker (`-`, `*`, `+`, `1.`, `1)`), then a box holding at most one
 * non-space marker. Only `x`/`X` is done; `[~]`, `[-]`, `[]` count as open (#1761). A `]` followed
 * by `(` or `[` is a link, not a task — except for a whitespace-only box. Unanchored at the end so
 * CRLF lines still match. Lines inside fences and HTML comments count on purpose.
 */
const TASK_LINE_PATTERN = /^\s*(?:[-*+]|\d{1,9}[.)])\s*\[(?:\s*([^\]\s]?)\s*\](?![([])|\s+\])\s*(.*)/;

export interface ParsedTaskLine {
  done: boolean;
  description: string;
  /** 1-based line number. */
  line: number;
}

export function parseTaskLines(content: string): ParsedTaskLine[] {
  const tasks: ParsedTaskLine[] = [];
  content.split('\n').forEach((line, index) => {
    const match = line.match(TASK_LINE_PATTERN);
    if (match) tasks.push({ done: (match[1] ?? '').toLowerCase() === 'x', description: match[2].trim(), line: index + 1 });
  });
  return tasks;
}

export function countTasksFromContent(content: string): TaskProgress {
  const tasks = parseTaskLines(content);
  return { total: tasks.length, completed: tasks.filter((t) => t.done).length };
}

/** The tracked task files of a change (schema `apply.tracks`), falling back to `<change>/tasks.md`. */
export function taskFilesForChange(tree: OpenSpecTree, changeDir: string): string[] {
  const files = resolveTaskFilesForChange(tree, changeDir);
  return files.length > 0 ? files : [join(changeDir, 'tasks.md')];
}

/** Task progress of a change directory (a missing file counts as zero tasks). */
export function getTaskProgressForChange(tree: OpenSpecTree, changeDir: string): TaskProgress {
  let total = 0;
  let completed = 0;
  for (const file of taskFilesForChange(tree, changeDir)) {
    const content = tree.readFile(file);
    if (content === null) continue;
    const progress = countTasksFromContent(content);
    total += progress.total;
    completed += progress.completed;
  }
  return { total, completed };
}

/** Every task of a change with its file (relative to the change) and line, for the dashboard. */
export function getTasksForChange(tree: OpenSpecTree, changeDir: string): TaskItem[] {
  const items: TaskItem[] = [];
  for (const file of taskFilesForChange(tree, changeDir)) {
    const content = tree.readFile(file);
    if (content === null) continue;
    const rel = file.slice(changeDir.length + 1);
    for (const task of parseTaskLines(content)) items.push({ text: task.description, done: task.done, line: task.line, file: rel });
  }
  return items;
}

export function formatTaskStatus(progress: TaskProgress): string {
  if (progress.total === 0) return 'No tasks';
  if (progress.completed === progress.total) return '✓ Complete';
  return `${progress.completed}/${progress.total} tasks`;
}
