/**
 * The public 3-run Playwright sample (shared/playwright-sample): every test's classification after
 * each run must match expected.json, and the same failure must keep one fingerprint across runs.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { classificationOf, readSampleExpected } from "../../../tests/support/playwright-reports";
import { sharedPath } from "../../../tests/support/shared";
import {
  classifyReportSeries,
  historyEntry,
  parseJUnitReport,
  parsePlaywrightReport,
  reportRootDirs,
  type NormalizedReport,
} from "@workdeck/error-classifier";

const sampleDir = sharedPath("playwright-sample");

const expected = readSampleExpected();
const reports = new Map<number, NormalizedReport>(
  expected.runs.map((run) => [run, parsePlaywrightReport(readFileSync(path.join(sampleDir, "reports", `run-${run}.json`), "utf8"))]),
);
const report = (run: number): NormalizedReport => reports.get(run) as NormalizedReport;

describe("public Playwright sample: reports", () => {
  it.each(expected.runs)("run %i: every expected test is present with its final outcome and the stats match", (run) => {
    const r = report(run);
    expect(r.tests).toHaveLength(expected.tests.length);
    expect(r.stats).toEqual(expected.expectedStats[String(run)]);
    expect(r.runErrors).toEqual([]);
    const byKey = new Map(r.tests.map((t) => [t.key, t]));
    for (const t of expected.tests) {
      const got = byKey.get(t.key);
      expect(got, t.key).toBeDefined();
      expect(got?.status, t.key).toBe(t.outcomes[run - 1]);
      expect(got?.titlePath).toEqual(t.titlePath);
      expect(got?.projectName).toBe(t.project);
    }
  });
});

describe("public Playwright sample: classification after each run (expected.json)", () => {
  const cases = expected.runs.flatMap((run) => expected.tests.map((t) => ({ run, key: t.key, test: t })));
  const after = new Map(
    expected.runs.map((run) => [
      run,
      classifyReportSeries(expected.runs.filter((r) => r <= run).map((r) => ({ id: r, report: report(r) }))),
    ]),
  );

  it.each(cases)("after run $run: $key", ({ run, key, test }) => {
    const want = test.classification[String(run)];
    const got = after.get(run)?.get(key);
    expect(got, "test missing from the series").toBeDefined();
    const c = got?.classification ?? null;
    if (want === null || want === undefined) {
      expect(c).toBeNull();
      return;
    }
    expect(c).not.toBeNull();
    if (!c) return;
    expect({
      class: c.pattern,
      active: c.active,
      occurrences: c.occurrences,
      failureRuns: c.failureRuns,
      flakyRuns: c.flakyRuns,
      consecutiveFailuresAtEnd: c.consecutiveFailures,
    }).toEqual(classificationOf(want));
    const h = test.heuristics;
    expect({ ...c.heuristics, pathCategory: c.heuristics.pathCategory === "other" ? null : c.heuristics.pathCategory }).toEqual(h);
    // Suggested decision, first match wins (DESIGN "Triage rules").
    const decision = want.class === "persistent" || want.class === "recurring" || h.notImplemented ? "needs_spec" : "one_off_fix";
    expect(c.suggestedDecision).toBe(decision);
    expect(c.rationale.startsWith(`${want.class}:`)).toBe(true);
  });

  it("groups each test's failures under one fingerprint across runs (ports, session ids, timestamps, ANSI in run 3)", () => {
    const final = after.get(3);
    for (const t of expected.tests) {
      const c = final?.get(t.key)?.classification;
      if (!c) continue;
      expect(c.fingerprints, t.key).toHaveLength(1);
      expect(c.fingerprints[0]?.occurrences).toBe(c.occurrences);
    }
  });

  it("gives the same failure the same fingerprint in both projects", () => {
    const final = after.get(3);
    for (const t of expected.tests.filter((x) => x.project === "desktop-chrome")) {
      const other = t.key.replace(/::desktop-chrome$/, "::tablet");
      expect(final?.get(t.key)?.classification?.fingerprint.hash).toBe(final?.get(other)?.classification?.fingerprint.hash);
    }
  });
});

describe("public Playwright sample: JUnit", () => {
  it.each(expected.runs)("run %i: the JUnit file has the same tests, and every failure the JSON fingerprint", (run) => {
    const json = report(run);
    const junit = parseJUnitReport(readFileSync(path.join(sampleDir, "reports", `run-${run}.junit.xml`), "utf8"));
    expect(junit.source).toBe("junit");
    expect(junit.warnings.join(" ")).toMatch(/cannot show flaky/);
    expect(junit.tests.map((t) => t.key).sort()).toEqual(json.tests.map((t) => t.key).sort());
    const byKey = new Map(junit.tests.map((t) => [t.key, t]));
    for (const t of json.tests) {
      const u = byKey.get(t.key);
      if (!u) throw new Error(`missing ${t.key}`);
      // JUnit shows flaky tests and test.fail() expected failures as plain passes.
      expect(u.status, t.key).toBe(t.status === "flaky" ? "expected" : t.status);
      if (t.status !== "unexpected") continue;
      expect(u.attempts.length, t.key).toBe(t.attempts.length);
      expect(u.attempts.map((a) => a.errors.length)).toEqual(t.attempts.map((a) => a.errors.length));
      const a = historyEntry(t, run, { rootDirs: reportRootDirs(json) });
      const b = historyEntry(u, run, { rootDirs: reportRootDirs(junit) });
      expect(b.fingerprint?.hash, t.key).toBe(a.fingerprint?.hash);
    }
    expect(junit.stats.flaky).toBe(0);
  });
});
