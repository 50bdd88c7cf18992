/**
 * Typed errors for input we cannot use. Each carries a stable `code` for callers (the ingest
 * endpoint maps them to a 400) and a message written for the person who uploaded the file.
 */
import type { NormalizedReport } from "./model";

export type ReportFormatErrorCode = "NOT_JSON" | "TRUNCATED_JSON" | "NOT_PLAYWRIGHT_REPORT" | "NO_TESTS" | "NOT_XML" | "NOT_JUNIT_REPORT";

export class ReportFormatError extends Error {
  override readonly name = "ReportFormatError";
  readonly code: ReportFormatErrorCode;
  /** Details for logs (e.g. the Zod issue paths); never needed to understand `message`. */
  readonly details: readonly string[];
  /**
   * For `NO_TESTS` only: what could still be read (run-level errors, stats, metadata). A spec file
   * that fails to load aborts the whole run with `suites: []`; the ingester may still want to
   * record that run and its errors even though there is nothing to classify.
   */
  readonly partialReport?: NormalizedReport;

  constructor(
    code: ReportFormatErrorCode,
    message: string,
    options?: { details?: readonly string[]; cause?: unknown; partialReport?: NormalizedReport },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
    this.partialReport = options?.partialReport;
  }
}

export function isReportFormatError(value: unknown): value is ReportFormatError {
  return value instanceof ReportFormatError;
}
