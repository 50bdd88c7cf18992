// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/validation/task-checkboxes.js
import { parseTaskLines } from '../tasks';

export interface TaskDocument {
  /** Path relative to the change, POSIX. */
  path: string;
  content: string;
}

export interface TaskFileFinding {
  path: string;
  line?: number;
  message: string;
}

/** A list item with text; `* * *` deliberately counts (the warning stays true). */
const LIST_ITEM = /^\s*(?:[-*+]|\d{1,9}[.)])\s+\S/;
/** Four columns of indent make a top-level line an indented code block (CommonMark). */
const CODE_BLOCK_COLUMN = 4;
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)/;
const FRONT_MATTER = /^-{3}\s*$/;
const COMMENT_OPEN = '<!--';
const COMMENT_CLOSE = '-->';

function indentColumns(line: string): number {
  let column = 0;
  for (const char of line) {
    if (char === ' ') column += 1;
    else if (char === '\t') column += CODE_BLOCK_COLUMN - (column % CODE_BLOCK_COLUMN);
    else break;
  }
  return column;
}

/**
 * Tracked task files that list work as plain bullets instead of checkboxes (#354). Reported only
 * when the whole tracked set has zero checkboxes; the scan skips fences, comments, front matter
 * and indented code (those can only silence the warning, never hide a task).
 */
export function findMissingTaskCheckboxIssues(documents: readonly TaskDocument[]): TaskFileFinding[] {
  if (documents.length === 0) return [];
  if (documents.some((d) => parseTaskLines(d.content).length > 0)) return [];
  const issues: TaskFileFinding[] = [];
  for (const document of documents) {
    const line = findFirstListItemLine(document.content);
    if (line === undefined) continue;
    issues.push({
      path: document.path,
      line,
      message:
        'This change counts as 0 tasks: no line in its tracked task files is a checkbox, ' +
        'so "openspec list" and "openspec status" report no work and "openspec archive" ' +
        'has nothing to flag as incomplete. Write each task as "- [ ] 1.1 Description".',
    });
  }
  return issues;
}

function findFirstListItemLine(content: string): number | undefined {
  const lines = content.split('\n');
  let openFence: { marker: string; length: number } | undefined;
  let inComment = false;
  for (let index = skipFrontMatter(lines); index < lines.length; index++) {
    const line = lines[index];
    if (inComment) {
      if (line.includes(COMMENT_CLOSE)) inComment = false;
      continue;
    }
    const fence = line.match(FENCE);
    if (fence) {
      const marker = fence[1][0];
      const length = fence[1].length;
      if (openFence === undefined) openFence = { marker, length };
      else if (marker === openFence.marker && length >= openFence.length && fence[2].trim() === '') openFence = undefined;
      continue;
    }
    if (openFence !== undefined) continue;
    // Only a comment that opens the line hides it.
    if (line.trimStart().startsWith(COMMENT_OPEN)) {
      if (!line.includes(COMMENT_CLOSE, line.indexOf(COMMENT_OPEN) + COMMENT_OPEN.length)) inComment = true;
      continue;
    }
    if (LIST_ITEM.test(line) && indentColumns(line) < CODE_BLOCK_COLUMN) return index + 1;
  }
  return undefined;
}

function skipFrontMatter(lines: string[]): number {
  if (lines.length === 0 || !FRONT_MATTER.test(lines[0].replace(/^\uFEFF/, '').trimEnd())) return 0;
  for (let index = 1; index < lines.length; index++) {
    if (FRONT_MATTER.test(lines[index].trimEnd())) return index + 1;
  }
  // An unterminated opener is a thematic break, not front matter.
  return 0;
}
