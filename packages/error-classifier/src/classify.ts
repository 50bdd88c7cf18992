/**
 * The triage rules of DESIGN.md "Triage rules" (the contract). Per test case, over the reports of
 * its project in report order:
 * - failure run = final status `unexpected`; occurrence = failure run or `flaky` run;
 *   `expected` (incl. test.fail() that failed) and `skipped` (incl. did-not-run) never count, and
 *   a skipped run neither counts nor breaks a streak (the test did not run).
 * - pattern, first match wins: persistent (>= 5 consecutive failure runs ending at the latest
 *   report in which the test ran) > flaky (>= 1 flaky run) > recurring (>= 3 failure runs) > new.
 * - suggested decision, first match wins: persistent -> needs_spec; recurring -> needs_spec;
 *   "feature not implemented" -> needs_spec; otherwise one_off_fix. Other heuristics shape
 *   priority, confidence and the rationale only.
 *
 * One forward pass over the history (O(n) per test, no allocation per entry beyond the id lists),
 * so classifying a 10,000-test report with its history stays linear.
 */
import { z } from "zod";
import {
  FingerprintSchema,
  SetupTeardownSchema,
  fingerprintErrors,
  type ErrorLike,
  type Fingerprint,
  type SetupTeardown,
} from "./fingerprint";
import {
  HookKindSchema,
  type AttemptStatus,
  type ExpectedStatus,
  type HookKind,
  type NormalizedReport,
  type TestOutcome,
  type TestResult,
} from "./model";

// 1. Types ---------------------------------------------------------------------------------------

export const PatternSchema = z.enum(["persistent", "flaky", "recurring", "new"]);
export type Pattern = z.infer<typeof PatternSchema>;

/** What the rules can suggest. `ignore` and `pending` are human/stored states, never suggested. */
export const SuggestedDecisionSchema = z.enum(["needs_spec", "one_off_fix"]);
export type SuggestedDecision = z.infer<typeof SuggestedDecisionSchema>;

export const PathCategorySchema = z.enum(["e2e", "integration", "other"]);
export type PathCategory = z.infer<typeof PathCategorySchema>;

/** Which rule produced the suggestion (first match wins, in this order). */
export const DecisionRuleSchema = z.enum(["persistent", "recurring", "feature-not-implemented", "default"]);
export type DecisionRule = z.infer<typeof DecisionRuleSchema>;

export const HeuristicsSchema = z.object({
  pathCategory: PathCategorySchema,
  notImplemented: z.boolean(),
  setupTeardown: SetupTeardownSchema.nullable(),
  hook: HookKindSchema.nullable(),
  timeout: z.boolean(),
});
export type Heuristics = z.infer<typeof HeuristicsSchema>;

const ReportIdSchema = z.union([z.string(), z.number()]);
export type ReportId = z.infer<typeof ReportIdSchema>;

export const FingerprintSummarySchema = z.object({
  hash: z.string(),
  headline: z.string(),
  occurrences: z.number().int(),
  firstSeen: ReportIdSchema,
  lastSeen: ReportIdSchema,
});
export type FingerprintSummary = z.infer<typeof FingerprintSummarySchema>;

export const TestClassificationSchema = z.object({
  pattern: PatternSchema,
  suggestedDecision: SuggestedDecisionSchema,
  decisionRule: DecisionRuleSchema,
  priority: z.number().int().min(1).max(5),
  confidence: z.number().min(0).max(1),
  /** An occurrence (failure or flaky run) in the project's latest report. */
  active: z.boolean(),
  occurrences: z.number().int(),
  failureRuns: z.array(ReportIdSchema),
  flakyRuns: z.array(ReportIdSchema),
  /** Failure runs in a row ending at the latest report in which the test ran (skips ignored). */
  consecutiveFailures: z.number().int(),
  firstSeen: ReportIdSchema,
  lastSeen: ReportIdSchema,
  heuristics: HeuristicsSchema,
  /** Fingerprint of the latest occurrence: the failure group this classification belongs to. */
  fingerprint: FingerprintSchema,
  /** Every distinct fingerprint seen across the occurrences, oldest first. */
  fingerprints: z.array(FingerprintSummarySchema),
  rationale: z.string(),
});
export type TestClassification = z.infer<typeof TestClassificationSchema>;

/** One report's worth of a test's history. */
export interface HistoryEntry {
  reportId: ReportId;
  status: TestOutcome;
  /** Errors of the failing attempt (for `unexpected`/`flaky`); ignored for other statuses. */
  errors?: readonly ErrorLike[];
  attemptStatuses?: readonly AttemptStatus[];
  expectedStatus?: ExpectedStatus;
  structuralHook?: HookKind;
  /** Already computed by the caller (e.g. stored at ingest); skips recomputation. */
  fingerprint?: Fingerprint;
  /** How the rationale names this report; default `run <id>`. */
  label?: string;
}

export interface ClassifyInput {
  /** Repo-relative path of the spec (TestResult.repoPath, else TestResult.file): path category. */
  file: string;
  /** The test's entries in report order; reports in which it does not appear may be left out. */
  history: readonly HistoryEntry[];
  /** The project's latest report. Defaults to the last entry; a test absent from it is not active. */
  latestReportId?: ReportId;
  /** Absolute roots to strip when fingerprinting errors (see FingerprintContext.rootDirs). */
  rootDirs?: readonly string[];
}

export interface Thresholds {
  persistentMinConsecutive: number;
  recurringMinFailureRuns: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { persistentMinConsecutive: 5, recurringMinFailureRuns: 3 };

// 2. Heuristics ----------------------------------------------------------------------------------

const E2E_PATH = /(?:^|[/._-])(?:e2e|end-to-end|endtoend)(?:[/._-]|$)/i;
const INTEGRATION_PATH = /(?:^|[/._-])(?:integration|integrations|int-tests?)(?:[/._-]|$)/i;

export function pathCategory(file: string): PathCategory {
  const posix = file.replace(/\\/g, "/");
  if (E2E_PATH.test(posix)) return "e2e";
  if (INTEGRATION_PATH.test(posix)) return "integration";
  return "other";
}

// 3. Rules ---------------------------------------------------------------------------------------

/** Classifies one test case from its history; `null` when it never had an occurrence. */
export function classifyTest(input: ClassifyInput, thresholds: Thresholds = DEFAULT_THRESHOLDS): TestClassification | null {
  const { history } = input;
  const failureRuns: ReportId[] = [];
  const flakyRuns: ReportId[] = [];
  const fingerprints = new Map<string, FingerprintSummary>();
  let streak: HistoryEntry[] = [];
  let latestOccurrence: HistoryEntry | undefined;
  let latestFingerprint: Fingerprint | undefined;
  let firstOccurrence: HistoryEntry | undefined;

  for (const entry of history) {
    if (entry.status === "skipped") continue; // did not run: neither counts nor breaks a streak
    if (entry.status === "expected") {
      streak = [];
      continue;
    }
    if (entry.status === "unexpected") {
      failureRuns.push(entry.reportId);
      streak.push(entry);
    } else {
      flakyRuns.push(entry.reportId);
      streak = [];
    }
    firstOccurrence ??= entry;
    latestOccurrence = entry;
    latestFingerprint = entry.fingerprint ?? fingerprintOf(entry, input.rootDirs);
    const seen = fingerprints.get(latestFingerprint.hash);
    if (seen) {
      seen.occurrences++;
      seen.lastSeen = entry.reportId;
    } else {
      fingerprints.set(latestFingerprint.hash, {
        hash: latestFingerprint.hash,
        headline: latestFingerprint.headline,
        occurrences: 1,
        firstSeen: entry.reportId,
        lastSeen: entry.reportId,
      });
    }
  }
  if (!latestOccurrence || !firstOccurrence || !latestFingerprint) return null;

  const occurrences = failureRuns.length + flakyRuns.length;
  const consecutiveFailures = streak.length;
  const latestReportId = input.latestReportId ?? history.at(-1)?.reportId;
  const active = latestOccurrence.reportId === latestReportId;

  const pattern: Pattern =
    consecutiveFailures >= thresholds.persistentMinConsecutive
      ? "persistent"
      : flakyRuns.length > 0
        ? "flaky"
        : failureRuns.length >= thresholds.recurringMinFailureRuns
          ? "recurring"
          : "new";

  const heuristics: Heuristics = {
    pathCategory: pathCategory(input.file),
    notImplemented: latestFingerprint.notImplemented,
    setupTeardown: latestFingerprint.setupTeardown,
    hook: latestFingerprint.hook,
    timeout: latestFingerprint.timeout,
  };

  const decisionRule: DecisionRule =
    pattern === "persistent"
      ? "persistent"
      : pattern === "recurring"
        ? "recurring"
        : heuristics.notImplemented
          ? "feature-not-implemented"
          : "default";
  const suggestedDecision: SuggestedDecision = decisionRule === "default" ? "one_off_fix" : "needs_spec";
  const { priority, confidence } = score(pattern, decisionRule, heuristics, active, flakyRuns.length);

  const labels = new Map(history.map((e) => [e.reportId, e.label ?? defaultLabel(e.reportId)]));
  const rationale = explain({
    pattern,
    decisionRule,
    suggestedDecision,
    heuristics,
    active,
    failureRuns,
    flakyRuns,
    streak: streak.map((e) => e.reportId),
    thresholds,
    labels,
    latestLabel: latestReportId === undefined ? undefined : (labels.get(latestReportId) ?? defaultLabel(latestReportId)),
    file: input.file,
  });

  return {
    pattern,
    suggestedDecision,
    decisionRule,
    priority,
    confidence,
    active,
    occurrences,
    failureRuns,
    flakyRuns,
    consecutiveFailures,
    firstSeen: firstOccurrence.reportId,
    lastSeen: latestOccurrence.reportId,
    heuristics,
    fingerprint: latestFingerprint,
    fingerprints: [...fingerprints.values()],
    rationale,
  };
}

function fingerprintOf(entry: HistoryEntry, rootDirs?: readonly string[]): Fingerprint {
  return fingerprintErrors(entry.errors ?? [], {
    rootDirs,
    expectedStatus: entry.expectedStatus,
    attemptStatuses: entry.attemptStatuses,
    structuralHook: entry.structuralHook,
  });
}

// 4. Priority and confidence ---------------------------------------------------------------------

/**
 * Persistent is fixed by the contract (priority 5, confidence 0.95). The rest:
 *
 * | rule / pattern                       | priority | confidence |
 * |--------------------------------------|----------|------------|
 * | recurring                            | 4        | 0.85       |
 * | feature not implemented (new, flaky) | 3        | 0.80       |
 * | new                                  | 3        | 0.60       |
 * | flaky (1-2 flaky runs / 3+)          | 2 / 3    | 0.70       |
 *
 * Adjustments (not for persistent): setup failure (before* hooks, global setup) +1 priority since
 * it hides every test it guards; setup or teardown -0.10 confidence, as hook failures are often
 * environmental, so the suggested route is less certain; timeout -0.10 confidence (and -1 priority
 * when flaky: the classic slow-CI case); not active (no occurrence in the latest report) -1
 * priority; recurring AND "feature not implemented" +0.05 confidence (two rules agree).
 * Priority is clamped to 1..5, confidence to 0.30..0.95.
 */
function score(
  pattern: Pattern,
  rule: DecisionRule,
  h: Heuristics,
  active: boolean,
  flakyRunCount: number,
): { priority: number; confidence: number } {
  if (pattern === "persistent") return { priority: 5, confidence: 0.95 };
  let priority: number;
  let confidence: number;
  if (pattern === "recurring") [priority, confidence] = [4, 0.85];
  else if (rule === "feature-not-implemented") [priority, confidence] = [3, 0.8];
  else if (pattern === "flaky") [priority, confidence] = [flakyRunCount >= 3 ? 3 : 2, 0.7];
  else [priority, confidence] = [3, 0.6];

  if (h.setupTeardown === "setup") priority += 1;
  if (h.setupTeardown !== null) confidence -= 0.1;
  if (h.timeout) {
    confidence -= 0.1;
    if (pattern === "flaky") priority -= 1;
  }
  if (!active) priority -= 1;
  if (pattern === "recurring" && h.notImplemented) confidence += 0.05;
  return {
    priority: Math.min(5, Math.max(1, priority)),
    confidence: Math.round(Math.min(0.95, Math.max(0.3, confidence)) * 100) / 100,
  };
}

// 5. Rationale -----------------------------------------------------------------------------------

function defaultLabel(id: ReportId): string {
  return `run ${id}`;
}

/** "run 3", "runs 1, 2, 5", "runs 3–8" (numeric consecutive ids), long lists elided. */
function describeRuns(ids: readonly ReportId[], labels: ReadonlyMap<ReportId, string>): string {
  if (ids.length === 0) return "no runs";
  const all = ids.map((id) => labels.get(id) ?? defaultLabel(id));
  const defaultLabels = all.every((l, i) => l === defaultLabel(ids[i] as ReportId));
  if (!defaultLabels) return all.length <= 5 ? all.join(", ") : `${all.slice(0, 2).join(", ")}, …, ${all.slice(-2).join(", ")}`;
  if (ids.length === 1) return `run ${ids[0]}`;
  const numeric = ids.every((id) => typeof id === "number");
  const contiguous = numeric && ids.every((id, i) => i === 0 || (id as number) === (ids[i - 1] as number) + 1);
  if (contiguous && ids.length >= 3) return `runs ${ids[0]}–${ids.at(-1)}`;
  const shown = ids.length <= 6 ? ids.join(", ") : `${ids.slice(0, 2).join(", ")}, …, ${ids.slice(-2).join(", ")}`;
  return `runs ${shown}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const HOOK_TEXT: Record<HookKind, string> = {
  beforeAll: "a beforeAll hook",
  beforeEach: "a beforeEach hook",
  afterAll: "an afterAll hook",
  afterEach: "an afterEach hook",
  globalSetup: "global setup",
  globalTeardown: "global teardown",
};

function explain(a: {
  pattern: Pattern;
  decisionRule: DecisionRule;
  suggestedDecision: SuggestedDecision;
  heuristics: Heuristics;
  active: boolean;
  failureRuns: ReportId[];
  flakyRuns: ReportId[];
  streak: ReportId[];
  thresholds: Thresholds;
  labels: ReadonlyMap<ReportId, string>;
  latestLabel?: string;
  file: string;
}): string {
  const runs = (ids: ReportId[]) => describeRuns(ids, a.labels);
  const parts: string[] = [];
  switch (a.pattern) {
    case "persistent":
      parts.push(`persistent: failed in the last ${a.streak.length} consecutive runs (${runs(a.streak)}).`);
      break;
    case "flaky":
      parts.push(
        `flaky: failed then passed on retry in ${plural(a.flakyRuns.length, "run")} (${runs(a.flakyRuns)})` +
          (a.failureRuns.length > 0 ? `, and failed outright in ${plural(a.failureRuns.length, "run")} (${runs(a.failureRuns)}).` : "."),
      );
      break;
    case "recurring":
      parts.push(
        `recurring: failed in ${plural(a.failureRuns.length, "run")} (${runs(a.failureRuns)}), ` +
          `${a.streak.length} in a row at the end (persistent needs ${a.thresholds.persistentMinConsecutive}).`,
      );
      break;
    case "new":
      parts.push(
        a.failureRuns.length === 1
          ? `new: failed for the first time in ${runs(a.failureRuns)}.`
          : `new: failed in ${plural(a.failureRuns.length, "run")} (${runs(a.failureRuns)}), below the recurring threshold of ${a.thresholds.recurringMinFailureRuns}.`,
      );
      break;
  }
  const h = a.heuristics;
  if (h.notImplemented) parts.push(`The error says "feature not implemented".`);
  if (h.hook) parts.push(`Raised in ${HOOK_TEXT[h.hook]} (${h.setupTeardown}), not in the test body.`);
  if (h.timeout) parts.push("It timed out.");
  if (h.pathCategory !== "other") parts.push(`${h.pathCategory === "e2e" ? "End-to-end" : "Integration"} test (${a.file}).`);
  if (!a.active) parts.push(`Not failing in the latest report${a.latestLabel ? ` (${a.latestLabel})` : ""}.`);
  const why =
    a.decisionRule === "persistent"
      ? "persistent failures need a spec"
      : a.decisionRule === "recurring"
        ? "recurring failures need a spec"
        : a.decisionRule === "feature-not-implemented"
          ? "a missing feature needs a spec"
          : a.pattern === "flaky"
            ? "a flaky test needs a targeted fix"
            : "a new failure gets a one-off fix first";
  parts.push(`Suggested ${a.suggestedDecision} (${why}).`);
  return parts.join(" ");
}

// 6. From normalised reports ---------------------------------------------------------------------

/** Absolute roots to strip from a report's error text: config.rootDir and the config file's folder. */
export function reportRootDirs(report: Pick<NormalizedReport, "metadata">): string[] {
  const roots: string[] = [];
  if (report.metadata.rootDir) roots.push(report.metadata.rootDir);
  if (report.metadata.configFile) roots.push(report.metadata.configFile.replace(/[\\/][^\\/]*$/, ""));
  return roots;
}

/**
 * The errors that represent a test's failure in one report: the last failing attempt's (for a
 * flaky test, the attempt that failed before the passing retry). Empty for a test.fail() test
 * that passed (`unexpected` with no error).
 */
export function failingAttempt(result: TestResult): TestResult["attempts"][number] | undefined {
  for (let i = result.attempts.length - 1; i >= 0; i--) {
    const attempt = result.attempts[i];
    if (attempt && attempt.status !== "passed" && attempt.status !== "skipped" && attempt.errors.length > 0) return attempt;
  }
  return undefined;
}

/** A history entry for one test result, with its fingerprint computed once. */
export function historyEntry(
  result: TestResult,
  reportId: ReportId,
  options: { rootDirs?: readonly string[]; label?: string } = {},
): HistoryEntry {
  const entry: HistoryEntry = { reportId, status: result.status, expectedStatus: result.expectedStatus };
  if (options.label !== undefined) entry.label = options.label;
  if (result.status === "unexpected" || result.status === "flaky") {
    const attempt = failingAttempt(result);
    entry.errors = attempt?.errors ?? [];
    entry.attemptStatuses = attempt ? [attempt.status] : result.attempts.map((a) => a.status);
    if (result.structuralHook) entry.structuralHook = result.structuralHook;
    entry.fingerprint = fingerprintErrors(entry.errors, {
      rootDirs: options.rootDirs,
      expectedStatus: result.expectedStatus,
      attemptStatuses: entry.attemptStatuses,
      structuralHook: result.structuralHook,
    });
  }
  return entry;
}

export interface ReportInSeries {
  id: ReportId;
  report: NormalizedReport;
  label?: string;
}

export interface SeriesClassification {
  key: string;
  file: string;
  titlePath: string[];
  projectName: string;
  classification: TestClassification | null;
}

/**
 * Classifies every test of a project's report series (oldest first), as of the last report.
 * Convenience for tests and batch re-classification; the ingest service will usually keep
 * histories in the database and call `classifyTest` per test.
 */
export function classifyReportSeries(
  series: readonly ReportInSeries[],
  thresholds: Thresholds = DEFAULT_THRESHOLDS,
): Map<string, SeriesClassification> {
  const histories = new Map<string, { test: TestResult; entries: HistoryEntry[] }>();
  for (const { id, report, label } of series) {
    const rootDirs = reportRootDirs(report);
    for (const test of report.tests) {
      const slot = histories.get(test.key) ?? { test, entries: [] };
      slot.test = test;
      slot.entries.push(historyEntry(test, id, { rootDirs, label }));
      histories.set(test.key, slot);
    }
  }
  const latestReportId = series.at(-1)?.id;
  const out = new Map<string, SeriesClassification>();
  for (const [key, { test, entries }] of histories) {
    out.set(key, {
      key,
      file: test.file,
      titlePath: test.titlePath,
      projectName: test.projectName,
      classification: classifyTest({ file: test.repoPath ?? test.file, history: entries, latestReportId }, thresholds),
    });
  }
  return out;
}

export type { SetupTeardown };
