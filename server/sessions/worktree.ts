import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inheritedEnvironment } from "../env";

/**
 * One git worktree per session, on its own branch `workdeck/<session id>`, so parallel
 * sessions never touch the same files and the session's diff is its branch against the
 * commit it started from. Everything here that reads a worktree's state uses plumbing
 * (a throwaway index, commit-tree, update-ref), so looking at a session never touches
 * the index or files the agent works with.
 */

// Settings of the user's that would change the output we parse (quoted paths, no a/ b/ prefixes, colour).
const READ_CONFIG = ["-c", "core.quotePath=false", "-c", "diff.noprefix=false", "-c", "color.ui=false"];

/** Runs git and returns its trimmed stdout; throws with git's stderr on a non-zero exit. */
export function git(cwd: string, args: string[], env: Record<string, string | undefined> = {}): string {
  return execFileSync("git", [...READ_CONFIG, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...inheritedEnvironment(), ...env } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
}

/** Runs git and hands back the exit code with both streams: for commands whose non-zero exit is an answer (merge-tree, merge). */
export function gitResult(
  cwd: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  input?: string,
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync("git", [...READ_CONFIG, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...inheritedEnvironment(), ...env } as NodeJS.ProcessEnv,
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** The worktree for a session, or null when the project is not in a git repository (or has no commit yet). */
export function createWorktree(opts: {
  projectPath: string;
  root: string;
  sessionId: number;
}): { worktreePath: string; cwd: string; branch: string; baseCommit: string; baseBranch: string | null } | null {
  let top: string;
  let base: string;
  try {
    top = git(opts.projectPath, ["rev-parse", "--show-toplevel"]);
    base = git(opts.projectPath, ["rev-parse", "HEAD"]);
  } catch {
    return null;
  }
  // What Merge lands on later: the branch checked out now (none on a detached HEAD).
  const baseBranch = gitResult(opts.projectPath, ["symbolic-ref", "--short", "-q", "HEAD"]).stdout.trim() || null;
  const branch = `workdeck/${opts.sessionId}`;
  const worktreePath = path.join(opts.root, String(opts.sessionId));
  fs.mkdirSync(opts.root, { recursive: true });
  git(top, ["worktree", "add", "-b", branch, worktreePath, base]);
  // A project inside a bigger repository works in the same sub-folder of the worktree.
  const rel = path.relative(fs.realpathSync(top), fs.realpathSync(opts.projectPath));
  return { worktreePath, cwd: path.join(worktreePath, rel), branch, baseCommit: base, baseBranch };
}

/** The tree of everything in the worktree as it is on disk (tracked, new, deleted; not ignored), built in a throwaway index. */
export function worktreeTree(worktreePath: string): string {
  const index = path.join(os.tmpdir(), `workdeck-index-${randomUUID()}`);
  try {
    const env = { GIT_INDEX_FILE: index };
    // A copy of the real index keeps its stat cache, so unchanged files are not hashed again.
    const real = path.resolve(worktreePath, git(worktreePath, ["rev-parse", "--git-path", "index"]));
    if (fs.existsSync(real)) fs.copyFileSync(real, index);
    else git(worktreePath, ["read-tree", "HEAD"], env);
    git(worktreePath, ["add", "-A", "--", "."], env);
    return git(worktreePath, ["write-tree"], env);
  } finally {
    fs.rmSync(index, { force: true });
  }
}

/**
 * The worktree's work as one commit: HEAD when nothing is uncommitted, else a new commit on
 * top of HEAD holding the uncommitted work. Only the object is written: no ref moves and the
 * worktree's index and files stay as they are.
 */
export function snapshotCommit(worktreePath: string, message: string): { commit: string; head: string; dirty: boolean } {
  const head = git(worktreePath, ["rev-parse", "HEAD"]);
  const tree = worktreeTree(worktreePath);
  if (tree === git(worktreePath, ["rev-parse", "HEAD^{tree}"])) return { commit: head, head, dirty: false };
  const commit = git(worktreePath, ["commit-tree", tree, "-p", head, "-m", message], identityEnv(worktreePath));
  return { commit, head, dirty: true };
}

/** A fallback author for our own commits when the repository has none configured (commit-tree refuses otherwise). */
export function identityEnv(cwd: string): Record<string, string> {
  const name = gitResult(cwd, ["config", "user.name"]).stdout.trim();
  const email = gitResult(cwd, ["config", "user.email"]).stdout.trim();
  const env: Record<string, string> = {};
  if (!name) Object.assign(env, { GIT_AUTHOR_NAME: "Workdeck", GIT_COMMITTER_NAME: "Workdeck" });
  if (!email) Object.assign(env, { GIT_AUTHOR_EMAIL: "workdeck@localhost", GIT_COMMITTER_EMAIL: "workdeck@localhost" });
  return env;
}

/** The commit a ref or id names, or null when there is none (a deleted branch, a collected object). */
export function resolveCommit(cwd: string, rev: string): string | null {
  const r = gitResult(cwd, ["rev-parse", "--verify", "-q", `${rev}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** The main checkout of the repository a worktree or project folder belongs to. */
export function repositoryTop(cwd: string): string {
  return git(cwd, ["rev-parse", "--show-toplevel"]);
}

/** Every worktree of the repository with the branch it has checked out. */
export function listWorktrees(repo: string): { path: string; branch: string | null }[] {
  const out: { path: string; branch: string | null }[] = [];
  for (const block of git(repo, ["worktree", "list", "--porcelain"]).split("\n\n")) {
    const lines = block.split("\n");
    const wt = lines.find((l) => l.startsWith("worktree "))?.slice("worktree ".length);
    const branch = lines.find((l) => l.startsWith("branch "))?.slice("branch refs/heads/".length) ?? null;
    if (wt) out.push({ path: wt, branch });
  }
  return out;
}

/** Removes a session's worktree (its files go: callers keep the work in a commit first) and forgets it in the repository. */
export function removeWorktree(repo: string, worktreePath: string): void {
  if (fs.existsSync(worktreePath)) {
    const r = gitResult(repo, ["worktree", "remove", "--force", "--force", worktreePath]);
    // Not a registered worktree any more (moved by hand): the folder is still ours to remove.
    if (r.code !== 0 && fs.existsSync(worktreePath)) fs.rmSync(worktreePath, { recursive: true, force: true });
  }
  gitResult(repo, ["worktree", "prune"]);
}

/** Deletes a local branch if it exists. */
export function deleteBranch(repo: string, branch: string): void {
  if (resolveCommit(repo, `refs/heads/${branch}`)) git(repo, ["branch", "-D", branch]);
}
