/**
 * The flakiness rate per test over the last N runs (issue 13 item 3), N from `errors.flakinessRuns`
 * (default 20): real reports ingested into a temp SQLite file, read back through listFailures and
 * getFailure the way the Errors tab and the failure page do.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { EventBus } from "@/server/events/bus";
import { SqliteStore } from "@/server/db/sql-store";
import { ProjectRegistry } from "@/server/projects/service";
import { getFailure, listFailures, triageFailure } from "@/server/errors/service";
import { ingestReport, type ErrorsDeps } from "@/server/errors/ingest";
import { DEFAULT_FLAKINESS_RUNS, KEPT_RUNS, RECENT_RUNS } from "@/server/errors/groups";
import { WorkdeckConfigSchema } from "@/lib/schemas/config";
import { repoRoot, tempDir } from "../support/temp";

function makeDeps(): ErrorsDeps {
  const dir = tempDir();
  const db = openDatabase(path.join(dir, "workdeck.db"));
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  const projects = new ProjectRegistry(SqliteStore.on(db.$client));
  projects.replace([{ slug: "app", name: "app", path: dir, openspecRoot: dir, source: "config" as const, problem: null }]);
  return { db, bus: new EventBus(db), projects };
}

type Outcome = "flaky" | "passed" | "failed";
const result = (status: "failed" | "passed", retry: number, n: number) => ({
  status,
  duration: 1,
  retry,
  errors: status === "failed" ? [{ message: `Error: timed out waiting for the cart ${n}` }] : [],
});
const spec = (outcome: Outcome, n: number) => ({
  title: "checkout keeps the cart",
  file: "cart.spec.ts",
  line: 1,
  column: 1,
  tests: [
    {
      projectName: "chromium",
      expectedStatus: "passed",
      status: outcome === "flaky" ? "flaky" : outcome === "failed" ? "unexpected" : "expected",
      results:
        outcome === "flaky" ? [result("failed", 0, n), result("passed", 1, n)] : [result(outcome === "failed" ? "failed" : "passed", 0, n)],
    },
  ],
});
const report = (outcome: Outcome, n: number) =>
  JSON.stringify({
    config: { rootDir: "/ci/app" },
    suites: [{ title: "cart.spec.ts", file: "cart.spec.ts", specs: [spec(outcome, n)] }],
    errors: [],
    stats: { startTime: new Date(n * 1000).toISOString() },
  });

/** 30 runs: flaky in runs 1-10, passing in 11-29, failing in run 30. */
function ingestHistory(deps: ErrorsDeps): void {
  for (let n = 1; n <= 30; n++) {
    const outcome: Outcome = n <= 10 ? "flaky" : n === 30 ? "failed" : "passed";
    ingestReport(deps, { projectSlug: "app", body: report(outcome, n) });
  }
}

const withWindow = (deps: ErrorsDeps, flakinessRuns?: number) => ({
  ...deps,
  config: { config: WorkdeckConfigSchema.parse(flakinessRuns === undefined ? {} : { errors: { flakinessRuns } }) },
});

describe("flakiness window", () => {
  it(`defaults to the last ${DEFAULT_FLAKINESS_RUNS} runs; errors.flakinessRuns widens or narrows it`, async () => {
    const deps = makeDeps();
    ingestHistory(deps);
    const groups = (n?: number) => listFailures(withWindow(deps, n), { projectId: "app" });
    // Every group of the test (the flaky one and the failing one) reads the same letters.
    for (const g of await groups()) expect(g.flakiness).toEqual({ flaky: 0, ran: 20, window: 20 });
    // The last 30 runs reach back to the flaky ones: 10 of 30.
    for (const g of await groups(30)) expect(g.flakiness).toEqual({ flaky: 10, ran: 30, window: 30 });
    // A window wider than the project's history counts what there is.
    for (const g of await groups(KEPT_RUNS)) expect(g.flakiness).toEqual({ flaky: 10, ran: 30, window: KEPT_RUNS });
    // Narrow: the last 5 runs, 4 passes and the failure.
    for (const g of await groups(5)) expect(g.flakiness).toEqual({ flaky: 0, ran: 5, window: 5 });
    // The sparkline stays the last RECENT_RUNS reports whatever the window.
    for (const g of await groups(30)) expect(g.recentRuns).toHaveLength(RECENT_RUNS);
    // The failure page's group reads through the same window.
    const id = (await groups())[0]!.id;
    expect((await getFailure(withWindow(deps, 30), { failureId: id })).flakiness).toEqual({ flaky: 10, ran: 30, window: 30 });
    // So does the group a triage decision answers with.
    const triaged = await triageFailure(withWindow(deps, 30), { failureId: id, decision: "one_off_fix", rationale: "seen" });
    expect(triaged.flakiness).toEqual({ flaky: 10, ran: 30, window: 30 });
  });

  it("runs after the last ingest of the test count as absent, not as runs it ran in", async () => {
    const deps = makeDeps();
    ingestHistory(deps);
    // Five more reports without the test: the last 10 runs hold 5 in which it ran.
    for (let n = 31; n <= 35; n++)
      ingestReport(deps, {
        projectSlug: "app",
        body: JSON.stringify({
          config: { rootDir: "/ci/app" },
          suites: [
            { title: "other.spec.ts", file: "other.spec.ts", specs: [{ ...spec("passed", n), title: "other", file: "other.spec.ts" }] },
          ],
          errors: [],
          stats: { startTime: new Date(n * 1000).toISOString() },
        }),
      });
    for (const g of (await listFailures(withWindow(deps, 10), { projectId: "app" })).filter(
      (g) => g.titlePath[0] === "checkout keeps the cart",
    ))
      expect(g.flakiness).toEqual({ flaky: 0, ran: 5, window: 10 });
  });

  it("the config accepts a whole number of runs from 1 to the letters kept, and names the field otherwise", () => {
    expect(WorkdeckConfigSchema.parse({ errors: { flakinessRuns: 50 } }).errors?.flakinessRuns).toBe(50);
    for (const bad of [0, KEPT_RUNS + 1, 2.5, "20"]) {
      const parsed = WorkdeckConfigSchema.safeParse({ errors: { flakinessRuns: bad } });
      expect(parsed.success, String(bad)).toBe(false);
      expect(parsed.error!.issues[0]!.path).toEqual(["errors", "flakinessRuns"]);
    }
    expect(WorkdeckConfigSchema.safeParse({ errors: { flakinesRuns: 5 } }).success).toBe(false);
  });
});
