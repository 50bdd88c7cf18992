/**
 * Task checkboxes (reference §7). Fences and HTML comments are NOT masked
 * here: the CLI counts a checkbox inside them too (tricky fixture,
 * add-feature/tasks.md), so this reader is line-based on purpose.
 */
import { normalizeText } from './markdown/walk';
import type { TaskItem, TaskProgress } from './schemas';

const TASK = /^\s*(?:[-*+]|\d{1,9}[.)])\s*\[([^\]]*)\](.*)$/;
const LIST_ITEM = /^\s*(?:[-*+]|\d{1,9}[.)])\s+\S/;

export interface TaskLine extends TaskItem {
  /** The task's own text starts with an id like `2.1`. */
  id?: { group: number; full: string };
}

export function parseTaskLines(content: string): TaskLine[] {
  const out: TaskLine[] = [];
  normalizeText(content)
    .split('\n')
    .forEach((line, index) => {
      const m = TASK.exec(line);
      if (!m) return;
      const box = m[1]!;
      const rest = m[2]!;
      const blank = box.length > 0 && box.trim() === '';
      // `[A](url)` and `[](x)` are links, `[WIP]` is a tag: not tasks.
      if (!blank && (box.trim().length > 1 || rest.startsWith('(') || rest.startsWith('['))) return;
      const text = rest.trim();
      // `3.6a` and `3.6.1` are not the id 3.6 (openspec-self make-codex-skills-only).
      const id = /^(\d+)\.(\d+)(?![\w.])/.exec(text);
      out.push({
        text,
        done: box.trim() === 'x' || box.trim() === 'X',
        line: index + 1,
        ...(id ? { id: { group: Number(id[1]), full: `${id[1]}.${id[2]}` } } : {}),
      });
    });
  return out;
}

export function countTasks(content: string): TaskProgress {
  const tasks = parseTaskLines(content);
  return { total: tasks.length, completed: tasks.filter((t) => t.done).length };
}

/** First list item line (1-based) of a file with no checkbox at all, for the "0 tasks" warning. */
export function firstListItemLine(content: string): number | null {
  const lines = normalizeText(content).split('\n');
  const i = lines.findIndex((l) => LIST_ITEM.test(l));
  return i < 0 ? null : i + 1;
}

/** `## N.` group headings with their 1-based line, for the numbering lint. */
export function taskGroups(content: string): Array<{ group: number; line: number }> {
  const out: Array<{ group: number; line: number }> = [];
  normalizeText(content)
    .split('\n')
    .forEach((l, i) => {
      const m = /^#{1,6}\s+(\d+)\./.exec(l);
      if (m) out.push({ group: Number(m[1]), line: i + 1 });
    });
  return out;
}
