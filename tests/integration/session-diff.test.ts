import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FILE_LINES, sessionDiff, TOTAL_FILES, TOTAL_LINES } from "@/server/sessions/diff";
import { createWorktree } from "@/server/sessions/worktree";
import { tempDir } from "../support/temp";

/**
 * The review of a session's worktree (issue 11) on real git repositories: every file is listed
 * with its counts, uncommitted and new files included; binary files and huge ones are named and
 * summarised, not dumped; looking never touches the worktree's index.
 */

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.email=dev@example.com", "-c", "user.name=Dev", ...args], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();

function repoWithWorktree(files: Record<string, string | Buffer>) {
  const root = tempDir("workdeck-diff-");
  const project = path.join(root, "project");
  fs.mkdirSync(project);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
    fs.writeFileSync(path.join(project, rel), content);
  }
  git(project, "init", "-q", "-b", "main");
  git(project, "add", ".");
  git(project, "commit", "-q", "-m", "init");
  const wt = createWorktree({ projectPath: project, root: path.join(root, "worktrees"), sessionId: 7 })!;
  const review = () =>
    sessionDiff({
      worktreePath: wt.worktreePath,
      worktreeRemovedAt: null,
      baseCommit: wt.baseCommit,
      branch: wt.branch,
      branchCommit: null,
      projectPath: project,
    });
  return { project, wt, review };
}

const lines = (n: number, word = "line") => Array.from({ length: n }, (_, i) => `${word} ${i}`).join("\n") + "\n";

describe("session review diff", () => {
  it("records the branch checked out at launch", () => {
    const { wt } = repoWithWorktree({ "a.txt": "a\n" });
    expect(wt).toMatchObject({ branch: "workdeck/7", baseBranch: "main" });
  });

  it("lists committed, staged, unstaged, new, deleted and renamed files with their counts and patches", () => {
    const { wt, review } = repoWithWorktree({
      "src/app.ts": "const a = 1;\nconst b = 2;\n",
      "old-name.md": lines(20, "doc"),
      "gone.txt": "bye\n",
      "keep.txt": "keep\n",
    });
    const w = wt.worktreePath;
    fs.writeFileSync(path.join(w, "committed.txt"), "c\n");
    git(w, "add", "committed.txt");
    git(w, "commit", "-q", "-m", "agent");
    fs.writeFileSync(path.join(w, "src/app.ts"), "const a = 1;\nconst b = 3;\n");
    fs.mkdirSync(path.join(w, "docs"));
    git(w, "mv", "old-name.md", "docs/new-name.md");
    fs.rmSync(path.join(w, "gone.txt"));
    fs.mkdirSync(path.join(w, "src/new"), { recursive: true });
    fs.writeFileSync(path.join(w, "src/new/file with space.ts"), "export {};\n");
    const indexBefore = git(w, "diff", "--cached", "--name-status");

    const d = review();

    expect(d.source).toBe("worktree");
    expect(d.branch).toBe("workdeck/7");
    expect(d.files.map((f) => [f.path, f.status, f.added, f.removed, f.oldPath])).toEqual([
      ["committed.txt", "added", 1, 0, null],
      ["docs/new-name.md", "renamed", 0, 0, "old-name.md"],
      ["gone.txt", "deleted", 0, 1, null],
      ["src/app.ts", "modified", 1, 1, null],
      ["src/new/file with space.ts", "added", 1, 0, null],
    ]);
    expect(d.totals).toEqual({ files: 5, added: 3, removed: 2 });
    expect(d.files.find((f) => f.path === "src/app.ts")!.patch).toMatch(/-const b = 2;\n\+const b = 3;/);
    expect(d.files.find((f) => f.path === "src/new/file with space.ts")!.patch).toContain("+export {};");
    expect(d.files.every((f) => f.omitted === null)).toBe(true);
    // Looking did not stage anything in the agent's worktree.
    expect(git(w, "diff", "--cached", "--name-status")).toBe(indexBefore);
    expect(git(w, "status", "--porcelain")).toContain("?? src/new/");
  });

  it("summarises binary files and files too large to show, and stops sending patches past the review's budget", () => {
    const { wt, review } = repoWithWorktree({ "logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]) });
    const w = wt.worktreePath;
    fs.writeFileSync(path.join(w, "logo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 9, 9, 9, 9]));
    fs.writeFileSync(path.join(w, "huge.txt"), lines(FILE_LINES + 1));
    fs.writeFileSync(path.join(w, "minified.js"), `${"x".repeat(2 * 1024 * 1024)}\n`);
    // Enough mid-sized files to spend the whole budget.
    const each = Math.floor(FILE_LINES * 0.9);
    const count = Math.ceil(TOTAL_LINES / each) + 2;
    for (let i = 0; i < count; i++) fs.writeFileSync(path.join(w, `gen-${String(i).padStart(2, "0")}.txt`), lines(each));

    const d = review();
    const byPath = new Map(d.files.map((f) => [f.path, f]));

    expect(byPath.get("logo.png")).toMatchObject({ binary: true, omitted: "binary", patch: null, status: "modified" });
    expect(byPath.get("huge.txt")).toMatchObject({ omitted: "too_large", patch: null, added: FILE_LINES + 1 });
    expect(byPath.get("minified.js")).toMatchObject({ omitted: "too_large", patch: null, added: 1 });
    const generated = d.files.filter((f) => f.path.startsWith("gen-"));
    expect(generated).toHaveLength(count);
    const shown = generated.filter((f) => f.patch !== null);
    expect(shown.length).toBe(Math.floor(TOTAL_LINES / each));
    expect(generated.filter((f) => f.omitted === "budget").length).toBe(count - shown.length);
    // Every file is still counted, shown or not.
    expect(d.totals.files).toBe(count + 3);
    const sent = d.files.reduce((n, f) => n + (f.patch?.length ?? 0), 0);
    expect(sent).toBeLessThan(2 * 1024 * 1024);
  });

  it("sends patches for at most TOTAL_FILES files of a wide rewrite and lists the rest with their counts", () => {
    const { wt, review } = repoWithWorktree({ "a.txt": "a\n" });
    for (let i = 0; i < TOTAL_FILES + 5; i++)
      fs.writeFileSync(path.join(wt.worktreePath, `f-${String(i).padStart(4, "0")}.txt`), "one line\n");
    const d = review();
    expect(d.totals).toEqual({ files: TOTAL_FILES + 5, added: TOTAL_FILES + 5, removed: 0 });
    expect(d.files.filter((f) => f.patch !== null)).toHaveLength(TOTAL_FILES);
    expect(d.files.slice(TOTAL_FILES).map((f) => [f.omitted, f.added])).toEqual(Array.from({ length: 5 }, () => ["budget", 1]));
  });
});
