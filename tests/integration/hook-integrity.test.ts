/**
 * Hook data integrity (issue 10 item 8), through POST /api/hooks (the route handler itself) over
 * a real runtime: a duration that is not one is stored as none, with the reason in the answer,
 * and a Workdeck session id that names no session is not linked. Neither refuses the hook:
 * `workdeck hooks send` drops what a 4xx refuses, and Claude Code's hook must never be lost.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startRuntime, stopRuntime, type Runtime } from "@/server/runtime-boot";
import { getMetrics } from "@/server/agents/service";
import { hookSession } from "../support/hook-payloads";
import { postHookRoute } from "../support/hook-route";
import { tempDir } from "../support/temp";
import { emptyProject, oneProjectEnv } from "../support/runtime-env";

async function start(): Promise<{ runtime: Runtime; project: string }> {
  const dir = tempDir();
  const project = emptyProject(dir, "billing-api");
  const { env } = oneProjectEnv(dir, { slug: "billing-api", path: project });
  return { runtime: await startRuntime(env, { watch: false }), project };
}

const post = (payload: unknown, headers: Record<string, string> = {}) => postHookRoute(JSON.stringify(payload), headers);

type Stored = { duration_ms: number | null; workdeck_session_id: number | null };
const stored = (runtime: Runtime, id: number) =>
  runtime.db!.$client.prepare("SELECT duration_ms, workdeck_session_id FROM hooks WHERE id = ?").get(id) as Stored;

afterEach(() => stopRuntime());

describe("hook durations", () => {
  it("stores an absurd, negative or non-numeric duration_ms as none, says why, and keeps the project's average sane", async () => {
    const { runtime, project } = await start();
    const s = hookSession("durations", project);
    // No PreToolUse before these: the CLI's own duration_ms is all there is.
    const sane = await post(s.post("t1", "Bash", { command: "ls" }, "ok", 40));
    expect(sane.status).toBe(201);
    expect(await sane.json()).toMatchObject({ durationMs: 40 });

    for (const [value, reason] of [
      [1e308, /more than 24 hours/],
      [-1e8, /negative/],
      ["12", /not a number/],
    ] as const) {
      const res = await post(s.post(`t-${value}`, "Bash", { command: "ls" }, "ok", value as number));
      expect(res.status, String(value)).toBe(201);
      const body = (await res.json()) as { id: number; durationMs: number | null; warnings?: string[] };
      expect(body.durationMs).toBeNull();
      expect(body.warnings?.join("\n")).toMatch(reason);
      expect(stored(runtime, body.id).duration_ms).toBeNull();
    }

    const metrics = await getMetrics(runtime, { projectId: "billing-api" });
    expect(metrics.toolCount).toBe(4);
    expect(metrics.avgToolDurationMs).toBe(40);
  });

  it("a Pre/Post pair a day apart is no measure either", async () => {
    const { runtime, project } = await start();
    const s = hookSession("pair", project);
    const t0 = Date.now() - 30 * 3600_000;
    expect((await post(s.pre("p1", "Bash", { command: "sleep 1" }), { "x-workdeck-fired-at": String(t0) })).status).toBe(201);
    const res = await post(s.post("p1", "Bash", { command: "sleep 1" }, "ok", 5));
    const body = (await res.json()) as { durationMs: number | null; warnings?: string[] };
    expect(body.durationMs).toBeNull();
    expect(body.warnings?.join("\n")).toMatch(/more than 24 hours/);
    expect((await getMetrics(runtime, { sessionId: "pair" })).avgToolDurationMs).toBeNull();
  });
});

describe("x-workdeck-session-id", () => {
  it("links a hook to a Workdeck session that exists, and stores one naming no session unlinked, with the reason", async () => {
    const { runtime, project } = await start();
    const real = Number(
      runtime
        .db!.$client.prepare(
          "INSERT INTO sessions (session_type, status, project_slug, cwd, prompt, options, created_at) VALUES ('manual', 'running', 'billing-api', ?, 'hi', '{}', ?)",
        )
        .run(project, Date.now()).lastInsertRowid,
    );

    const linked = await post(hookSession("launched", project).prompt("go"), { "x-workdeck-session-id": String(real) });
    expect(linked.status).toBe(201);
    const linkedBody = (await linked.json()) as { id: number; warnings?: string[] };
    expect(stored(runtime, linkedBody.id).workdeck_session_id).toBe(real);
    expect(linkedBody.warnings ?? []).toEqual([]);

    const forged = await post(hookSession("stranger", project).prompt("go"), { "x-workdeck-session-id": String(real + 1000) });
    expect(forged.status).toBe(201);
    const forgedBody = (await forged.json()) as { id: number; warnings?: string[] };
    expect(stored(runtime, forgedBody.id).workdeck_session_id).toBeNull();
    expect(forgedBody.warnings?.join("\n")).toMatch(new RegExp(`no Workdeck session ${real + 1000}`));
    const summary = runtime.db!.$client.prepare("SELECT workdeck_session_id FROM agent_sessions WHERE session_id = 'stranger'").get() as {
      workdeck_session_id: number | null;
    };
    expect(summary.workdeck_session_id).toBeNull();
  });
});
