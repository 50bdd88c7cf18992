/**
 * Ingest through the service, the way `workdeck ingest`, POST /api/reports and the reporter all
 * do: the public 3-run sample classified exactly as expected.json says after each run, duplicates,
 * JUnit, bad input that leaves the database untouched, human decisions that survive, resolution.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { AppError } from "@/server/app-error";
import { EventBus } from "@/server/events/bus";
import { SqliteStore } from "@/server/db/sql-store";
import { ProjectRegistry } from "@/server/projects/service";
import { getFailure, listFailures, stats, triageFailure, classifyFailure } from "@/server/errors/service";
import { ingestReport, type ErrorsDeps } from "@/server/errors/ingest";
import { RECENT_RUNS } from "@/server/errors/groups";
import type { FailureGroup } from "@/lib/schemas/errors";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { classificationOf, readSampleExpected } from "../support/playwright-reports";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDir } from "../support/temp";

const sampleDir = sharedPath("playwright-sample");
const reportPath = (run: number, ext = "json") => path.join(sampleDir, "reports", `run-${run}.${ext}`);
const readReport = (run: number, ext = "json") => fs.readFileSync(reportPath(run, ext));

const expected = readSampleExpected();

function makeDeps(slugs = ["sample", "junit"]): ErrorsDeps & { events: WorkdeckEvent[] } {
  const dir = tempDir();
  const db = openDatabase(path.join(dir, "workdeck.db"));
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  const bus = new EventBus(db);
  const projects = new ProjectRegistry(SqliteStore.on(db.$client));
  projects.replace(slugs.map((slug) => ({ slug, name: slug, path: dir, openspecRoot: dir, source: "config" as const, problem: null })));
  const events: WorkdeckEvent[] = [];
  bus.on((e) => events.push(e));
  return { db, bus, projects, events };
}

const TABLES = ["reports", "test_cases", "test_results", "test_failures", "error_triage", "events"];
const rowCounts = (deps: ErrorsDeps) =>
  Object.fromEntries(TABLES.map((t) => [t, (deps.db!.$client.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));

const keyOf = (g: Pick<FailureGroup, "file" | "titlePath" | "projectName">) => `${g.file}::${g.titlePath.join(" > ")}::${g.projectName}`;

/** The group carrying each test's classification: the one of its latest fingerprint (most recently seen). */
async function currentGroups(deps: ErrorsDeps, projectId = "sample"): Promise<Map<string, FailureGroup>> {
  const out = new Map<string, FailureGroup>();
  for (const g of await listFailures(deps, { projectId })) {
    const prev = out.get(keyOf(g));
    if (!prev || g.lastSeen.seq > prev.lastSeen.seq) out.set(keyOf(g), g);
  }
  return out;
}

describe("ingest: the public Playwright sample, run by run", () => {
  it("classifies every test exactly as expected.json says after each run", async () => {
    const deps = makeDeps();
    for (const run of expected.runs) {
      const summary = ingestReport(deps, { projectSlug: "sample", body: readReport(run) });
      expect(summary).toMatchObject({ seq: run, duplicate: false, format: "json", tests: expected.tests.length });

      const groups = await currentGroups(deps);
      for (const t of expected.tests) {
        const want = t.classification[String(run)];
        const got = groups.get(t.key);
        if (!want) {
          expect(got, `${t.key} after run ${run}: no failure group`).toBeUndefined();
          continue;
        }
        expect(got, `${t.key} after run ${run}`).toBeDefined();
        const detail = await getFailure(deps, { failureId: got!.id });
        const runsWith = (status: string) => detail.runs.filter((r) => r.status === status).map((r) => r.report.seq);
        expect(
          {
            class: got!.pattern,
            active: got!.active,
            occurrences: got!.occurrences,
            failureRuns: runsWith("unexpected"),
            flakyRuns: runsWith("flaky"),
            consecutiveFailuresAtEnd: got!.consecutiveFailures,
          },
          `${t.key} after run ${run}`,
        ).toEqual(classificationOf(want));
        const { hook: _hook, ...heuristics } = t.heuristics;
        const h = got!.heuristics;
        expect({
          pathCategory: h.pathCategory === "other" ? null : h.pathCategory,
          notImplemented: h.notImplemented,
          setupTeardown: h.setupTeardown,
          timeout: h.timeout,
        }).toEqual(heuristics);
        const suggestion =
          want.class === "persistent" || want.class === "recurring" || t.heuristics.notImplemented ? "needs_spec" : "one_off_fix";
        expect(got!.suggestedDecision, t.key).toBe(suggestion);
        expect(got!.decision).toBe("pending");
        expect(got!.rationale.startsWith(`${want.class}:`), got!.rationale).toBe(true);
        expect(got!.priority).toBeGreaterThanOrEqual(1);
        expect(got!.priority).toBeLessThanOrEqual(5);
      }
    }
    // One fingerprint per test across the three runs (ports, ids, timestamps and ANSI normalised).
    const all = await listFailures(deps, { projectId: "sample" });
    expect(new Set(all.map(keyOf)).size).toBe(all.length);
  });

  it("publishes ingest, new-failure and update events after the transaction", async () => {
    const deps = makeDeps();
    ingestReport(deps, { projectSlug: "sample", body: readReport(1) });
    ingestReport(deps, { projectSlug: "sample", body: readReport(2) });
    const types = deps.events.map((e) => e.type);
    expect(types.filter((t) => t === "errors.reportIngested")).toHaveLength(2);
    const firstNew = deps.events.find((e) => e.type === "errors.failureNew");
    expect(firstNew && firstNew.type === "errors.failureNew" && firstNew.count).toBe(
      (await listFailures(deps, { projectId: "sample" })).filter((g) => g.firstSeen.seq === 1).length,
    );
    expect(types).toContain("errors.failureUpdated");
  });

  it("recognises a report sent twice and does not count it again", async () => {
    const deps = makeDeps();
    const first = ingestReport(deps, { projectSlug: "sample", body: readReport(1) });
    const before = rowCounts(deps);
    const groupsBefore = await listFailures(deps, { projectId: "sample" });
    const again = ingestReport(deps, { projectSlug: "sample", body: readReport(1).toString("utf8") });
    expect(again).toMatchObject({ duplicate: true, reportId: first.reportId, seq: 1, failuresNew: 0 });
    expect(again.warnings[0]).toMatch(/already ingested as run 1/);
    expect(rowCounts(deps)).toEqual(before);
    expect(await listFailures(deps, { projectId: "sample" })).toEqual(groupsBefore);
  });

  it("accepts JUnit XML and says that flaky results are hidden", async () => {
    const deps = makeDeps();
    const summary = ingestReport(deps, { projectSlug: "junit", body: readReport(2, "junit.xml") });
    expect(summary.format).toBe("junit");
    expect(summary.tests).toBe(expected.tests.length);
    expect(summary.warnings.join("\n")).toMatch(/flaky/i);
    expect(summary.stats.flaky).toBe(0);
    // The recurring-to-be failures are stored from JUnit just as from JSON.
    const groups = await currentGroups(deps, "junit");
    expect(groups.get("e2e/login.spec.ts::login > locks account after 5 failed attempts::desktop-chrome")?.pattern).toBe("new");
    // An explicit format is honoured too.
    expect(ingestReport(deps, { projectSlug: "junit", body: readReport(3, "junit.xml"), format: "junit" }).seq).toBe(2);
  });

  describe("rejects bad input with a clear error and leaves the database unchanged", () => {
    let deps: ReturnType<typeof makeDeps>;
    beforeEach(() => {
      deps = makeDeps();
      ingestReport(deps, { projectSlug: "sample", body: readReport(1) });
    });

    const cases: { name: string; input: () => Parameters<typeof ingestReport>[1]; code: string; reason?: string; message: RegExp }[] = [
      {
        name: "a file that is not a Playwright report",
        input: () => ({ projectSlug: "sample", body: JSON.stringify({ hello: "world" }) }),
        code: "BAD_REQUEST",
        reason: "NOT_PLAYWRIGHT_REPORT",
        message: /Playwright/,
      },
      {
        name: "truncated JSON",
        input: () => ({ projectSlug: "sample", body: readReport(2).subarray(0, 50_000) }),
        code: "BAD_REQUEST",
        reason: "TRUNCATED_JSON",
        message: /trunc|cut off|ends/i,
      },
      {
        name: "not JSON at all",
        input: () => ({ projectSlug: "sample", body: "hello, world" }),
        code: "BAD_REQUEST",
        reason: "NOT_JSON",
        message: /JSON/,
      },
      {
        name: "XML that is not JUnit",
        input: () => ({ projectSlug: "sample", body: "<html><body>hi</body></html>" }),
        code: "BAD_REQUEST",
        reason: "NOT_JUNIT_REPORT",
        message: /JUnit/,
      },
      {
        name: "an unknown project",
        input: () => ({ projectSlug: "nope", body: readReport(2) }),
        code: "NOT_FOUND",
        message: /Unknown project "nope"/,
      },
      {
        name: "a report with 0 tests",
        input: () => ({
          projectSlug: "sample",
          body: JSON.stringify({ config: {}, suites: [], errors: [], stats: { expected: 0, unexpected: 0, flaky: 0, skipped: 0 } }),
        }),
        code: "UNPROCESSABLE",
        reason: "NO_TESTS",
        message: /no tests|0 tests/i,
      },
    ];

    it.each(cases)("$name", ({ input, code, reason, message }) => {
      const before = rowCounts(deps);
      let error: unknown;
      try {
        ingestReport(deps, input());
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe(code);
      if (reason) expect((error as AppError).reason).toBe(reason);
      expect((error as AppError).message).toMatch(message);
      expect(rowCounts(deps)).toEqual(before);
    });
  });

  it("never overwrites a human decision, keeps the suggestion it overrode, and reports agreement", async () => {
    const deps = makeDeps();
    ingestReport(deps, { projectSlug: "sample", body: readReport(1) });
    const byKey = await currentGroups(deps);
    const locks = byKey.get("e2e/login.spec.ts::login > locks account after 5 failed attempts::desktop-chrome")!;
    const pdf = byKey.get("integration/notes-api.spec.ts::notes api > POST /v1/notes/import accepts a PDF::desktop-chrome")!;
    expect(locks.suggestedDecision).toBe("one_off_fix");
    expect(pdf.suggestedDecision).toBe("needs_spec");

    await expect(triageFailure(deps, { failureId: locks.id, decision: "ignore" })).rejects.toThrow(/rationale is required/);
    await triageFailure(deps, { failureId: locks.id, decision: "ignore", rationale: "lockout is being redesigned", priority: 1 });
    await triageFailure(deps, { failureId: pdf.id, decision: "needs_spec" });
    expect(deps.events.at(-1)).toMatchObject({ type: "errors.triaged", failureId: pdf.id, decision: "needs_spec", reviewedByHuman: true });

    ingestReport(deps, { projectSlug: "sample", body: readReport(2) });
    ingestReport(deps, { projectSlug: "sample", body: readReport(3) });
    const after = await getFailure(deps, { failureId: locks.id });
    expect(after).toMatchObject({
      pattern: "recurring",
      suggestedDecision: "needs_spec", // the engine moved on...
      decision: "ignore", // ...the person's decision did not
      overriddenSuggestion: "one_off_fix",
      humanRationale: "lockout is being redesigned",
      priority: 1,
      suggestedPriority: 4,
      reviewedByHuman: true,
    });
    expect(await stats(deps, { projectId: "sample" })).toMatchObject({ reviewed: 2, agreed: 1, agreementRate: 0.5 });

    // Handing it back to the engine restores the suggested priority.
    expect(await triageFailure(deps, { failureId: locks.id, decision: "pending" })).toMatchObject({
      decision: "pending",
      reviewedByHuman: false,
      priority: 4,
      overriddenSuggestion: null,
    });
  });

  it("resolves a group when its test passes in a later report, and reopens it when the failure returns", async () => {
    const deps = makeDeps();
    for (const run of [1, 2]) ingestReport(deps, { projectSlug: "sample", body: readReport(run) });
    const key = "unit-ish/slug.spec.ts::slug > transliterates accented titles::desktop-chrome";
    const group = (await currentGroups(deps)).get(key)!;
    expect(group).toMatchObject({ status: "active", resolvedAt: null });

    const third = ingestReport(deps, { projectSlug: "sample", body: readReport(3) });
    expect(third.failuresResolved).toBeGreaterThan(0);
    const resolved = await getFailure(deps, { failureId: group.id });
    expect(resolved).toMatchObject({ status: "resolved", active: false, pattern: "new" });
    expect(resolved.resolvedAt).toBeInstanceOf(Date);
    expect((await listFailures(deps, { projectId: "sample", status: "resolved" })).map((g) => g.id)).toContain(group.id);
    expect((await listFailures(deps, { projectId: "sample", status: "active" })).map((g) => g.id)).not.toContain(group.id);

    // Run 2 again under another hash (re-serialised): the same failure comes back, same group.
    const rerun = JSON.stringify(JSON.parse(readReport(2).toString("utf8")));
    ingestReport(deps, { projectSlug: "sample", body: rerun });
    expect(await getFailure(deps, { failureId: group.id })).toMatchObject({
      status: "active",
      resolvedAt: null,
      occurrences: 3,
      pattern: "recurring",
    });
  });

  it("getFailure returns every occurrence with message and stack; classifyFailure explains itself", async () => {
    const deps = makeDeps();
    for (const run of expected.runs) ingestReport(deps, { projectSlug: "sample", body: readReport(run) });
    const group = (await currentGroups(deps)).get(
      "integration/notes-api.spec.ts::notes api > POST /v1/notes/import accepts a PDF::tablet",
    )!;
    const detail = await getFailure(deps, { failureId: group.id });
    expect(detail.runs.map((r) => r.report.seq)).toEqual([1, 2, 3]);
    for (const r of detail.runs) {
      expect(r.inGroup).toBe(true);
      const errors = r.attempts.flatMap((a) => a.errors);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]!.message).toMatch(/feature not implemented/i);
      expect(errors.some((e) => e.stack)).toBe(true);
    }
    expect(detail.firstSeen.seq).toBe(1);
    expect(detail.lastSeen.seq).toBe(3);
    expect(detail.lastMessage).toMatch(/feature not implemented/i);

    const why = await classifyFailure(deps, { failureId: group.id });
    expect(why.currentGroup).toBe(true);
    expect(why.classification).toMatchObject({
      pattern: "recurring",
      decisionRule: "recurring",
      suggestedDecision: "needs_spec",
      failureRuns: [1, 2, 3],
    });
    expect(why.classification.rationale).toMatch(/^recurring: failed in 3 runs/);
  });

  it("filters by pattern, decision, search and time, and counts by pattern", async () => {
    const deps = makeDeps();
    for (const run of expected.runs) ingestReport(deps, { projectSlug: "sample", body: readReport(run) });
    const all = await listFailures(deps, { projectId: "sample" });
    expect((await listFailures(deps, { projectId: "sample", pattern: "recurring" })).every((g) => g.pattern === "recurring")).toBe(true);
    expect(await listFailures(deps, { projectId: "sample", pattern: ["flaky"] })).toHaveLength(2);
    expect(await listFailures(deps, { projectId: "sample", decision: "pending" })).toHaveLength(all.length);
    expect((await listFailures(deps, { projectId: "sample", search: "PDF" })).map((g) => g.titlePath.at(-1))).toEqual([
      "POST /v1/notes/import accepts a PDF",
      "POST /v1/notes/import accepts a PDF",
    ]);
    expect(await listFailures(deps, { projectId: "sample", search: "100%_" })).toEqual([]);
    expect(await listFailures(deps, { projectId: "sample", to: new Date(0) })).toEqual([]);
    expect(await listFailures(deps, { projectId: "other" })).toEqual([]);
    const s = await stats(deps, { projectId: "sample" });
    expect(s.total).toBe(all.length);
    expect(s.byPattern.recurring).toBe(all.filter((g) => g.pattern === "recurring").length);
    expect(s.agreementRate).toBeNull();
  });

  it("listFailures rows carry recentRuns: the test's final status in the project's last reports, oldest first", async () => {
    const deps = makeDeps();
    for (const run of expected.runs) ingestReport(deps, { projectSlug: "sample", body: readReport(run) });
    const letters: Record<string, string> = { unexpected: "failed", flaky: "flaky", expected: "passed", skipped: "skipped" };
    for (const g of await listFailures(deps, { projectId: "sample" })) {
      const detail = await getFailure(deps, { failureId: g.id });
      const want = [1, 2, 3].map((seq) => letters[detail.runs.find((r) => r.report.seq === seq)?.status ?? ""] ?? "absent");
      expect(g.recentRuns, keyOf(g)).toEqual(want);
      expect(detail.recentRuns).toEqual(want);
    }
    // The migration's backfill computes the same letters from stored results.
    const sqlite = deps.db!.$client;
    const before = (await listFailures(deps, { projectId: "sample" })).map((g) => g.recentRuns);
    sqlite.exec("UPDATE test_cases SET recent_statuses = '', recent_seq = 0");
    const migration = fs.readFileSync(path.join(repoRoot, "drizzle/0002_test_case_history.sql"), "utf8").split("--> statement-breakpoint");
    sqlite.exec(migration.at(-1)!);
    expect((await listFailures(deps, { projectId: "sample" })).map((g) => g.recentRuns)).toEqual(before);
  });

  it(`recentRuns covers the last ${RECENT_RUNS} reports: absent where the test was not in the report`, async () => {
    const deps = makeDeps();
    /** One spec of one test in project "p": passed, or failed with a message of run `n`. */
    const spec = (title: string, result: { status: string; errors: { message: string }[] }) => ({
      title,
      file: "a.spec.ts",
      line: 1,
      column: 1,
      tests: [
        {
          projectName: "p",
          expectedStatus: "passed",
          status: result.status === "passed" ? "expected" : "unexpected",
          results: [{ ...result, duration: 1, retry: 0 }],
        },
      ],
    });
    const pass = (title: string) => spec(title, { status: "passed", errors: [] });
    const fail = (title: string, n: number) => spec(title, { status: "failed", errors: [{ message: `Error: boom ${n}` }] });
    const body = (specs: unknown[], n: number) =>
      JSON.stringify({
        config: { rootDir: "/ci/app" },
        suites: [{ title: "a.spec.ts", file: "a.spec.ts", specs }],
        errors: [],
        stats: { startTime: new Date(n * 1000).toISOString() },
      });
    // "t" fails in runs 1-3, is absent in 4-20, passes in 21, fails in 22-24; "u" is in every run.
    for (let n = 1; n <= 24; n++) {
      const specs: unknown[] = [pass("u")];
      if (n <= 3 || n >= 22) specs.push(fail("t", n));
      else if (n === 21) specs.push(pass("t"));
      ingestReport(deps, { projectSlug: "sample", body: body(specs, n) });
    }
    const t = (await listFailures(deps, { projectId: "sample" })).find((g) => g.titlePath[0] === "t")!;
    expect(t.recentRuns).toHaveLength(RECENT_RUNS);
    expect(t.recentRuns).toEqual([...Array(16).fill("absent"), "passed", "failed", "failed", "failed"]);
    expect(t).toMatchObject({ occurrences: 6, pattern: "recurring", active: true });
  });
});

describe("ingest: run-level errors (global setup/teardown, a spec that does not load)", () => {
  const config = {
    rootDir: "/ci/app/tests",
    configFile: "/ci/app/playwright.config.ts",
    globalSetup: "/ci/app/global-setup.ts",
    globalTeardown: "/ci/app/global-teardown.ts",
  };
  const stats = (n: number) => ({
    startTime: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
    duration: 10,
    expected: 0,
    unexpected: 0,
    flaky: 0,
    skipped: 0,
  });
  const passing = [
    {
      title: "a.spec.ts",
      file: "a.spec.ts",
      specs: [
        {
          title: "works",
          file: "a.spec.ts",
          line: 3,
          column: 5,
          tests: [
            {
              projectName: "chromium",
              expectedStatus: "passed",
              status: "expected",
              results: [{ status: "passed", duration: 5, retry: 0, errors: [] }],
            },
          ],
        },
      ],
    },
  ];
  const setupError = (port: number) => ({
    message: `Error: could not seed postgres://127.0.0.1:${port}/app`,
    stack: `Error: could not seed postgres://127.0.0.1:${port}/app\n    at seed (/ci/app/global-setup.ts:3:9)\n    at connect (/ci/app/node_modules/pg/lib/client.js:132:20)\n    at load (/home/runner/.cache/ms/helper.js:1:1)`,
    location: { file: "/ci/app/global-setup.ts", line: 3, column: 9 },
  });
  const loadError = {
    message: "SyntaxError: /ci/app/tests/broken.spec.ts: Unexpected token (5:18)",
    location: { file: "/ci/app/tests/broken.spec.ts", line: 5, column: 18 },
  };
  const teardownError = {
    message: "Error: could not stop the server on port 40123",
    location: { file: "/ci/app/global-teardown.ts", line: 2, column: 3 },
  };
  const body = (n: number, suites: unknown[], errors: unknown[]) => JSON.stringify({ config, suites, errors, stats: stats(n) });

  it("stores each as a run, groups each error as a synthetic case, and passes a stage only in runs that got past it", async () => {
    const deps = makeDeps();
    // Run 1 and 2: global setup fails (no test runs), with another port each time: one group.
    const s1 = ingestReport(deps, { projectSlug: "sample", body: body(1, [], [setupError(5432)]) });
    expect(s1).toMatchObject({ seq: 1, tests: 0, runErrors: 1, failuresNew: 1, duplicate: false });
    ingestReport(deps, { projectSlug: "sample", body: body(2, [], [setupError(5999)]) });
    let groups = await listFailures(deps, { projectId: "sample" });
    expect(groups).toHaveLength(1);
    const setup = groups[0]!;
    expect(setup).toMatchObject({
      file: "global-setup.ts",
      titlePath: ["(global setup)"],
      projectName: "",
      runErrorKind: "global-setup",
      pattern: "new",
      occurrences: 2,
      consecutiveFailures: 2,
      active: true,
      recentRuns: ["failed", "failed"],
      heuristics: { hook: "globalSetup", setupTeardown: "setup" },
    });
    expect(setup.rationale).toMatch(/Raised in global setup \(setup\)/);
    // Absolute paths: relative to rootDir / the config folder, else cut (node_modules/…, the file name).
    const stack = (await getFailure(deps, { failureId: setup.id })).runs[1]!.attempts[0]!.errors[0]!.stack!;
    expect(stack).toContain("at seed (global-setup.ts:3:9)");
    expect(stack).toContain("at connect (node_modules/pg/lib/client.js:132:20)");
    expect(stack).toContain("at load (helper.js:1:1)");
    expect(stack).not.toContain("/ci/app");
    const stored = deps.db!.$client.prepare("SELECT run_errors FROM reports WHERE seq = 2").get() as { run_errors: string };
    expect(stored.run_errors).not.toMatch(/\/ci\/app|\/home\/runner/);

    // Run 3: a spec that does not load (no test runs, global setup never ran: absent, not passed).
    ingestReport(deps, { projectSlug: "sample", body: body(3, [], [loadError]) });
    groups = await listFailures(deps, { projectId: "sample" });
    const load = groups.find((g) => g.runErrorKind === "load-error")!;
    expect(load).toMatchObject({
      file: "broken.spec.ts",
      titlePath: ["(load error)"],
      heuristics: { hook: null, setupTeardown: null },
      recentRuns: ["absent", "absent", "failed"],
    });
    expect(load.lastMessage).toBe("SyntaxError: broken.spec.ts: Unexpected token (5:18)");
    expect(groups.find((g) => g.id === setup.id)).toMatchObject({
      status: "inactive",
      consecutiveFailures: 2,
      recentRuns: ["failed", "failed", "absent"],
    });

    // Run 4: tests ran, then global teardown failed: setup and loading passed (resolved), teardown is new.
    const s4 = ingestReport(deps, { projectSlug: "sample", body: body(4, passing, [teardownError]) });
    expect(s4).toMatchObject({ seq: 4, tests: 1, runErrors: 1, failuresNew: 1, failuresResolved: 2 });
    groups = await listFailures(deps, { projectId: "sample" });
    expect(groups.find((g) => g.id === setup.id)).toMatchObject({
      status: "resolved",
      recentRuns: ["failed", "failed", "absent", "passed"],
    });
    expect(groups.find((g) => g.id === load.id)).toMatchObject({ status: "resolved" });
    const teardown = groups.find((g) => g.runErrorKind === "global-teardown")!;
    expect(teardown).toMatchObject({
      file: "global-teardown.ts",
      titlePath: ["(global teardown)"],
      active: true,
      heuristics: { hook: "globalTeardown", setupTeardown: "teardown" },
    });

    // Run 5: global setup fails again: the same group comes back (reopened), teardown did not run (absent).
    ingestReport(deps, { projectSlug: "sample", body: body(5, [], [setupError(6001)]) });
    groups = await listFailures(deps, { projectId: "sample" });
    expect(groups.find((g) => g.id === setup.id)).toMatchObject({
      status: "active",
      occurrences: 3,
      pattern: "recurring",
      consecutiveFailures: 1,
    });
    expect(groups.find((g) => g.id === teardown.id)).toMatchObject({
      status: "inactive",
      recentRuns: ["absent", "absent", "absent", "failed", "absent"],
    });

    // Run 6: a clean run resolves the teardown.
    ingestReport(deps, { projectSlug: "sample", body: body(6, passing, []) });
    expect(await getFailure(deps, { failureId: teardown.id })).toMatchObject({ status: "resolved" });
    expect(await listFailures(deps, { projectId: "sample", status: "active" })).toEqual([]);
  });

  it("still refuses a report with neither tests nor run-level failures (a --max-failures notice alone is not one)", () => {
    const deps = makeDeps();
    for (const errors of [[], [{ message: "Testing stopped early after 3 maximum allowed failures." }]]) {
      const before = rowCounts(deps);
      let error: unknown;
      try {
        ingestReport(deps, { projectSlug: "sample", body: body(1, [], errors) });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: "UNPROCESSABLE", reason: "NO_TESTS" });
      expect(rowCounts(deps)).toEqual(before);
    }
  });
});
