/**
 * Agent activity from Claude Code hook events: realistic payload sequences through
 * POST /api/hooks (the route handler itself) and the agents service, with an injected clock.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startRuntime, stopRuntime, type Runtime } from "@/server/runtime-boot";
import { getActivity, getMetrics, ingestHook, listActive, sweepEnded, type AgentsDeps } from "@/server/agents/service";
import { createCaller } from "@/server/trpc/root";
import { createContext } from "@/server/trpc/init";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { hookSession, realisticSession } from "../support/hook-payloads";
import { postHookRoute } from "../support/hook-route";
import { configEnv } from "../support/runtime-env";
import { tempDir } from "../support/temp";

type Started = { runtime: Runtime; dir: string; billing: string; web: string };

async function start(config: Record<string, unknown> = {}): Promise<Started> {
  const dir = tempDir();
  const billing = path.join(dir, "billing-api");
  const web = path.join(dir, "web");
  for (const p of [billing, web]) fs.mkdirSync(path.join(p, "openspec"), { recursive: true });
  const { env } = configEnv(dir, {
    projects: [
      { slug: "billing-api", path: billing },
      { slug: "web", path: web },
    ],
    ...config,
  });
  return { runtime: await startRuntime(env, { watch: false }), dir, billing, web };
}

const post = postHookRoute;

/** The runtime with a clock the test moves. */
function withClock(runtime: Runtime, start = Date.UTC(2026, 0, 5, 9, 0, 0)) {
  const clock = { now: start };
  const deps: AgentsDeps = { ...runtime, now: () => clock.now };
  return {
    deps,
    clock,
    send: (payload: unknown, advanceMs = 0) => ((clock.now += advanceMs), ingestHook(deps, { body: JSON.stringify(payload) })),
  };
}

const count = (runtime: Runtime, table: string) =>
  (runtime.db!.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

afterEach(() => stopRuntime());

describe("POST /api/hooks", () => {
  it("stores a whole session as Claude Code sends it, links it to the project by cwd, keeps unknown events and fields", async () => {
    const { runtime, billing } = await start();
    const seen: WorkdeckEvent[] = [];
    runtime.bus.on((e) => seen.push(e));
    const payloads = realisticSession("9f1c1b6e-0000-4000-8000-000000000001", path.join(billing, "src"));
    payloads.splice(2, 0, { ...payloads[1]!, hook_event_name: "TeammateIdle", some_future_field: { nested: [1, 2] } });
    for (const p of payloads) {
      const res = await post(JSON.stringify(p));
      expect(res.status, JSON.stringify(p)).toBe(201);
    }
    expect(count(runtime, "hooks")).toBe(payloads.length);
    const unknown = runtime.db!.$client.prepare("SELECT event, project_slug, payload FROM hooks WHERE event = 'TeammateIdle'").get() as {
      event: string;
      project_slug: string;
      payload: string;
    };
    expect(unknown.project_slug).toBe("billing-api");
    expect(JSON.parse(unknown.payload)).toMatchObject({ some_future_field: { nested: [1, 2] } });

    const activity = await getActivity(runtime, { sessionId: payloads[0]!.session_id });
    expect(activity.session).toMatchObject({
      projectSlug: "billing-api",
      status: "ended",
      endReason: "other",
      toolCount: 3,
      failureCount: 1,
      promptCount: 1,
    });
    expect(activity.items.map((i) => i.kind)).toEqual(["session_start", "prompt", "other", "tool", "tool", "tool", "stop", "session_end"]);
    const [read, bash, edit] = activity.items.filter((i) => i.kind === "tool");
    expect(read).toMatchObject({
      toolName: "Read",
      toolStatus: "ok",
      input: { file_path: expect.stringContaining("app.ts") },
      result: { type: "text" },
    });
    expect(bash).toMatchObject({ toolName: "Bash", toolStatus: "failed", error: expect.stringContaining("Exit code 1") });
    expect(edit).toMatchObject({ toolName: "Edit", toolStatus: "ok" });
    expect(activity.items.find((i) => i.kind === "stop")?.text).toBe("Fixed the failing test.");

    expect(seen.filter((e) => e.type === "agents.activity")).toHaveLength(payloads.length);
    expect(seen.find((e) => e.type === "agents.ended")).toMatchObject({
      projectSlug: "billing-api",
      reason: "other",
      toolCount: 3,
      failureCount: 1,
    });
  });

  it("not JSON, 300 KB, no session_id, an array: a clear 4xx and nothing stored", async () => {
    const { runtime } = await start();
    const big = JSON.stringify({ ...hookSession("s-big", "/tmp").pre("t1", "Read", {}), tool_input: { content: "x".repeat(300 * 1024) } });
    const cases: [BodyInit, number, RegExp][] = [
      ["{not json", 400, /not JSON/],
      ["", 400, /not JSON/],
      [big, 413, /exceeds the limit of 262144 bytes.*WORKDECK_MAX_HOOK_BYTES/],
      [JSON.stringify({ hook_event_name: "PreToolUse", cwd: "/tmp" }), 400, /session_id/],
      [JSON.stringify({ session_id: "", hook_event_name: "Stop" }), 400, /session_id/],
      [JSON.stringify([{ session_id: "a" }]), 400, /one JSON object/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(body);
      expect(res.status, String(body).slice(0, 40)).toBe(status);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.message).toMatch(message);
    }
    expect(count(runtime, "hooks")).toBe(0);
    expect(count(runtime, "agent_sessions")).toBe(0);
    expect((runtime.db!.$client.prepare("SELECT count(*) AS n FROM events WHERE type LIKE 'agents.%'").get() as { n: number }).n).toBe(0);
  });

  it("a late (spooled) delivery keeps the time the hook fired; x-workdeck-session-id links the Workdeck session", async () => {
    const { runtime } = await start();
    const firedAt = Date.now() - 60_000;
    // Only a session that exists is linked (issue 10 item 8; tests/integration/hook-integrity.test.ts).
    const launched = Number(
      runtime
        .db!.$client.prepare(
          "INSERT INTO sessions (session_type, status, project_slug, cwd, prompt, options, created_at) VALUES ('manual', 'running', 'billing-api', '/elsewhere', 'hi', '{}', ?)",
        )
        .run(Date.now()).lastInsertRowid,
    );
    const res = await post(JSON.stringify(hookSession("s-late", "/elsewhere").prompt("hi")), {
      "x-workdeck-fired-at": String(firedAt),
      "x-workdeck-session-id": String(launched),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ sessionId: "s-late", projectSlug: null, status: "active" });
    const [agent] = await listActive(runtime);
    expect(agent).toMatchObject({ sessionId: "s-late", workdeckSessionId: launched, projectSlug: null });
    expect(agent!.lastEventAt.getTime()).toBe(firedAt);
  });
});

describe("agents service", () => {
  it("durations come from Pre/Post pairs; metrics add up per session and across sessions", async () => {
    const { runtime, billing, web } = await start();
    const { deps, send } = withClock(runtime);
    const a = hookSession("sess-a", billing);
    const b = hookSession("sess-b", path.join(web, "packages", "ui"));
    await send(a.sessionStart());
    await send(a.prompt("go"));
    await send(a.pre("t1", "Read", { file_path: "x" }));
    await send(a.post("t1", "Read", { file_path: "x" }, "ok", 999), 1_200);
    await send(a.pre("t2", "Bash", { command: "npm test" }), 100);
    await send(a.failure("t2", "Bash", { command: "npm test" }, "Exit code 1"), 3_000);
    await send(b.pre("u1", "Grep", { pattern: "x" }), 10);
    await send(b.post("u1", "Grep", { pattern: "x" }, "ok"), 800);
    // A Post whose Pre never arrived: the CLI's own duration_ms.
    await send(b.post("u2", "Glob", { pattern: "*" }, "ok", 55), 10);

    const durations = runtime
      .db!.$client.prepare("SELECT tool_use_id, duration_ms, success FROM hooks WHERE duration_ms IS NOT NULL ORDER BY id")
      .all();
    expect(durations).toEqual([
      { tool_use_id: "t1", duration_ms: 1_200, success: 1 },
      { tool_use_id: "t2", duration_ms: 3_000, success: 0 },
      { tool_use_id: "u1", duration_ms: 800, success: 1 },
      { tool_use_id: "u2", duration_ms: 55, success: 1 },
    ]);

    const one = await getMetrics(deps, { sessionId: "sess-a" });
    expect(one).toMatchObject({
      sessions: 1,
      activeSessions: 1,
      toolCount: 2,
      failureCount: 1,
      successRate: 0.5,
      avgToolDurationMs: 2_100,
      promptCount: 1,
    });
    expect(one.byTool).toEqual([
      { toolName: "Bash", count: 1, failures: 1, avgDurationMs: 3_000 },
      { toolName: "Read", count: 1, failures: 0, avgDurationMs: 1_200 },
    ]);
    const all = await getMetrics(deps);
    expect(all).toMatchObject({ sessions: 2, activeSessions: 2, toolCount: 4, failureCount: 1, successRate: 0.75, byTool: null });
    expect(all.avgToolDurationMs).toBeCloseTo((1_200 + 3_000 + 800 + 55) / 4);
    expect(await getMetrics(deps, { projectId: "web" })).toMatchObject({ sessions: 1, toolCount: 2 });

    const active = await listActive(deps);
    expect(active.map((s) => [s.sessionId, s.projectSlug])).toEqual([
      ["sess-b", "web"],
      ["sess-a", "billing-api"],
    ]);
    expect(active[1]).toMatchObject({ toolCount: 2, successRate: 0.5, avgToolDurationMs: 2_100, currentTool: null, idleMinutes: null });
    expect((await listActive(deps, { projectId: "billing-api" })).map((s) => s.sessionId)).toEqual(["sess-a"]);
    await expect(getMetrics(deps, { sessionId: "nope" })).rejects.toThrow(/No hook events/);
  });

  it("current tool while a tool runs; idle after 5 minutes (configurable); needs you on Notification and PermissionRequest", async () => {
    const { runtime, billing } = await start({ agents: { idleMinutes: 2 } });
    const { deps, clock, send } = withClock(runtime);
    const seen: WorkdeckEvent[] = [];
    runtime.bus.on((e) => seen.push(e));
    const h = hookSession("sess-idle", billing);
    await send(h.prompt("run the tests"));
    await send(h.pre("t1", "Bash", { command: "npm test" }));
    expect((await listActive(deps))[0]).toMatchObject({ currentTool: "Bash", status: "active", idleMinutes: null });

    clock.now += 119_000;
    expect((await listActive(deps))[0]!.idleMinutes).toBeNull();
    clock.now += 2 * 60_000;
    expect((await listActive(deps))[0]).toMatchObject({ idleMinutes: 3, currentTool: "Bash" });

    await send(h.post("t1", "Bash", { command: "npm test" }, { stdout: "ok" }));
    expect((await listActive(deps))[0]).toMatchObject({ idleMinutes: null, currentTool: null });

    await send(h.permissionRequest("Bash", { command: "rm -rf dist" }), 1_000);
    expect((await listActive(deps))[0]).toMatchObject({ status: "needs_you", needsYouReason: "Permission to use Bash" });
    await send(h.pre("t2", "Bash", { command: "ls" }), 1_000);
    expect((await listActive(deps))[0]!.status).toBe("active");
    await send(h.notification("Claude needs your permission to use Bash"), 1_000);
    expect((await listActive(deps))[0]).toMatchObject({ status: "needs_you", needsYouReason: "Claude needs your permission to use Bash" });
    expect(seen.filter((e) => e.type === "agents.needsYou").map((e) => (e as { reason: string }).reason)).toEqual([
      "Permission to use Bash",
      "Claude needs your permission to use Bash",
    ]);
  });

  it("a session leaves the list on SessionEnd, or once a Stop had no follow-up for the idle period, with a completion notice", async () => {
    const { runtime, billing } = await start();
    const { deps, clock, send } = withClock(runtime);
    const ended: WorkdeckEvent[] = [];
    runtime.bus.on((e) => e.type === "agents.ended" && ended.push(e));
    const a = hookSession("ends-now", billing);
    const b = hookSession("stops", billing);
    const c = hookSession("stops-then-more", billing);
    for (const h of [a, b, c]) await send(h.prompt("go"));
    await send(a.sessionEnd("prompt_input_exit"));
    expect((await listActive(deps)).map((s) => s.sessionId).sort()).toEqual(["stops", "stops-then-more"]);
    expect(ended).toEqual([expect.objectContaining({ sessionId: "ends-now", reason: "prompt_input_exit" })]);

    await send(b.stop(), 1_000);
    await send(c.stop());
    // Still listed during the idle period: the person may type a follow-up.
    expect((await listActive(deps)).map((s) => s.status)).toEqual(["stopped", "stopped"]);
    await send(c.prompt("one more thing"), 4 * 60_000);
    clock.now += 60_000 + 1;
    expect((await listActive(deps)).map((s) => s.sessionId)).toEqual(["stops-then-more"]);
    expect(await sweepEnded(deps)).toBe(1);
    expect(ended.at(-1)).toMatchObject({ sessionId: "stops", reason: "stopped" });
    expect(await sweepEnded(deps)).toBe(0);

    // Resuming an ended session brings it back.
    await send(a.sessionStart("resume"));
    expect((await listActive(deps)).map((s) => s.sessionId).sort()).toEqual(["ends-now", "stops-then-more"]);
  });

  it("the router: listActive, getActivity, getMetrics and a resumable subscribe filtered by session", async () => {
    const { runtime, billing } = await start();
    const caller = createCaller(createContext(runtime));
    const first = await ingestHook(runtime, { body: JSON.stringify(hookSession("r1", billing).prompt("a")) });
    await ingestHook(runtime, { body: JSON.stringify(hookSession("r2", billing).prompt("b")) });
    await ingestHook(runtime, { body: JSON.stringify(hookSession("r1", billing).stop("ok")) });
    expect((await caller.agents.listActive()).map((s) => s.sessionId).sort()).toEqual(["r1", "r2"]);
    expect((await caller.agents.getActivity({ sessionId: "r1" })).items.map((i) => i.kind)).toEqual(["prompt", "stop"]);
    expect((await caller.agents.getMetrics({ sessionId: "r2" })).promptCount).toBe(1);
    await expect(caller.agents.getActivity({ sessionId: "missing" })).rejects.toMatchObject({ code: "NOT_FOUND" });

    const controller = new AbortController();
    const firstEventId = (await runtime.bus.since(0)).find((e) => e.type === "agents.activity" && e.hookId === first.id)!.id;
    const subscriber = createCaller(createContext(runtime), { signal: controller.signal });
    const stream = await subscriber.agents.subscribe({ sessionId: "r1", lastEventId: firstEventId - 1 });
    const got: unknown[] = [];
    // tracked(id, data) reaches a server-side caller as an [id, data, symbol] tuple.
    for await (const envelope of stream as AsyncIterable<unknown>) {
      got.push((envelope as [string, WorkdeckEvent])[1]);
      if (got.length === 2) break;
    }
    controller.abort();
    expect(got).toEqual([
      expect.objectContaining({ sessionId: "r1", event: "UserPromptSubmit" }),
      expect.objectContaining({ sessionId: "r1", event: "Stop" }),
    ]);
  });
});
