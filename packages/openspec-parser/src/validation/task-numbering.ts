// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/validation/task-numbering.js
import { parseTaskLines } from '../tasks';
import type { TaskDocument, TaskFileFinding } from './task-checkboxes';

const LEVEL_TWO_HEADING = /^ {0,3}##(?!#)(?:[ \t]+|[ \t]*\r?$)/;
const NUMBERED_GROUP_HEADING = /^ {0,3}##[ \t]+(\d+)\.(?:[ \t]|\r?$)/;
const TASK_ID = /^(\d+(?:\.\d+)+(?:[A-Za-z]+)?)(?=\s|$)/;

/** Task ids under the wrong `## N.` group, and duplicate ids (built-in spec-driven schema only). */
export function findTaskNumberingIssues(documents: readonly TaskDocument[]): TaskFileFinding[] {
  const issues: TaskFileFinding[] = [];
  const firstLocationById = new Map<string, { path: string; line: number }>();
  for (const document of documents) {
    const lines = document.content.split('\n');
    if (!lines.some((line) => NUMBERED_GROUP_HEADING.test(line))) continue;
    let currentGroup: string | undefined;
    lines.forEach((line, index) => {
      if (LEVEL_TWO_HEADING.test(line)) currentGroup = line.match(NUMBERED_GROUP_HEADING)?.[1];
      if (currentGroup === undefined) return;
      const task = parseTaskLines(line)[0];
      const id = task?.description.match(TASK_ID)?.[1];
      if (!id) return;
      const lineNumber = index + 1;
      const taskGroup = id.split('.')[0];
      if (taskGroup.replace(/^0+(?=\d)/, '') !== currentGroup.replace(/^0+(?=\d)/, '')) {
        issues.push({
          path: document.path,
          line: lineNumber,
          message: `Task "${id}" is under group ${currentGroup}, but its leading number points to group ${taskGroup}. Move it to group ${taskGroup} or renumber it.`,
        });
      }
      const first = firstLocationById.get(id);
      if (first !== undefined) {
        const where = first.path === document.path ? `on line ${first.line}` : `in ${first.path} on line ${first.line}`;
        issues.push({ path: document.path, line: lineNumber, message: `Task ID "${id}" is duplicated; it was first declared ${where}.` });
      } else {
        firstLocationById.set(id, { path: document.path, line: lineNumber });
      }
    });
  }
  return issues;
}
