/**
 * Issue 14: the Agents domain on the SQL port, the same tests on a temp SQLite file and on a real
 * PostgreSQL. Hook ingest (the server's group commit and the one-shot path), the rules that keep
 * bad hook data out of the numbers (issue 10 item 8), the reads the Agents tab makes, the idle
 * sweep, and the history retention with the database size Settings shows.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { AppError } from "@/server/app-error";
import { getActivity, getMetrics, HookCommitter, ingestHook, listActive, liveAgentSummaries, sweepEnded } from "@/server/agents/service";
import type { AgentsDeps } from "@/server/agents/hook-ingest";
import { databaseStats, pruneHistory } from "@/server/db/retention";
import type { SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { describeEachDialect } from "../support/dialects";
import { hookSession } from "../support/hook-payloads";

const BILLING = "/work/billing-api";
const DAY = 24 * 3600_000;

/** The agents services on `store`, with a clock the test moves and every bus event it hears. */
function agents(store: SqlStore, start = Date.UTC(2026, 11, 4, 9, 0, 0)) {
  const clock = { now: start };
  const bus = new EventBus(null, store);
  const heard: WorkdeckEvent[] = [];
  bus.on((e) => heard.push(e));
  const deps: AgentsDeps = {
    sqlStore: store,
    bus,
    projects: { all: () => [{ slug: "billing-api", path: BILLING }] as ReturnType<AgentsDeps["projects"]["all"]> },
    config: { config: { agents: { idleMinutes: 5 } } },
    now: () => clock.now,
  };
  return { deps, clock, heard, committer: new HookCommitter(deps) };
}

const body = (payload: unknown) => JSON.stringify(payload);
const count = async (store: SqlStore, table: "hooks" | "events" | "agent_sessions") =>
  Number((await store.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`))!.n);

describeEachDialect("agents on the SQL port", ({ open, again }) => {
  it("a batch of hook events is stored once, in one transaction, with each agent's summary folded over it", async () => {
    const store = await open();
    const { clock, heard, committer } = agents(store);
    const a = hookSession("agent-a", `${BILLING}/src`);
    const b = hookSession("agent-b", "/elsewhere");
    // One turn of the event loop: one batch, two sessions, several events each.
    const first = await Promise.all(
      [
        a.sessionStart(),
        a.prompt("fix the test"),
        a.pre("t1", "Bash", { command: "npm test" }),
        b.prompt("hi"),
        b.pre("u1", "Read", {}),
      ].map((p) => committer.submit({ body: body(p) })),
    );
    expect(first.map((r) => [r.sessionId, r.event, r.status])).toEqual([
      ["agent-a", "SessionStart", "active"],
      ["agent-a", "UserPromptSubmit", "active"],
      ["agent-a", "PreToolUse", "active"],
      ["agent-b", "UserPromptSubmit", "active"],
      ["agent-b", "PreToolUse", "active"],
    ]);
    expect(first[0]!.projectSlug).toBe("billing-api");
    expect(new Set(first.map((r) => r.id)).size).toBe(5);

    clock.now += 1_200;
    const second = await Promise.all(
      [
        a.failure("t1", "Bash", { command: "npm test" }, "Exit code 1"),
        b.post("u1", "Read", {}, "ok", 999),
        a.notification("Approve?"),
      ].map((p) => committer.submit({ body: body(p) })),
    );
    // The Pre/Post pair is the measure, not the CLI's duration_ms.
    expect(second.map((r) => r.durationMs)).toEqual([1_200, 1_200, null]);
    expect(second[2]!.status).toBe("needs_you");

    expect(await count(store, "hooks")).toBe(8);
    expect(await count(store, "agent_sessions")).toBe(2);
    const summary = await store.get<Record<string, unknown>>(
      sql`SELECT status, needs_you_reason, project_slug, tool_count, failure_count, duration_sum_ms, duration_count, prompt_count, event_count
          FROM agent_sessions WHERE session_id = 'agent-a'`,
    );
    expect(summary).toEqual({
      status: "needs_you",
      needs_you_reason: "Approve?",
      project_slug: "billing-api",
      tool_count: 1,
      failure_count: 1,
      duration_sum_ms: 1_200,
      duration_count: 1,
      prompt_count: 1,
      event_count: 5,
    });
    // Each event's bus row was stored with it and heard once, after its commit.
    const activity = heard.filter((e) => e.type === "agents.activity");
    expect(activity.map((e) => e.hookId)).toEqual([...first, ...second].map((r) => r.id));
    expect(heard.filter((e) => e.type === "agents.needsYou")).toEqual([
      expect.objectContaining({ sessionId: "agent-a", reason: "Approve?" }),
    ]);
    expect(Number((await store.get<{ n: number }>(sql`SELECT count(*) AS n FROM events WHERE type = 'agents.activity'`))!.n)).toBe(8);
  });

  it("two instances writing one agent's hooks at once lose no update of its summary", async () => {
    const store = await open();
    const one = agents(store);
    const two = agents(await again(store));
    const h = hookSession("shared-agent", BILLING);
    const sends = Array.from({ length: 40 }, (_, i) => (i % 2 ? two : one).committer.submit({ body: body(h.prompt(`prompt ${i}`)) }));
    expect(await Promise.all(sends)).toHaveLength(40);
    const row = await store.get<{ prompt_count: number; event_count: number }>(
      sql`SELECT prompt_count, event_count FROM agent_sessions WHERE session_id = 'shared-agent'`,
    );
    expect(row).toEqual({ prompt_count: 40, event_count: 40 });
    expect(await count(store, "hooks")).toBe(40);
  });

  it("bad hook data: a body that is not a hook is refused and stores nothing; an impossible duration or an unknown session id is left out, with the reason", async () => {
    const store = await open();
    const { deps, clock } = agents(store);
    for (const bad of ["{not json", "[]", body({ hook_event_name: "Stop" })]) {
      await expect(ingestHook(deps, { body: bad })).rejects.toBeInstanceOf(AppError);
    }
    expect([await count(store, "hooks"), await count(store, "agent_sessions"), await count(store, "events")]).toEqual([0, 0, 0]);

    const s = hookSession("durations", BILLING);
    expect(await ingestHook(deps, { body: body(s.post("ok", "Bash", {}, "ok", 40)) })).toMatchObject({ durationMs: 40 });
    for (const [value, reason] of [
      [1e308, /more than 24 hours/],
      [-5, /negative/],
      ["12", /not a number/],
    ] as const) {
      const r = await ingestHook(deps, { body: body(s.post(`t-${value}`, "Bash", {}, "ok", value as number)) });
      expect(r.durationMs, String(value)).toBeNull();
      expect(r.warnings?.join("\n")).toMatch(reason);
    }
    // A Pre delivered late (fired a day and more ago) and its Post now: no measure either.
    await ingestHook(deps, { body: body(s.pre("late", "Bash", {})), firedAt: clock.now - 30 * 3600_000 });
    expect(await ingestHook(deps, { body: body(s.post("late", "Bash", {}, "ok", 5)) })).toMatchObject({ durationMs: null });
    const metrics = await getMetrics(deps, { sessionId: "durations" });
    expect(metrics).toMatchObject({ toolCount: 5, avgToolDurationMs: 40 });

    const real = (
      await store.run<{ id: number }>(
        sql`INSERT INTO sessions (session_type, status, project_slug, cwd, prompt, options, created_at)
            VALUES ('manual', 'running', 'billing-api', ${BILLING}, 'hi', '{}', ${clock.now}) RETURNING id`,
      )
    ).row!.id;
    const linked = await ingestHook(deps, { body: body(hookSession("launched", BILLING).prompt("go")), workdeckSessionId: Number(real) });
    expect(linked.warnings).toBeUndefined();
    const forged = await ingestHook(deps, {
      body: body(hookSession("stranger", BILLING).prompt("go")),
      workdeckSessionId: Number(real) + 1000,
    });
    expect(forged.warnings?.join("\n")).toMatch(new RegExp(`no Workdeck session ${Number(real) + 1000}`));
    const links = await store.all<{ session_id: string; workdeck_session_id: number | null }>(
      sql`SELECT session_id, workdeck_session_id FROM hooks WHERE session_id IN ('launched', 'stranger') ORDER BY session_id`,
    );
    expect(links).toEqual([
      { session_id: "launched", workdeck_session_id: Number(real) },
      { session_id: "stranger", workdeck_session_id: null },
    ]);
  });

  it("the Agents tab's reads: the active list, All Work's summaries, one session's timeline and metrics, and the idle sweep", async () => {
    const store = await open();
    const { deps, clock, heard } = agents(store);
    const send = async (payload: unknown, advanceMs = 0) => {
      clock.now += advanceMs;
      return ingestHook(deps, { body: body(payload) });
    };
    const a = hookSession("reader-a", BILLING);
    const b = hookSession("reader-b", "/elsewhere");
    await send(a.prompt("go"));
    await send(a.pre("t1", "Read", { file_path: "x" }));
    await send(a.post("t1", "Read", { file_path: "x" }, "ok"), 300);
    await send(a.pre("t2", "Bash", { command: "ls" }));
    await send(a.failure("t2", "Bash", { command: "ls" }, "Exit code 2"), 700);
    await send(b.prompt("hello"), 10);
    await send(b.notification("Claude needs your permission to use Bash"), 10);

    const active = await listActive(deps);
    expect(active.map((s) => [s.sessionId, s.status, s.projectSlug])).toEqual([
      ["reader-b", "needs_you", null],
      ["reader-a", "active", "billing-api"],
    ]);
    expect(active[1]).toMatchObject({
      toolCount: 2,
      failureCount: 1,
      successRate: 0.5,
      avgToolDurationMs: 500,
      promptCount: 1,
      eventCount: 5,
    });
    expect((await listActive(deps, { projectId: "billing-api" })).map((s) => s.sessionId)).toEqual(["reader-a"]);
    expect(await liveAgentSummaries(deps, { projectId: "billing-api" })).toEqual([
      {
        sessionId: "reader-a",
        projectSlug: "billing-api",
        workdeckSessionId: null,
        status: "active",
        lastEventAt: clock.now - 20,
        needsYouReason: null,
        cwd: BILLING,
      },
    ]);

    const timeline = await getActivity(deps, { sessionId: "reader-a" });
    expect(timeline.items.map((i) => [i.kind, i.toolName, i.toolStatus, i.durationMs])).toEqual([
      ["prompt", null, null, null],
      ["tool", "Read", "ok", 300],
      ["tool", "Bash", "failed", 700],
    ]);
    const metrics = await getMetrics(deps, { sessionId: "reader-a" });
    expect(metrics.byTool).toEqual([
      { toolName: "Bash", count: 1, failures: 1, avgDurationMs: 700 },
      { toolName: "Read", count: 1, failures: 0, avgDurationMs: 300 },
    ]);
    expect(await getMetrics(deps)).toMatchObject({
      sessions: 2,
      activeSessions: 2,
      needsYou: 1,
      toolCount: 2,
      promptCount: 2,
      eventCount: 7,
    });
    await expect(getActivity(deps, { sessionId: "nobody" })).rejects.toThrow(/No hook events/);

    // A Stop nothing followed for the idle period: swept to ended once, with its notice.
    await send(a.stop());
    clock.now += 5 * 60_000;
    expect(await sweepEnded(deps)).toBe(1);
    expect(await sweepEnded(deps)).toBe(0);
    expect(heard.filter((e) => e.type === "agents.ended")).toEqual([
      expect.objectContaining({ sessionId: "reader-a", reason: "stopped", toolCount: 2 }),
    ]);
    expect((await listActive(deps)).map((s) => s.sessionId)).toEqual(["reader-b"]);
  });

  it("retention prunes hooks and events past retention.days, batch by batch, and Settings gets the database's size", async () => {
    const store = await open();
    const now = Date.now();
    const { deps } = agents(store, now);
    const h = hookSession("history", BILLING);
    for (const [age, n, tag] of [
      [40 * DAY, 25, "old"],
      [8 * DAY, 5, "week-old"],
      [2 * DAY, 3, "recent"],
    ] as const) {
      for (let i = 0; i < n; i++) {
        await ingestHook(deps, { body: body(h.prompt(`${tag} ${i}`)), firedAt: now - age });
        await store.run(
          sql`INSERT INTO events (type, project_slug, payload, created_at) VALUES ('projects.changed', NULL, ${body({ type: "projects.changed", projectSlug: null, slugs: [tag] })}, ${now - age})`,
        );
      }
    }
    const retention = { sqlStore: store, config: { config: { retention: { days: 7 } } }, now: () => now };
    expect(await pruneHistory(retention, { batch: 7 })).toEqual({ hooks: 30, events: 30 });
    expect(await count(store, "hooks")).toBe(3);
    expect(await store.all(sql`SELECT count(*) AS n FROM events WHERE created_at < ${now - 7 * DAY}`)).toEqual([{ n: 0 }]);
    expect(await pruneHistory(retention)).toEqual({ hooks: 0, events: 0 });

    const stats = await databaseStats(retention);
    expect(stats.retentionDays).toBe(7);
    expect(stats.oldestHookAt).toBe(now - 2 * DAY);
    // Ingest's own bus events were stored at the wall clock: the oldest kept is within the retention.
    expect(stats.oldestEventAt).toBeGreaterThanOrEqual(now - 7 * DAY);
    expect(stats.fileBytes).toBeGreaterThan(0);
    expect(stats.totalBytes).toBe(stats.fileBytes! + stats.walBytes!);
  });
});
