/**
 * All Work (issue 6): work.listAll merges OpenSpec changes, failure groups and sessions into one
 * prioritised list with links between them; a failure that passes in a later report is resolved
 * and its proposal shows it; work.activity reads the timeline from the events table;
 * work.subscribe is one live feed with tracked ids. Through the tRPC caller over a real runtime.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { ingestReport } from "@/server/errors/ingest";
import { createContext } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";
import { tempDir } from "../support/temp";
import { billingApiCopy, oneProjectEnv } from "../support/runtime-env";
import { passingReport, readSampleRun } from "../support/playwright-reports";

const LOCKS = "locks account after 5 failed attempts";

async function start() {
  const dir = tempDir();
  const project = billingApiCopy(dir);
  const { env } = oneProjectEnv(dir, { slug: "billing-api", path: project });
  const runtime = await startRuntime(env, { watch: false });
  const api = createCaller(createContext(runtime));
  return { runtime, api };
}

afterEach(() => stopRuntime());

describe("work: All Work", () => {
  it("merges changes and failures into one list, links a failure to its proposal, resolves it when its test passes", async () => {
    const { runtime, api } = await start();
    const before = await api.work.listAll({ projectId: "billing-api" });
    expect(before.every((i) => i.type === "change")).toBe(true);
    expect(before.length).toBeGreaterThan(0);

    ingestReport(runtime, { projectSlug: "billing-api", body: JSON.stringify(readSampleRun(1)) });
    const items = await api.work.listAll({ projectId: "billing-api" });
    const failures = items.filter((i) => i.type === "failure");
    expect(failures).toHaveLength(8);
    expect(items.filter((i) => i.type === "change").length).toBe(before.length);
    // Sorted: status group, then priority, then recency.
    const rank = { needs_you: 0, in_progress: 1, failed: 2, open: 3, done: 4, ignored: 5 } as const;
    for (let i = 1; i < items.length; i++) {
      const [a, b] = [items[i - 1]!, items[i]!];
      expect(rank[a.status] < rank[b.status] || (rank[a.status] === rank[b.status] && a.priority >= b.priority)).toBe(true);
    }
    const locks = failures.find((f) => f.title.includes(LOCKS) && f.title.includes("[desktop-chrome]"))!;
    expect(locks).toMatchObject({
      status: "open",
      projectSlug: "billing-api",
      tag: "pending",
      href: expect.stringMatching(/^\/errors\/\d+$/),
    });
    expect(locks.detail).toContain("untriaged");

    // Triage + a proposal linked to the failure: both sides show the link.
    const failureId = Number(locks.key.split(":")[1]);
    await api.errors.triageFailure({ failureId, decision: "needs_spec", priority: 5, rationale: "Lockout is a product rule: spec it" });
    const change = items.find((i) => i.type === "change")!;
    const changeId = change.key.split("/").at(-1)!;
    await api.errors.linkProposal({ failureId, changeId });
    let after = await api.work.listAll({ projectId: "billing-api" });
    let item = after.find((i) => i.key === locks.key)!;
    expect(item).toMatchObject({ tag: "needs_spec", priority: 5, links: { change: { projectSlug: "billing-api", id: changeId } } });
    expect(item.detail).toContain("needs spec");
    expect(after.find((i) => i.key === change.key)!.links.failure).toEqual({ id: failureId, status: "active" });

    const stats = await api.work.stats({ projectId: "billing-api" });
    expect(stats.total).toBe(after.length);
    expect(stats.byType.failure).toBe(8);
    expect(Object.values(stats.byStatus).reduce((a, b) => a + b, 0)).toBe(after.length);

    // The test passes in a later report: the item, and the proposal's link, say resolved.
    ingestReport(runtime, { projectSlug: "billing-api", body: JSON.stringify(passingReport(LOCKS)) });
    after = await api.work.listAll({ projectId: "billing-api" });
    item = after.find((i) => i.key === locks.key)!;
    expect(item).toMatchObject({ status: "done", detail: "resolved" });
    expect(after.find((i) => i.key === change.key)!.links.failure).toEqual({ id: failureId, status: "resolved" });
    // Done items sink below open ones.
    expect(after.indexOf(item)).toBeGreaterThan(after.findIndex((i) => i.status === "open"));

    // Filters: status, type, search and dates.
    expect(
      (await api.work.listAll({ projectId: "billing-api", filter: { status: ["done"], types: ["failure"] } })).map((i) => i.key),
    ).toContain(locks.key);
    expect(await api.work.listAll({ filter: { search: "no such thing anywhere" } })).toEqual([]);
    expect(await api.work.listAll({ filter: { from: new Date(Date.now() + 86_400_000) } })).toEqual([]);

    // The timeline: newest first, filterable by kind, paged by id.
    const activity = await api.work.activity({ projectId: "billing-api" });
    const kinds = activity.map((a) => a.kind);
    expect(kinds).toEqual(expect.arrayContaining(["failure_new", "triage", "failure_resolved"]));
    expect(kinds.indexOf("failure_resolved")).toBeLessThan(kinds.indexOf("failure_new"));
    const onlyTriage = await api.work.activity({ projectId: "billing-api", types: ["triage"] });
    // The decision, then the proposal link (also a triage change).
    expect(onlyTriage).toHaveLength(2);
    expect(onlyTriage.every((a) => a.kind === "triage" && a.href === `/errors/${failureId}`)).toBe(true);
    expect(onlyTriage[1]!.text).toContain("needs spec");
    const older = await api.work.activity({ projectId: "billing-api", before: onlyTriage[1]!.id });
    expect(older.every((a) => a.id < onlyTriage[1]!.id)).toBe(true);
    expect(older.map((a) => a.kind)).toContain("failure_new");
  });

  it("shows sessions linked to their work item, and a remediation whose failure passed as resolved", async () => {
    const { runtime, api } = await start();
    ingestReport(runtime, { projectSlug: "billing-api", body: JSON.stringify(readSampleRun(1)) });
    const failure = (await api.work.listAll({ projectId: "billing-api", filter: { types: ["failure"] } })).find((f) =>
      f.title.includes(LOCKS),
    )!;
    const failureId = Number(failure.key.split(":")[1]);
    // A finished remediation session, as the runner stores it (running one needs the claude binary).
    const now = Date.now();
    const info = runtime
      .db!.$client.prepare(
        `INSERT INTO sessions (session_type, work_item_kind, work_item_ref, status, project_slug, cwd, prompt, options, priority, created_at, started_at, ended_at, cost_usd)
         VALUES ('error_remediation', 'error', ?, 'completed', 'billing-api', '.', 'Fix it', '{}', 4, ?, ?, ?, 0.42)`,
      )
      .run(String(failureId), now - 60_000, now - 50_000, now);
    const sessionId = Number(info.lastInsertRowid);
    await api.errors.assignSession({ failureId, sessionId });
    runtime.bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId, status: "completed" });

    let items = await api.work.listAll({ projectId: "billing-api" });
    expect(items.find((i) => i.key === failure.key)!.links.session).toEqual({ id: sessionId, status: "completed" });
    let session = items.find((i) => i.key === `session:${sessionId}`)!;
    expect(session).toMatchObject({
      type: "session",
      status: "done",
      tag: "error_remediation",
      links: { failure: { id: failureId, status: "active" } },
    });

    ingestReport(runtime, { projectSlug: "billing-api", body: JSON.stringify(passingReport(LOCKS)) });
    items = await api.work.listAll({ projectId: "billing-api" });
    session = items.find((i) => i.key === `session:${sessionId}`)!;
    expect(session.links.failure).toEqual({ id: failureId, status: "resolved" });
    expect(session.detail).toBe("completed · failure resolved");
    expect((await api.work.activity({ types: ["session_finished"] }))[0]).toMatchObject({
      kind: "session_finished",
      text: `Session #${sessionId} completed`,
    });
  });

  it("subscribe forwards spec, error and session events with tracked ids and resumes after lastEventId", async () => {
    const { runtime, api } = await start();
    const controller = new AbortController();
    const subscriber = createCaller(createContext(runtime), { signal: controller.signal });
    void api;
    const stream = await subscriber.work.subscribe({ projectId: "billing-api", lastEventId: 0 });
    ingestReport(runtime, { projectSlug: "billing-api", body: JSON.stringify(readSampleRun(1)) });
    runtime.bus.publish({ type: "sessions.event", projectSlug: "billing-api", sessionId: 1, seq: 5, eventType: "assistant" });
    runtime.bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: 1, status: "running" });
    const seen: { id: string; type: string }[] = [];
    // tracked(id, data) reaches a server-side caller as an [id, data, symbol] tuple.
    for await (const envelope of stream as AsyncIterable<unknown>) {
      const [id, data] = envelope as [string, { type: string }];
      seen.push({ id, type: data.type });
      if (data.type === "sessions.updated") break;
    }
    controller.abort();
    expect(seen.map((s) => s.type)).toEqual(expect.arrayContaining(["errors.reportIngested", "errors.failureNew", "sessions.updated"]));
    // A session's stream messages are its own tab's business.
    expect(seen.map((s) => s.type)).not.toContain("sessions.event");
    expect(seen.every((s) => /^\d+$/.test(s.id))).toBe(true);
  });
});
