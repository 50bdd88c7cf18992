/**
 * Playwright JSON report -> NormalizedReport.
 *
 * Text -> value (errors a person can act on), validation (report-schema.ts), normalisation.
 * Format notes and traps: shared/reference/playwright-json.md.
 */
import { stripAnsi } from "./ansi";
import { ReportFormatError } from "./errors";
import { decodeReportText, looksLikeHtml } from "./limits";
import { PathMapper } from "./report-paths";
import {
  validateReport,
  type PlaywrightJsonReport,
  type PwError,
  type PwResult,
  type PwSpec,
  type PwSuite,
  type PwTest,
} from "./report-schema";
import {
  testKey,
  type Annotation,
  type Attempt,
  type NormalizedReport,
  type RunError,
  type RunErrorKind,
  type RunMetadata,
  type RunStats,
  type TestError,
  type TestResult,
} from "./model";

export { PlaywrightJsonReportSchema, type PlaywrightJsonReport } from "./report-schema";

// 1. Entry point ---------------------------------------------------------------------------------

export interface ParseReportOptions {
  /**
   * Return a report with no tests instead of throwing `NO_TESTS`. A spec file that fails to load
   * aborts the whole run (`suites: []`, only top-level `errors`), which is worth recording.
   */
  allowEmpty?: boolean;
}

/**
 * Parses a Playwright JSON report given as text, UTF-8 bytes or an already-parsed value.
 * Throws ReportFormatError (NOT_JSON, TRUNCATED_JSON, NOT_PLAYWRIGHT_REPORT, NO_TESTS); never a
 * RangeError, whatever the input (describe nesting is bounded before anything recurses).
 */
export function parsePlaywrightReport(input: unknown, options: ParseReportOptions = {}): NormalizedReport {
  const value = typeof input === "string" || input instanceof Uint8Array ? parseJsonText(input) : input;
  const report = validateReport(value);
  return normalizeReport(report, options);
}

// 2. JSON text -> value, with errors a person can act on ----------------------------------------

function parseJsonText(input: string | Uint8Array): unknown {
  let text = typeof input === "string" ? input : decodeReportText(input, "NOT_JSON");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trim();
  if (trimmed === "") {
    throw new ReportFormatError("NOT_JSON", "The report is empty. Expected the JSON written by Playwright's `json` reporter.");
  }
  if (trimmed.startsWith("<")) {
    throw new ReportFormatError(
      "NOT_JSON",
      looksLikeHtml(trimmed)
        ? "The report is an HTML page, not JSON: Playwright's html reporter output, or an error page from a server on the way. " +
            "Send the file of the json reporter: reporter: [['json', { outputFile: 'results.json' }]]."
        : "The report is XML, not JSON. If it is a JUnit report, send it to the JUnit parser (parseJUnitReport); " +
            "otherwise configure Playwright with reporter: [['json', { outputFile: 'results.json' }]].",
    );
  }
  let start = 0;
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) {
    // Without an outputFile the json reporter prints to stdout, possibly after other reporters'
    // lines. Accept that if a `{` line followed by `"config"` or `"suites"` starts the document.
    const match = /^\{\s*"(?:config|suites)"/m.exec(text);
    // JSON all the same (null, a number, a string): validation says which, and what was expected.
    if (!match && /^(?:null|true|false|-?\d|")/.test(trimmed)) {
      try {
        return JSON.parse(trimmed);
      } catch {
        // not JSON after all: the message below
      }
    }
    if (!match) {
      throw new ReportFormatError(
        "NOT_JSON",
        `The report is not JSON (it starts with ${JSON.stringify(trimmed.slice(0, 40))}). ` +
          "Expected the file written by Playwright's `json` reporter.",
      );
    }
    start = match.index;
  }
  const body = text.slice(start);
  try {
    return JSON.parse(body);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    if (looksTruncated(body)) {
      throw new ReportFormatError(
        "TRUNCATED_JSON",
        `The report ends in the middle of the JSON (${body.length} characters read): the file was cut off, ` +
          "probably by an interrupted upload or a run that was killed while writing. Re-upload the complete file.",
        { details: [detail], cause: error },
      );
    }
    throw new ReportFormatError("NOT_JSON", `The report is not valid JSON: ${detail}.`, { details: [detail], cause: error });
  }
}

/** True when the text opens more objects/arrays/strings than it closes: a cut-off file. */
function looksTruncated(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return inString || depth > 0;
}

// 3. Normalisation -------------------------------------------------------------------------------

function normalizeReport(report: PlaywrightJsonReport, options: ParseReportOptions): NormalizedReport {
  const config = report.config ?? {};
  const metadata = readMetadata(config);
  const paths = new PathMapper(metadata.rootDir, metadata.configFile);
  const tests: TestResult[] = [];
  const seenKeys = new Map<string, number>();

  const walk = (suite: PwSuite, titles: string[]): void => {
    const direct: { spec: PwSpec; test: PwTest; result: TestResult }[] = [];
    for (const spec of suite.specs) {
      const titlePath = [...titles, spec.title];
      for (const test of spec.tests) {
        const baseKey = testKey(spec.file, titlePath, test.projectName);
        const repeatIndex = seenKeys.get(baseKey) ?? 0;
        seenKeys.set(baseKey, repeatIndex + 1);
        const result = normalizeTest(spec, test, titlePath, repeatIndex, paths);
        tests.push(result);
        direct.push({ spec, test, result });
      }
    }
    markBeforeAllFailures(direct.map((d) => d.result));
    for (const child of suite.suites ?? []) walk(child, [...titles, child.title]);
  };
  // The file-level suite's title is the file path: it is not part of the title path.
  for (const fileSuite of report.suites) walk(fileSuite, []);

  const computed = computeStats(tests);
  const stats: RunStats = report.stats
    ? { expected: report.stats.expected, unexpected: report.stats.unexpected, flaky: report.stats.flaky, skipped: report.stats.skipped }
    : computed;
  const runErrors = report.errors.map((e) => toRunError(e, config, paths, tests.length === 0));
  const warnings: string[] = [];
  const partial = hasOnlyFailures(config);
  if (partial) warnings.push("The json reporter ran with onlyFailures: passing tests are not listed, so a missing test is not a pass.");
  if (
    !partial &&
    report.stats &&
    (computed.expected !== stats.expected || computed.unexpected !== stats.unexpected || computed.flaky !== stats.flaky)
  ) {
    warnings.push(
      `The report's stats (${formatStats(stats)}) disagree with its tests (${formatStats(computed)}); the tests are used for classification.`,
    );
  }

  const normalized: NormalizedReport = {
    source: "playwright-json",
    startTime: report.stats?.startTime,
    durationMs: report.stats?.duration,
    stats,
    runErrors,
    metadata,
    projects: projectNames(config, tests),
    tests,
    partial,
    warnings,
  };

  if (tests.length === 0 && !options.allowEmpty) {
    const first = runErrors[0];
    throw new ReportFormatError(
      "NO_TESTS",
      first
        ? `The report contains no tests: Playwright stopped before running any (${first.kind}: ${firstLine(first.message)}). ` +
            "Fix that error and re-run; nothing was classified."
        : "The report contains no tests. Check the Playwright project filter (--project, --grep) or testDir; nothing was classified.",
      { partialReport: normalized },
    );
  }
  return normalized;
}

function normalizeTest(spec: PwSpec, test: PwTest, titlePath: string[], repeatIndex: number, paths: PathMapper): TestResult {
  const attempts = test.results.map((r) => normalizeAttempt(r, paths));
  const staticAnnotations = test.annotations.map(toAnnotation);
  const skippedOnPurpose =
    test.expectedStatus === "skipped" ||
    [...staticAnnotations, ...attempts.flatMap((a) => a.annotations)].some((a) => a.type === "skip" || a.type === "fixme");
  return {
    key: testKey(spec.file, titlePath, test.projectName, repeatIndex),
    file: spec.file,
    repoPath: paths.repoPath(spec.file),
    titlePath,
    projectName: test.projectName,
    repeatIndex,
    line: spec.line,
    column: spec.column,
    tags: spec.tags,
    expectedStatus: test.expectedStatus,
    status: test.status,
    didNotRun: test.status === "skipped" && !skippedOnPurpose && attempts.every((a) => a.status === "skipped" && a.errors.length === 0),
    retries: Math.max(0, attempts.length - 1),
    durationMs: attempts.reduce((sum, a) => sum + a.durationMs, 0),
    attempts,
    annotations: staticAnnotations,
  };
}

function normalizeAttempt(result: PwResult, paths: PathMapper): Attempt {
  // `errors[]` holds every error, formatted (text + code frame + `at` line); `error` is errors[0]
  // before formatting and alone carries `stack` and `snippet`. Old reports may only have `error`.
  const formatted = result.errors.length > 0 ? result.errors : result.error ? [result.error] : [];
  return {
    retry: result.retry,
    status: result.status,
    durationMs: result.duration,
    startTime: result.startTime,
    errors: formatted.map((e, i) => toTestError(e, i === 0 ? result.error : undefined, paths)),
    attachmentNames: result.attachments.map((a) => a.name),
    attachments: result.attachments.flatMap((a) =>
      a.path ? [{ name: a.name, contentType: a.contentType ?? "application/octet-stream", path: a.path }] : [],
    ),
    annotations: result.annotations.map(toAnnotation),
  };
}

function toTestError(formatted: PwError, raw: PwError | undefined, paths: PathMapper): TestError {
  const messageRaw = formatted.message ?? formatted.value ?? raw?.message ?? raw?.value ?? "";
  const stackRaw = raw?.stack ?? formatted.stack;
  const snippetRaw = raw?.snippet ?? formatted.snippet;
  const location = formatted.location ?? raw?.location;
  const error: TestError = { message: stripAnsi(messageRaw), messageRaw };
  if (stackRaw !== undefined) Object.assign(error, { stack: stripAnsi(stackRaw), stackRaw });
  if (snippetRaw !== undefined) Object.assign(error, { snippet: stripAnsi(snippetRaw), snippetRaw });
  if (location) error.location = paths.location(location);
  return error;
}

function toAnnotation(a: { type: string; description?: string }): Annotation {
  return a.description === undefined ? { type: a.type } : { type: a.type, description: a.description };
}

/**
 * A failing beforeAll fails the first test of its describe and leaves the others "did not run"
 * (results `[skipped, ...]`, no errors). Nothing else in the JSON names the hook, so we infer it
 * from that shape, per project. `--max-failures` leftovers have `results: []` and do not count.
 */
function markBeforeAllFailures(siblings: TestResult[]): void {
  const byProject = new Map<string, TestResult[]>();
  for (const t of siblings) {
    const list = byProject.get(t.projectName) ?? [];
    list.push(t);
    byProject.set(t.projectName, list);
  }
  for (const list of byProject.values()) {
    const skippedByHook = list.some((t) => t.didNotRun && t.attempts.length > 0);
    if (!skippedByHook) continue;
    const failed = list.find((t) => t.status === "unexpected" && t.attempts.some((a) => a.errors.length > 0));
    if (failed) failed.structuralHook = "beforeAll";
  }
}

function computeStats(tests: readonly TestResult[]): RunStats {
  const stats: RunStats = { expected: 0, unexpected: 0, flaky: 0, skipped: 0 };
  for (const t of tests) stats[t.status]++;
  return stats;
}

function formatStats(s: RunStats): string {
  return `expected ${s.expected}, unexpected ${s.unexpected}, flaky ${s.flaky}, skipped ${s.skipped}`;
}

function firstLine(text: string): string {
  return (text.split("\n").find((l) => l.trim() !== "") ?? "").trim();
}

// 4. Config, metadata, run errors ----------------------------------------------------------------

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function rec(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function readMetadata(config: Record<string, unknown>): RunMetadata {
  const meta = rec(config.metadata);
  // Playwright >= 1.51 (captureGitInfo, on by default in CI): metadata.gitCommit + metadata.ci.
  const git = rec(meta.gitCommit);
  const ci = rec(meta.ci);
  const legacyGit = rec(meta.git);
  const out: RunMetadata = {
    playwrightVersion: str(config.version),
    rootDir: str(config.rootDir),
    configFile: str(config.configFile),
    gitCommit:
      str(git.hash) ?? str(ci.commitHash) ?? str(meta["revision.id"]) ?? str(legacyGit.commit) ?? str(meta.commit) ?? str(meta.gitCommit),
    gitBranch: str(git.branch) ?? str(ci.branch) ?? str(meta["revision.branch"]) ?? str(legacyGit.branch) ?? str(meta.branch),
    gitSubject: str(git.subject) ?? str(meta["revision.subject"]),
    ciBuildUrl: str(ci.buildHref) ?? str(meta["ci.link"]),
  };
  const shard = rec(config.shard);
  if (typeof shard.current === "number" && typeof shard.total === "number") out.shard = { current: shard.current, total: shard.total };
  const workers = typeof meta.actualWorkers === "number" ? meta.actualWorkers : config.workers;
  if (typeof workers === "number" && Number.isInteger(workers)) out.workers = workers;
  for (const k of Object.keys(out) as (keyof RunMetadata)[]) if (out[k] === undefined) delete out[k];
  return out;
}

function projectNames(config: Record<string, unknown>, tests: readonly TestResult[]): string[] {
  const names = new Set<string>();
  if (Array.isArray(config.projects))
    for (const p of config.projects) {
      const name = str(rec(p).name);
      if (name !== undefined) names.add(name);
    }
  for (const t of tests) names.add(t.projectName);
  return [...names];
}

function hasOnlyFailures(config: Record<string, unknown>): boolean {
  if (!Array.isArray(config.reporter)) return false;
  return config.reporter.some(
    (entry) => Array.isArray(entry) && typeof entry[0] === "string" && /json/.test(entry[0]) && rec(entry[1]).onlyFailures === true,
  );
}

/**
 * Run errors often point outside rootDir (a global setup file next to the config, a dependency),
 * and their texts carry the producing machine's absolute paths. They are shown as they are and
 * become failure groups of their own, so every absolute path is made relative (to rootDir, else
 * to the config file's folder) or cut to what identifies it (`node_modules/…`, else the file name).
 */
function toRunError(e: PwError, config: Record<string, unknown>, paths: PathMapper, noTests: boolean): RunError {
  const base = toTestError(e, undefined, paths);
  const out: RunError = {
    ...base,
    message: paths.runErrorText(base.message),
    messageRaw: paths.runErrorText(base.messageRaw),
    kind: runErrorKind(e, config, noTests),
  };
  for (const key of ["stack", "stackRaw", "snippet", "snippetRaw"] as const) {
    const value = base[key];
    if (value !== undefined) out[key] = paths.runErrorText(value);
  }
  if (base.location) out.location = { ...base.location, file: paths.runErrorPath(base.location.file) };
  return out;
}

const SPEC_FILE = /\.(spec|test)\.[cm]?[jt]sx?$/;

function runErrorKind(e: PwError, config: Record<string, unknown>, noTests: boolean): RunErrorKind {
  const text = stripAnsi(`${e.message ?? ""}\n${e.stack ?? ""}`);
  const file = e.location?.file ?? "";
  const matches = (setting: unknown): boolean => {
    const files = (Array.isArray(setting) ? setting : [setting]).filter((f): f is string => typeof f === "string" && f !== "");
    return files.some((f) => file === f || text.includes(f));
  };
  if (/Testing stopped early after \d+ maximum allowed failures/.test(text)) return "max-failures";
  if (matches(config.globalSetup) || /global[-_.]?setup/i.test(file)) return "global-setup";
  if (matches(config.globalTeardown) || /global[-_.]?teardown/i.test(file)) return "global-teardown";
  if (SPEC_FILE.test(file) || noTests) return "load-error";
  return "other";
}
