/** Clustering of failure groups for the Errors tab (issue 13 item 3), over the real sample reports' groups. */
import { describe, expect, it } from "vitest";
import { clusterFailures, flakinessOf } from "@/app/_components/errors-clusters/cluster-model";
import type { FailureGroup, FailureRun } from "@/lib/schemas/errors";

const group = (id: number, projectName: string, over: Partial<FailureGroup> = {}): FailureGroup =>
  ({
    id,
    projectSlug: "p",
    testCaseId: id,
    file: "e2e/login.spec.ts",
    titlePath: ["login", "locks account"],
    projectName,
    fingerprint: "fp1",
    pattern: "recurring",
    active: true,
    status: "active",
    occurrences: 3,
    decision: "pending",
    suggestedDecision: "needs_spec",
    priority: 3,
    lastMessage: "boom",
    lastSeen: { id: 1, seq: 1, at: new Date(1_700_000_000_000 + id) },
    recentRuns: ["failed", "failed", "passed"],
    flakiness: { flaky: 0, ran: 3, window: 20 },
    ...over,
  }) as FailureGroup;

describe("clusterFailures", () => {
  it("one row per test + fingerprint across Playwright projects; another fingerprint or test is another row", () => {
    const rows = [
      group(1, "desktop-chrome", { pattern: "persistent", priority: 5 }),
      group(2, "tablet"),
      group(3, "firefox", { decision: "needs_spec" }),
      group(4, "webkit", { fingerprint: "fp2" }),
      group(5, "desktop-chrome", { titlePath: ["login", "other"] }),
    ];
    const clusters = clusterFailures(rows);
    expect(clusters.map((c) => c.groups.map((g) => g.id))).toEqual([[1, 3, 2], [4], [5]]);
    const [first] = clusters;
    expect(first).toMatchObject({ pattern: "persistent", priority: 5, decision: "mixed", occurrences: 9 });
    expect(first!.groups.map((g) => g.projectName)).toEqual(["desktop-chrome", "firefox", "tablet"]);
  });

  it("flakiness rate: flaky runs among the runs the test ran in, summed over every project's groups", () => {
    expect(flakinessOf([{ flakiness: { flaky: 1, ran: 2, window: 20 } }, { flakiness: { flaky: 1, ran: 2, window: 20 } }])).toEqual({
      flaky: 2,
      ran: 4,
      window: 20,
      rate: 0.5,
    });
    expect(flakinessOf([{ flakiness: { flaky: 0, ran: 0, window: 5 } }])).toMatchObject({ rate: null, window: 5 });
  });
});

describe("branchHistories", () => {
  const run = (seq: number, branch: string | null, status: "unexpected" | "flaky" | "expected"): FailureRun => ({
    report: { id: seq, seq, at: new Date(0), branch, commit: null, source: null },
    status,
    retries: 0,
    durationMs: 1,
    fingerprint: null,
    inGroup: true,
    attempts: [],
  });
  it("splits the runs by the branch their report names, latest branch first; nothing to split without branches", async () => {
    const { branchHistories } = await import("@/app/_components/failure-evidence/branch-history");
    expect(branchHistories([run(1, null, "unexpected")])).toBeNull();
    const split = branchHistories([
      run(1, "main", "expected"),
      run(2, "feat/x", "unexpected"),
      run(3, "main", "expected"),
      run(4, "feat/x", "unexpected"),
    ])!;
    expect(split.map((b) => [b.branch, b.failed, b.passed])).toEqual([
      ["feat/x", 2, 0],
      ["main", 0, 2],
    ]);
  });
});
