/**
 * JUnit XML (Playwright's `junit` reporter) -> the same NormalizedReport as the JSON parser.
 *
 * What JUnit cannot say (reference/playwright-json.md §6), reported in `warnings`:
 * - flaky tests and test.fail() tests look passed (no `<failure>`), so `flaky` never appears and
 *   an occurrence that was flaky is invisible here;
 * - attempts are not separate elements: we split the failure body on its `Retry #N` headers;
 *   per-attempt durations are unknown (the test's time is spread evenly);
 * - a run that aborted on a spec load error is an empty `<testsuites tests="0">`: the error is lost.
 * Layout: `<testsuite name="<file>" hostname="<project>">`, `<testcase name="describe › title"
 * classname="<file>">`, annotations as `<property>`, attachments in `<system-out>`.
 */
import { ReportFormatError } from "./errors";
import {
  MAX_FILE_CHARS,
  MAX_JUNIT_NAME_CHARS,
  MAX_NAME_CHARS,
  checkIdentityText,
  clampDuration,
  decodeReportText,
  looksLikeHtml,
} from "./limits";
import { testKey, type Annotation, type Attempt, type NormalizedReport, type RunStats, type TestError, type TestResult } from "./model";
import { childrenNamed, parseXml, XmlError, type XmlElement } from "./xml";

export interface ParseJUnitOptions {
  /** Return a report with no tests instead of throwing `NO_TESTS`. */
  allowEmpty?: boolean;
}

export const JUNIT_LIMITATIONS = [
  "JUnit cannot show flaky results: a test that failed and then passed on retry is reported as passed.",
  "JUnit cannot show test.fail() tests: an expected failure is reported as passed.",
  "JUnit has no per-attempt durations or statuses; attempts are recovered from the failure text.",
] as const;

export function parseJUnitReport(input: string | Uint8Array, options: ParseJUnitOptions = {}): NormalizedReport {
  const text = typeof input === "string" ? input : decodeReportText(input, "NOT_XML");
  const trimmed = text.trim();
  if (!trimmed.startsWith("<")) {
    throw new ReportFormatError(
      "NOT_XML",
      trimmed.startsWith("{")
        ? "The report is JSON, not JUnit XML. Send Playwright JSON reports to parsePlaywrightReport."
        : `The report is not XML (it starts with ${JSON.stringify(trimmed.slice(0, 40))}). Expected the file written by Playwright's \`junit\` reporter.`,
    );
  }
  if (looksLikeHtml(trimmed)) {
    throw new ReportFormatError(
      "NOT_JUNIT_REPORT",
      "The report is an HTML page, not JUnit XML: Playwright's html reporter output, or an error page from a server on the way. Send the file of the junit (or json) reporter.",
    );
  }
  // Entity declarations are where XML bombs and external-entity reads live. Playwright never writes
  // them, and this parser expands none: refuse them by name rather than as a syntax error.
  if (/<!DOCTYPE[^>[]*\[/i.test(trimmed.slice(0, 65536))) {
    throw new ReportFormatError(
      "NOT_JUNIT_REPORT",
      "The XML declares its own entities (a DOCTYPE with an internal subset). JUnit reports never do, and they are not expanded here: send the report as Playwright's junit reporter wrote it.",
    );
  }
  let root: XmlElement;
  try {
    root = parseXml(trimmed);
  } catch (error) {
    if (error instanceof XmlError) {
      throw new ReportFormatError("NOT_XML", `The JUnit report is not well-formed XML: ${error.message}. Was the file cut off?`, {
        cause: error,
      });
    }
    throw error;
  }
  const suites = root.name === "testsuites" ? childrenNamed(root, "testsuite") : root.name === "testsuite" ? [root] : undefined;
  if (!suites) {
    throw new ReportFormatError(
      "NOT_JUNIT_REPORT",
      `The XML root is <${root.name}>, not <testsuites> or <testsuite>: this is not a JUnit report.`,
    );
  }

  const tests: TestResult[] = [];
  const seen = new Map<string, number>();
  const projects = new Set<string>();
  let rootDir: string | undefined;
  for (const suite of suites) {
    const project = suite.attributes.hostname ?? "";
    projects.add(project);
    for (const testcase of childrenNamed(suite, "testcase")) {
      const result = normalizeTestcase(testcase, suite, project, seen);
      rootDir ??= inferRootDir(result);
      tests.push(result);
    }
  }

  const stats: RunStats = { expected: 0, unexpected: 0, flaky: 0, skipped: 0 };
  for (const t of tests) stats[t.status]++;
  const time = Number(root.attributes.time);
  const report: NormalizedReport = {
    source: "junit",
    startTime: suites.find((s) => s.attributes.timestamp)?.attributes.timestamp,
    durationMs: Number.isFinite(time) ? clampDuration(time * 1000) : undefined,
    stats,
    runErrors: [],
    metadata: rootDir ? { rootDir } : {},
    projects: [...projects],
    tests,
    partial: false,
    warnings: [...JUNIT_LIMITATIONS],
  };
  if (report.durationMs === undefined) delete report.durationMs;
  if (report.startTime === undefined) delete report.startTime;

  if (tests.length === 0 && !options.allowEmpty) {
    throw new ReportFormatError(
      "NO_TESTS",
      "The JUnit report contains no tests. If the run aborted (e.g. a spec file failed to load), JUnit drops the error: " +
        "use the JSON report to see it.",
      { partialReport: report },
    );
  }
  return report;
}

function normalizeTestcase(testcase: XmlElement, suite: XmlElement, project: string, seen: Map<string, number>): TestResult {
  const file = testcase.attributes.classname ?? suite.attributes.name ?? "";
  let name = testcase.attributes.name ?? "";
  checkTestcaseText(name, file, project);
  // includeProjectInTestName prefixes "[project] ".
  if (project && name.startsWith(`[${project}] `)) name = name.slice(project.length + 3);
  const titlePath = name.split(" › ");
  const baseKey = testKey(file, titlePath, project);
  const repeatIndex = seen.get(baseKey) ?? 0;
  seen.set(baseKey, repeatIndex + 1);

  const annotations: Annotation[] = childrenNamed(testcase, "properties")
    .flatMap((p) => childrenNamed(p, "property"))
    .map((p) => {
      const type = p.attributes.name ?? "";
      const description = p.attributes.value ?? p.text.trim();
      return description ? { type, description } : { type };
    });
  const skippedOnPurpose = annotations.some((a) => a.type === "skip" || a.type === "fixme");
  const skipped = childrenNamed(testcase, "skipped").length > 0;
  const failures = [...childrenNamed(testcase, "failure"), ...childrenNamed(testcase, "error")];
  const seconds = Number(testcase.attributes.time);
  const durationMs = Number.isFinite(seconds) ? Math.round(clampDuration(seconds * 1000)) : 0;

  const status = skipped ? "skipped" : failures.length > 0 ? "unexpected" : "expected";
  const failureText = failures.map((f) => f.text).join("\n");
  const header = /›\s+(\S+?):(\d+):(\d+)\s+›/.exec(failureText);
  const attempts: Attempt[] =
    status === "unexpected"
      ? splitAttempts(failureText, failures[0]?.attributes.message ?? "", file, durationMs)
      : [{ retry: 0, status: skipped ? "skipped" : "passed", durationMs, errors: [], attachmentNames: [], annotations: [] }];

  const result: TestResult = {
    key: testKey(file, titlePath, project, repeatIndex),
    file,
    titlePath,
    projectName: project,
    repeatIndex,
    tags: [],
    expectedStatus: skippedOnPurpose ? "skipped" : annotations.some((a) => a.type === "fail") ? "failed" : "passed",
    status,
    didNotRun: skipped && !skippedOnPurpose,
    retries: Math.max(0, attempts.length - 1),
    durationMs,
    attempts,
    annotations,
  };
  if (header) {
    result.line = Number(header[2]);
    result.column = Number(header[3]);
  }
  return result;
}

/** The JSON schema's identity bounds (limits.ts), applied to the attributes that carry the same fields. */
function checkTestcaseText(name: string, file: string, project: string): void {
  for (const [what, value, max] of [
    ["testcase name", name, MAX_JUNIT_NAME_CHARS],
    ["testcase classname (the spec file)", file, MAX_FILE_CHARS],
    ["testsuite hostname (the Playwright project)", project, MAX_NAME_CHARS],
  ] as const) {
    const problem = checkIdentityText(value, max);
    if (problem)
      throw new ReportFormatError(
        "NOT_JUNIT_REPORT",
        `A JUnit ${what} ${problem}, so this is not a report Playwright's junit reporter wrote.`,
      );
  }
}

const RETRY_HEADER = /^\s*Retry #(\d+) ─+\s*$/;
const TEST_HEADER = /^\s*\[[^\]]*\] › .+ ─+\s*$/;
const ATTACHMENT_START = /^\s*attachment #\d+: (.+?) \([^)]*\) ─+\s*$/;
const RULE = /^\s*─+\s*$/;
const ERROR_CONTEXT = /^\s*Error Context: /;
const AT_LINE = /^\s*at (?:.+\()?(.+?):(\d+):(\d+)\)?\s*$/;
const TEST_TIMEOUT = /^\s*Test timeout of \d+ms exceeded\b.*$/;

/** The failure body holds every attempt as the list reporter prints it; split it back. */
function splitAttempts(body: string, fallbackMessage: string, file: string, totalMs: number): Attempt[] {
  const sections: { retry: number; lines: string[] }[] = [{ retry: 0, lines: [] }];
  for (const line of body.split(/\r?\n/)) {
    const retry = RETRY_HEADER.exec(line);
    if (retry) sections.push({ retry: Number(retry[1]), lines: [] });
    else (sections.at(-1) as { lines: string[] }).lines.push(line);
  }
  const perAttempt = sections.length > 0 ? Math.round(totalMs / sections.length) : totalMs;
  return sections.map(({ retry, lines }) => {
    const attachmentNames: string[] = [];
    const kept: string[] = [];
    let inAttachment = false;
    for (const line of lines) {
      const attachment = ATTACHMENT_START.exec(line);
      if (attachment) {
        attachmentNames.push(attachment[1] as string);
        inAttachment = true;
      } else if (inAttachment) {
        if (RULE.test(line)) inAttachment = false;
      } else if (ERROR_CONTEXT.test(line)) attachmentNames.push("error-context");
      else if (!TEST_HEADER.test(line)) kept.push(line.replace(/^ {4}/, ""));
    }
    let errors = splitErrors(kept, file);
    if (errors.length === 0 && fallbackMessage) errors = [{ message: fallbackMessage, messageRaw: fallbackMessage }];
    const timedOut = errors.some((e) => TEST_TIMEOUT.test(e.message.split("\n")[0] ?? ""));
    return { retry, status: timedOut ? "timedOut" : "failed", durationMs: perAttempt, errors, attachmentNames, annotations: [] };
  });
}

/** An `at file:line:col` line ends an error; a "Test timeout of …" paragraph is its own error. */
function splitErrors(lines: string[], file: string): TestError[] {
  const errors: TestError[] = [];
  let current: string[] = [];
  const flush = (at?: RegExpExecArray): void => {
    const message = trimBlank(current).join("\n");
    current = [];
    if (message === "") return;
    const error: TestError = { message, messageRaw: message };
    if (at) {
      const path = (at[1] as string).replace(/\\/g, "/");
      error.location = { file: path === file || path.endsWith(`/${file}`) ? file : path, line: Number(at[2]), column: Number(at[3]) };
    }
    errors.push(error);
  };
  for (const line of lines) {
    if (current.every((l) => l.trim() === "") && TEST_TIMEOUT.test(line)) {
      current.push(line.trim());
      flush();
      continue;
    }
    current.push(line);
    const at = AT_LINE.exec(line);
    if (at && /\.[cm]?[jt]sx?$/.test(at[1] as string)) flush(at);
  }
  flush();
  return errors;
}

function trimBlank(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && (lines[a] ?? "").trim() === "") a++;
  while (b > a && (lines[b - 1] ?? "").trim() === "") b--;
  return lines.slice(a, b);
}

/** The absolute test root, from an `at` line whose path ends with the testcase's file. */
function inferRootDir(result: TestResult): string | undefined {
  for (const attempt of result.attempts) {
    for (const error of attempt.errors) {
      for (const line of error.message.split("\n")) {
        const at = AT_LINE.exec(line);
        const path = at?.[1]?.replace(/\\/g, "/");
        if (path && path.endsWith(`/${result.file}`)) return path.slice(0, -result.file.length - 1);
      }
    }
  }
  return undefined;
}
