/**
 * Types of `workdeck/reporter` (index.mjs). Playwright loads the reporter by name:
 *   reporter: [["workdeck/reporter", { url: "http://127.0.0.1:3000", project: "billing-api", token: process.env.WORKDECK_TOKEN }]]
 */
import type { FullConfig, FullResult, Reporter, Suite, TestError } from "@playwright/test/reporter";

export interface WorkdeckReporterOptions {
  /** Workdeck's base URL, e.g. `http://127.0.0.1:3000`. Default: `WORKDECK_URL`. */
  url?: string;
  /** The project slug reports are filed under. Default: `WORKDECK_PROJECT`. */
  project?: string;
  /** Sent as `Authorization: Bearer <token>`. Default: `WORKDECK_TOKEN`. */
  token?: string;
  /** Stored with the run (`POST /api/reports?branch=&commit=&source=`). */
  branch?: string;
  commit?: string;
  source?: string;
  /** Retries after the first attempt for transient failures (connection errors, timeouts, 5xx, 429). Default 3. */
  retries?: number;
  /** First backoff delay; doubles per retry (capped at 15 s). Default 1000. */
  retryDelayMs?: number;
  /** Per-request timeout. Default 30000. */
  timeoutMs?: number;
  /** `false` turns the reporter off (e.g. `enabled: !!process.env.CI`). Default true. */
  enabled?: boolean;
  /** Where the reporter's lines go. Default: stdout. */
  log?: (line: string) => void;
}

export interface ResolvedOptions {
  url: string | undefined;
  project: string | undefined;
  token: string | undefined;
  branch: string | undefined;
  commit: string | undefined;
  source: string | undefined;
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  enabled: boolean;
}

/** Workdeck's ingest summary (lib/schemas/errors.ts IngestSummary), as far as the reporter reads it. */
export interface IngestSummary {
  projectSlug: string;
  reportId: number;
  seq: number;
  format: "json" | "junit";
  duplicate: boolean;
  tests: number;
  stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  runErrors: number;
  failuresNew: number;
  failuresUpdated: number;
  failuresResolved: number;
  warnings: string[];
  durationMs: number;
}

export type SendResult =
  | { ok: true; status: number; attempts: number; summary: IngestSummary }
  | {
      ok: false;
      /** HTTP status, or undefined when Workdeck could not be reached. */
      status: number | undefined;
      attempts: number;
      /** The last failure was one worth retrying (and retries ran out). */
      transient: boolean;
      endpoint: string;
      message: string;
    };

export function resolveOptions(options?: WorkdeckReporterOptions, env?: Record<string, string | undefined>): ResolvedOptions;
export function sendReport(body: string | Uint8Array, options: ResolvedOptions & { url: string; project: string }): Promise<SendResult>;
export function formatSummary(summary: IngestSummary, url: string): string;
export function formatFailure(result: Extract<SendResult, { ok: false }>, url: string): string;

export default class WorkdeckReporter implements Reporter {
  constructor(options?: WorkdeckReporterOptions);
  readonly options: ResolvedOptions;
  /** The outcome of the last send (undefined until onEnd, or when nothing was sent). */
  result: SendResult | undefined;
  printsToStdio(): boolean;
  onBegin(config: FullConfig, suite: Suite): void;
  onError(error: TestError): void;
  onEnd(result: FullResult): Promise<void>;
}
