/**
 * Real Playwright runs (Debian Chromium, one worker) of tests/fixtures/playwright-suite, the
 * cases the public sample does not have: a failing beforeAll with "did not run" siblings, a
 * failing afterEach, expect.soft x3, a test timeout, an action timeout, test.fail(), a flaky
 * test, a failure that persists over 7 runs with a new port/UUID/timestamp each time, "feature
 * not implemented", a failure that gets fixed, a global setup failure, a spec that does not load
 * and a global teardown failure (run-level errors: stored as runs of their own project, each
 * error grouped as a synthetic test case), and the per-group sparklines.
 *
 * Runs 1-6 use Playwright's json reporter and go through the ingest service; run 7 goes through
 * workdeck/reporter -> HTTP -> the edge check -> the real POST /api/reports route. The runs are
 * made once in beforeAll (about 40 s on 2 cores); the `it`s assert on snapshots taken after each
 * ingest, against DESIGN.md "Triage rules".
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePlaywrightReport } from "@workdeck/error-classifier";
import type { FailureGroup, IngestSummary } from "@/lib/schemas/errors";
import { getFailure, listFailures } from "@/server/errors/service";
import { ingestReport } from "@/server/errors/ingest";
import {
  reporterPath,
  runPlaywright,
  startWorkdeck,
  suiteDir,
  type PlaywrightRun,
  type WorkdeckServer,
} from "../fixtures/playwright-suite/harness";

const JSON_RUNS = [1, 2, 3, 4, 5, 6];
const REPORTER_RUN = 7;
const PROJECT = "suite";
const TOKEN = "real-runs-token-0123456789abcdef";
const STAGES = "stages";

const K = {
  persistent: "integration/jobs.spec.ts::jobs api > job status endpoint answers 200::chromium",
  notImplemented: "integration/jobs.spec.ts::jobs api > exports jobs as CSV::chromium",
  recurring: "integration/jobs.spec.ts::jobs api > retries a stuck job three times::chromium",
  resolved: "integration/jobs.spec.ts::jobs api > cancels a queued job::chromium",
  expectedFail: "integration/jobs.spec.ts::jobs api > rejects an unknown job id::chromium",
  soft: "integration/jobs.spec.ts::jobs api > validates a job payload::chromium",
  flaky: "integration/jobs.spec.ts::job queue > drains the queue::chromium",
  beforeAll: "integration/hooks.spec.ts::seeded database > lists users::chromium",
  didNotRun1: "integration/hooks.spec.ts::seeded database > creates a user::chromium",
  didNotRun2: "integration/hooks.spec.ts::seeded database > deletes a user::chromium",
  afterEach: "integration/hooks.spec.ts::uploads > stores an upload::chromium",
  actionTimeout: "e2e/ui.spec.ts::saves the settings form::chromium",
  testTimeout: "e2e/ui.spec.ts::dashboard totals load::chromium",
} as const;

const keyOf = (g: Pick<FailureGroup, "file" | "titlePath" | "projectName">) => `${g.file}::${g.titlePath.join(" > ")}::${g.projectName}`;

let work: string;
let server: WorkdeckServer;
/** Failure groups per test key after each run (several per key would mean a split group). */
const after = new Map<number, Map<string, FailureGroup[]>>();
const summaries = new Map<number, IngestSummary>();
const runs = new Map<number | string, PlaywrightRun>();
let reporterStdout = "";
let globalSetup: PlaywrightRun;
let loadError: PlaywrightRun;
let globalTeardown: PlaywrightRun;
/** The "stages" project after each of its ingests. */
const stages: { name: string; summary: IngestSummary; groups: FailureGroup[] }[] = [];

async function snapshot(run: number): Promise<void> {
  const byKey = new Map<string, FailureGroup[]>();
  for (const g of await listFailures(server.runtime, { projectId: PROJECT })) byKey.set(keyOf(g), [...(byKey.get(keyOf(g)) ?? []), g]);
  after.set(run, byKey);
}

/** The one group of a test after a run (fails if the test's failures split into several groups). */
function group(run: number, key: string): FailureGroup {
  const groups = after.get(run)?.get(key) ?? [];
  expect(
    groups.map((g) => g.fingerprint),
    `${key} after run ${run}: exactly one group`,
  ).toHaveLength(1);
  return groups[0]!;
}

/** Final statuses of one test across the stored reports, in order. */
function statusesOf(key: string): string[] {
  return (
    server.runtime
      .db!.$client.prepare(
        `SELECT r.status FROM test_results r JOIN test_cases c ON c.id = r.test_case_id JOIN reports p ON p.id = r.report_id
         WHERE c.project_slug = ? AND c.key = ? ORDER BY p.seq`,
      )
      .all(PROJECT, key) as { status: string }[]
  ).map((r) => r.status);
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-real-runs-"));
  server = await startWorkdeck({ dir: work, slugs: [PROJECT, STAGES], token: TOKEN });
  const outputDir = path.join(work, "test-results");

  for (const run of JSON_RUNS) {
    const jsonOutput = path.join(work, `run-${run}.json`);
    const result = await runPlaywright({
      config: "playwright.config.ts",
      reporter: "json",
      jsonOutput,
      outputDir,
      env: { RUN_INDEX: String(run) },
    });
    runs.set(run, result);
    if (!result.report) throw new Error(`run ${run} wrote no report (exit ${result.code}): ${result.stderr.slice(0, 2000)}`);
    summaries.set(run, ingestReport(server.runtime, { projectSlug: PROJECT, body: result.report }));
    await snapshot(run);
  }

  // Run 7 through the reporter, configured from the environment (the CLI cannot pass options).
  const viaReporter = await runPlaywright({
    config: "playwright.config.ts",
    reporter: `line,${reporterPath}`,
    outputDir,
    env: { RUN_INDEX: String(REPORTER_RUN), WORKDECK_URL: server.url, WORKDECK_PROJECT: PROJECT, WORKDECK_TOKEN: TOKEN },
  });
  runs.set(REPORTER_RUN, viaReporter);
  reporterStdout = viaReporter.stdout;
  await snapshot(REPORTER_RUN);

  // Run-level errors, in a project of their own ("stages"): a global setup that fails (no test
  // runs), a spec that does not load (no test runs), a global teardown that fails after the tests
  // ran, then a clean run (run 6's report again) that gets past every stage.
  const stage = async (name: string, body: Buffer | undefined) => {
    if (!body) throw new Error(`${name}: no report`);
    const summary = ingestReport(server.runtime, { projectSlug: STAGES, body });
    stages.push({ name, summary, groups: await listFailures(server.runtime, { projectId: STAGES }) });
  };
  /** One stage's own config (`playwright.<file>.config.ts`), run with the json reporter, then ingested. */
  const runStage = async (name: string, file: "global-setup" | "load-error" | "global-teardown", env?: Record<string, string>) => {
    const run = await runPlaywright({
      config: `playwright.${file}.config.ts`,
      reporter: "json",
      jsonOutput: path.join(work, `${file}.json`),
      outputDir,
      env,
    });
    await stage(name, run.report);
    return run;
  };
  globalSetup = await runStage("global setup", "global-setup");
  loadError = await runStage("load error", "load-error");
  globalTeardown = await runStage("global teardown", "global-teardown", { RUN_INDEX: "4" });
  await stage("clean run", runs.get(6)?.report);

  const timings = [...runs.entries()].map(([run, r]) => `run ${run}: ${(r.ms / 1000).toFixed(1)} s`);
  timings.push(
    `global setup: ${(globalSetup.ms / 1000).toFixed(1)} s`,
    `load error: ${(loadError.ms / 1000).toFixed(1)} s`,
    `global teardown: ${(globalTeardown.ms / 1000).toFixed(1)} s`,
  );
  console.info(`[playwright-real-runs] ${timings.join(", ")}`);
}, 240_000);

afterAll(async () => {
  await server?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("real Playwright runs of the fixture suite, ingested in order", () => {
  it("every run produced a report and was stored as the next run", () => {
    for (const run of JSON_RUNS) {
      expect(runs.get(run)?.code, `run ${run} fails (it has failing tests)`).toBe(1);
      expect(summaries.get(run)).toMatchObject({ seq: run, duplicate: false, tests: 13, runErrors: 0 });
    }
    expect(summaries.get(1)?.stats).toEqual({ expected: 2, unexpected: 9, flaky: 0, skipped: 2 });
    expect(summaries.get(2)?.stats).toMatchObject({ flaky: 1 });
  });

  it("a failure that persists over 7 runs with a new port, UUID, timestamp and epoch each time stays one group and becomes persistent at run 5", async () => {
    expect(group(1, K.persistent)).toMatchObject({ pattern: "new", suggestedDecision: "one_off_fix", active: true, occurrences: 1 });
    expect(group(3, K.persistent)).toMatchObject({ pattern: "recurring", suggestedDecision: "needs_spec", consecutiveFailures: 3 });
    expect(group(4, K.persistent)).toMatchObject({ pattern: "recurring", consecutiveFailures: 4 });
    const p5 = group(5, K.persistent);
    expect(p5).toMatchObject({
      pattern: "persistent",
      suggestedDecision: "needs_spec",
      decisionRule: "persistent",
      priority: 5,
      confidence: 0.95,
      consecutiveFailures: 5,
    });
    expect(p5.rationale).toMatch(/^persistent: failed in the last 5 consecutive runs/);
    const p7 = group(REPORTER_RUN, K.persistent);
    expect(p7).toMatchObject({
      pattern: "persistent",
      occurrences: 7,
      consecutiveFailures: 7,
      active: true,
      decision: "pending",
      status: "active",
    });
    expect(p7.heuristics).toMatchObject({ pathCategory: "integration", notImplemented: false, setupTeardown: null, timeout: false });
    // The message really did vary; the fingerprint did not.
    expect(p7.fingerprint).toBe(p5.fingerprint);
    const messages = (await getFailure(server.runtime, { failureId: p7.id })).runs.map((r) => r.attempts[0]?.errors[0]?.message ?? "");
    expect(new Set(messages).size).toBe(7);
    expect(messages[0]).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/v1\/jobs\/[0-9a-f-]{36} at \d{4}-/);
  });

  it('"feature not implemented" suggests needs_spec from the first run, and resolves when fixed', () => {
    const g1 = group(1, K.notImplemented);
    expect(g1).toMatchObject({
      pattern: "new",
      suggestedDecision: "needs_spec",
      decisionRule: "feature-not-implemented",
      priority: 3,
      confidence: 0.8,
    });
    expect(g1.heuristics.notImplemented).toBe(true);
    expect(group(3, K.notImplemented)).toMatchObject({ pattern: "recurring", suggestedDecision: "needs_spec", occurrences: 3 });
    expect(group(4, K.notImplemented)).toMatchObject({ active: false, status: "resolved" });
  });

  it("a failure in runs 1, 3 and 5 is recurring (not persistent) and keeps one group across the gaps", () => {
    expect(group(1, K.recurring)).toMatchObject({ pattern: "new", suggestedDecision: "one_off_fix" });
    expect(group(2, K.recurring)).toMatchObject({ active: false });
    expect(group(3, K.recurring)).toMatchObject({ pattern: "new", active: true, occurrences: 2 });
    const g5 = group(5, K.recurring);
    expect(g5).toMatchObject({
      pattern: "recurring",
      suggestedDecision: "needs_spec",
      priority: 4,
      active: true,
      occurrences: 3,
      consecutiveFailures: 1,
    });
    expect(g5.rationale).toMatch(/^recurring: failed in 3 runs \(runs 1, 3, 5\)/);
    expect(group(6, K.recurring)).toMatchObject({ pattern: "recurring", active: false });
  });

  it("a failure that gets fixed is resolved and no longer active", () => {
    expect(group(2, K.resolved)).toMatchObject({ pattern: "new", active: true, occurrences: 2, status: "active" });
    const g3 = group(3, K.resolved);
    expect(g3).toMatchObject({ active: false, status: "resolved" });
    expect(g3.resolvedAt).toBeInstanceOf(Date);
    expect(group(REPORTER_RUN, K.resolved).status).toBe("resolved");
  });

  it("test.fail() that fails as expected is never a failure", () => {
    for (const run of [...JSON_RUNS, REPORTER_RUN]) expect(after.get(run)?.get(K.expectedFail), `run ${run}`).toBeUndefined();
    expect(statusesOf(K.expectedFail)).toEqual(Array(7).fill("expected"));
  });

  it("expect.soft with three errors is one group carrying all three errors", async () => {
    const g = group(2, K.soft);
    expect(g).toMatchObject({ pattern: "new", occurrences: 2, suggestedDecision: "one_off_fix" });
    const detail = await getFailure(server.runtime, { failureId: g.id });
    const errors = detail.runs.filter((r) => r.inGroup).map((r) => r.attempts[0]?.errors.map((e) => e.message.split("\n")[0]));
    expect(errors).toHaveLength(2);
    for (const e of errors)
      expect(e).toEqual(["Error: name is required", "Error: priority is positive", "Error: createdAt is set by the server"]);
    expect(group(3, K.soft).status).toBe("resolved");
  });

  it("a test that fails then passes on retry is flaky (one_off_fix), active only in the runs where it flaked", () => {
    expect(after.get(1)?.get(K.flaky)).toBeUndefined();
    const g2 = group(2, K.flaky);
    expect(g2).toMatchObject({ pattern: "flaky", suggestedDecision: "one_off_fix", active: true, occurrences: 1, consecutiveFailures: 0 });
    expect(group(3, K.flaky)).toMatchObject({ pattern: "flaky", active: false });
    const g5 = group(5, K.flaky);
    expect(g5).toMatchObject({ pattern: "flaky", active: true, occurrences: 2, priority: 2 });
    expect(g5.rationale).toMatch(/^flaky: failed then passed on retry in 2 runs \(runs 2, 5\)/);
    expect(statusesOf(K.flaky)).toEqual(["expected", "flaky", "expected", "expected", "flaky", "expected", "expected"]);
  });

  it("a failing beforeAll is a setup failure on the first test; its siblings did not run and are neither passes nor failures", () => {
    const g = group(2, K.beforeAll);
    expect(g).toMatchObject({ pattern: "new", occurrences: 2, suggestedDecision: "one_off_fix" });
    expect(g.heuristics).toMatchObject({ setupTeardown: "setup", hook: "beforeAll", timeout: false });
    expect(g.rationale).toMatch(/beforeAll hook \(setup\)/);
    // new = priority 3, +1 because a setup failure hides every test it guards.
    expect(g.priority).toBe(4);
    for (const key of [K.didNotRun1, K.didNotRun2]) {
      for (const run of [...JSON_RUNS, REPORTER_RUN]) expect(after.get(run)?.get(key), `${key} run ${run}`).toBeUndefined();
      expect(statusesOf(key)).toEqual(["skipped", "skipped", "expected", "expected", "expected", "expected", "expected"]);
    }
    expect(group(3, K.beforeAll).status).toBe("resolved");
  });

  it("a failing afterEach is a teardown failure of the test it follows, recurring by run 3", () => {
    const g = group(3, K.afterEach);
    expect(g).toMatchObject({ pattern: "recurring", suggestedDecision: "needs_spec", occurrences: 3 });
    expect(g.heuristics).toMatchObject({ setupTeardown: "teardown", hook: "afterEach" });
    expect(g.rationale).toMatch(/afterEach hook \(teardown\)/);
    expect(group(4, K.afterEach).status).toBe("resolved");
  });

  it("action and test timeouts are flagged as timeouts, e2e by path, and stay one group each", () => {
    for (const key of [K.actionTimeout, K.testTimeout]) {
      const g = group(REPORTER_RUN, key);
      expect(g, key).toMatchObject({ pattern: "persistent", occurrences: 7, priority: 5, suggestedDecision: "needs_spec" });
      expect(g.heuristics, key).toMatchObject({ pathCategory: "e2e", timeout: true, setupTeardown: null });
      expect(group(1, key).fingerprint).toBe(g.fingerprint);
    }
    expect(group(1, K.actionTimeout).lastMessage).toMatch(/locator\.click: Timeout 500ms exceeded/);
    expect(group(1, K.testTimeout).lastMessage).toMatch(/Test timeout of 500ms exceeded/);
    // New + timeout: confidence 0.60 - 0.10.
    expect(group(1, K.testTimeout).confidence).toBe(0.5);
  });

  it("run 7 went through workdeck/reporter -> the edge -> POST /api/reports, and continued the same groups", async () => {
    expect(runs.get(REPORTER_RUN)?.code).toBe(1); // Playwright's own verdict, untouched
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ url: `/api/reports?project=${PROJECT}`, authorization: `Bearer ${TOKEN}`, status: 201 });
    expect(reporterStdout).toMatch(
      /\[workdeck\] run #7 of "suite" ingested: 13 tests \(3 failed, 0 flaky, 0 skipped, 10 passed\); failure groups: 0 new, \d+ updated, 0 resolved\./,
    );
    // Same fingerprints as the json reporter's runs: no group was split by the reporter path.
    for (const [key, groups] of after.get(REPORTER_RUN)!) {
      expect(groups, key).toHaveLength(1);
      expect(groups[0]!.fingerprint).toBe(after.get(6)?.get(key)?.[0]?.fingerprint ?? groups[0]!.fingerprint);
    }
    const latest = (await listFailures(server.runtime, { projectId: PROJECT, status: "active" })).map(keyOf).sort();
    expect(latest).toEqual([K.actionTimeout, K.testTimeout, K.persistent].sort());
  });

  it("sparklines: each group carries its test's final status in the project's last reports, oldest first", async () => {
    expect(group(1, K.persistent).recentRuns).toEqual(["failed"]);
    expect(group(REPORTER_RUN, K.persistent).recentRuns).toEqual(Array(7).fill("failed"));
    expect(group(REPORTER_RUN, K.flaky).recentRuns).toEqual(["passed", "flaky", "passed", "passed", "flaky", "passed", "passed"]);
    expect(group(REPORTER_RUN, K.beforeAll).recentRuns).toEqual(["failed", "failed", "passed", "passed", "passed", "passed", "passed"]);
    // Read again from the database, the same answer as the stored statuses.
    for (const key of [K.persistent, K.flaky, K.recurring, K.soft]) {
      const g = (await listFailures(server.runtime, { projectId: PROJECT })).find((f) => keyOf(f) === key)!;
      const letters = { unexpected: "failed", flaky: "flaky", expected: "passed", skipped: "skipped" } as Record<string, string>;
      expect(g.recentRuns, key).toEqual(statusesOf(key).map((s) => letters[s]));
    }
  });

  it("a global setup failure is stored as a run and grouped as a setup failure of a synthetic '(global setup)' case", async () => {
    expect(globalSetup.code).toBe(1);
    const parsed = parsePlaywrightReport(globalSetup.report!, { allowEmpty: true });
    expect(parsed.tests).toHaveLength(0);
    expect(parsed.runErrors.map((e) => e.kind)).toEqual(["global-setup"]);
    const [first] = stages;
    expect(first!.summary).toMatchObject({ projectSlug: STAGES, seq: 1, duplicate: false, tests: 0, runErrors: 1, failuresNew: 1 });
    expect(first!.groups).toHaveLength(1);
    const g = first!.groups[0]!;
    expect(g).toMatchObject({
      file: "global-setup.ts",
      titlePath: ["(global setup)"],
      projectName: "",
      runErrorKind: "global-setup",
      pattern: "new",
      active: true,
      status: "active",
      suggestedDecision: "one_off_fix",
      recentRuns: ["failed"],
      heuristics: { setupTeardown: "setup", hook: "globalSetup", timeout: false, notImplemented: false },
    });
    // new = 3, +1 for a setup failure.
    expect(g.priority).toBe(4);
    expect(g.lastMessage).toMatch(/^Error: global setup: could not seed the database at postgres:\/\/127\.0\.0\.1:\d+\/app/);
    expect(g.rationale).toMatch(/Raised in global setup \(setup\)/);
    // No absolute path of this machine in what was stored (run errors, the group's occurrences).
    const detail = await getFailure(server.runtime, { failureId: g.id });
    expect(detail.runs[0]?.attempts[0]?.errors[0]?.stack).toMatch(/at globalSetup \(global-setup\.ts:3:9\)/);
    const runErrors = (
      server.runtime.db!.$client.prepare("SELECT run_errors FROM reports WHERE id = ?").get(first!.summary.reportId) as {
        run_errors: string;
      }
    ).run_errors;
    for (const text of [JSON.stringify(detail), runErrors]) expect(text).not.toContain(suiteDir);
  });

  it("a spec that does not load is its own kind of run-level failure; global setup did not run there (absent, not passed)", () => {
    expect(loadError.code).toBe(1);
    const second = stages[1]!;
    expect(second.summary).toMatchObject({ seq: 2, tests: 0, runErrors: 1, failuresNew: 1, failuresResolved: 0 });
    const load = second.groups.find((g) => g.runErrorKind === "load-error")!;
    expect(load).toMatchObject({
      file: "syntax.spec.mjs",
      titlePath: ["(load error)"],
      projectName: "",
      pattern: "new",
      active: true,
      recentRuns: ["absent", "failed"],
    });
    expect(load.heuristics).toMatchObject({ setupTeardown: null, hook: null });
    expect(load.lastMessage).toMatch(/^SyntaxError: syntax\.spec\.mjs: Unexpected token/);
    const setup = second.groups.find((g) => g.runErrorKind === "global-setup")!;
    expect(setup).toMatchObject({ status: "inactive", active: false, recentRuns: ["failed", "absent"] });
  });

  it("a global teardown failure after the tests ran keeps the results, is a teardown failure, and passes the earlier stages", () => {
    expect(globalTeardown.code).toBe(1);
    const third = stages[2]!;
    expect(third.summary).toMatchObject({
      seq: 3,
      tests: 4,
      runErrors: 1,
      stats: { expected: 4, unexpected: 0, flaky: 0, skipped: 0 },
      failuresNew: 1,
    });
    const row = server.runtime.db!.$client.prepare("SELECT run_errors FROM reports WHERE id = ?").get(third.summary.reportId) as {
      run_errors: string;
    };
    const stored = JSON.parse(row.run_errors) as { kind: string; message: string; location?: { file: string } }[];
    expect(stored.map((e) => e.kind)).toEqual(["global-teardown"]);
    // The teardown file sits next to the config, outside rootDir (= testDir): made relative to the config's folder.
    expect(stored[0]?.location?.file).toBe("global-teardown.ts");
    expect(stored[0]?.message).toMatch(/^Error: global teardown: could not stop the mock server on port \d+/);
    const byKind = new Map(third.groups.map((g) => [g.runErrorKind, g]));
    expect(byKind.get("global-teardown")).toMatchObject({
      file: "global-teardown.ts",
      titlePath: ["(global teardown)"],
      active: true,
      recentRuns: ["absent", "absent", "failed"],
      heuristics: { setupTeardown: "teardown", hook: "globalTeardown" },
    });
    expect(byKind.get("global-teardown")?.rationale).toMatch(/Raised in global teardown \(teardown\)/);
    // Tests ran: global setup and loading got past, so both earlier groups passed and are resolved.
    expect(byKind.get("global-setup")).toMatchObject({ status: "resolved", recentRuns: ["failed", "absent", "passed"] });
    expect(byKind.get("load-error")).toMatchObject({ status: "resolved", recentRuns: ["absent", "failed", "passed"] });
    expect(third.summary.failuresResolved).toBe(2);
    // The 4 real tests all passed: no group for them.
    expect(third.groups.filter((g) => g.runErrorKind === null)).toEqual([]);
  });

  it("a later run without a teardown error resolves the teardown group", () => {
    const fourth = stages[3]!;
    expect(fourth.summary).toMatchObject({ seq: 4, tests: 13, runErrors: 0 });
    const teardown = fourth.groups.find((g) => g.runErrorKind === "global-teardown")!;
    expect(teardown).toMatchObject({ status: "resolved", recentRuns: ["absent", "absent", "failed", "passed"] });
    expect(fourth.groups.filter((g) => g.runErrorKind !== null)).toHaveLength(3);
  });
});
