import fs from "node:fs";
import path from "node:path";
import { sharedPath } from "./shared";

type PwResult = { status: string; retry: number; error?: unknown; errors: unknown[] };
type PwSuite = {
  title: string;
  specs?: { title: string; tests: { status: string; projectName: string; results: PwResult[] }[] }[];
  suites?: PwSuite[];
};
export type PwReport = { config: unknown; suites: PwSuite[]; errors: unknown[]; stats: { startTime: string } };

/** Run `n` of the shared Playwright sample (../shared/playwright-sample/reports/run-<n>.json), parsed. */
export function readSampleRun(n: number): PwReport {
  return JSON.parse(fs.readFileSync(path.join(sharedPath("playwright-sample", "reports"), `run-${n}.json`), "utf8")) as PwReport;
}

/** Run 1 again, an hour later, with `title` passing everywhere: the failure's fix landed. */
export function passingReport(title: string): PwReport {
  const report = readSampleRun(1);
  report.stats.startTime = new Date(Date.parse(report.stats.startTime) + 3600_000).toISOString();
  const walk = (suite: PwSuite) => {
    for (const spec of suite.specs ?? [])
      if (spec.title === title)
        for (const t of spec.tests) {
          t.status = "expected";
          t.results = [{ ...t.results[0]!, status: "passed", retry: 0, error: undefined, errors: [] }];
        }
    for (const child of suite.suites ?? []) walk(child);
  };
  report.suites.forEach(walk);
  return report;
}

/** A test's classification after one run of the sample, as expected.json gives it. */
export interface SampleExpectedClass {
  class: "new" | "flaky" | "recurring" | "persistent";
  active: boolean;
  occurrences: number;
  failureRuns: number[];
  flakyRuns: number[];
  consecutiveFailuresAtEnd: number;
}
export interface SampleExpectedTest {
  key: string;
  file: string;
  titlePath: string[];
  project: string;
  outcomes: string[];
  heuristics: {
    pathCategory: "e2e" | "integration" | null;
    notImplemented: boolean;
    setupTeardown: "setup" | "teardown" | null;
    hook: string | null;
    timeout: boolean;
  };
  /** By run number; null where the test has no failure to classify yet. */
  classification: Record<string, SampleExpectedClass | null>;
}
export interface SampleExpected {
  runs: number[];
  expectedStats: Record<string, { expected: number; unexpected: number; flaky: number; skipped: number }>;
  tests: SampleExpectedTest[];
}

/** The sample's answer key (../shared/playwright-sample/expected.json): every test's outcome and classification after each run. */
export function readSampleExpected(): SampleExpected {
  return JSON.parse(fs.readFileSync(sharedPath("playwright-sample", "expected.json"), "utf8")) as SampleExpected;
}

/** Exactly the classification fields of `want` (expected.json may carry more), for a `toEqual` against what the code classified. */
export function classificationOf(want: SampleExpectedClass): SampleExpectedClass {
  const { class: cls, active, occurrences, failureRuns, flakyRuns, consecutiveFailuresAtEnd } = want;
  return { class: cls, active, occurrences, failureRuns, flakyRuns, consecutiveFailuresAtEnd };
}
