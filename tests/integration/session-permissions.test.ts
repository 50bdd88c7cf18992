import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SessionRunner } from "@/server/sessions/service";
import { waitingOnPermission } from "@/server/sessions/permissions";
import { listAll } from "@/server/work/service";
import { SqliteStore } from "@/server/db/sql-store";
import { listActive } from "@/server/agents/service";
import { FakeAnthropic } from "../support/fake-anthropic";
import { harnessDeps, harnessSpec, waitFor } from "../support/session-harness";
import { repoRoot, tempDir } from "../support/temp";

/**
 * Issue 11 "Permissions from the UI": the real Claude Code binary in default permission mode
 * (Write asks) against the fake Messages API; the requests are answered through the service the
 * sessions router calls.
 */

let fake: FakeAnthropic | null = null;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await fake?.close();
  fake = null;
});

async function setup(permissionTimeoutMs = 60_000) {
  fake = await FakeAnthropic.start();
  const spec = harnessSpec(tempDir("workdeck-perms-"), fake.url);
  const deps = harnessDeps(spec, repoRoot);
  deps.config.config.claude = { defaults: { permissionMode: "default", worktrees: false } };
  const runner = new SessionRunner(deps, { stopGraceMs: 2_000, accountCheckMs: 0, permissionTimeoutMs });
  cleanups.push(async () => {
    await runner.close();
    deps.db!.$client.close();
  });
  return { runner, deps, project: spec.projectPath };
}

const write = (file: string, content: string) => ({
  kind: "tool_use" as const,
  name: "Write",
  input: { file_path: file, content },
  text: `Writing ${path.basename(file)}.`,
});

/** The tool_result Claude sent back for the tool call, as the API saw it. */
function toolResults(): string {
  return JSON.stringify(fake!.mainRequests.map((r) => r.body?.messages.at(-1)));
}

describe("tool permissions answered from the UI", () => {
  it("asks, waits (needs you), and runs the tool once allowed; 'always' adds the rule so the next call does not ask", async () => {
    const { runner, deps, project } = await setup();
    fake!.queue(write(path.join(project, "a.txt"), "A\n"), write(path.join(project, "b.txt"), "B\n"), {
      kind: "text",
      text: "Both written.",
    });
    const { id } = await runner.start({ projectId: "demo", prompt: "write two files" });

    const [asked] = await waitFor(
      async () => (await runner.pendingPermissions({ id })).length > 0 && (await runner.pendingPermissions({ id })),
    );
    expect(asked).toMatchObject({ toolName: "Write", input: { file_path: path.join(project, "a.txt") } });
    expect(asked!.rule).toContain("Write");
    expect((await waitingOnPermission(SqliteStore.on(deps.db!.$client))).has(id)).toBe(true);
    const work = await listAll({
      sqlStore: SqliteStore.on(deps.db!.$client),
      bus: deps.bus,
      openspec: { listChanges: async () => [] },
    });
    expect(work.find((w) => w.key === `session:${id}`)).toMatchObject({ status: "needs_you", detail: "waiting for a tool permission" });
    // The Agents panel: the hook-reported row of this launched session (hooks say "active") needs you.
    deps
      .db!.$client.prepare(
        "INSERT INTO agent_sessions (session_id, project_slug, workdeck_session_id, status, started_at, last_event_at, last_event) VALUES ('claude-x', 'demo', ?, 'active', ?, ?, 'PreToolUse')",
      )
      .run(id, Date.now(), Date.now());
    expect((await listActive(deps)).find((a) => a.sessionId === "claude-x")).toMatchObject({
      status: "needs_you",
      workdeckSessionId: id,
    });
    expect(fs.existsSync(path.join(project, "a.txt"))).toBe(false);

    await runner.answerPermission({ id, requestId: asked!.requestId, allow: true, always: true });

    const ended = await runner.waitForEnd(id, 45_000);
    expect(ended).toMatchObject({ status: "completed", exitMessage: "Both written." });
    expect(fs.readFileSync(path.join(project, "a.txt"), "utf8")).toBe("A\n");
    expect(fs.readFileSync(path.join(project, "b.txt"), "utf8")).toBe("B\n");
    const requested = (await runner.events({ id })).filter((e) => e.type === "workdeck/permission_requested");
    expect(requested).toHaveLength(1);
    expect((await runner.events({ id })).find((e) => e.type === "workdeck/permission_answered")?.payload).toMatchObject({
      allow: true,
      how: "user_always",
    });
    expect((await waitingOnPermission(SqliteStore.on(deps.db!.$client))).has(id)).toBe(false);
    expect((await listActive(deps)).find((a) => a.sessionId === "claude-x")).toMatchObject({ status: "active" });
  });

  it("denied with a message: the tool does not run, Claude reads why and the session goes on to its result", async () => {
    const { runner, project } = await setup();
    fake!.queue(write(path.join(project, "no.txt"), "nope\n"), { kind: "text", text: "Understood, not writing it." });
    const { id } = await runner.start({ projectId: "demo", prompt: "write a file" });
    const [asked] = await waitFor(
      async () => (await runner.pendingPermissions({ id })).length > 0 && (await runner.pendingPermissions({ id })),
    );

    await runner.answerPermission({ id, requestId: asked!.requestId, allow: false, message: "Not that file, please" });

    const ended = await runner.waitForEnd(id, 45_000);
    expect(ended).toMatchObject({ status: "completed", exitMessage: "Understood, not writing it." });
    expect(fs.existsSync(path.join(project, "no.txt"))).toBe(false);
    expect(toolResults()).toContain("Not that file, please");
    expect((await runner.events({ id })).some((e) => e.type === "result")).toBe(true);
    // Answered already: a second answer is refused and changes nothing.
    await expect(runner.answerPermission({ id, requestId: asked!.requestId, allow: true })).rejects.toThrow(
      /not waiting on permission request/,
    );
  });

  it("unanswered until the timeout: denied, and the session goes on", async () => {
    const { runner, project } = await setup(1_500);
    fake!.queue(write(path.join(project, "late.txt"), "late\n"), { kind: "text", text: "Went on without it." });
    const { id } = await runner.start({ projectId: "demo", prompt: "write a file" });

    const ended = await runner.waitForEnd(id, 45_000);

    expect(ended).toMatchObject({ status: "completed", exitMessage: "Went on without it." });
    expect(fs.existsSync(path.join(project, "late.txt"))).toBe(false);
    expect((await runner.events({ id })).find((e) => e.type === "workdeck/permission_answered")?.payload).toMatchObject({
      allow: false,
      how: "timeout",
    });
    expect(toolResults()).toContain("Nobody answered this permission request");
    expect(await runner.pendingPermissions({ id })).toEqual([]);
  });

  it("stopped while a request waits: stopped, and the request is gone", async () => {
    const { runner, deps, project } = await setup();
    fake!.queue(write(path.join(project, "never.txt"), "x\n"));
    const { id } = await runner.start({ projectId: "demo", prompt: "write a file" });
    const [asked] = await waitFor(
      async () => (await runner.pendingPermissions({ id })).length > 0 && (await runner.pendingPermissions({ id })),
    );

    expect(await runner.stop({ id })).toMatchObject({ status: "stopped" });

    expect(await runner.pendingPermissions({ id })).toEqual([]);
    expect((await waitingOnPermission(SqliteStore.on(deps.db!.$client))).has(id)).toBe(false);
    await expect(runner.answerPermission({ id, requestId: asked!.requestId, allow: true })).rejects.toThrow(/not waiting/);
    expect(fs.existsSync(path.join(project, "never.txt"))).toBe(false);
  });

  it("bad answers are refused with a clear error", async () => {
    const { runner } = await setup();
    await expect(runner.pendingPermissions({ id: 99 })).rejects.toThrow(/No session with id 99/);
    await expect(runner.answerPermission({ id: 1, requestId: "", allow: true })).rejects.toThrow();
  });
});
