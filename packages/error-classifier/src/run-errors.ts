/**
 * Run-level errors (Playwright's top-level `errors[]`) as test results, so that a global setup or
 * teardown failure and a spec file that does not load are grouped, fingerprinted and classified
 * like any failing test. Each becomes a synthetic test case:
 *
 * | kind            | file                                   | titlePath             | hook           |
 * |-----------------|----------------------------------------|-----------------------|----------------|
 * | global-setup    | the error's file, else "(global setup)"    | ["(global setup)"]    | globalSetup    |
 * | global-teardown | the error's file, else "(global teardown)" | ["(global teardown)"] | globalTeardown |
 * | load-error      | the spec that does not load            | ["(load error)"]      | none           |
 * | other           | the error's file, else "(run)"         | ["(run error)"]       | none           |
 *
 * Playwright project name "" (the run, not a project). Several errors of the same case in one run
 * are one result with several errors (like expect.soft). The `--max-failures` stop notice is not
 * a failure (the failures that triggered it are tests of their own) and yields nothing.
 *
 * When such a case does NOT fail in a later run, it passed only if that run got past its stage:
 * see `runStagePassed`.
 */
import { testKey, type HookKind, type NormalizedReport, type RunError, type RunErrorKind, type TestResult } from "./model";

/** The run error kinds that become synthetic test cases. */
export type StageKind = Exclude<RunErrorKind, "max-failures">;

export const RUN_ERROR_TITLES: Record<StageKind, string> = {
  "global-setup": "(global setup)",
  "global-teardown": "(global teardown)",
  "load-error": "(load error)",
  other: "(run error)",
};

const FALLBACK_FILE: Record<StageKind, string> = {
  "global-setup": "(global setup)",
  "global-teardown": "(global teardown)",
  "load-error": "(unknown spec file)",
  other: "(run)",
};

const STAGE_HOOK: Partial<Record<StageKind, HookKind>> = { "global-setup": "globalSetup", "global-teardown": "globalTeardown" };

/** Playwright project name of synthetic cases: they belong to the run, not to a project. */
export const RUN_ERROR_PROJECT = "";

/** A load error's spec when the error has no location: the first `*.spec.*`/`*.test.*` path in its text. */
const SPEC_IN_TEXT = /([^\s:'"`()]+\.(?:spec|test)\.[cm]?[jt]sx?)/;

function caseFile(e: RunError, kind: StageKind): string {
  if (e.location?.file) return e.location.file;
  if (kind === "load-error") {
    const m = SPEC_IN_TEXT.exec(e.message);
    if (m?.[1]) return m[1];
  }
  return FALLBACK_FILE[kind];
}

/** Synthetic failing test results for a report's run errors, one per (kind, file). */
export function runErrorTests(report: Pick<NormalizedReport, "runErrors" | "metadata">): TestResult[] {
  const byKey = new Map<string, TestResult>();
  for (const e of report.runErrors) {
    if (e.kind === "max-failures") continue;
    const kind: StageKind = e.kind;
    const file = caseFile(e, kind);
    const titlePath = [RUN_ERROR_TITLES[kind]];
    const key = testKey(file, titlePath, RUN_ERROR_PROJECT);
    const { kind: _kind, ...error } = e;
    const existing = byKey.get(key);
    if (existing) {
      existing.attempts[0]!.errors.push(error);
      continue;
    }
    const result: TestResult = {
      key,
      file,
      titlePath,
      projectName: RUN_ERROR_PROJECT,
      repeatIndex: 0,
      tags: [],
      expectedStatus: "passed",
      status: "unexpected",
      didNotRun: false,
      retries: 0,
      durationMs: 0,
      attempts: [{ retry: 0, status: "failed", durationMs: 0, errors: [error], attachmentNames: [], annotations: [] }],
      annotations: [],
      runError: kind,
    };
    if (e.location) Object.assign(result, { line: e.location.line, column: e.location.column });
    const hook = STAGE_HOOK[kind];
    if (hook) result.structuralHook = hook;
    byKey.set(key, result);
  }
  return [...byKey.values()];
}

/**
 * Whether a run in which a synthetic case of this kind did NOT fail counts as a pass for it:
 * only when the run got past that stage. A run that ran tests got past global setup and loaded
 * every spec file; it got past global teardown (or any other run-level stage) when it also has no
 * error of that kind. Otherwise (a run stopped before the stage, or failing it somewhere else)
 * the case did not run there and is absent, never passed.
 */
export function runStagePassed(kind: StageKind, report: Pick<NormalizedReport, "runErrors" | "tests">): boolean {
  if (report.tests.length === 0) return false;
  if (kind === "global-setup") return true;
  return !report.runErrors.some((e) => e.kind === kind);
}
