/**
 * @workdeck/error-classifier: Playwright report normalisation (JSON and JUnit), error
 * fingerprints and the triage rules of DESIGN.md. Pure: no framework, no database, no fs
 * (file reading lives in the separate `@workdeck/error-classifier/fs` entry).
 */
export { stripAnsi } from "./ansi";
export { ReportFormatError, isReportFormatError, type ReportFormatErrorCode } from "./errors";
export * from "./model";
export { parsePlaywrightReport, PlaywrightJsonReportSchema, type ParseReportOptions, type PlaywrightJsonReport } from "./report";
export { parseJUnitReport, type ParseJUnitOptions } from "./junit";
export { looksLikeHtml } from "./limits";
export { RUN_ERROR_PROJECT, RUN_ERROR_TITLES, runErrorTests, runStagePassed, type StageKind } from "./run-errors";
export {
  FINGERPRINT_VERSION,
  FingerprintSchema,
  SetupTeardownSchema,
  detectHook,
  detectNotImplemented,
  detectTimeout,
  errorSignature,
  fingerprintErrors,
  hashSignature,
  normalizeErrorMessage,
  normalizeText,
  setupOrTeardown,
  splitCodeFrame,
  type ErrorLike,
  type Fingerprint,
  type FingerprintContext,
  type SetupTeardown,
  type SplitMessage,
} from "./fingerprint";
export {
  DEFAULT_THRESHOLDS,
  DecisionRuleSchema,
  FingerprintSummarySchema,
  HeuristicsSchema,
  PathCategorySchema,
  PatternSchema,
  SuggestedDecisionSchema,
  TestClassificationSchema,
  classifyReportSeries,
  classifyTest,
  failingAttempt,
  historyEntry,
  pathCategory,
  reportRootDirs,
  type ClassifyInput,
  type DecisionRule,
  type FingerprintSummary,
  type Heuristics,
  type HistoryEntry,
  type PathCategory,
  type Pattern,
  type ReportId,
  type ReportInSeries,
  type SeriesClassification,
  type SuggestedDecision,
  type TestClassification,
  type Thresholds,
} from "./classify";
