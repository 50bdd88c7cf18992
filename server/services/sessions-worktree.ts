import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/**
 * One git worktree per session, on its own branch `workdeck/<session id>`, so parallel
 * sessions never touch the same files and the session's diff is its branch against the
 * commit it started from.
 */

export type SessionDiff = { baseCommit: string; branch: string | null; files: { path: string; added: number; removed: number }[]; diff: string };

function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 }).trim();
}

/** The worktree for a session, or null when the project is not in a git repository (or has no commit yet). */
export function createWorktree(opts: { projectPath: string; root: string; sessionId: number }): { worktreePath: string; cwd: string; branch: string; baseCommit: string } | null {
  let top: string;
  let base: string;
  try {
    top = git(opts.projectPath, ["rev-parse", "--show-toplevel"]);
    base = git(opts.projectPath, ["rev-parse", "HEAD"]);
  } catch {
    return null;
  }
  const branch = `workdeck/${opts.sessionId}`;
  const worktreePath = path.join(opts.root, String(opts.sessionId));
  fs.mkdirSync(opts.root, { recursive: true });
  git(top, ["worktree", "add", "-b", branch, worktreePath, base]);
  // A project inside a bigger repository works in the same sub-folder of the worktree.
  const rel = path.relative(fs.realpathSync(top), fs.realpathSync(opts.projectPath));
  return { worktreePath, cwd: path.join(worktreePath, rel), branch, baseCommit: base };
}

/** What the session changed: committed, staged, unstaged and new files, against the base commit. */
export function worktreeDiff(worktreePath: string, baseCommit: string): SessionDiff {
  if (!fs.existsSync(worktreePath)) return { baseCommit, branch: null, files: [], diff: "" };
  // Intent-to-add makes new files show up in `git diff` without staging their content.
  git(worktreePath, ["add", "-A", "-N"]);
  const diff = git(worktreePath, ["diff", baseCommit]);
  const files = git(worktreePath, ["diff", "--numstat", baseCommit])
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [a, r, ...p] = line.split("\t");
      return { path: p.join("\t"), added: Number(a) || 0, removed: Number(r) || 0 };
    });
  let branch: string | null = null;
  try {
    branch = git(worktreePath, ["rev-parse", "--abbrev-ref", "HEAD"]);
  } catch {
    branch = null;
  }
  return { baseCommit, branch, files, diff };
}
