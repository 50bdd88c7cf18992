import { describe, expect, it } from "vitest";
import { fileTree, patchRows, wordSegments } from "@/app/_components/sessions/session-diff-model";
import type { DiffFile } from "@/lib/schemas/session-land";

/** The session review's rows and file tree (issue 11): what the page renders, from git's patch text. */

const PATCH = [
  "diff --git a/src/app.ts b/src/app.ts",
  "index 1111111..2222222 100644",
  "--- a/src/app.ts",
  "+++ b/src/app.ts",
  "@@ -1,4 +1,5 @@ export function main() {",
  " const a = 1;",
  "-const total = price * quantity;",
  "+const total = price * quantity * taxRate;",
  " const c = 3;",
  "-return a;",
  "\\ No newline at end of file",
  "+return c;",
  "+// added",
  "",
].join("\n");

const file = (p: string): DiffFile => ({
  path: p,
  oldPath: null,
  status: "modified",
  added: 1,
  removed: 0,
  binary: false,
  patch: null,
  omitted: null,
});

describe("session diff rows", () => {
  it("numbers old and new lines, keeps git's hunk header, and marks only the words that changed", () => {
    const rows = patchRows(PATCH);
    expect(rows[0]).toEqual({ kind: "hunk", text: "@@ -1,4 +1,5 @@ export function main() {" });
    const lines = rows.filter((r) => r.kind !== "hunk" && r.kind !== "note") as Extract<(typeof rows)[number], { oldNo: number | null }>[];
    expect(lines.map((r) => [r.kind, r.oldNo, r.newNo])).toEqual([
      ["context", 1, 1],
      ["del", 2, null],
      ["add", null, 2],
      ["context", 3, 3],
      ["del", 4, null],
      ["add", null, 4],
      ["add", null, 5],
    ]);
    const added = lines[2]!.segments;
    expect(added.map((s) => s.text).join("")).toBe("const total = price * quantity * taxRate;");
    const marked = added
      .filter((s) => s.changed)
      .map((s) => s.text)
      .join("");
    expect(marked).toContain("taxRate");
    expect(marked).not.toContain("price");
    expect(lines[1]!.segments.some((s) => s.changed)).toBe(false);
    // "return a" → "return c": the word, not the line.
    expect(lines[5]!.segments.filter((s) => s.changed).map((s) => s.text)).toEqual(["c"]);
    expect(lines[4]!.segments.filter((s) => s.changed).map((s) => s.text)).toEqual(["a"]);
    // An added line with no removed partner is not word-marked.
    expect(lines[6]!.segments).toEqual([{ text: "// added", changed: false }]);
    expect(rows.find((r) => r.kind === "note")).toEqual({ kind: "note", text: "No newline at end of file" });
  });

  it("leaves a line that changed entirely unmarked, and marks very long lines whole", () => {
    expect(wordSegments("alpha beta", "gamma delta")).toEqual({
      old: [{ text: "alpha beta", changed: false }],
      new: [{ text: "gamma delta", changed: false }],
    });
    const long = "x".repeat(5_000);
    expect(wordSegments(long, `${long}y`).new).toEqual([{ text: `${long}y`, changed: true }]);
  });
});

describe("session diff file tree", () => {
  it("nests files under folders, folds single-child folders, lists folders first", () => {
    const tree = fileTree(["src/lib/a.ts", "src/lib/b.ts", "README.md", "src/x/y/z.ts", "src/index.ts"].map(file));
    const shape = (nodes: ReturnType<typeof fileTree>): unknown => nodes.map((n) => (n.file ? n.name : { [n.name]: shape(n.children) }));
    expect(shape(tree)).toEqual([{ src: [{ lib: ["a.ts", "b.ts"] }, { "x/y": ["z.ts"] }, "index.ts"] }, "README.md"]);
  });
});
