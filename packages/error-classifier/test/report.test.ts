import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../../tests/support/shared";
import { catchError } from "./catch-format-error";
import { parsePlaywrightReport, type NormalizedReport } from "@workdeck/error-classifier";

const sampleDir = sharedPath("playwright-sample");
const run1Text = readFileSync(path.join(sampleDir, "reports/run-1.json"), "utf8");
const run3Text = readFileSync(path.join(sampleDir, "reports/run-3.json"), "utf8");

/** A minimal valid report around the given suites. */
function report(suites: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    config: { rootDir: "/ci/app/tests", configFile: "/ci/app/playwright.config.ts", version: "1.65.1" },
    suites,
    errors: [],
    stats: { startTime: "2026-01-01T00:00:00.000Z", duration: 10, expected: 0, unexpected: 0, flaky: 0, skipped: 0 },
    ...extra,
  };
}

const result = (status: string, errors: unknown[] = [], retry = 0) => ({
  status,
  duration: status === "skipped" ? 0 : 12,
  retry,
  errors,
  attachments: [],
  annotations: [],
});
const spec = (title: string, tests: unknown[]) => ({ title, file: "e2e/a.spec.ts", line: 3, column: 3, tags: [], tests });
const test = (status: string, results: unknown[], expectedStatus = "passed", projectName = "chromium") => ({
  projectName,
  expectedStatus,
  status,
  annotations: [],
  results,
});

describe("parsePlaywrightReport: the sample", () => {
  const r: NormalizedReport = parsePlaywrightReport(run1Text);

  it("flattens tests with a stable identity: file, title path without the file suite, project", () => {
    const t = r.tests.find((x) => x.key === "integration/notes-api.spec.ts::notes api > with a fresh tenant > lists tenant notes::tablet");
    expect(t).toMatchObject({
      file: "integration/notes-api.spec.ts",
      repoPath: "tests/integration/notes-api.spec.ts",
      titlePath: ["notes api", "with a fresh tenant", "lists tenant notes"],
      projectName: "tablet",
      repeatIndex: 0,
    });
    expect(r.projects).toEqual(["desktop-chrome", "tablet"]);
    expect(r.metadata).toMatchObject({ playwrightVersion: "1.65.1", rootDir: "/ci/workspace/notes-app/tests", workers: 4 });
  });

  it("takes the outcome from test.status: a test.fail() test that failed is expected, with its errors kept", () => {
    const t = r.tests.find((x) => x.titlePath.at(-1) === "keeps original casing in display titles");
    expect(t?.status).toBe("expected");
    expect(t?.expectedStatus).toBe("failed");
    expect(t?.attempts[0]?.status).toBe("failed");
    expect(t?.attempts[0]?.errors).toHaveLength(1);
    expect(t?.annotations).toEqual([{ type: "fail", description: "NOTES-7: display titles are lower-cased" }]);
  });

  it("keeps a static skip as skipped on purpose, not 'did not run'", () => {
    const t = r.tests.find((x) => x.titlePath.at(-1) === "collapses repeated dashes");
    expect(t).toMatchObject({ status: "skipped", expectedStatus: "skipped", didNotRun: false });
  });

  it("keeps retries, durations, attachments and per-attempt errors with raw (ANSI) and clean text", () => {
    const t = parsePlaywrightReport(run3Text).tests.find(
      (x) => x.key === "e2e/login.spec.ts::login > locks account after 5 failed attempts::desktop-chrome",
    );
    expect(t?.retries).toBe(1);
    expect(t?.attempts.map((a) => a.status)).toEqual(["failed", "failed"]);
    expect(t?.durationMs).toBe((t?.attempts[0]?.durationMs ?? 0) + (t?.attempts[1]?.durationMs ?? 0));
    expect(t?.attempts[0]?.attachmentNames).toEqual(["screenshot", "error-context"]);
    const e = t?.attempts[0]?.errors[0];
    expect(e?.messageRaw).toContain("\u001b[");
    expect(e?.message).not.toContain("\u001b[");
    expect(e?.message).toContain('Expected: "Account locked for 15 minutes"');
    expect(e?.snippet).toContain("> 19 |");
    expect(e?.stack).toContain("Error: expect(received).toBe(expected)");
    expect(e?.location).toEqual({ file: "e2e/login.spec.ts", line: 19, column: 58 });
  });

  it("accepts bytes and JSON printed to stdout after other reporters' lines", () => {
    expect(parsePlaywrightReport(new TextEncoder().encode(run1Text)).tests).toHaveLength(32);
    expect(parsePlaywrightReport(`Running 32 tests using 4 workers\n  ✓ 1 ok\n${run1Text}`).tests).toHaveLength(32);
  });
});

describe("parsePlaywrightReport: structure", () => {
  it("marks 'did not run' siblings of a failed beforeAll as skipped and the failed test's hook as beforeAll", () => {
    const boom = { message: "Error: db down", location: { file: "/ci/app/tests/e2e/a.spec.ts", line: 4, column: 9 } };
    const r = parsePlaywrightReport(
      report([
        {
          title: "e2e/a.spec.ts",
          file: "e2e/a.spec.ts",
          specs: [],
          suites: [
            {
              title: "group",
              file: "e2e/a.spec.ts",
              specs: [
                spec("first", [test("unexpected", [result("failed", [boom]), result("failed", [boom], 1)])]),
                spec("second", [test("skipped", [result("skipped"), result("skipped", [], 1)])]),
              ],
            },
          ],
        },
      ]),
    );
    const [first, second] = r.tests;
    expect(first).toMatchObject({ status: "unexpected", structuralHook: "beforeAll" });
    expect(first?.attempts[0]?.errors[0]?.location?.file).toBe("e2e/a.spec.ts");
    expect(second).toMatchObject({ status: "skipped", didNotRun: true, expectedStatus: "passed" });
  });

  it("gives repeatEach copies distinct keys", () => {
    const r = parsePlaywrightReport(
      report([
        {
          title: "f",
          file: "e2e/a.spec.ts",
          specs: [spec("t", [test("expected", [result("passed")]), test("expected", [result("passed")])])],
        },
      ]),
    );
    expect(r.tests.map((t) => t.key)).toEqual(["e2e/a.spec.ts::t::chromium", "e2e/a.spec.ts::t::chromium::repeat-1"]);
  });

  it("reads git commit and branch from Playwright's captured metadata", () => {
    const r = parsePlaywrightReport(
      report([{ title: "f", file: "a.spec.ts", specs: [spec("t", [test("expected", [result("passed")])])] }], {
        config: {
          rootDir: "/r",
          metadata: { gitCommit: { hash: "abc123", shortHash: "abc", subject: "Fix", branch: "main" }, ci: { buildHref: "https://ci/1" } },
        },
      }),
    );
    expect(r.metadata).toMatchObject({ gitCommit: "abc123", gitBranch: "main", gitSubject: "Fix", ciBuildUrl: "https://ci/1" });
  });

  it("classifies top-level errors: global setup and the --max-failures notice", () => {
    const r = parsePlaywrightReport(
      report([{ title: "f", file: "a.spec.ts", specs: [spec("t", [test("expected", [result("passed")])])] }], {
        config: { rootDir: "/ci/app/tests", globalSetup: "/ci/app/global-setup.ts" },
        errors: [
          {
            message: "Error: seed failed",
            stack: "Error: seed failed\n    at /ci/app/global-setup.ts:3:9",
            location: { file: "/ci/app/global-setup.ts", line: 3, column: 9 },
          },
          { message: "\u001b[31mTesting stopped early after 3 maximum allowed failures.\u001b[39m" },
        ],
      }),
    );
    expect(r.runErrors.map((e) => e.kind)).toEqual(["global-setup", "max-failures"]);
    expect(r.runErrors[1]?.message).toBe("Testing stopped early after 3 maximum allowed failures.");
  });

  it("flags onlyFailures reports as partial", () => {
    const r = parsePlaywrightReport(
      report([{ title: "f", file: "a.spec.ts", specs: [spec("t", [test("unexpected", [result("failed", [{ message: "x" }])])])] }], {
        config: { reporter: [["json", { onlyFailures: true }]] },
      }),
    );
    expect(r.partial).toBe(true);
    expect(r.warnings.join(" ")).toMatch(/onlyFailures/);
  });
});

describe("parsePlaywrightReport: bad input gets a ReportFormatError a person can act on", () => {
  it("rejects empty input and non-JSON text", () => {
    expect(catchError(() => parsePlaywrightReport("   ")).code).toBe("NOT_JSON");
    const e = catchError(() => parsePlaywrightReport("Running 3 tests using 1 worker"));
    expect(e.code).toBe("NOT_JSON");
    expect(e.message).toMatch(/not JSON.*json` reporter/);
  });

  it("points XML to the JUnit parser", () => {
    expect(catchError(() => parsePlaywrightReport("<testsuites/>")).message).toMatch(/JUnit/);
  });

  it("recognises a truncated file", () => {
    const e = catchError(() => parsePlaywrightReport(run1Text.slice(0, Math.floor(run1Text.length / 2))));
    expect(e.code).toBe("TRUNCATED_JSON");
    expect(e.message).toMatch(/cut off/);
  });

  it("rejects JSON that is not a Playwright report, with a hint", () => {
    expect(catchError(() => parsePlaywrightReport("[1, 2]")).code).toBe("NOT_PLAYWRIGHT_REPORT");
    const jest = catchError(() => parsePlaywrightReport(JSON.stringify({ numTotalTests: 3, testResults: [] })));
    expect(jest.code).toBe("NOT_PLAYWRIGHT_REPORT");
    expect(jest.message).toMatch(/Jest\/Vitest/);
    const invalid = catchError(() =>
      parsePlaywrightReport(report([{ title: "f", file: "a.spec.ts", specs: [spec("t", [test("weird", [])])] }])),
    );
    expect(invalid.code).toBe("NOT_PLAYWRIGHT_REPORT");
    expect(invalid.details.join("\n")).toMatch(/suites\.0\.specs\.0\.tests\.0\.status/);
  });

  it("rejects a report with 0 tests, explaining a load error when there is one, and keeps what it read", () => {
    const empty = catchError(() => parsePlaywrightReport(report([])));
    expect(empty.code).toBe("NO_TESTS");
    expect(empty.message).toMatch(/no tests/);

    const loadError = report([], {
      errors: [
        { message: "SyntaxError: Unexpected token (3:1)", location: { file: "/ci/app/tests/e2e/broken.spec.ts", line: 3, column: 1 } },
      ],
    });
    const e = catchError(() => parsePlaywrightReport(loadError));
    expect(e.code).toBe("NO_TESTS");
    expect(e.message).toMatch(/load-error: SyntaxError: Unexpected token/);
    expect(e.partialReport?.runErrors[0]).toMatchObject({ kind: "load-error", location: { file: "e2e/broken.spec.ts" } });
    expect(parsePlaywrightReport(loadError, { allowEmpty: true }).tests).toEqual([]);
  });
});
