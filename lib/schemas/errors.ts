import { z } from "zod";
import { TestErrorSchema } from "@workdeck/error-classifier/model";
import { ProjectSlugSchema } from "./common";
import { SpecDeltasSchema } from "./openspec";
import { DECISIONS, FAILURE_STATUSES, PATTERNS } from "./values";

/**
 * Error triage domain types (issue 3), shared by the errors router, the ingest
 * endpoint, the CLI and the Errors tab. The rules that fill them live in
 * packages/error-classifier; these are what the app stores and returns.
 */

export const PatternSchema = z.enum(PATTERNS);
export type Pattern = z.infer<typeof PatternSchema>;

/** `pending` until a person accepts the suggestion or picks another. */
export const DecisionSchema = z.enum(DECISIONS);
export type Decision = z.infer<typeof DecisionSchema>;

/** What the engine can suggest. */
export const SuggestedDecisionSchema = z.enum(["needs_spec", "one_off_fix"]);
export type SuggestedDecision = z.infer<typeof SuggestedDecisionSchema>;

export const DecisionRuleSchema = z.enum(["persistent", "recurring", "feature-not-implemented", "default"]);

/**
 * `active`: failed in the project's latest report; `inactive`: not failing there but not seen
 * passing since either (skipped, absent, or now failing differently); `resolved`: passed later.
 */
export const FailureStatusSchema = z.enum(FAILURE_STATUSES);
export type FailureStatus = z.infer<typeof FailureStatusSchema>;

export const TestOutcomeSchema = z.enum(["expected", "unexpected", "flaky", "skipped"]);
export type TestOutcome = z.infer<typeof TestOutcomeSchema>;

export const ReportFormatSchema = z.enum(["json", "junit"]);
export type ReportFormat = z.infer<typeof ReportFormatSchema>;

export const HeuristicsSchema = z.object({
  pathCategory: z.enum(["e2e", "integration", "other"]),
  notImplemented: z.boolean(),
  setupTeardown: z.enum(["setup", "teardown"]).nullable(),
  hook: z.enum(["beforeAll", "beforeEach", "afterAll", "afterEach", "globalSetup", "globalTeardown"]).nullable(),
  timeout: z.boolean(),
});
export type Heuristics = z.infer<typeof HeuristicsSchema>;

/** A report in a failure group's sparkline: the group's test's final status there (`absent`: not in that report). */
export const RecentRunSchema = z.enum(["failed", "flaky", "passed", "skipped", "absent"]);
export type RecentRun = z.infer<typeof RecentRunSchema>;

/**
 * How flaky the test is over the project's last `window` reports (`errors.flakinessRuns` in the
 * config, default 20): flaky runs among those in which it ran (failed, flaky or passed).
 */
export const FlakinessSchema = z.object({
  flaky: z.number().int().nonnegative(),
  ran: z.number().int().nonnegative(),
  window: z.number().int().positive(),
});
export type Flakiness = z.infer<typeof FlakinessSchema>;

/**
 * Synthetic test cases made from run-level errors: which stage of the run failed. Their file is
 * the error's file (or "(global setup)" etc.), titlePath `["(global setup)"]`, `["(global teardown)"]`,
 * `["(load error)"]` or `["(run error)"]`, and projectName "".
 */
export const RunErrorKindSchema = z.enum(["global-setup", "global-teardown", "load-error", "other"]);
export type RunErrorKind = z.infer<typeof RunErrorKindSchema>;

/** A report as the history and the lists refer to it. */
export const ReportRefSchema = z.object({
  id: z.number().int(),
  /** The project's run number (1, 2, 3… in ingest order): "run N" in rationales. */
  seq: z.number().int(),
  /** Start of the run, or when it was ingested when the report does not say. */
  at: z.date(),
});
export type ReportRef = z.infer<typeof ReportRefSchema>;

/** One failure group (test case + fingerprint) with its triage: a row of the Errors tab. */
export const FailureGroupSchema = z.object({
  id: z.number().int(),
  projectSlug: z.string(),
  testCaseId: z.number().int(),
  file: z.string(),
  titlePath: z.array(z.string()),
  /** The Playwright project (e.g. `desktop-chrome`). */
  projectName: z.string(),
  fingerprint: z.string(),
  pattern: PatternSchema,
  active: z.boolean(),
  status: FailureStatusSchema,
  occurrences: z.number().int(),
  consecutiveFailures: z.number().int(),
  heuristics: HeuristicsSchema,
  lastMessage: z.string(),
  firstSeen: ReportRefSchema,
  lastSeen: ReportRefSchema,
  resolvedAt: z.date().nullable(),
  decision: DecisionSchema,
  suggestedDecision: SuggestedDecisionSchema,
  decisionRule: DecisionRuleSchema,
  /** The suggestion a human decision went against, as it was when they decided. */
  overriddenSuggestion: SuggestedDecisionSchema.nullable(),
  priority: z.number().int().min(1).max(5),
  suggestedPriority: z.number().int().min(1).max(5),
  confidence: z.number(),
  rationale: z.string(),
  humanRationale: z.string().nullable(),
  reviewedByHuman: z.boolean(),
  assignedSessionId: z.number().int().nullable(),
  /** The OpenSpec change created from (or linked to) this failure. */
  specChangeId: z.string().nullable(),
  /**
   * The test's final status in each of the project's last 20 reports, oldest first (fewer when
   * the project has fewer reports): the sparkline.
   */
  recentRuns: z.array(RecentRunSchema),
  flakiness: FlakinessSchema,
  /** Set when the group is a run-level error (global setup/teardown, a spec that does not load), not a test. */
  runErrorKind: RunErrorKindSchema.nullable(),
});
export type FailureGroup = z.infer<typeof FailureGroupSchema>;

export const ListFailuresInputSchema = z.object({
  projectId: ProjectSlugSchema.optional(),
  pattern: z.array(PatternSchema).or(PatternSchema).optional(),
  decision: z.array(DecisionSchema).or(DecisionSchema).optional(),
  status: z.array(FailureStatusSchema).or(FailureStatusSchema).optional(),
  /** Substring of the file, title path, Playwright project or last message (case-insensitive). */
  search: z.string().max(200).optional(),
  /** Last seen at or after / before (inclusive). */
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  limit: z.number().int().min(1).max(20_000).optional(),
});
export type ListFailuresInput = z.infer<typeof ListFailuresInputSchema>;

/**
 * An error as stored for one attempt: raw text (ANSI kept, for rendering) and
 * the stripped text. Exactly the classifier's normalised error (imported from
 * its model module alone, which is plain Zod, so the UI bundle stays small).
 */
export const StoredErrorSchema = TestErrorSchema;
export type StoredError = z.infer<typeof StoredErrorSchema>;

export const StoredAttemptSchema = z.object({
  retry: z.number().int(),
  status: z.string(),
  durationMs: z.number(),
  errors: z.array(StoredErrorSchema),
  attachmentNames: z.array(z.string()),
  /** Files the report points at (never sent to the browser with their paths: see failureEvidence). */
  attachments: z.array(z.object({ name: z.string(), contentType: z.string(), path: z.string().optional() })).optional(),
});
export type StoredAttempt = z.infer<typeof StoredAttemptSchema>;

/** One run of the test in the failure detail's history. */
export const FailureRunSchema = z.object({
  report: ReportRefSchema.extend({ branch: z.string().nullable(), commit: z.string().nullable(), source: z.string().nullable() }),
  status: TestOutcomeSchema,
  retries: z.number().int(),
  durationMs: z.number(),
  fingerprint: z.string().nullable(),
  /** This run is an occurrence of this group (same fingerprint). */
  inGroup: z.boolean(),
  attempts: z.array(StoredAttemptSchema),
});
export type FailureRun = z.infer<typeof FailureRunSchema>;

export const FailureDetailSchema = FailureGroupSchema.extend({
  repoPath: z.string().nullable(),
  /** Every report of the project in which the test appeared, oldest first. */
  runs: z.array(FailureRunSchema),
  /** Other failure groups of the same test case (earlier or later fingerprints). */
  siblings: z.array(FailureGroupSchema.pick({ id: true, fingerprint: true, status: true, occurrences: true, lastMessage: true })),
});
export type FailureDetail = z.infer<typeof FailureDetailSchema>;

/** The input of errors.getFailure/classifyFailure (and the MCP get_failure tool). */
export const FailureIdInputSchema = z.object({ failureId: z.number().int().positive() });

export const TriageFailureInputSchema = z.object({
  failureId: z.number().int().positive(),
  decision: DecisionSchema,
  rationale: z.string().max(4000).optional(),
  priority: z.number().int().min(1).max(5).optional(),
});
export type TriageFailureInput = z.infer<typeof TriageFailureInputSchema>;

export const AssignSessionInputSchema = z.object({
  failureId: z.number().int().positive(),
  /** null unassigns. */
  sessionId: z.number().int().positive().nullable(),
});

/** Result of an ingest, returned by the service, the HTTP endpoint (201) and `workdeck ingest --json`. */
export const IngestSummarySchema = z.object({
  projectSlug: z.string(),
  reportId: z.number().int(),
  seq: z.number().int(),
  format: ReportFormatSchema,
  /** The same report was ingested before: nothing was stored or counted again. */
  duplicate: z.boolean(),
  tests: z.number().int(),
  stats: z.object({ expected: z.number().int(), unexpected: z.number().int(), flaky: z.number().int(), skipped: z.number().int() }),
  runErrors: z.number().int(),
  failuresNew: z.number().int(),
  failuresUpdated: z.number().int(),
  failuresResolved: z.number().int(),
  /** What the format cannot show (JUnit: flaky results are hidden). */
  warnings: z.array(z.string()),
  durationMs: z.number(),
});
export type IngestSummary = z.infer<typeof IngestSummarySchema>;

export const ErrorStatsSchema = z.object({
  total: z.number().int(),
  byPattern: z.record(PatternSchema, z.number().int()),
  byDecision: z.record(DecisionSchema, z.number().int()),
  bySuggestedDecision: z.record(SuggestedDecisionSchema, z.number().int()),
  byStatus: z.record(FailureStatusSchema, z.number().int()),
  reviewed: z.number().int(),
  /** Reviewed groups whose human decision equals the suggestion it was made against. */
  agreed: z.number().int(),
  /** agreed / reviewed; null until something is reviewed. */
  agreementRate: z.number().nullable(),
});
export type ErrorStats = z.infer<typeof ErrorStatsSchema>;

// ----- Spec proposals from failures ("Create spec proposal" on a needs_spec failure) -----

export const ProposalDraftInputSchema = z.object({ failureId: z.number().int().positive() });

/**
 * The New proposal form pre-filled with a failure's evidence (test, error, stack excerpt, run
 * history, triage rationale). Fields fit openspec.createProposal's limits as they are.
 */
export const ProposalDraftSchema = z.object({
  failureId: z.number().int(),
  /** The project slug (openspec.createProposal's projectId). */
  projectId: z.string(),
  title: z.string(),
  /** The proposal's "Why". */
  description: z.string(),
  whatChanges: z.string(),
  impact: z.string(),
  tasks: z.array(z.string()),
  /** `/specs/new?project=…&title=…&description=…&whatChanges=…&impact=…&tasks=…&failureId=…` (tasks one per line; kept under 8,000 characters). */
  href: z.string(),
  /** The change already linked to this failure, if any (createSpecProposal refuses a second one). */
  specChangeId: z.string().nullable(),
  /** A first delta (one ADDED requirement with a scenario from the test), so the change validates (issue 13). */
  specDeltas: SpecDeltasSchema.optional(),
});
export type ProposalDraft = z.infer<typeof ProposalDraftSchema>;

/** Creates the OpenSpec change from the draft; any field given replaces the draft's. */
export const CreateSpecProposalInputSchema = z.object({
  failureId: z.number().int().positive(),
  title: z.string().optional(),
  description: z.string().optional(),
  whatChanges: z.string().optional(),
  impact: z.string().optional(),
  tasks: z.array(z.string()).optional(),
  /** Explicit change id; otherwise derived from the title. */
  changeId: z.string().optional(),
  /** Replaces the draft's delta specs. */
  specDeltas: SpecDeltasSchema.optional(),
});
export type CreateSpecProposalInput = z.infer<typeof CreateSpecProposalInputSchema>;

/** Links an existing change of the failure's project to it (null unlinks). */
export const LinkProposalInputSchema = z.object({
  failureId: z.number().int().positive(),
  changeId: z.string().trim().min(1).max(100).nullable(),
});
export type LinkProposalInput = z.infer<typeof LinkProposalInputSchema>;
