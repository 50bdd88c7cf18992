/**
 * Issue 14: All Work's activity timeline on the SQL port, on SQLite and on a real PostgreSQL.
 * Its kinds are conditions on the events' JSON payloads (a flag, a string, an array's length),
 * which the two engines spell differently; the timeline must pick the same events in both.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import type { SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { activity } from "@/server/work/service";
import type { WorkdeckEventInput } from "@/lib/schemas/events";
import { describeEachDialect } from "../support/dialects";

async function seed(store: SqlStore): Promise<EventBus> {
  const bus = new EventBus(null, store);
  const at = new Date("2026-12-04T10:00:00Z");
  await store.run(
    sql`INSERT INTO sessions (id, session_type, status, project_slug, cwd, prompt, options, created_at) VALUES (7, 'work', 'running', 'api', '/w', 'go', '{}', ${at})`,
  );
  await store.run(
    sql`INSERT INTO session_events (session_id, seq, type, payload, at) VALUES (7, 3, 'workdeck/account_parked', ${JSON.stringify({ accountId: "max-2", until: "2026-12-04T15:30:00Z" })}, ${at})`,
  );
  const events: WorkdeckEventInput[] = [
    { type: "openspec.proposalCreated", projectSlug: "api", changeId: "add-login", title: "Add login" },
    { type: "errors.failureUpdated", projectSlug: "api", reportId: 1, failureIds: [4], count: 1, resolvedIds: [] },
    { type: "errors.failureUpdated", projectSlug: "api", reportId: 2, failureIds: [4, 5], count: 2, resolvedIds: [4, 5] },
    {
      type: "errors.triaged",
      projectSlug: "api",
      failureId: 4,
      decision: "real_bug",
      priority: 4,
      reviewedByHuman: false,
      assignedSessionId: null,
    },
    {
      type: "errors.triaged",
      projectSlug: "api",
      failureId: 5,
      decision: "flaky",
      priority: 2,
      reviewedByHuman: true,
      assignedSessionId: null,
    },
    { type: "sessions.event", projectSlug: "api", sessionId: 7, seq: 1, eventType: "workdeck/run_started" },
    { type: "sessions.event", projectSlug: "api", sessionId: 7, seq: 2, eventType: "assistant" },
    { type: "sessions.event", projectSlug: "api", sessionId: 7, seq: 3, eventType: "workdeck/account_parked" },
    { type: "sessions.updated", projectSlug: "api", sessionId: 7, status: "running" },
    { type: "sessions.updated", projectSlug: "api", sessionId: 7, status: "completed" },
    { type: "integrations.changed", projectSlug: "api", kind: "ci", itemId: null, change: "updated", deployId: null },
    { type: "integrations.changed", projectSlug: "web", kind: "deploy", itemId: null, change: "opened", deployId: null },
  ];
  for (const e of events) await bus.publishAsync(e);
  return bus;
}

describeEachDialect("the activity timeline on the SQL port", ({ open }) => {
  it("picks events by their payloads the same way on both engines, newest first", async () => {
    const store = await open();
    await seed(store);
    const items = await activity({ sqlStore: store });
    expect(items.map((i) => [i.kind, i.text])).toEqual([
      ["deploy", expect.any(String)],
      ["session_finished", "Session #7 completed"],
      ["account_limited", "Account max-2 hit its usage limit (parked until 15:30 UTC)"],
      ["session_started", "Session #7 started"],
      ["triage", "Failure #5 triaged: flaky (priority 2)"],
      ["failure_resolved", "2 failures resolved (passed in a later run)"],
      ["spec_created", "Proposal created: Add login"],
    ]);
  });

  it("filters by kind and project, and pages by id", async () => {
    const store = await open();
    await seed(store);
    expect((await activity({ sqlStore: store }, { projectId: "web" })).map((i) => i.kind)).toEqual(["deploy"]);
    const sessions = await activity({ sqlStore: store }, { types: ["session_started", "session_finished"] });
    expect(sessions.map((i) => i.kind)).toEqual(["session_finished", "session_started"]);
    const older = await activity({ sqlStore: store }, { projectId: "api", before: sessions[1]!.id });
    expect(older.map((i) => i.kind)).toEqual(["triage", "failure_resolved", "spec_created"]);
    expect(await activity({ sqlStore: store }, { projectId: "api", limit: 2 })).toHaveLength(2);
  });
});
