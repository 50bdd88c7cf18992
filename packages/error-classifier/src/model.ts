/**
 * The normalised shape every report source (Playwright JSON, JUnit XML) is turned into. These
 * schemas are the domain types (`z.infer`), so the app can re-validate a stored row or an API
 * payload with the same definitions. Following Playwright's own reporter API, what happened
 * (per-attempt `status`) is kept apart from what it means (the test's final `outcome`).
 */
import { z } from "zod";

/** The test's final outcome, as Playwright computes it after retries. What we classify on. */
export const TestOutcomeSchema = z.enum(["expected", "unexpected", "flaky", "skipped"]);
export type TestOutcome = z.infer<typeof TestOutcomeSchema>;

/** What one attempt did. `interrupted` = stopped by `--max-failures` or a global timeout. */
export const AttemptStatusSchema = z.enum(["passed", "failed", "timedOut", "skipped", "interrupted"]);
export type AttemptStatus = z.infer<typeof AttemptStatusSchema>;

/** What the test was declared to do: `failed` = `test.fail()`, `skipped` = `test.skip()`/`fixme()`. */
export const ExpectedStatusSchema = z.enum(["passed", "failed", "timedOut", "skipped", "interrupted"]);
export type ExpectedStatus = z.infer<typeof ExpectedStatusSchema>;

export const SourceLocationSchema = z.object({
  /** Relative to the report's root (config.rootDir) when the file lies inside it, else as given. */
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
});
export type SourceLocation = z.infer<typeof SourceLocationSchema>;

export const TestErrorSchema = z.object({
  /** ANSI stripped: error text, then (for JSON `errors[]`) the code frame and an `at file:line:col` line. */
  message: z.string(),
  /** As the reporter wrote it, ANSI included, for rendering colours. */
  messageRaw: z.string(),
  stack: z.string().optional(),
  stackRaw: z.string().optional(),
  /** The code frame around the failing line, ANSI stripped. */
  snippet: z.string().optional(),
  snippetRaw: z.string().optional(),
  location: SourceLocationSchema.optional(),
});
export type TestError = z.infer<typeof TestErrorSchema>;

export const AnnotationSchema = z.object({
  type: z.string(),
  description: z.string().optional(),
});
export type Annotation = z.infer<typeof AnnotationSchema>;

export const AttemptSchema = z.object({
  /** 0 for the first attempt. */
  retry: z.number().int(),
  status: AttemptStatusSchema,
  durationMs: z.number(),
  startTime: z.string().optional(),
  errors: z.array(TestErrorSchema),
  attachmentNames: z.array(z.string()),
  /** Attachments written to files (screenshot, video, trace), as the report names them; served when reachable. */
  attachments: z.array(z.object({ name: z.string(), contentType: z.string(), path: z.string() })).optional(),
  /** Runtime annotations, e.g. `test.skip(true, 'why')`. */
  annotations: z.array(AnnotationSchema),
});
export type Attempt = z.infer<typeof AttemptSchema>;

/** Hooks we can attribute a failure to. Nothing in the JSON names them: see fingerprint.ts. */
export const HookKindSchema = z.enum(["beforeAll", "beforeEach", "afterAll", "afterEach", "globalSetup", "globalTeardown"]);
export type HookKind = z.infer<typeof HookKindSchema>;

export const RunErrorKindSchema = z.enum(["global-setup", "global-teardown", "load-error", "max-failures", "other"]);
export type RunErrorKind = z.infer<typeof RunErrorKindSchema>;

export const TestResultSchema = z.object({
  /** `<file>::<title path joined by " > ">::<project>` (+ `::repeat-N` for repeatEach copies). */
  key: z.string(),
  /** Spec file relative to config.rootDir (Playwright's `spec.file`), e.g. `e2e/login.spec.ts`. */
  file: z.string(),
  /** The file relative to the repository (the config file's folder) when known: `tests/e2e/login.spec.ts`. */
  repoPath: z.string().optional(),
  /** Describe titles then the test title; the file-level suite is excluded. */
  titlePath: z.array(z.string()),
  projectName: z.string(),
  /** 0 unless `repeatEach` produced several copies of the same test in the same project. */
  repeatIndex: z.number().int(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
  tags: z.array(z.string()),
  expectedStatus: ExpectedStatusSchema,
  /** Final outcome (Playwright's `test.status`), never derived from attempt statuses. */
  status: TestOutcomeSchema,
  /** True for "did not run": a sibling of a failed beforeAll, or never started after --max-failures. */
  didNotRun: z.boolean(),
  /** Attempts beyond the first. */
  retries: z.number().int(),
  /** Sum of the attempts' durations. */
  durationMs: z.number(),
  attempts: z.array(AttemptSchema),
  /** Static annotations (`test.fail()`, `test.skip()`, `{ type: 'issue' }`...). */
  annotations: z.array(AnnotationSchema),
  /**
   * A hook inferred from the report's structure (today: a failed test whose siblings did not run
   * = a failing beforeAll). Error-text evidence is added later by the fingerprint.
   */
  structuralHook: HookKindSchema.optional(),
  /**
   * Set on the synthetic test cases made from run-level errors (run-errors.ts): which stage
   * failed. Real tests never have it.
   */
  runError: RunErrorKindSchema.optional(),
});
export type TestResult = z.infer<typeof TestResultSchema>;

/** An error not attributable to a test (Playwright's top-level `errors[]`). */
export const RunErrorSchema = TestErrorSchema.extend({ kind: RunErrorKindSchema });
export type RunError = z.infer<typeof RunErrorSchema>;

export const RunStatsSchema = z.object({
  expected: z.number().int(),
  unexpected: z.number().int(),
  flaky: z.number().int(),
  skipped: z.number().int(),
});
export type RunStats = z.infer<typeof RunStatsSchema>;

export const RunMetadataSchema = z.object({
  playwrightVersion: z.string().optional(),
  /** Absolute config.rootDir of the producing machine (paths in errors are made relative to it). */
  rootDir: z.string().optional(),
  configFile: z.string().optional(),
  gitCommit: z.string().optional(),
  gitBranch: z.string().optional(),
  gitSubject: z.string().optional(),
  ciBuildUrl: z.string().optional(),
  shard: z.object({ current: z.number().int(), total: z.number().int() }).optional(),
  workers: z.number().int().optional(),
});
export type RunMetadata = z.infer<typeof RunMetadataSchema>;

export const ReportSourceSchema = z.enum(["playwright-json", "junit"]);
export type ReportSource = z.infer<typeof ReportSourceSchema>;

export const NormalizedReportSchema = z.object({
  source: ReportSourceSchema,
  startTime: z.string().optional(),
  durationMs: z.number().optional(),
  /** Playwright's own `stats` (outcomes per test and project, not attempts); computed for JUnit. */
  stats: RunStatsSchema,
  runErrors: z.array(RunErrorSchema),
  metadata: RunMetadataSchema,
  projects: z.array(z.string()),
  tests: z.array(TestResultSchema),
  /** True when the report does not list every test (JSON `onlyFailures`): absence is not a pass. */
  partial: z.boolean(),
  /** What this source cannot tell (JUnit: no flaky, no test.fail()) and other caveats. */
  warnings: z.array(z.string()),
});
export type NormalizedReport = z.infer<typeof NormalizedReportSchema>;

/** The stable identity string used by the sample's expected.json and by grouping. */
export function testKey(file: string, titlePath: readonly string[], projectName: string, repeatIndex = 0): string {
  const base = `${file}::${titlePath.join(" > ")}::${projectName}`;
  return repeatIndex > 0 ? `${base}::repeat-${repeatIndex}` : base;
}
