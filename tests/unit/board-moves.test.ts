/**
 * The board's moves (issue 17): each column change means one procedure, a destructive one asks
 * first, and a move that makes no sense is refused with a reason a person can act on.
 */
import { describe, expect, it } from "vitest";
import { columnOf, planMove } from "@/app/_components/board/board-moves";
import type { WorkItem } from "@/lib/schemas/work";

const base: WorkItem = {
  key: "failure:7",
  type: "failure",
  status: "open",
  detail: "new · untriaged",
  projectSlug: "billing-api",
  title: "checkout › pays",
  priority: 3,
  updatedAt: new Date(0),
  href: "/errors/7",
  links: { session: null, change: null, failure: null },
  tag: "pending",
  blockedBy: [],
};
const item = (patch: Partial<WorkItem>): WorkItem => ({ ...base, ...patch });

describe("board moves", () => {
  it("puts failed sessions and changes ready to archive under Needs you, ignored failures under Done", () => {
    expect(columnOf({ status: "failed", type: "session" })).toBe("needs_you");
    expect(columnOf({ status: "ignored", type: "failure" })).toBe("done");
    expect(columnOf({ status: "in_progress", type: "change" })).toBe("in_progress");
    // Every task ticked, not archived yet: a person's move.
    expect(columnOf({ status: "done", type: "change" })).toBe("needs_you");
  });

  it("launches a remediation for a failure moved to In progress, and names what it waits for", () => {
    const plan = planMove(
      item({ blockedBy: [{ key: "change:billing-api/x", state: "open", label: "change x", via: null }] }),
      "in_progress",
    );
    expect(plan).toMatchObject({
      ok: true,
      action: { kind: "launch", projectId: "billing-api", workItem: { kind: "error", failureId: 7 } },
      confirm: null,
    });
    expect(plan.ok && plan.note).toContain("waits for change x");
  });

  it("asks before ignoring a failure or archiving a change, and refuses what makes no sense", () => {
    expect(planMove(item({}), "done")).toMatchObject({
      ok: true,
      action: { kind: "triage", decision: "ignore" },
      confirm: expect.stringContaining("Ignore failure #7"),
    });
    const change = item({ key: "change:billing-api/add-x", type: "change", tag: "active" });
    expect(planMove(change, "done")).toMatchObject({
      ok: true,
      action: { kind: "archive", changeId: "add-x" },
      confirm: expect.stringContaining("Archive change add-x"),
    });
    expect(planMove({ ...change, status: "done", tag: "completed" }, "done")).toMatchObject({
      ok: true,
      action: { kind: "archive", changeId: "add-x" },
    });
    expect(planMove(change, "in_progress")).toMatchObject({
      ok: true,
      action: { kind: "launch", workItem: { kind: "spec", changeId: "add-x" } },
    });
    expect(planMove(item({ status: "done" }), "in_progress")).toMatchObject({ ok: false, reason: expect.stringContaining("resolved") });
    expect(
      planMove(item({ status: "in_progress", links: { session: { id: 3, status: "running" }, change: null, failure: null } }), "open"),
    ).toMatchObject({ ok: false, reason: expect.stringContaining("Session #3") });
    expect(planMove(item({ type: "agent", key: "agent:abc" }), "done")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("own terminal"),
    });
    expect(planMove(item({}), "needs_you")).toMatchObject({ ok: false });
    const ended = item({
      key: "session:4",
      type: "session",
      status: "done",
      links: { session: { id: 4, status: "completed" }, change: null, failure: null },
    });
    expect(planMove(ended, "in_progress")).toMatchObject({ ok: false, reason: expect.stringContaining("resumed") });
    const running = item({
      key: "session:4",
      type: "session",
      status: "in_progress",
      links: { session: { id: 4, status: "running" }, change: null, failure: null },
    });
    expect(planMove(running, "done")).toMatchObject({
      ok: true,
      action: { kind: "stop", sessionId: 4 },
      confirm: expect.stringContaining("Stop session #4"),
    });
  });
});
