import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { LoadedConfig } from "@/server/config";
import type { Db } from "@/server/db/client";
import { EventBus } from "@/server/events/bus";
import { SessionRunner, type SessionsDeps } from "@/server/sessions/service";
import { ingestHook } from "@/server/agents/service";
import type { WorkdeckConfig } from "@/lib/schemas/config";
import type { ChangeDetail } from "@/lib/schemas/openspec";
import { afterToolResult, FakeAnthropic, mainAsking } from "../support/fake-anthropic";
import { claudeChildEnv, closeHarness, projectStore, RUNNER_DEFAULTS, waitFor as pollFor } from "../support/session-harness";
import { repoRoot, tempDir } from "../support/temp";

/**
 * The session runner against the REAL Claude Code binary (the SDK's) and the local fake
 * Messages API. Each test: its own fake, temp project, DB and account config dirs.
 */

type Harness = { fake: FakeAnthropic; runner: SessionRunner; db: Db; project: string; root: string; deps: SessionsDeps };
let current: Harness | null = null;

afterEach(async () => {
  await closeHarness(current);
  current = null;
});

async function setup(
  opts: {
    claude?: WorkdeckConfig["claude"];
    /** `projects[].claude` of the demo project. */
    projectClaude?: NonNullable<WorkdeckConfig["projects"]>[number]["claude"];
    git?: boolean;
    claudePath?: string;
    accounts?: string[];
    openspec?: SessionsDeps["openspec"];
    hooks?: SessionsDeps["hooks"];
    /** Files committed in the project before the first commit (relative path -> content). */
    files?: Record<string, string>;
  } = {},
): Promise<Harness> {
  const fake = await FakeAnthropic.start();
  const root = tempDir("workdeck-sessions-");
  const project = path.join(root, "project");
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, "README.md"), "# demo\n");
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
    fs.writeFileSync(path.join(project, rel), content);
  }
  if (opts.git) {
    const g = (...args: string[]) => execFileSync("git", args, { cwd: project, stdio: "ignore" });
    g("init", "-q", "-b", "main");
    g("-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".");
    g("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "init");
  }
  const accounts = (opts.accounts ?? []).map((id) => {
    const configDir = path.join(root, `account-${id}`);
    fs.mkdirSync(configDir);
    return { id, configDir, oauthTokenEnv: `TOKEN_${id.toUpperCase()}` };
  });
  const defaultConfig = path.join(root, "default-config");
  fs.mkdirSync(defaultConfig);
  const { db, bus, projects } = projectStore(path.join(root, "w.db"), project, repoRoot);
  const config: LoadedConfig = {
    config: {
      projects: opts.projectClaude ? [{ slug: "demo", path: project, claude: opts.projectClaude }] : undefined,
      claude: {
        ...opts.claude,
        accounts: accounts.length ? accounts : undefined,
        defaults: { permissionMode: "bypassPermissions", worktrees: !!opts.git, ...opts.claude?.defaults },
      },
    },
    file: undefined,
    baseDir: root,
  };
  const deps: SessionsDeps = {
    db,
    bus,
    projects,
    ...RUNNER_DEFAULTS,
    openspec: opts.openspec ?? RUNNER_DEFAULTS.openspec,
    hooks: opts.hooks,
    config,
    claudePath: opts.claudePath,
    baseEnv: claudeChildEnv(
      { home: root, fakeUrl: fake.url, configDir: defaultConfig },
      {
        CLAUDE_CODE_OAUTH_TOKEN: "tok-default",
        ANTHROPIC_API_KEY: "sk-should-be-removed-for-subscription-accounts",
        TOKEN_A: "tok-A",
        TOKEN_B: "tok-B",
        // One CLI-internal retry, so a persistent 529 reaches the runner quickly.
        CLAUDE_CODE_MAX_RETRIES: "1",
      },
    ),
    worktreesDir: path.join(root, "worktrees"),
  };
  const runner = new SessionRunner(deps, { retryBaseMs: 100, retryMaxMs: 400, stopGraceMs: 3_000 });
  current = { fake, runner, db, project, root, deps };
  return current;
}

const types = async (h: Harness, id: number) => (await h.runner.events({ id })).map((e) => e.type);

const waitFor = <T>(fn: () => T | undefined | null | false, timeoutMs = 20_000) => pollFor(fn, timeoutMs);

describe("sessions runner (real Claude Code binary, fake API)", () => {
  it("runs a tool-using session end to end in its own worktree: events in order, cost and turns, completed, diff", async () => {
    const h = await setup({ git: true });
    // Bash runs in the session's cwd: the worktree.
    h.fake.queue({ kind: "tool_use", name: "Bash", input: { command: "printf 'hello\\n' > hello.txt" }, text: "Writing it." });
    h.fake.when(afterToolResult, { kind: "text", text: "Wrote hello.txt." }, { times: 1 });
    const { id } = await h.runner.start({ projectId: "demo", prompt: "Create hello.txt" });
    const s = await h.runner.waitForEnd(id);

    expect(s).toMatchObject({
      status: "completed",
      exitReason: "success",
      exitMessage: "Wrote hello.txt.",
      accountId: "default",
      numTurns: 2,
      branch: `workdeck/${id}`,
    });
    expect(s.costUsd).toBeGreaterThan(0);
    expect(s.inputTokens).toBeGreaterThan(0);
    expect(s.claudeSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.runs).toEqual([expect.objectContaining({ n: 1, accountId: "default", outcome: "success", costUsd: s.costUsd, numTurns: 2 })]);

    const events = await h.runner.events({ id });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const t = events.map((e) => e.type);
    expect(t.indexOf("system/init")).toBeLessThan(t.indexOf("assistant"));
    expect(t.indexOf("assistant")).toBeLessThan(t.indexOf("user"));
    expect(t.lastIndexOf("user")).toBeLessThan(t.indexOf("result"));
    expect(t).toEqual(expect.arrayContaining(["workdeck/created", "workdeck/run_started", "workdeck/user_message", "workdeck/run_ended"]));
    // The implicit account is the environment's own login, as is (here: the API key beats the OAuth token).
    expect(h.fake.mainRequests.every((r) => r.authKind === "api-key")).toBe(true);

    // The project folder is untouched; the worktree has the file; the diff shows it.
    expect(fs.existsSync(path.join(h.project, "hello.txt"))).toBe(false);
    const diff = await h.runner.diff({ id });
    expect(diff.files).toEqual([expect.objectContaining({ path: "hello.txt", status: "added", added: 1, removed: 0 })]);
    expect(diff.files[0]!.patch).toContain("+hello");

    // The subscription back-fills everything stored, from a cursor.
    const ac = new AbortController();
    const seen: number[] = [];
    for await (const e of h.runner.onEvents({ id, lastEventId: 3, signal: ac.signal })) {
      seen.push(e.seq);
      if (e.seq === events.length) ac.abort();
    }
    expect(seen[0]).toBe(4);
    expect(seen.at(-1)).toBe(events.length);
    expect((await h.runner.accounts.list(() => 0))[0]).toMatchObject({ id: "default", state: "available", sessionsCount: 1 });
  });

  it("takes a follow-up message while running (send), then resumes a finished session with a new one", async () => {
    const h = await setup();
    h.fake.when(mainAsking("first task"), { kind: "text", text: "first answer", delayMs: 1_500 }, { times: 1 });
    h.fake.when(mainAsking("follow up"), { kind: "text", text: "follow-up answer" }, { times: 1 });
    h.fake.when(mainAsking("again please"), { kind: "text", text: "resumed answer" }, { times: 1 });
    const { id } = await h.runner.start({ projectId: "demo", prompt: "first task" });
    await waitFor(() => h.fake.mainRequests.length > 0);
    await h.runner.send({ id, text: "follow up" });
    const done = await h.runner.waitForEnd(id);
    expect(done).toMatchObject({ status: "completed", exitMessage: "follow-up answer" });
    expect((await types(h, id)).filter((t) => t === "result")).toHaveLength(2);

    // A finished session takes no message; it is resumed instead.
    await expect(h.runner.send({ id, text: "late" })).rejects.toThrow(/completed: only a running session takes messages/);
    await h.runner.resume({ id, text: "again please" });
    const resumed = await h.runner.waitForEnd(id);
    expect(resumed).toMatchObject({ status: "completed", exitMessage: "resumed answer", claudeSessionId: done.claudeSessionId });
    expect(resumed.runs).toHaveLength(2);
    expect(resumed.runs[1]).toMatchObject({ resumed: true, outcome: "success" });
    expect(resumed.runs[1]!.costUsd).toBeGreaterThan(0);
    expect(resumed.costUsd).toBeCloseTo(done.costUsd + resumed.runs[1]!.costUsd, 6);
    // The resumed request carried the earlier conversation.
    const last = h.fake.mainRequests.at(-1)!;
    expect(JSON.stringify(last.body?.messages)).toContain("first task");
  });

  it("stops a running session (interrupt), and a hung one that is killed", async () => {
    const h = await setup();
    h.fake.queue({ kind: "hang" });
    const { id } = await h.runner.start({ projectId: "demo", prompt: "wait forever" });
    await waitFor(() => h.fake.mainRequests.length > 0);
    const stopped = await h.runner.stop({ id });
    expect(stopped).toMatchObject({ status: "stopped", exitReason: "stopped" });
    await expect(h.runner.stop({ id })).rejects.toThrow(/stopped, not running/);
  });

  it("ends at max turns and at the budget cap as failed, with the reason", async () => {
    const h = await setup();
    h.fake.when((r) => r.main, { kind: "tool_use", name: "Bash", input: { command: "echo again" } });
    const { id } = await h.runner.start({ projectId: "demo", prompt: "loop", overrides: { maxTurns: 1 } });
    expect(await h.runner.waitForEnd(id)).toMatchObject({
      status: "failed",
      exitReason: "max_turns",
      exitMessage: "Reached maximum number of turns (1)",
    });

    const b = await h.runner.start({ projectId: "demo", prompt: "spend", overrides: { maxBudgetUsd: 0.0001 } });
    const s = await h.runner.waitForEnd(b.id);
    expect(s).toMatchObject({ status: "failed", exitReason: "budget" });
    expect(s.exitMessage).toMatch(/Reached maximum budget/);
    expect(s.costUsd).toBeGreaterThan(0);
  });

  it("a usage limit on account A parks A and continues the same session on account B (transcript carried over)", async () => {
    const h = await setup({ accounts: ["a", "b"] });
    const resetsAt = Math.floor(Date.now() / 1000) + 3 * 3600;
    h.fake.when((r) => r.credential === "tok-A", { kind: "usage_limit", resetsAt });
    h.fake.when((r) => r.main && r.credential === "tok-B", { kind: "text", text: "finished on B" });
    const { id } = await h.runner.start({ projectId: "demo", prompt: "do the work" });
    const s = await h.runner.waitForEnd(id);

    expect(s).toMatchObject({ status: "completed", accountId: "b", exitMessage: "finished on B" });
    expect(s.runs.map((r) => [r.accountId, r.outcome, r.resumed])).toEqual([
      ["a", "usage_limit", false],
      ["b", "success", true],
    ]);
    const posts = h.fake.requests.filter((r) => r.path === "/v1/messages");
    const firstB = posts.findIndex((r) => r.credential === "tok-B");
    expect(posts.slice(0, firstB).every((r) => r.credential === "tok-A" && r.status === 429)).toBe(true);
    expect(posts.slice(firstB).every((r) => r.credential === "tok-B")).toBe(true);
    // Subscription accounts never send the API key from the environment.
    expect(h.fake.requests.some((r) => r.authKind === "api-key")).toBe(false);
    // B's request carries A's conversation (--resume of the copied transcript).
    expect(JSON.stringify(h.fake.mainRequests.at(-1)!.body?.messages)).toContain("do the work");
    const switched = (await h.runner.events({ id })).find((e) => e.type === "workdeck/account_switched");
    expect(switched?.payload).toMatchObject({ from: "a", to: "b", transcriptCopied: true });

    const [a, b] = await h.runner.accounts.list((acc) => h.runner.runningCount(acc));
    expect(a).toMatchObject({ id: "a", state: "limited" });
    expect(a!.limitedUntil!.getTime()).toBeGreaterThanOrEqual(resetsAt * 1000);
    expect(a!.lastRateLimit).toMatchObject({ status: "rejected", resetsAt });
    expect(b).toMatchObject({ id: "b", state: "available", sessionsCount: 1 });
    expect(b!.costUsd).toBeGreaterThan(0);
  });

  it("an auth failure marks the account needs_login (with what to run) and the session moves on", async () => {
    const h = await setup({ accounts: ["a", "b"] });
    h.fake.when((r) => r.credential === "tok-A", { kind: "error", status: 401, message: "Invalid bearer token" });
    const { id } = await h.runner.start({ projectId: "demo", prompt: "hello" });
    const s = await h.runner.waitForEnd(id);
    expect(s).toMatchObject({ status: "completed", accountId: "b" });
    expect(s.runs[0]).toMatchObject({ accountId: "a", outcome: "auth_failed" });
    const a = (await h.runner.accounts.list(() => 0))[0]!;
    expect(a).toMatchObject({ state: "needs_login", loginHint: expect.stringContaining("TOKEN_A") });
    expect(a.lastError).toMatch(/authenticate|bearer/i);
  });

  it("retries a transient failure (overloaded past the CLI's own retries) with backoff, then completes", async () => {
    const h = await setup();
    h.fake.when((r) => r.main, { kind: "error", status: 529 }, { times: 2 });
    const { id } = await h.runner.start({ projectId: "demo", prompt: "hello" });
    const s = await h.runner.waitForEnd(id, 45_000);
    expect(s).toMatchObject({ status: "completed", exitReason: "success" });
    expect(s.runs.map((r) => r.outcome)).toEqual(["transient", "success"]);
    const t = await types(h, id);
    expect(t).toContain("system/api_retry");
    expect(t).toContain("workdeck/retry_scheduled");
  });

  it("a run killed by a signal is recorded as crashed, with what it had produced", async () => {
    const h = await setup();
    h.fake.queue({ kind: "hang" });
    const { id } = await h.runner.start({ projectId: "demo", prompt: "hang" });
    await waitFor(() => h.fake.mainRequests.length > 0);
    const row = h.db.$client.prepare("SELECT pid FROM sessions WHERE id = ?").get(id) as { pid: number };
    process.kill(row.pid, "SIGKILL");
    const s = await h.runner.waitForEnd(id);
    expect(s).toMatchObject({ status: "crashed", exitReason: "crashed" });
    expect(s.exitMessage).toMatch(/SIGKILL/);
    expect(await types(h, id)).toContain("system/init");
  });

  it("on server start, a session left running is marked interrupted and its orphaned claude process is killed", async () => {
    const h = await setup();
    h.fake.queue({ kind: "hang" });
    const { id } = await h.runner.start({ projectId: "demo", prompt: "hang" });
    await waitFor(() => h.fake.mainRequests.length > 0);
    const { pid } = h.db.$client.prepare("SELECT pid FROM sessions WHERE id = ?").get(id) as { pid: number };
    // A new process's runner over the same database (the old one "died" without cleaning up, and
    // its lease with it: a live server's sessions are never recovered, see session-processes.test.ts).
    h.db.$client.prepare("DELETE FROM server_leases").run();
    const next = new SessionRunner((h.runner as unknown as { deps: ConstructorParameters<typeof SessionRunner>[0] }).deps);
    expect(await next.recover()).toEqual({ interrupted: [id], killed: [pid] });
    // Read at once: the old runner (still alive in this test process) would later record the kill as a crash.
    expect(await next.get({ id })).toMatchObject({ status: "interrupted", exitReason: "interrupted" });
    expect((await next.events({ id })).at(-1)).toMatchObject({
      type: "workdeck/interrupted",
      payload: { reason: "server_restart", killedPid: pid },
    });
    await waitFor(() => !isAlive(pid), 5_000);
    await next.close();
  });

  it("refuses bad input with a clear error and starts nothing", async () => {
    const h = await setup();
    await expect(h.runner.start({ projectId: "demo", workItem: { kind: "error", failureId: 999 } })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "No failure group with id 999",
    });
    await expect(h.runner.start({ projectId: "demo", prompt: "x", overrides: { maxBudgetUsd: -1 } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "The budget (maxBudgetUsd) must be greater than 0 (got -1)",
    });
    await expect(h.runner.start({ projectId: "demo" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "A manual session needs a prompt",
    });
    await expect(h.runner.start({ projectId: "nope", prompt: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(h.runner.send({ id: 42, text: "hi" })).rejects.toThrow(/No session with id 42/);
    fs.rmSync(h.project, { recursive: true });
    await expect(h.runner.start({ projectId: "demo", prompt: "x" })).rejects.toMatchObject({
      code: "UNPROCESSABLE",
      reason: "project_path_missing",
    });
    expect(await h.runner.list()).toEqual([]);
    expect(h.fake.requests).toEqual([]);
  });

  it("refuses a missing binary (WORKDECK_CLAUDE_PATH=/nonexistent) and a missing account directory", async () => {
    const h = await setup({ claudePath: "/nonexistent", accounts: ["a"] });
    await expect(h.runner.start({ projectId: "demo", prompt: "x" })).rejects.toMatchObject({
      code: "UNPROCESSABLE",
      reason: "claude_missing",
      message: expect.stringContaining("/nonexistent (WORKDECK_CLAUDE_PATH) does not exist"),
    });
    const h2 = {
      ...h,
      runner: new SessionRunner({
        ...(h.runner as unknown as { deps: ConstructorParameters<typeof SessionRunner>[0] }).deps,
        claudePath: undefined,
      }),
    };
    fs.rmSync(path.join(h.root, "account-a"), { recursive: true });
    await expect(h2.runner.start({ projectId: "demo", prompt: "x" })).rejects.toMatchObject({
      code: "UNPROCESSABLE",
      message: expect.stringMatching(/account "a": config directory .* does not exist/),
    });
    expect(await h.runner.list()).toEqual([]);
  });

  it("previews the prompt and the effective options (defaults < project < launch), and runs an explicit prompt verbatim with them", async () => {
    const h = await setup({
      claude: { defaults: { model: "claude-default-model", maxTurns: 7, allowedTools: ["Read"], timeoutMinutes: 30 } },
      projectClaude: {
        model: "claude-project-model",
        fallbackModel: "claude-fallback-model",
        maxBudgetUsd: 3,
        mcpServers: { "wd-probe": { command: "/nonexistent-mcp-server" } },
      },
    });
    const preview = await h.runner.promptPreview({ projectId: "demo" });
    expect(preview).toEqual({
      prompt: "",
      sessionType: "manual",
      options: {
        permissionMode: "bypassPermissions",
        worktrees: false,
        model: "claude-project-model",
        fallbackModel: "claude-fallback-model",
        maxTurns: 7,
        allowedTools: ["Read"],
        timeoutMinutes: 30,
        maxBudgetUsd: 3,
        mcpServers: { "wd-probe": { command: "/nonexistent-mcp-server" } },
      },
    });
    await expect(h.runner.promptPreview({ projectId: "demo", workItem: { kind: "error", failureId: 999 } })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });

    const prompt = "  Exactly this prompt, edited by hand.\n";
    const { id } = await h.runner.start({ projectId: "demo", prompt, overrides: { model: "claude-launch-model", maxTurns: 3 } });
    const s = await h.runner.waitForEnd(id);
    expect(s).toMatchObject({
      status: "completed",
      prompt,
      options: { model: "claude-launch-model", maxTurns: 3, maxBudgetUsd: 3, fallbackModel: "claude-fallback-model" },
    });
    expect(h.fake.mainRequests[0]!.body!.model).toBe("claude-launch-model");
    expect(JSON.stringify(h.fake.mainRequests[0]!.body!.messages)).toContain("Exactly this prompt, edited by hand.");
    // Strict MCP config: only the configured server is known to the session.
    const init = (await h.runner.events({ id })).find((e) => e.type === "system/init")!.payload as { mcp_servers: { name: string }[] };
    expect(init.mcp_servers.map((m) => m.name)).toEqual(["wd-probe"]);
  });

  it("launches from a spec change: the prompt says to tick tasks.md, and the agent's edit lands in the worktree", async () => {
    const tasksRel = "openspec/changes/add-export/tasks.md";
    const tasks = "## 1. Export\n- [ ] 1.1 Add the CSV export\n- [ ] 1.2 Document it\n";
    const change = {
      id: "add-export",
      proposal: "## Why\nUsers want CSV.",
      design: null,
      tasksMarkdown: tasks,
      deltas: [],
    } as unknown as ChangeDetail;
    const h = await setup({
      git: true,
      files: { [tasksRel]: tasks },
      openspec: { showChange: async ({ changeId }) => ({ ...change, id: changeId }) },
    });
    const preview = await h.runner.promptPreview({ projectId: "demo", workItem: { kind: "spec", changeId: "add-export" } });
    expect(preview.sessionType).toBe("spec_implementation");
    expect(preview.prompt).toContain(`tick it in \`${tasksRel}\``);
    expect(preview.prompt).toContain("- [ ] 1.1 Add the CSV export");

    let id = 0;
    const file = () => path.join((h.db.$client.prepare("SELECT cwd FROM sessions WHERE id = ?").get(id) as { cwd: string }).cwd, tasksRel);
    // The tool inputs need the worktree path, known once the session exists: answer with functions.
    h.fake.when(
      (r) => r.main && !JSON.stringify(r.body?.messages).includes("tool_result"),
      () => ({ kind: "tool_use", name: "Read", input: { file_path: file() } }),
      { times: 1 },
    );
    h.fake.when(
      (r) => afterToolResult(r) && h.fake.mainRequests.filter((m) => m.answered === "tool_use").length === 1,
      () => ({
        kind: "tool_use",
        name: "Edit",
        input: { file_path: file(), old_string: "- [ ] 1.1 Add the CSV export", new_string: "- [x] 1.1 Add the CSV export" },
      }),
      { times: 1 },
    );
    h.fake.when(afterToolResult, { kind: "text", text: "Ticked 1.1." }, { times: 1 });
    ({ id } = await h.runner.start({ projectId: "demo", workItem: { kind: "spec", changeId: "add-export" } }));
    const s = await h.runner.waitForEnd(id);
    expect(s).toMatchObject({
      status: "completed",
      sessionType: "spec_implementation",
      workItem: { kind: "spec", changeId: "add-export" },
      exitMessage: "Ticked 1.1.",
    });
    expect(fs.readFileSync(file(), "utf8")).toBe(tasks.replace("- [ ] 1.1", "- [x] 1.1"));
    expect(fs.readFileSync(path.join(h.project, tasksRel), "utf8")).toBe(tasks);
    expect((await h.runner.diff({ id })).files).toEqual([
      expect.objectContaining({ path: tasksRel, status: "modified", added: 1, removed: 1 }),
    ]);
  });

  it("queues past maxConcurrent and starts the waiting sessions by priority", async () => {
    const h = await setup({ claude: { maxConcurrent: 1 } });
    h.fake.when(mainAsking("first"), { kind: "text", text: "first done", delayMs: 1_500 }, { times: 1 });
    const first = await h.runner.start({ projectId: "demo", prompt: "first" });
    await waitFor(() => h.fake.mainRequests.length > 0);
    const low = await h.runner.start({ projectId: "demo", prompt: "low priority", overrides: { priority: 2 } });
    const high = await h.runner.start({ projectId: "demo", prompt: "high priority", overrides: { priority: 5 } });
    expect((await h.runner.get(first)).status).toBe("running");
    expect((await h.runner.get(low)).status).toBe("queued");
    expect((await h.runner.get(high)).status).toBe("queued");
    expect(h.runner.runningCount()).toBe(1);
    const ends = await Promise.all([first, low, high].map((s) => h.runner.waitForEnd(s.id)));
    expect(ends.map((s) => s.status)).toEqual(["completed", "completed", "completed"]);
    // One at a time, the higher priority first.
    const [, l, hi] = ends;
    expect(hi!.startedAt!.getTime()).toBeGreaterThanOrEqual(ends[0]!.endedAt!.getTime());
    expect(l!.startedAt!.getTime()).toBeGreaterThanOrEqual(hi!.endedAt!.getTime());
  });

  it("stops a session that runs past its timeout, with exit reason timeout", async () => {
    const h = await setup();
    h.fake.queue({ kind: "hang" });
    const { id } = await h.runner.start({ projectId: "demo", prompt: "hang", overrides: { timeoutMinutes: 0.03 } });
    const s = await h.runner.waitForEnd(id, 20_000);
    expect(s).toMatchObject({ status: "stopped", exitReason: "timeout" });
    expect(await types(h, id)).toContain("workdeck/stop_requested");
    expect(s.endedAt!.getTime() - s.startedAt!.getTime()).toBeGreaterThanOrEqual(1_500);
  });

  it("a launched session gets our hooks through its launch settings; its hook events arrive linked to the Workdeck session", async () => {
    const root = tempDir("workdeck-session-hooks-");
    // A hooks endpoint over the same ingest the server uses (POST /api/hooks), filled in once the harness exists.
    let ingest: ((body: string, workdeckSessionId: number | undefined) => unknown) | null = null;
    const server = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const header = req.headers["x-workdeck-session-id"];
      // Sessions also get Workdeck's MCP server at this base URL (/api/mcp): not served here.
      if (!req.url?.startsWith("/api/hooks")) return void res.writeHead(404).end();
      try {
        await ingest?.(Buffer.concat(chunks).toString("utf8"), typeof header === "string" ? Number(header) : undefined);
        res.writeHead(201, { "content-type": "application/json" }).end("{}");
      } catch (error) {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) }));
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const h = await setup({ hooks: { appRoot: repoRoot, url, spoolDir: path.join(root, "spool") } });
      const agentsDeps = { db: h.db, bus: new EventBus(h.db), projects: h.deps.projects, config: { config: {} } };
      ingest = (body, workdeckSessionId) => ingestHook(agentsDeps, { body, workdeckSessionId });
      h.fake.queue({ kind: "tool_use", name: "Bash", input: { command: "echo linked" }, text: "Running it." });
      h.fake.when(afterToolResult, { kind: "text", text: "Done linked." }, { times: 1 });
      const { id } = await h.runner.start({ projectId: "demo", prompt: "Run echo linked" });
      const s = await h.runner.waitForEnd(id);
      expect(s.status).toBe("completed");
      const rows = await waitFor(() => {
        const r = h.db.$client.prepare("SELECT event, tool_name, session_id, workdeck_session_id FROM hooks ORDER BY id").all() as {
          event: string;
          tool_name: string | null;
          session_id: string;
          workdeck_session_id: number | null;
        }[];
        return r.some((x) => x.event === "SessionEnd") && r;
      }, 10_000);
      const events = rows.map((r) => (r.tool_name ? `${r.event}:${r.tool_name}` : r.event));
      expect(events).toEqual(
        expect.arrayContaining(["SessionStart", "UserPromptSubmit", "PreToolUse:Bash", "PostToolUse:Bash", "Stop", "SessionEnd"]),
      );
      // Once each (no duplicate registration), all linked to the Workdeck session and its Claude session id.
      expect(events.filter((e) => e === "PreToolUse:Bash")).toHaveLength(1);
      expect(rows.every((r) => r.workdeck_session_id === id && r.session_id === s.claudeSessionId)).toBe(true);
      expect(fs.existsSync(path.join(root, "spool", "hooks.ndjson"))).toBe(false);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("accounts.recheck runs `claude auth status` with the account's dir and token; needs_login comes back when it passes", async () => {
    const h = await setup({ accounts: ["a", "b"] });
    await h.runner.accounts.needsLogin("a", "Invalid bearer token", h.deps.baseEnv);
    expect((await h.runner.accounts.list(() => 0))[0]).toMatchObject({
      state: "needs_login",
      loginHint: expect.stringContaining("claude setup-token"),
    });

    // The periodic check does not release it while the rejected token is unchanged...
    expect(await h.runner.recheckNeedsLogin()).toEqual([]);
    expect((await h.runner.accounts.state("a")).state).toBe("needs_login");
    // ...but does once the token changed.
    h.deps.baseEnv.TOKEN_A = "tok-A-renewed";
    expect(await h.runner.recheckNeedsLogin()).toEqual(["a"]);
    expect((await h.runner.accounts.list(() => 0))[0]).toMatchObject({
      state: "available",
      loginHint: null,
      lastCheck: { loggedIn: true, authMethod: "oauth_token" },
    });

    // An explicit recheck releases at once; one without any login marks the account needs_login.
    await h.runner.accounts.needsLogin("a", "Invalid bearer token", h.deps.baseEnv);
    const ok = await h.runner.recheckAccount({ id: "a" });
    expect(ok).toMatchObject({ check: { loggedIn: true }, account: { id: "a", state: "available" } });
    delete h.deps.baseEnv.TOKEN_B;
    const missing = await h.runner.recheckAccount({ id: "b" });
    expect(missing).toMatchObject({
      check: { loggedIn: false, message: expect.stringContaining("TOKEN_B") },
      account: { state: "disabled" },
    });
    await expect(h.runner.recheckAccount({ id: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(h.fake.requests.filter((r) => r.path === "/v1/messages")).toEqual([]);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
