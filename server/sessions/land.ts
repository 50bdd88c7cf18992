import fs from "node:fs";
import { sql } from "drizzle-orm";
import { LandInputSchema, type LandInput, type LandResult, type SessionDiff } from "@/lib/schemas/session-land";
import type { Db } from "../db/client";
import type { SqlStore } from "../db/sql-store";
import { sqlStoreOf } from "../accounts/rows";
import { AppError, isAppError } from "../app-error";
import type { EventBus } from "../events/bus";
import type { Logger } from "../logger";
import type { ProjectRegistry } from "../projects/service";
import { sessionDiff } from "./diff";
import { readSession, sessionFromRaw, updateSession, type SessionRow } from "./rows";
import {
  deleteBranch,
  git,
  gitResult,
  identityEnv,
  listWorktrees,
  removeWorktree,
  repositoryTop,
  resolveCommit,
  snapshotCommit,
} from "./worktree";

/**
 * Review and land (issue 11, DESIGN "Steering sessions"): a finished session's branch is merged
 * onto the branch the project had checked out at launch, or discarded; either way its worktree
 * and branch go. The merge is computed without a working tree (`git merge-tree --write-tree`),
 * so a conflict changes nothing anywhere, and the user's checkout only ever moves by a
 * fast-forward git itself checks against their uncommitted changes. Uncommitted work in a
 * worktree is committed first, never dropped silently.
 */

/** The rows go through the SQL port (issue 14): `sqlStore`, or one over `db`'s connection. */
export type LandDeps = { db?: Db; sqlStore?: SqlStore; bus: EventBus; projects: Pick<ProjectRegistry, "find">; log?: Logger };

type Row = SessionRow;

/** Sessions being landed in this process: a double click must not merge twice. */
const landing = new Set<number>();

async function row(deps: LandDeps, id: number): Promise<Row> {
  const r = await readSession(sqlStoreOf(deps), id);
  if (!r) throw new AppError("NOT_FOUND", `No session with id ${id}`);
  return r;
}

async function announce(deps: LandDeps, s: Row): Promise<void> {
  await deps.bus.publishAsync({ type: "sessions.updated", projectSlug: s.projectSlug, sessionId: s.id, status: s.status });
}

/** The repository's main checkout: through the project folder, or through the worktree when the project is gone. */
function repositoryOf(deps: LandDeps, s: Row): string {
  const projectPath = deps.projects.find(s.projectSlug)?.path;
  for (const candidate of [projectPath, s.worktreePath]) {
    if (!candidate || !fs.existsSync(candidate)) continue;
    try {
      return listWorktrees(repositoryTop(candidate))[0]?.path ?? repositoryTop(candidate);
    } catch {
      // not a repository (any more): try the next
    }
  }
  throw new AppError(
    "UNPROCESSABLE",
    `The git repository of session ${s.id} (project "${s.projectSlug}") cannot be found any more`,
    "no_repository",
  );
}

function liveWorktree(s: Row): string | null {
  return s.worktreePath && !s.worktreeRemovedAt && fs.existsSync(s.worktreePath) ? s.worktreePath : null;
}

function isAncestor(repo: string, a: string, b: string): boolean {
  return gitResult(repo, ["merge-base", "--is-ancestor", a, b]).code === 0;
}

/** Git's own messages name absolute paths now and then; a response never does. */
function scrub(text: string, repo: string): string {
  return text
    .split(repo)
    .join("<project>")
    .replace(/(?<![\w<])\/[^\s'":]+/g, "<path>")
    .trim();
}

/** A git command that failed unexpectedly becomes an error a person can act on: git's first line, no server path. */
function explainGit<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isAppError(err)) throw err;
    const stderr = String((err as { stderr?: unknown }).stderr ?? "");
    const lines = stderr.split("\n").filter((l) => l.trim());
    const line = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? "git failed";
    throw new AppError("UNPROCESSABLE", `${what}: ${scrub(line, "\0")}`, "git_failed");
  }
}

/** The files git lists (tab-indented) under "would be overwritten by merge". */
function listedFiles(stderr: string): string[] {
  return [
    ...new Set(
      stderr
        .split("\n")
        .filter((l) => l.startsWith("\t"))
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
}

/** Moves `branch` from `from` to `to` (a descendant): by a fast-forward where it is checked out, else by the ref alone. */
function advanceBranch(repo: string, branch: string, from: string, to: string, sessionId: number): void {
  const checkedOut = listWorktrees(repo).find((w) => w.branch === branch);
  if (!checkedOut) {
    // Compare-and-swap: a commit made meanwhile fails this instead of being lost.
    const r = gitResult(repo, ["update-ref", "-m", `workdeck: merge session ${sessionId}`, `refs/heads/${branch}`, to, from]);
    if (r.code !== 0)
      throw new AppError(
        "CONFLICT",
        `The branch "${branch}" moved while session ${sessionId} was being merged; nothing was changed. Merge again.`,
        "branch_moved",
      );
    return;
  }
  // git checks the user's uncommitted and untracked files against every path the fast-forward touches, all before writing any.
  const r = gitResult(checkedOut.path, ["merge", "--ff-only", "--no-stat", "-q", to], { GIT_MERGE_AUTOEDIT: "no" });
  if (r.code === 0) return;
  const files = listedFiles(r.stderr);
  if (files.length) {
    throw new AppError(
      "CONFLICT",
      `The project checkout has uncommitted changes the merge would overwrite: ${files.join(", ")}. Commit or stash them there, then merge again; nothing was changed.`,
      "checkout_dirty",
      { files },
    );
  }
  throw new AppError(
    "CONFLICT",
    `The project checkout could not take the merge: ${scrub(r.stderr.split("\n").find((l) => l.trim()) ?? "git refused", checkedOut.path)}. Nothing was changed.`,
    "checkout_refused",
  );
}

/** Lands `tip` on the session's base branch; refuses with the conflicting files named before anything is written. */
function mergeOnto(repo: string, s: Row, tip: string): Pick<LandResult, "landedCommit" | "how"> {
  const base = s.baseBranch;
  if (!base) {
    throw new AppError(
      "UNPROCESSABLE",
      `Session ${s.id} has no launch branch to merge into (the project was on a detached HEAD, or the session predates this record). Merge ${s.branch} by hand, or discard it.`,
      "no_base_branch",
    );
  }
  const target = resolveCommit(repo, `refs/heads/${base}`);
  if (!target)
    throw new AppError(
      "UNPROCESSABLE",
      `The branch "${base}" session ${s.id} started from no longer exists, so there is nothing to merge it into`,
      "base_branch_missing",
    );
  if (isAncestor(repo, tip, target)) return { landedCommit: target, how: "up_to_date" };
  if (isAncestor(repo, target, tip)) {
    advanceBranch(repo, base, target, tip, s.id);
    return { landedCommit: tip, how: "fast_forward" };
  }
  const r = gitResult(repo, ["merge-tree", "--write-tree", "--name-only", "--no-messages", target, tip]);
  if (r.code === 1) {
    const files = [...new Set(r.stdout.split("\n").slice(1).filter(Boolean))];
    throw new AppError(
      "CONFLICT",
      `Session ${s.id} does not merge cleanly into ${base}: conflicts in ${files.join(", ")}. Nothing was changed; resolve them in the session (resume it), or discard it.`,
      "merge_conflict",
      { files },
    );
  }
  if (r.code !== 0) throw new AppError("UNPROCESSABLE", `git could not compute the merge: ${scrub(r.stderr, repo)}`, "merge_failed");
  const tree = r.stdout.split("\n")[0]!.trim();
  const commit = git(
    repo,
    ["commit-tree", tree, "-p", target, "-p", tip, "-m", `Merge ${s.branch} (Workdeck session ${s.id}) into ${base}`],
    identityEnv(repo),
  );
  advanceBranch(repo, base, target, commit, s.id);
  return { landedCommit: commit, how: "merge_commit" };
}

/** `sessions.land({ id, mode })`. */
export async function landSession(deps: LandDeps, raw: LandInput): Promise<LandResult> {
  const { id, mode } = LandInputSchema.parse(raw);
  if (landing.has(id)) throw new AppError("CONFLICT", `Session ${id} is being landed already`, "landing");
  landing.add(id);
  try {
    const s = await row(deps, id);
    const result = explainGit(`Could not ${mode} session ${id}`, () => land(deps, s, mode));
    const now = new Date();
    await updateSession(sqlStoreOf(deps), id, {
      landed: result.landed,
      landedCommit: result.landedCommit,
      landedAt: now,
      branchCommit: result.branchCommit,
      worktreeRemovedAt: s.worktreeRemovedAt ?? now,
    });
    await announce(deps, s);
    return result;
  } finally {
    landing.delete(id);
  }
}

/** The git side of a landing (synchronous: git commands); the caller records it. */
function land(deps: LandDeps, s: Row, mode: LandInput["mode"]): LandResult {
  const id = s.id;
  if (s.status === "queued" || s.status === "running") {
    throw new AppError(
      "CONFLICT",
      `Session ${id} is still ${s.status}: stop it or let it finish before you merge or discard its work`,
      "still_running",
    );
  }
  if (s.landed) throw new AppError("CONFLICT", `Session ${id} was already ${s.landed}`, "already_landed");
  if (!s.branch || !s.baseCommit)
    throw new AppError(
      "UNPROCESSABLE",
      `Session ${id} has no worktree branch (the project is not a git repository, or worktrees were off), so there is nothing to land`,
      "no_worktree",
    );
  const repo = repositoryOf(deps, s);
  const worktree = liveWorktree(s);
  // The work as it is: the branch plus whatever the agent left uncommitted (as an object only, until it lands).
  const tip = worktree
    ? snapshotCommit(worktree, `Workdeck session ${id}: uncommitted work`).commit
    : (resolveCommit(repo, `refs/heads/${s.branch}`) ?? (s.branchCommit ? resolveCommit(repo, s.branchCommit) : null));
  if (!tip && mode === "merge")
    throw new AppError(
      "UNPROCESSABLE",
      `The branch ${s.branch} of session ${id} no longer exists, so there is nothing to merge`,
      "branch_missing",
    );

  const merged = mode === "merge" ? mergeOnto(repo, s, tip!) : { landedCommit: null, how: null };
  // The work has landed (or was dropped on purpose) from here on: a clean-up git refuses
  // (the user checked the session branch out somewhere) leaves the branch, not an unrecorded merge.
  try {
    if (worktree) removeWorktree(repo, worktree);
    else gitResult(repo, ["worktree", "prune"]);
    deleteBranch(repo, s.branch);
  } catch (err) {
    deps.log?.warn({ err, sessionId: id }, "landed, but the session's worktree or branch could not be removed");
  }
  return {
    id,
    landed: mode === "merge" ? "merged" : "discarded",
    landedCommit: merged.landedCommit,
    branchCommit: tip ?? s.branchCommit,
    baseBranch: s.baseBranch,
    how: merged.how,
  };
}

/**
 * Retention: the worktrees of sessions that finished more than `days` ago are removed. Their
 * uncommitted work is committed to the session branch first, and the branch is kept, so the
 * diff, Merge and Resume still work.
 */
export async function sweepWorktrees(deps: LandDeps, opts: { days: number; now?: Date }): Promise<number[]> {
  const now = opts.now ?? new Date();
  const cutoff = now.getTime() - opts.days * 24 * 3600 * 1000;
  const store = sqlStoreOf(deps);
  const due = (
    await store.all<Record<string, unknown>>(
      sql`SELECT * FROM sessions WHERE worktree_path IS NOT NULL AND worktree_removed_at IS NULL AND landed IS NULL
          AND status NOT IN ('queued', 'running') AND ended_at < ${cutoff}`,
    )
  ).map(sessionFromRaw);
  const removed: number[] = [];
  for (const s of due) {
    try {
      const repo = repositoryOf(deps, s);
      const worktree = liveWorktree(s);
      let kept = s.branch ? resolveCommit(repo, `refs/heads/${s.branch}`) : null;
      if (worktree) {
        const snap = snapshotCommit(
          worktree,
          `Workdeck session ${s.id}: uncommitted work, kept when its worktree was removed after ${opts.days} days`,
        );
        if (snap.dirty) {
          const ref = gitResult(worktree, ["symbolic-ref", "-q", "HEAD"]).stdout.trim() || `refs/heads/${s.branch}`;
          git(worktree, ["update-ref", "-m", "workdeck: worktree retention", ref, snap.commit, snap.head]);
        }
        kept = snap.commit;
        removeWorktree(repo, worktree);
      } else gitResult(repo, ["worktree", "prune"]);
      await updateSession(store, s.id, { worktreeRemovedAt: now, branchCommit: kept });
      await announce(deps, s);
      removed.push(s.id);
    } catch (err) {
      deps.log?.warn({ err, sessionId: s.id }, "could not remove a session worktree past its retention");
    }
  }
  return removed;
}

/**
 * Before a finished session resumes: a landed one cannot (its branch is gone); one whose
 * worktree retention removed gets it back from the kept branch, at the same place.
 */
export async function prepareResume(deps: LandDeps, id: number): Promise<void> {
  const s = await row(deps, id);
  if (s.landed)
    throw new AppError(
      "CONFLICT",
      `Session ${id} was ${s.landed}: its worktree and branch are gone, so it cannot be resumed. Start a new session instead.`,
      "already_landed",
    );
  if (!s.worktreeRemovedAt || !s.worktreePath || !s.branch) return;
  const repo = repositoryOf(deps, s);
  if (!resolveCommit(repo, `refs/heads/${s.branch}`))
    throw new AppError("CONFLICT", `The branch ${s.branch} of session ${id} no longer exists, so it cannot be resumed`, "branch_missing");
  gitResult(repo, ["worktree", "prune"]);
  explainGit(`Could not bring back the worktree of session ${id}`, () => git(repo, ["worktree", "add", s.worktreePath!, s.branch!]));
  await updateSession(sqlStoreOf(deps), id, { worktreeRemovedAt: null });
}

/** `sessions.diff`: the review of what the session changed. */
export async function reviewSession(deps: LandDeps, id: number): Promise<SessionDiff> {
  const s = await row(deps, id);
  if (!s.worktreePath || !s.baseCommit)
    throw new AppError(
      "UNPROCESSABLE",
      `Session ${id} has no worktree (the project is not a git repository, or worktrees are off)`,
      "no_worktree",
    );
  return explainGit(`Could not compute the diff of session ${id}`, () =>
    sessionDiff({ ...s, baseCommit: s.baseCommit!, projectPath: deps.projects.find(s.projectSlug)?.path ?? null }),
  );
}
