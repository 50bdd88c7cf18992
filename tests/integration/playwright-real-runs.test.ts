/**
 * Real Playwright runs (Debian Chromium, one worker) of tests/fixtures/playwright-suite, the
 * cases the public sample does not have: a failing beforeAll with "did not run" siblings, a
 * failing afterEach, expect.soft x3, a test timeout, an action timeout, test.fail(), a flaky
 * test, a failure that persists over 7 runs with a new port/UUID/timestamp each time, "feature
 * not implemented", a failure that gets fixed, a global setup failure and a spec that does not load.
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
import { AppError } from "@/server/errors";
import { getFailure, listFailures } from "@/server/services/errors";
import { ingestReport } from "@/server/services/ingest";
import { reporterPath, runPlaywright, startWorkdeck, type PlaywrightRun, type WorkdeckServer } from "../fixtures/playwright-suite/harness";

const JSON_RUNS = [1, 2, 3, 4, 5, 6];
const REPORTER_RUN = 7;
const PROJECT = "suite";
const TOKEN = "real-runs-token-0123456789abcdef";

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
let globalSetup: { run: PlaywrightRun; error: unknown };
let loadError: { run: PlaywrightRun; error: unknown };
let globalTeardown: { run: PlaywrightRun; summary: IngestSummary };
let countsBeforeBadRuns: Record<string, number>;
let countsAfterBadRuns: Record<string, number>;

function snapshot(run: number): void {
  const byKey = new Map<string, FailureGroup[]>();
  for (const g of listFailures(server.runtime, { projectId: PROJECT })) byKey.set(keyOf(g), [...(byKey.get(keyOf(g)) ?? []), g]);
  after.set(run, byKey);
}

/** The one group of a test after a run (fails if the test's failures split into several groups). */
function group(run: number, key: string): FailureGroup {
  const groups = after.get(run)?.get(key) ?? [];
  expect(groups.map((g) => g.fingerprint), `${key} after run ${run}: exactly one group`).toHaveLength(1);
  return groups[0]!;
}

const TABLES = ["reports", "test_cases", "test_results", "test_failures", "error_triage"];
const rowCounts = () =>
  Object.fromEntries(TABLES.map((t) => [t, (server.runtime.db.$client.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));

/** Final statuses of one test across the stored reports, in order. */
function statusesOf(key: string): string[] {
  return (
    server.runtime.db.$client
      .prepare(
        `SELECT r.status FROM test_results r JOIN test_cases c ON c.id = r.test_case_id JOIN reports p ON p.id = r.report_id
         WHERE c.project_slug = ? AND c.key = ? ORDER BY p.seq`,
      )
      .all(PROJECT, key) as { status: string }[]
  ).map((r) => r.status);
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-real-runs-"));
  server = await startWorkdeck({ dir: work, slugs: [PROJECT, "teardown"], token: TOKEN });
  const outputDir = path.join(work, "test-results");

  for (const run of JSON_RUNS) {
    const jsonOutput = path.join(work, `run-${run}.json`);
    const result = await runPlaywright({ config: "playwright.config.ts", reporter: "json", jsonOutput, outputDir, env: { RUN_INDEX: String(run) } });
    runs.set(run, result);
    if (!result.report) throw new Error(`run ${run} wrote no report (exit ${result.code}): ${result.stderr.slice(0, 2000)}`);
    summaries.set(run, ingestReport(server.runtime, { projectSlug: PROJECT, body: result.report }));
    snapshot(run);
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
  snapshot(REPORTER_RUN);

  // Runs that never reach a test: refused with a clear error, nothing stored.
  countsBeforeBadRuns = rowCounts();
  const attempt = (body: Buffer | undefined): unknown => {
    try {
      ingestReport(server.runtime, { projectSlug: PROJECT, body: body ?? "" });
    } catch (err) {
      return err;
    }
    return undefined;
  };
  const gsRun = await runPlaywright({ config: "playwright.global-setup.config.ts", reporter: "json", jsonOutput: path.join(work, "global-setup.json"), outputDir });
  globalSetup = { run: gsRun, error: attempt(gsRun.report) };
  const leRun = await runPlaywright({ config: "playwright.load-error.config.ts", reporter: "json", jsonOutput: path.join(work, "load-error.json"), outputDir });
  loadError = { run: leRun, error: attempt(leRun.report) };
  countsAfterBadRuns = rowCounts();

  // A global teardown that fails after the tests ran: the results stand (own project, not the series).
  const gtRun = await runPlaywright({
    config: "playwright.global-teardown.config.ts",
    reporter: "json",
    jsonOutput: path.join(work, "global-teardown.json"),
    outputDir,
    env: { RUN_INDEX: "4" },
  });
  if (!gtRun.report) throw new Error(`global teardown run wrote no report: ${gtRun.stderr.slice(0, 2000)}`);
  globalTeardown = { run: gtRun, summary: ingestReport(server.runtime, { projectSlug: "teardown", body: gtRun.report }) };

  const timings = [...runs.entries()].map(([run, r]) => `run ${run}: ${(r.ms / 1000).toFixed(1)} s`);
  timings.push(`global setup: ${(gsRun.ms / 1000).toFixed(1)} s`, `load error: ${(leRun.ms / 1000).toFixed(1)} s`, `global teardown: ${(gtRun.ms / 1000).toFixed(1)} s`);
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

  it("a failure that persists over 7 runs with a new port, UUID, timestamp and epoch each time stays one group and becomes persistent at run 5", () => {
    expect(group(1, K.persistent)).toMatchObject({ pattern: "new", suggestedDecision: "one_off_fix", active: true, occurrences: 1 });
    expect(group(3, K.persistent)).toMatchObject({ pattern: "recurring", suggestedDecision: "needs_spec", consecutiveFailures: 3 });
    expect(group(4, K.persistent)).toMatchObject({ pattern: "recurring", consecutiveFailures: 4 });
    const p5 = group(5, K.persistent);
    expect(p5).toMatchObject({ pattern: "persistent", suggestedDecision: "needs_spec", decisionRule: "persistent", priority: 5, confidence: 0.95, consecutiveFailures: 5 });
    expect(p5.rationale).toMatch(/^persistent: failed in the last 5 consecutive runs/);
    const p7 = group(REPORTER_RUN, K.persistent);
    expect(p7).toMatchObject({ pattern: "persistent", occurrences: 7, consecutiveFailures: 7, active: true, decision: "pending", status: "active" });
    expect(p7.heuristics).toMatchObject({ pathCategory: "integration", notImplemented: false, setupTeardown: null, timeout: false });
    // The message really did vary; the fingerprint did not.
    expect(p7.fingerprint).toBe(p5.fingerprint);
    const messages = getFailure(server.runtime, { failureId: p7.id }).runs.map((r) => r.attempts[0]?.errors[0]?.message ?? "");
    expect(new Set(messages).size).toBe(7);
    expect(messages[0]).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/v1\/jobs\/[0-9a-f-]{36} at \d{4}-/);
  });

  it("\"feature not implemented\" suggests needs_spec from the first run, and resolves when fixed", () => {
    const g1 = group(1, K.notImplemented);
    expect(g1).toMatchObject({ pattern: "new", suggestedDecision: "needs_spec", decisionRule: "feature-not-implemented", priority: 3, confidence: 0.8 });
    expect(g1.heuristics.notImplemented).toBe(true);
    expect(group(3, K.notImplemented)).toMatchObject({ pattern: "recurring", suggestedDecision: "needs_spec", occurrences: 3 });
    expect(group(4, K.notImplemented)).toMatchObject({ active: false, status: "resolved" });
  });

  it("a failure in runs 1, 3 and 5 is recurring (not persistent) and keeps one group across the gaps", () => {
    expect(group(1, K.recurring)).toMatchObject({ pattern: "new", suggestedDecision: "one_off_fix" });
    expect(group(2, K.recurring)).toMatchObject({ active: false });
    expect(group(3, K.recurring)).toMatchObject({ pattern: "new", active: true, occurrences: 2 });
    const g5 = group(5, K.recurring);
    expect(g5).toMatchObject({ pattern: "recurring", suggestedDecision: "needs_spec", priority: 4, active: true, occurrences: 3, consecutiveFailures: 1 });
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

  it("expect.soft with three errors is one group carrying all three errors", () => {
    const g = group(2, K.soft);
    expect(g).toMatchObject({ pattern: "new", occurrences: 2, suggestedDecision: "one_off_fix" });
    const detail = getFailure(server.runtime, { failureId: g.id });
    const errors = detail.runs.filter((r) => r.inGroup).map((r) => r.attempts[0]?.errors.map((e) => e.message.split("\n")[0]));
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toEqual(["Error: name is required", "Error: priority is positive", "Error: createdAt is set by the server"]);
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

  it("run 7 went through workdeck/reporter -> the edge -> POST /api/reports, and continued the same groups", () => {
    expect(runs.get(REPORTER_RUN)?.code).toBe(1); // Playwright's own verdict, untouched
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ url: `/api/reports?project=${PROJECT}`, authorization: `Bearer ${TOKEN}`, status: 201 });
    expect(reporterStdout).toMatch(/\[workdeck\] run #7 of "suite" ingested: 13 tests \(3 failed, 0 flaky, 0 skipped, 10 passed\); failure groups: 0 new, \d+ updated, 0 resolved\./);
    // Same fingerprints as the json reporter's runs: no group was split by the reporter path.
    for (const [key, groups] of after.get(REPORTER_RUN)!) {
      expect(groups, key).toHaveLength(1);
      expect(groups[0]!.fingerprint).toBe(after.get(6)?.get(key)?.[0]?.fingerprint ?? groups[0]!.fingerprint);
    }
    const latest = listFailures(server.runtime, { projectId: PROJECT, status: "active" }).map(keyOf).sort();
    expect(latest).toEqual([K.actionTimeout, K.testTimeout, K.persistent].sort());
  });

  it("a global setup failure and a spec that does not load are refused with a clear error, and change nothing", () => {
    for (const [name, { run, error }, kind, text] of [
      ["global setup", globalSetup, "global-setup", /global setup: could not seed the database/],
      ["load error", loadError, "load-error", /SyntaxError: .*syntax\.spec\.mjs/],
    ] as const) {
      expect(run.code, name).toBe(1);
      expect(run.report, name).toBeDefined();
      const parsed = parsePlaywrightReport(run.report!, { allowEmpty: true });
      expect(parsed.tests, name).toHaveLength(0);
      expect(parsed.runErrors.map((e) => e.kind), name).toEqual([kind]);
      expect(parsed.runErrors[0]?.message, name).toMatch(text);
      expect(error, name).toBeInstanceOf(AppError);
      expect((error as AppError).code, name).toBe("UNPROCESSABLE");
      expect((error as AppError).reason, name).toBe("NO_TESTS");
      expect((error as AppError).message, name).toContain(kind);
    }
    expect(countsAfterBadRuns).toEqual(countsBeforeBadRuns);
  });

  it("a global teardown failure after the tests ran keeps the results and is stored as a run-level error", () => {
    const { run, summary } = globalTeardown;
    expect(run.code).toBe(1);
    expect(summary).toMatchObject({ projectSlug: "teardown", tests: 4, runErrors: 1, stats: { expected: 4, unexpected: 0, flaky: 0, skipped: 0 } });
    const row = server.runtime.db.$client.prepare("SELECT run_errors FROM reports WHERE id = ?").get(summary.reportId) as { run_errors: string };
    const stored = JSON.parse(row.run_errors) as { kind: string; message: string; location?: { file: string } }[];
    expect(stored).toHaveLength(1);
    expect(stored[0]?.kind).toBe("global-teardown");
    // The teardown file sits next to the config, outside rootDir (= testDir), so its location is
    // left absolute by the parser (only rootDir is stripped); fingerprints strip both roots.
    expect(stored[0]?.location?.file).toMatch(/(^|\/)global-teardown\.ts$/);
    expect(stored[0]?.message).toMatch(/^Error: global teardown: could not stop the mock server on port \d+/);
  });
});
