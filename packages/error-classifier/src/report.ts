/**
 * Playwright JSON report -> NormalizedReport.
 *
 * The raw schemas below describe only what we read: unknown keys are dropped (Playwright adds and
 * removes `config` keys between versions), but a field we need with the wrong type is an error,
 * because a silently mis-read status would corrupt every classification downstream.
 * Format notes and traps: shared/reference/playwright-json.md.
 */
import { z } from "zod";
import { stripAnsi } from "./ansi";
import { ReportFormatError } from "./errors";
import {
  AttemptStatusSchema,
  ExpectedStatusSchema,
  TestOutcomeSchema,
  testKey,
  type Annotation,
  type Attempt,
  type NormalizedReport,
  type RunError,
  type RunErrorKind,
  type RunMetadata,
  type RunStats,
  type SourceLocation,
  type TestError,
  type TestResult,
} from "./model";

// 1. Raw Playwright JSON schemas ------------------------------------------------------------------

const PwLocationSchema = z.object({ file: z.string(), line: z.number(), column: z.number() });

const PwErrorSchema = z.object({
  message: z.string().optional(),
  stack: z.string().optional(),
  value: z.string().optional(),
  snippet: z.string().optional(),
  location: PwLocationSchema.optional(),
});
type PwError = z.infer<typeof PwErrorSchema>;

const PwAnnotationSchema = z.object({ type: z.string(), description: z.string().optional() });

const PwAttachmentSchema = z.object({ name: z.string(), contentType: z.string().optional() });

const PwResultSchema = z.object({
  status: AttemptStatusSchema,
  duration: z.number(),
  retry: z.number().int().default(0),
  startTime: z.string().optional(),
  error: PwErrorSchema.optional(),
  errors: z.array(PwErrorSchema).default([]),
  annotations: z.array(PwAnnotationSchema).default([]),
  attachments: z.array(PwAttachmentSchema).default([]),
});
type PwResult = z.infer<typeof PwResultSchema>;

const PwTestSchema = z.object({
  projectName: z.string(),
  // `merge-reports` output has no projectId; we never need it.
  expectedStatus: ExpectedStatusSchema,
  status: TestOutcomeSchema,
  annotations: z.array(PwAnnotationSchema).default([]),
  results: z.array(PwResultSchema).default([]),
});
type PwTest = z.infer<typeof PwTestSchema>;

const PwSpecSchema = z.object({
  title: z.string(),
  file: z.string(),
  line: z.number().optional(),
  column: z.number().optional(),
  tags: z.array(z.string()).default([]),
  tests: z.array(PwTestSchema),
});
type PwSpec = z.infer<typeof PwSpecSchema>;

type PwSuite = { title: string; file?: string; specs: PwSpec[]; suites?: PwSuite[] };
const PwSuiteSchema: z.ZodType<PwSuite> = z.lazy(() =>
  z.object({
    title: z.string(),
    file: z.string().optional(),
    specs: z.array(PwSpecSchema).default([]),
    // Omitted (not []) when a suite has no child describes.
    suites: z.array(PwSuiteSchema).optional(),
  }),
);

const PwStatsSchema = z.object({
  startTime: z.string().optional(),
  duration: z.number().optional(),
  expected: z.number().int().default(0),
  unexpected: z.number().int().default(0),
  flaky: z.number().int().default(0),
  skipped: z.number().int().default(0),
});

/** `config` is informational and changes between versions: read it defensively, never reject it. */
const PwConfigSchema = z.record(z.string(), z.unknown());

export const PlaywrightJsonReportSchema = z.object({
  config: PwConfigSchema.optional(),
  suites: z.array(PwSuiteSchema),
  errors: z.array(PwErrorSchema).default([]),
  stats: PwStatsSchema.optional(),
});
export type PlaywrightJsonReport = z.infer<typeof PlaywrightJsonReportSchema>;

// 2. Entry point ---------------------------------------------------------------------------------

export interface ParseReportOptions {
  /**
   * Return a report with no tests instead of throwing `NO_TESTS`. A spec file that fails to load
   * aborts the whole run (`suites: []`, only top-level `errors`), which is worth recording.
   */
  allowEmpty?: boolean;
}

/**
 * Parses a Playwright JSON report given as text, UTF-8 bytes or an already-parsed value.
 * Throws ReportFormatError (NOT_JSON, TRUNCATED_JSON, NOT_PLAYWRIGHT_REPORT, NO_TESTS).
 */
export function parsePlaywrightReport(input: unknown, options: ParseReportOptions = {}): NormalizedReport {
  const value = typeof input === "string" || input instanceof Uint8Array ? parseJsonText(input) : input;
  const report = validateShape(value);
  return normalizeReport(report, options);
}

// 3. JSON text -> value, with errors a person can act on ----------------------------------------

function parseJsonText(input: string | Uint8Array): unknown {
  let text = typeof input === "string" ? input : new TextDecoder("utf-8").decode(input);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trim();
  if (trimmed === "") {
    throw new ReportFormatError("NOT_JSON", "The report is empty. Expected the JSON written by Playwright's `json` reporter.");
  }
  if (trimmed.startsWith("<")) {
    throw new ReportFormatError(
      "NOT_JSON",
      "The report is XML, not JSON. If it is a JUnit report, send it to the JUnit parser (parseJUnitReport); " +
        "otherwise configure Playwright with reporter: [['json', { outputFile: 'results.json' }]].",
    );
  }
  let start = 0;
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) {
    // Without an outputFile the json reporter prints to stdout, possibly after other reporters'
    // lines. Accept that if a `{` line followed by `"config"` or `"suites"` starts the document.
    const match = /^\{\s*"(?:config|suites)"/m.exec(text);
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

function validateShape(value: unknown): PlaywrightJsonReport {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ReportFormatError(
      "NOT_PLAYWRIGHT_REPORT",
      `The JSON is ${Array.isArray(value) ? "an array" : typeof value}, not a Playwright report (an object with "config", "suites", "errors" and "stats").`,
    );
  }
  const record = value as Record<string, unknown>;
  if (!Array.isArray(record.suites)) {
    const hint =
      "testResults" in record || "numTotalTests" in record
        ? " It looks like a Jest/Vitest report."
        : "results" in record && "tool" in record
          ? " It looks like a CTRF report."
          : "";
    throw new ReportFormatError(
      "NOT_PLAYWRIGHT_REPORT",
      `The JSON has no "suites" array, so it is not a Playwright JSON report.${hint} ` +
        `Top-level keys found: ${Object.keys(record).slice(0, 8).join(", ") || "(none)"}.`,
    );
  }
  const parsed = PlaywrightJsonReportSchema.safeParse(value);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new ReportFormatError(
      "NOT_PLAYWRIGHT_REPORT",
      `The JSON looks like a Playwright report but does not match the format we read (${details.length} problem${details.length === 1 ? "" : "s"}; first: ${details[0]}). ` +
        "Was it edited by hand or produced by an unsupported Playwright version?",
      { details },
    );
  }
  return parsed.data;
}

// 4. Normalisation -------------------------------------------------------------------------------

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
  if (!partial && report.stats && (computed.expected !== stats.expected || computed.unexpected !== stats.unexpected || computed.flaky !== stats.flaky)) {
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

// 5. Config, metadata, run errors ----------------------------------------------------------------

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
    gitCommit: str(git.hash) ?? str(ci.commitHash) ?? str(meta["revision.id"]) ?? str(legacyGit.commit) ?? str(meta.commit) ?? str(meta.gitCommit),
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
  if (Array.isArray(config.projects)) for (const p of config.projects) {
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
  const out: RunError = { ...base, message: paths.runErrorText(base.message), messageRaw: paths.runErrorText(base.messageRaw), kind: runErrorKind(e, config, noTests) };
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

// 6. Paths ---------------------------------------------------------------------------------------

/** Absolute paths of the producing machine -> paths relative to config.rootDir (and the repo). */
class PathMapper {
  private readonly root?: string;
  private readonly configDir?: string;
  private readonly repoPrefix?: string;

  constructor(rootDir?: string, configFile?: string) {
    this.root = rootDir ? trimSlash(toPosix(rootDir)) : undefined;
    if (configFile) this.configDir = toPosix(configFile).replace(/\/[^/]*$/, "") || undefined;
    if (this.root && configFile) {
      const configDir = toPosix(configFile).replace(/\/[^/]*$/, "");
      if (this.root === configDir) this.repoPrefix = "";
      else if (this.root.startsWith(`${configDir}/`)) this.repoPrefix = `${this.root.slice(configDir.length + 1)}/`;
    }
  }

  relative(file: string): string {
    const posix = toPosix(file).replace(/^file:\/\//, "");
    if (this.root && posix.startsWith(`${this.root}/`)) return posix.slice(this.root.length + 1);
    return posix;
  }

  location(loc: { file: string; line: number; column: number }): SourceLocation {
    return { file: this.relative(loc.file), line: loc.line, column: loc.column };
  }

  /** A run error's path: relative to rootDir, else to the config folder, else cut (see toRunError). */
  runErrorPath(file: string): string {
    const posix = toPosix(file).replace(/^file:\/\//, "");
    if (!isAbsolutePosix(posix)) return posix;
    for (const root of [this.root, this.configDir]) {
      if (root && posix.startsWith(`${root}/`)) return posix.slice(root.length + 1);
    }
    const modules = posix.lastIndexOf("/node_modules/");
    if (modules >= 0) return posix.slice(modules + 1);
    return posix.slice(posix.lastIndexOf("/") + 1);
  }

  /** The same for every absolute file path inside a run error's text (API routes without an extension are left alone). */
  runErrorText(text: string): string {
    let out = text;
    for (const root of [this.root, this.configDir].filter((r): r is string => Boolean(r)).sort((a, b) => b.length - a.length)) {
      out = out.split(`file://${root}/`).join("").split(`${root}/`).join("");
    }
    return out.replace(ABSOLUTE_FILE_IN_TEXT, (_m, lead: string, file: string) => `${lead === "file://" ? "" : lead}${this.runErrorPath(file)}`);
  }

  repoPath(specFile: string): string | undefined {
    return this.repoPrefix === undefined ? undefined : `${this.repoPrefix}${specFile}`;
  }
}

/** An absolute POSIX file path (2+ segments, last one with an extension) after a space, bracket, quote or `=`. */
const ABSOLUTE_FILE_IN_TEXT = /(^|[\s(\[{'"`=]|file:\/\/)((?:\/[^\s/:'"`()[\]{}<>]+){2,}\.[A-Za-z0-9]{1,8})(?=$|[\s:'"`()[\]{},;])/gm;

function isAbsolutePosix(p: string): boolean {
  return p.startsWith("/") || /^[A-Za-z]:\//.test(p);
}

function toPosix(p: string): string {
  return p.replace(/\\/g, "/");
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}
