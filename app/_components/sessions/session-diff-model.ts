import { diffWordsWithSpace, parsePatch } from "diff";
import type { DiffFile } from "@/lib/schemas/session-land";

/**
 * The review's data, apart from its markup: one file's git patch as numbered rows with the
 * changed words marked, and the changed files as a folder tree.
 */

export type Segment = { text: string; changed: boolean };

export type DiffRow =
  | { kind: "hunk"; text: string }
  | { kind: "context" | "add" | "del"; oldNo: number | null; newNo: number | null; segments: Segment[] }
  | { kind: "note"; text: string };

/** Lines longer than this are marked whole: a word diff of minified code costs more than it shows. */
const WORD_DIFF_MAX = 2_000;

/** One file's patch as rows; a removed line followed by an added one gets the words that changed marked. */
export function patchRows(patch: string): DiffRow[] {
  const rows: DiffRow[] = [];
  const [parsed] = parsePatch(patch);
  // git's own hunk headers, as written (they carry the enclosing function's name).
  const headers = patch.match(/^@@ .*$/gm) ?? [];
  for (const [h, hunk] of (parsed?.hunks ?? []).entries()) {
    rows.push({ kind: "hunk", text: headers[h] ?? `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@` });
    let oldNo = hunk.oldStart;
    let newNo = hunk.newStart;
    const lines = hunk.lines;
    for (let i = 0; i < lines.length;) {
      const line = lines[i]!;
      if (line.startsWith("\\")) {
        rows.push({ kind: "note", text: line.slice(2) });
        i++;
        continue;
      }
      if (line.startsWith(" ")) {
        rows.push({ kind: "context", oldNo: oldNo++, newNo: newNo++, segments: [{ text: line.slice(1), changed: false }] });
        i++;
        continue;
      }
      // A block of removals and the additions right after it: the i-th of each are paired for the word diff.
      const dels: string[] = [];
      const adds: string[] = [];
      // "\ No newline at end of file" follows the last line of a side; it is shown after that side.
      let delNote: string | null = null;
      let addNote: string | null = null;
      while (i < lines.length && (lines[i]!.startsWith("-") || lines[i]!.startsWith("\\"))) {
        if (lines[i]!.startsWith("-")) dels.push(lines[i]!.slice(1));
        else delNote = lines[i]!.slice(2);
        i++;
      }
      while (i < lines.length && (lines[i]!.startsWith("+") || lines[i]!.startsWith("\\"))) {
        if (lines[i]!.startsWith("+")) adds.push(lines[i]!.slice(1));
        else addNote = lines[i]!.slice(2);
        i++;
      }
      const pairs = Math.min(dels.length, adds.length);
      const delSegs = dels.map((text, k) => (k < pairs ? wordSegments(text, adds[k]!).old : [{ text, changed: false }]));
      const addSegs = adds.map((text, k) => (k < pairs ? wordSegments(dels[k]!, text).new : [{ text, changed: false }]));
      for (const segments of delSegs) rows.push({ kind: "del", oldNo: oldNo++, newNo: null, segments });
      if (delNote) rows.push({ kind: "note", text: delNote });
      for (const segments of addSegs) rows.push({ kind: "add", oldNo: null, newNo: newNo++, segments });
      if (addNote) rows.push({ kind: "note", text: addNote });
    }
  }
  return rows;
}

/** The two sides of a changed line with the words that differ marked. */
export function wordSegments(before: string, after: string): { old: Segment[]; new: Segment[] } {
  if (before.length > WORD_DIFF_MAX || after.length > WORD_DIFF_MAX)
    return { old: [{ text: before, changed: true }], new: [{ text: after, changed: true }] };
  const parts = diffWordsWithSpace(before, after);
  const old: Segment[] = [];
  const next: Segment[] = [];
  for (const part of parts) {
    if (!part.added) old.push({ text: part.value, changed: Boolean(part.removed) });
    if (!part.removed) next.push({ text: part.value, changed: Boolean(part.added) });
  }
  // A line that changed entirely reads better unmarked than as one long highlight.
  const unchanged = old
    .filter((s) => !s.changed)
    .map((s) => s.text)
    .join("");
  if (!unchanged.trim()) return { old: [{ text: before, changed: false }], new: [{ text: after, changed: false }] };
  return { old, new: next };
}

export type TreeNode = { name: string; path: string; children: TreeNode[]; file: DiffFile | null };

/** The changed files as folders and files, a folder with a single sub-folder shown as one ("src/lib"). */
export function fileTree(files: DiffFile[]): TreeNode[] {
  const root: TreeNode = { name: "", path: "", children: [], file: null };
  for (const file of files) {
    const parts = file.path.split("/");
    let node = root;
    parts.forEach((part, i) => {
      const p = parts.slice(0, i + 1).join("/");
      const last = i === parts.length - 1;
      let child = node.children.find((c) => c.name === part && (last ? c.file !== null : c.file === null));
      if (!child) {
        child = { name: part, path: p, children: [], file: last ? file : null };
        node.children.push(child);
      }
      node = child;
    });
  }
  const compact = (n: TreeNode): TreeNode => {
    let node = n;
    while (!node.file && node.children.length === 1 && !node.children[0]!.file) {
      const only = node.children[0]!;
      node = { ...only, name: `${node.name}/${only.name}` };
    }
    const children = node.children
      .map(compact)
      .sort((a, b) => Number(Boolean(a.file)) - Number(Boolean(b.file)) || a.name.localeCompare(b.name));
    return { ...node, children };
  };
  return root.children.map(compact).sort((a, b) => Number(Boolean(a.file)) - Number(Boolean(b.file)) || a.name.localeCompare(b.name));
}

/** A stable element id per file for the tree's links. */
export function fileAnchor(path: string): string {
  return `diff-${encodeURIComponent(path)}`;
}
