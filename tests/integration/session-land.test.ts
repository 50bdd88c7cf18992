import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "@/server/db/client";
import type { EventBus } from "@/server/events/bus";
import type { ProjectRegistry } from "@/server/projects/service";
import { landSession, sweepWorktrees } from "@/server/sessions/land";
import { SessionRunner } from "@/server/sessions/service";
import { afterToolResult, FakeAnthropic } from "../support/fake-anthropic";
import { closeHarness, projectStore, runnerDeps } from "../support/session-harness";
import { repoRoot, tempDir } from "../support/temp";

/**
 * Review and land (issue 11) with the REAL Claude Code binary against the fake Messages API:
 * a session's work is made by the agent in its worktree, then merged onto the branch the
 * project had checked out at launch, refused when it conflicts, discarded, or kept on its
 * branch when retention removes the worktree. Real git repositories in temp folders.
 */

type Harness = { fake: FakeAnthropic; runner: SessionRunner; db: Db; project: string; projects: ProjectRegistry; bus: EventBus };
let current: Harness | null = null;

afterEach(async () => {
  await closeHarness(current);
  current = null;
});

const AUTHOR = ["-c", "user.email=dev@example.com", "-c", "user.name=Dev"];
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", [...AUTHOR, ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const gitOk = (cwd: string, ...args: string[]) => spawnSync("git", args, { cwd, stdio: "ignore" }).status === 0;

async function setup(): Promise<Harness> {
  const fake = await FakeAnthropic.start();
  const root = tempDir("workdeck-land-");
  const project = path.join(root, "project");
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, "README.md"), "# demo\n\nline one\nline two\n");
  fs.writeFileSync(path.join(project, "notes.txt"), "notes\n");
  git(project, "init", "-q", "-b", "main");
  git(project, "add", ".");
  git(project, "commit", "-q", "-m", "init");
  const defaultConfig = path.join(root, "default-config");
  fs.mkdirSync(defaultConfig);
  const { db, bus, projects } = projectStore(path.join(root, "w.db"), project, repoRoot);
  const runner = new SessionRunner(
    runnerDeps(
      root,
      { db, bus, projects },
      { fakeUrl: fake.url, configDir: defaultConfig, defaults: { worktrees: true }, env: { ANTHROPIC_API_KEY: "sk-fake" } },
    ),
  );
  current = { fake, runner, db, project, projects, bus };
  return current;
}

/** A session whose agent runs one Bash command in its worktree, then finishes. */
async function sessionRunning(h: Harness, command: string): Promise<number> {
  h.fake.queue({ kind: "tool_use", name: "Bash", input: { command }, text: "Working." });
  h.fake.when(afterToolResult, { kind: "text", text: "Done." }, { times: 1 });
  const { id } = await h.runner.start({ projectId: "demo", prompt: `Run ${command}` });
  const s = await h.runner.waitForEnd(id);
  expect(s.status).toBe("completed");
  return id;
}

const land = (h: Harness, id: number, mode: "merge" | "discard") =>
  landSession({ db: h.db, bus: h.bus, projects: h.projects }, { id, mode });

/** Everything a refused merge must leave as it was. */
async function snapshot(h: Harness, id: number) {
  const s = await h.runner.get({ id });
  return {
    main: git(h.project, "rev-parse", "main"),
    head: git(h.project, "symbolic-ref", "HEAD"),
    checkoutStatus: git(h.project, "status", "--porcelain", "--untracked-files=all"),
    checkoutFiles: fs.readdirSync(h.project).sort(),
    branch: git(h.project, "rev-parse", s.branch!),
    worktreeStatus: git(s.worktreePath!, "status", "--porcelain", "--untracked-files=all"),
    worktreeFiles: fs.readdirSync(s.worktreePath!).sort(),
    landed: s.landed,
  };
}

describe("landing a session (real Claude Code binary, fake API, real git)", () => {
  it("merge: committed and uncommitted work lands on the launch branch with a merge commit; the worktree and branch are gone", async () => {
    const h = await setup();
    // The agent commits one file and leaves another uncommitted.
    const id = await sessionRunning(
      h,
      `printf 'one\\n' > committed.txt && git add committed.txt && git ${AUTHOR.join(" ")} commit -qm 'agent work' && printf 'two\\n' > loose.txt`,
    );
    const s = await h.runner.get({ id });
    expect(s).toMatchObject({ branch: `workdeck/${id}`, baseBranch: "main", landed: null });
    // The review shows both, the uncommitted one included.
    expect((await h.runner.diff({ id })).files.map((f) => [f.path, f.status])).toEqual([
      ["committed.txt", "added"],
      ["loose.txt", "added"],
    ]);
    // Meanwhile the user committed on main and has an unrelated edit in their checkout.
    fs.writeFileSync(path.join(h.project, "other.txt"), "other\n");
    git(h.project, "add", "other.txt");
    git(h.project, "commit", "-q", "-m", "user work");
    fs.appendFileSync(path.join(h.project, "notes.txt"), "my unsaved note\n");
    const before = git(h.project, "rev-parse", "main");

    const result = await land(h, id, "merge");

    expect(result).toMatchObject({ landed: "merged", how: "merge_commit", baseBranch: "main" });
    const main = git(h.project, "rev-parse", "main");
    expect(result.landedCommit).toBe(main);
    expect(git(h.project, "rev-list", "--parents", "-n", "1", "main").split(" ").slice(1)).toEqual([before, result.branchCommit]);
    expect(git(h.project, "show", "main:committed.txt")).toBe("one");
    expect(git(h.project, "show", "main:loose.txt")).toBe("two");
    expect(git(h.project, "show", "main:other.txt")).toBe("other");
    // The user's checkout moved with its branch, and kept their unrelated edit.
    expect(fs.readFileSync(path.join(h.project, "loose.txt"), "utf8")).toBe("two\n");
    expect(git(h.project, "status", "--porcelain")).toBe("M notes.txt");
    // The worktree and its branch are gone; the session says how it landed.
    expect(fs.existsSync(s.worktreePath!)).toBe(false);
    expect(gitOk(h.project, "rev-parse", "--verify", "-q", `refs/heads/workdeck/${id}`)).toBe(false);
    expect(git(h.project, "worktree", "list", "--porcelain").match(/^worktree /gm)).toHaveLength(1);
    expect((await h.runner.get({ id })).landed).toMatchObject({ mode: "merged", commit: main, branchCommit: result.branchCommit });
    // The page's review still shows what the session changed.
    expect(await h.runner.diff({ id })).toMatchObject({ source: "landed", totals: { files: 2, added: 2, removed: 0 } });
    // Landed once: not twice, and not resumed.
    await expect(land(h, id, "merge")).rejects.toThrow(expect.objectContaining({ code: "CONFLICT", reason: "already_landed" }));
    await expect(h.runner.resume({ id, text: "more" })).rejects.toThrow(
      expect.objectContaining({ code: "CONFLICT", reason: "already_landed" }),
    );
  });

  it("merge: a branch that did not move is fast-forwarded", async () => {
    const h = await setup();
    const id = await sessionRunning(h, "printf 'hi\\n' > hello.txt");
    const result = await land(h, id, "merge");
    expect(result).toMatchObject({ landed: "merged", how: "fast_forward" });
    expect(git(h.project, "rev-parse", "main")).toBe(result.branchCommit);
    expect(fs.readFileSync(path.join(h.project, "hello.txt"), "utf8")).toBe("hi\n");
    expect(git(h.project, "status", "--porcelain")).toBe("");
  });

  it("a conflicting merge is refused with the conflicting file named, and nothing changes anywhere", async () => {
    const h = await setup();
    const id = await sessionRunning(h, "sed -i 's/line one/line one, by the agent/' README.md && printf 'x\\n' > extra.txt");
    // main changed the same line since the launch.
    fs.writeFileSync(path.join(h.project, "README.md"), "# demo\n\nline one, by the user\nline two\n");
    git(h.project, "commit", "-q", "-am", "user edit");
    const before = await snapshot(h, id);

    let error: unknown;
    try {
      await land(h, id, "merge");
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: "CONFLICT", reason: "merge_conflict", details: { files: ["README.md"] } });
    expect((error as Error).message).toMatch(/does not merge cleanly into main: conflicts in README\.md/);
    expect((error as Error).message).not.toContain(h.project);
    expect(await snapshot(h, id)).toEqual(before);
    // Still landable the other way.
    expect(await land(h, id, "discard")).toMatchObject({ landed: "discarded" });
  });

  it("a merge the user's uncommitted files would collide with is refused, naming them; nothing changes", async () => {
    const h = await setup();
    const id = await sessionRunning(h, "printf 'from the agent\\n' > hello.txt");
    fs.writeFileSync(path.join(h.project, "hello.txt"), "the user's own, not committed\n");
    const before = await snapshot(h, id);
    await expect(land(h, id, "merge")).rejects.toThrow(
      expect.objectContaining({ code: "CONFLICT", reason: "checkout_dirty", details: { files: ["hello.txt"] } }),
    );
    expect(await snapshot(h, id)).toEqual(before);
    expect(fs.readFileSync(path.join(h.project, "hello.txt"), "utf8")).toBe("the user's own, not committed\n");
  });

  it("discard: the worktree and branch are gone, the project's branch untouched, the work's last commit recorded", async () => {
    const h = await setup();
    const id = await sessionRunning(h, "printf 'scratch\\n' > scratch.txt");
    const s = await h.runner.get({ id });
    const main = git(h.project, "rev-parse", "main");

    const result = await land(h, id, "discard");

    expect(result).toMatchObject({ landed: "discarded", landedCommit: null });
    expect(fs.existsSync(s.worktreePath!)).toBe(false);
    expect(gitOk(h.project, "rev-parse", "--verify", "-q", `refs/heads/workdeck/${id}`)).toBe(false);
    expect(git(h.project, "rev-parse", "main")).toBe(main);
    expect(fs.existsSync(path.join(h.project, "scratch.txt"))).toBe(false);
    // Not silently: the uncommitted work was committed first and its id kept on the session.
    expect(git(h.project, "show", `${result.branchCommit}:scratch.txt`)).toBe("scratch");
    expect((await h.runner.get({ id })).landed).toMatchObject({ mode: "discarded", commit: null, branchCommit: result.branchCommit });
  });

  it("a session launched on a detached HEAD has no branch to merge into: Merge is refused, Discard works", async () => {
    const h = await setup();
    git(h.project, "checkout", "-q", "--detach");
    const id = await sessionRunning(h, "printf 'x\\n' > x.txt");
    expect((await h.runner.get({ id })).baseBranch).toBeNull();
    const main = git(h.project, "rev-parse", "main");
    await expect(land(h, id, "merge")).rejects.toThrow(expect.objectContaining({ code: "UNPROCESSABLE", reason: "no_base_branch" }));
    expect(fs.existsSync((await h.runner.get({ id })).worktreePath!)).toBe(true);
    expect(await land(h, id, "discard")).toMatchObject({ landed: "discarded" });
    expect(git(h.project, "rev-parse", "main")).toBe(main);
  });

  it("merge onto a branch no checkout has out moves the ref alone; a session branch the user checked out is left, the landing still recorded", async () => {
    const h = await setup();
    const id = await sessionRunning(h, "printf 'kept\\n' > kept.txt");
    h.db.$client.prepare("UPDATE sessions SET ended_at = ? WHERE id = ?").run(Date.now() - 30 * 24 * 3600 * 1000, id);
    expect(await sweepWorktrees({ db: h.db, bus: h.bus, projects: h.projects }, { days: 7 })).toEqual([id]);
    // The user looks at the kept branch in their checkout: main is checked out nowhere now.
    git(h.project, "checkout", "-q", `workdeck/${id}`);
    const result = await land(h, id, "merge");
    expect(result).toMatchObject({ landed: "merged", how: "fast_forward" });
    expect(git(h.project, "show", "main:kept.txt")).toBe("kept");
    expect(git(h.project, "symbolic-ref", "--short", "HEAD")).toBe(`workdeck/${id}`);
    expect((await h.runner.get({ id })).landed).toMatchObject({ mode: "merged", commit: result.landedCommit });
  });

  it("a git failure is explained by git's own words, naming no server path, and changes nothing", async () => {
    const h = await setup();
    const id = await sessionRunning(h, "printf 'w\\n' > w.txt");
    const wt = (await h.runner.get({ id })).worktreePath!;
    h.db.$client.prepare("UPDATE sessions SET ended_at = ? WHERE id = ?").run(Date.now() - 30 * 24 * 3600 * 1000, id);
    await sweepWorktrees({ db: h.db, bus: h.bus, projects: h.projects }, { days: 7 });
    // Someone put a folder where the worktree was: git will not add the worktree back there.
    fs.mkdirSync(wt, { recursive: true });
    fs.writeFileSync(path.join(wt, "someone-elses.txt"), "x\n");
    let error: Error | undefined;
    try {
      await h.runner.resume({ id, text: "go on" });
    } catch (err) {
      error = err as Error;
    }
    expect(error).toMatchObject({ code: "UNPROCESSABLE", reason: "git_failed" });
    expect(error!.message).toMatch(/^Could not bring back the worktree of session \d+: fatal: .*already exists/);
    expect(error!.message).not.toMatch(/\/tmp|workdeck-land-/);
    expect(await h.runner.get({ id })).toMatchObject({ status: "completed", worktreeRemovedAt: expect.any(Date) });
  });

  it("a session still running cannot be landed", async () => {
    const h = await setup();
    h.fake.queue({ kind: "hang" });
    const { id } = await h.runner.start({ projectId: "demo", prompt: "hang" });
    await h.fake.waitFor((r) => r.main);
    await expect(land(h, id, "merge")).rejects.toThrow(
      expect.objectContaining({ code: "CONFLICT", reason: "still_running", message: expect.stringContaining("still running") }),
    );
    await expect(land(h, id, "discard")).rejects.toThrow(expect.objectContaining({ code: "CONFLICT", reason: "still_running" }));
    await h.runner.stop({ id });
    expect(fs.existsSync((await h.runner.get({ id })).worktreePath!)).toBe(true);
  });

  it("retention removes the worktrees of sessions finished long enough ago, committing uncommitted work to the kept branch; resume and merge still work", async () => {
    const h = await setup();
    const old = await sessionRunning(h, "printf 'old work\\n' > old.txt");
    const recent = await sessionRunning(h, "printf 'recent work\\n' > recent.txt");
    const oldPath = (await h.runner.get({ id: old })).worktreePath!;
    const recentPath = (await h.runner.get({ id: recent })).worktreePath!;
    // Finished ten days ago (the clock is the data, not the test's wait).
    h.db.$client.prepare("UPDATE sessions SET ended_at = ? WHERE id = ?").run(Date.now() - 10 * 24 * 3600 * 1000, old);

    expect(await sweepWorktrees({ db: h.db, bus: h.bus, projects: h.projects }, { days: 7 })).toEqual([old]);

    expect(fs.existsSync(oldPath)).toBe(false);
    expect(fs.existsSync(recentPath)).toBe(true);
    // The uncommitted file is a commit on the kept branch.
    expect(git(h.project, "show", `workdeck/${old}:old.txt`)).toBe("old work");
    expect(git(h.project, "log", "-1", "--format=%s", `workdeck/${old}`)).toMatch(/uncommitted work/);
    expect(await h.runner.get({ id: old })).toMatchObject({ landed: null, worktreeRemovedAt: expect.any(Date) });
    expect(await h.runner.diff({ id: old })).toMatchObject({ source: "branch", files: [expect.objectContaining({ path: "old.txt" })] });
    // A second sweep has nothing left to do.
    expect(await sweepWorktrees({ db: h.db, bus: h.bus, projects: h.projects }, { days: 7 })).toEqual([]);

    // Resume brings the worktree back from the branch, and the agent works in it.
    h.fake.queue({ kind: "tool_use", name: "Bash", input: { command: "cat old.txt > seen.txt" } });
    h.fake.when(afterToolResult, { kind: "text", text: "Resumed." }, { times: 1 });
    await h.runner.resume({ id: old, text: "continue" });
    expect(await h.runner.waitForEnd(old)).toMatchObject({ status: "completed", worktreeRemovedAt: null });
    expect(fs.readFileSync(path.join(oldPath, "seen.txt"), "utf8")).toBe("old work\n");

    expect(await land(h, old, "merge")).toMatchObject({ landed: "merged" });
    expect(git(h.project, "show", "main:seen.txt")).toBe("old work");
  });
});
