/**
 * The two halves of a report ingest, apart so that ingest.ts can run them on the request thread
 * (CLI, tests) or on a worker thread (POST /api/reports):
 * - prepareReport: parse, normalise, fingerprint, compress. CPU only, no database.
 * - storeReport: the run, every result, the failure groups and their triage, shown to readers all
 *   at once. It returns the events to publish instead of publishing: the bus and its subscribers
 *   live on the main thread.
 * Rows are staged invisibly in short transactions and the groups planned before the write lock,
 * which every other writer (hook ingest above all) waits on (ingest-plan.ts): the last, visible
 * step writes only what changed. The store is steps (db/sql-steps.ts): storeReport runs them on
 * a SQLite connection, storeReportOnStore through the port (PostgreSQL).
 */
import { createHash } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import type Database from "better-sqlite3";
import {
  ReportFormatError,
  historyEntry,
  looksLikeHtml,
  parseJUnitReport,
  parsePlaywrightReport,
  reportRootDirs,
  runErrorTests,
  splitCodeFrame,
  type NormalizedReport,
  type TestResult,
} from "@workdeck/error-classifier";
import { sql } from "drizzle-orm";
import { AppError } from "../app-error";
import { get, isDeadlock, isUniqueViolation, runOnSqlite, runOnStore, transaction, type Steps } from "../db/sql-steps";
import type { SqlStore } from "../db/sql-store";
import { groupsLock, MESSAGE_LIMIT, type ReclassifyOutcome, type StoredFingerprint } from "./groups";
import { discardStageSteps, prepareFlipSteps, showStageSteps, stageRunSteps, sweepAbandonedStagesSteps, type Stage } from "./ingest-plan";
import type { IngestSummary, ReportFormat, StoredAttempt } from "@/lib/schemas/errors";
import type { WorkdeckEventInput } from "@/lib/schemas/events";

/** Where the report came from (a CI build URL, say); each defaults to the report's own metadata. */
export type ReportOrigin = { source?: string; branch?: string; commit?: string };

/** A test as it will be stored: fingerprint, group metadata and compressed attempts computed up front. */
type PreparedTest = { test: TestResult; fingerprint: string | null; meta: string | null; attempts: Buffer | null };

export type PreparedReport = {
  format: ReportFormat;
  contentHash: string;
  report: NormalizedReport;
  /** Real tests, then the synthetic ones made from run-level errors (global setup, load errors). */
  tests: PreparedTest[];
  /** Keys of the synthetic tests failing in this run. */
  failingStages: Set<string>;
};

/** What a store produced: the summary (its duration is the caller's to measure) and the events to publish, in order. */
export type StoredReport = { summary: Omit<IngestSummary, "durationMs">; events: WorkdeckEventInput[] };

/** Events carry ids, not rows; a huge first report would otherwise write a huge event. */
const EVENT_ID_LIMIT = 500;

/**
 * Parses and prepares a report. Bad input throws AppError (400/422) with a message for the person
 * who sent it. `contentHash` may be given when the caller hashed the bytes as they streamed in.
 */
export function prepareReport(body: Uint8Array | string, format: "auto" | ReportFormat = "auto", contentHash?: string): PreparedReport {
  const detected = detectFormat(body);
  const resolved = format !== "auto" ? format : detected;
  const report = parse(body, resolved, detected);
  const rootDirs = reportRootDirs(report);
  // Run-level errors (global setup/teardown, a spec that does not load) as failing synthetic tests.
  const stageTests = runErrorTests(report);
  const tests = (stageTests.length ? [...report.tests, ...stageTests] : report.tests).map((test) => prepareTest(test, rootDirs));
  return {
    format: resolved,
    contentHash: contentHash ?? createHash("sha256").update(body).digest("hex"),
    report,
    tests,
    failingStages: new Set(stageTests.map((t) => t.key)),
  };
}

function prepareTest(test: TestResult, rootDirs: readonly string[]): PreparedTest {
  if (test.status !== "unexpected" && test.status !== "flaky") return { test, fingerprint: null, meta: null, attempts: null };
  // The fingerprint does not depend on the run's seq (only the entry's reportId does).
  const entry = historyEntry(test, 0, { rootDirs });
  const fp = entry.fingerprint!;
  const { signature: _signature, ...rest } = fp;
  const first = entry.errors?.[0];
  const stored: StoredFingerprint = {
    ...rest,
    message: first ? splitCodeFrame(first.message).text.slice(0, MESSAGE_LIMIT) || fp.headline : fp.headline,
  };
  return { test, fingerprint: fp.hash, meta: JSON.stringify(stored), attempts: deflateRawSync(JSON.stringify(storedAttempts(test))) };
}

/**
 * Stores a prepared report for a project (whose slug the caller has checked). A report already
 * ingested (same bytes) changes nothing and returns its summary with `duplicate: true`.
 * Staged in short transactions, then shown with one small one (ingest-plan.ts): readers see the
 * whole run or none of it, and no other writer waits long.
 */
export function storeReport(
  sqlite: Database.Database,
  projectSlug: string,
  prepared: PreparedReport,
  origin: ReportOrigin = {},
): StoredReport {
  const cache = sqlite.pragma("cache_size", { simple: true }) as number;
  sqlite.pragma(`cache_size = -${INGEST_CACHE_KIB}`);
  try {
    return runOnSqlite(sqlite, storeSteps(projectSlug, prepared, origin));
  } finally {
    sqlite.pragma(`cache_size = ${cache}`);
  }
}

/** storeReport through the port, on either dialect. */
export function storeReportOnStore(
  store: SqlStore,
  projectSlug: string,
  prepared: PreparedReport,
  origin: ReportOrigin = {},
): Promise<StoredReport> {
  return runOnStore(store, storeSteps(projectSlug, prepared, origin));
}

/**
 * Pages an ingest may keep in memory: its last transaction touches rows all over the big tables,
 * and with SQLite's default 2 MB it spilled pages mid-transaction, under the lock.
 */
const INGEST_CACHE_KIB = 64 * 1024;

function* storeSteps(projectSlug: string, prepared: PreparedReport, origin: ReportOrigin): Steps<StoredReport> {
  const { report, format, contentHash } = prepared;
  const warnings = [...report.warnings];
  const now = Date.now();

  const findDuplicate = () =>
    get<DuplicateRow>(
      sql`SELECT id, seq, format, stats, run_errors, test_count, warnings FROM reports WHERE project_slug = ${projectSlug} AND content_hash = ${contentHash}`,
    );
  const known = yield* findDuplicate();
  if (known) return { summary: duplicateSummary(projectSlug, known), events: [] };

  yield* sweepAbandonedStagesSteps(now);
  const startedAt = report.startTime ? Date.parse(report.startTime) : NaN;
  const stage = yield* stageRunSteps(projectSlug, prepared, {
    contentHash,
    format,
    source: origin.source ?? report.metadata.ciBuildUrl ?? null,
    branch: origin.branch ?? report.metadata.gitBranch ?? null,
    commit: origin.commit ?? report.metadata.gitCommit ?? null,
    startedAt: Number.isFinite(startedAt) ? startedAt : null,
    durationMs: report.durationMs === undefined ? null : Math.round(report.durationMs),
    stats: JSON.stringify(report.stats),
    runErrors: JSON.stringify(report.runErrors),
    testCount: report.tests.length,
    ingestedAt: now,
  });
  if (stage.duplicateKeys > 0) {
    warnings.push(
      `${stage.duplicateKeys} test(s) appeared more than once under the same identity; only the first result of each was kept.`,
    );
  }

  let result: { duplicate: DuplicateRow } | { written: { seq: number; outcome: ReclassifyOutcome } };
  try {
    // Planned on a snapshot, and what no reader sees written ahead, without holding the lock.
    const plan = yield* prepareFlipSteps(projectSlug, stage);
    result = yield* retryDeadlockedFlip(stage, () =>
      transaction(
        function* () {
          // Under the lock (SQLite's write lock, PostgreSQL's advisory lock on the project): two
          // processes sending the same report at once cannot both get past this check.
          const duplicate = yield* findDuplicate();
          if (duplicate) return { duplicate };
          return { written: yield* showStageSteps(projectSlug, prepared, stage, plan, warnings, now) };
        },
        { exclusive: groupsLock(projectSlug) },
      ),
    );
  } catch (err) {
    // Belt and braces for the same race through another path (a connection without the lock):
    // the unique (project, content hash) index refused the second copy; answer as a duplicate.
    const duplicate = isUniqueViolation(err) ? yield* findDuplicate() : undefined;
    if (!duplicate) {
      yield* discardStageSteps(stage);
      throw err;
    }
    result = { duplicate };
  }
  if ("duplicate" in result) {
    yield* discardStageSteps(stage);
    return { summary: duplicateSummary(projectSlug, result.duplicate), events: [] };
  }
  const reportId = stage.reportId;
  const { seq, outcome } = result.written;

  const events: WorkdeckEventInput[] = [
    {
      type: "errors.reportIngested",
      projectSlug,
      reportId,
      seq,
      tests: report.tests.length,
      unexpected: report.stats.unexpected,
      flaky: report.stats.flaky,
    },
  ];
  if (outcome.newIds.length > 0) {
    events.push({
      type: "errors.failureNew",
      projectSlug,
      reportId,
      failureIds: outcome.newIds.slice(0, EVENT_ID_LIMIT),
      count: outcome.newIds.length,
    });
  }
  if (outcome.updatedIds.length > 0) {
    events.push({
      type: "errors.failureUpdated",
      projectSlug,
      reportId,
      failureIds: outcome.updatedIds.slice(0, EVENT_ID_LIMIT),
      count: outcome.updatedIds.length,
      resolvedIds: outcome.resolvedIds.slice(0, EVENT_ID_LIMIT),
    });
  }
  return {
    summary: {
      projectSlug,
      reportId,
      seq,
      format,
      duplicate: false,
      tests: report.tests.length,
      stats: report.stats,
      runErrors: report.runErrors.length,
      failuresNew: outcome.newIds.length,
      failuresUpdated: outcome.updatedIds.length,
      failuresResolved: outcome.resolvedIds.length,
      warnings,
    },
    events,
  };
}

const FLIP_ATTEMPTS = 3;

/**
 * The flip again when PostgreSQL rolled it back as a deadlock's victim (40P01). A backstop only:
 * ingests keep apart by their lock order (ingest-plan.ts); this covers a writer outside it. The
 * flip re-checks everything under the lock, so running it again is safe once the stage's statuses
 * are as before it (a rolled-back flip may have added synthetic passes to them).
 */
function* retryDeadlockedFlip<T>(stage: Stage, flip: () => Steps<T>): Steps<T> {
  for (let attempt = 1; ; attempt++) {
    const known = stage.run.size;
    try {
      return yield* flip();
    } catch (err) {
      if (attempt >= FLIP_ATTEMPTS || !isDeadlock(err)) throw err;
      // The flip only adds statuses (a Map keeps insertion order): drop the ones it added.
      for (const id of [...stage.run.keys()].slice(known)) stage.run.delete(id);
    }
  }
}

type DuplicateRow = {
  id: number;
  seq: number;
  format: ReportFormat;
  stats: string;
  run_errors: string;
  test_count: number;
  warnings: string;
};

function duplicateSummary(projectSlug: string, duplicate: DuplicateRow): StoredReport["summary"] {
  return {
    projectSlug,
    reportId: duplicate.id,
    seq: duplicate.seq,
    format: duplicate.format,
    duplicate: true,
    tests: duplicate.test_count,
    stats: JSON.parse(duplicate.stats),
    runErrors: (JSON.parse(duplicate.run_errors) as unknown[]).length,
    failuresNew: 0,
    failuresUpdated: 0,
    failuresResolved: 0,
    warnings: [
      `This report was already ingested as run ${duplicate.seq}; nothing was stored again.`,
      ...(JSON.parse(duplicate.warnings) as string[]),
    ],
  };
}

/** By content, not by name or header: CI pipelines upload whatever file they have. */
function detectFormat(body: Uint8Array | string): ReportFormat {
  return head(body).startsWith("<") ? "junit" : "json";
}

function head(body: Uint8Array | string): string {
  const text = typeof body === "string" ? body.slice(0, 4096) : new TextDecoder("utf-8").decode(body.subarray(0, 4096));
  return text.replace(/^\uFEFF/, "").trimStart();
}

function parse(body: Uint8Array | string, format: ReportFormat, detected: ReportFormat): NormalizedReport {
  try {
    return format === "junit" ? parseJUnitReport(body) : parsePlaywrightReport(body);
  } catch (err) {
    if (err instanceof ReportFormatError) {
      // A run that stopped before any test because of a run-level error (global setup, a spec
      // that does not load) is a real run: stored, its errors grouped as synthetic tests. A
      // report with neither tests nor such errors is refused: "0 tests" must not look like "all passed".
      if (err.code === "NO_TESTS" && err.partialReport && runErrorTests(err.partialReport).length > 0) return err.partialReport;
      // The parsers' own hint names their functions; here the fix is the format the caller asked for.
      if ((err.code === "NOT_JSON" || err.code === "NOT_XML") && detected !== format && !looksLikeHtml(head(body))) {
        const is = detected === "junit" ? "XML (JUnit?)" : "JSON, not XML";
        throw new AppError(
          "BAD_REQUEST",
          `The report is ${is}, but the ${format} format was asked for. Ask for ${detected}, or leave the format out to have it detected.`,
          err.code,
        );
      }
      throw new AppError(
        err.code === "NO_TESTS" ? "UNPROCESSABLE" : "BAD_REQUEST",
        err.message,
        err.code,
        err.details.length ? err.details.slice(0, 20) : undefined,
      );
    }
    throw err;
  }
}

/**
 * Attempts as stored for a failed or flaky result. Raw texts (ANSI kept, for rendering) are only
 * stored when they differ from the clean ones; reading fills them back (errors.ts).
 */
function storedAttempts(test: TestResult): StoredAttempt[] {
  return test.attempts.map((a) => ({
    retry: a.retry,
    status: a.status,
    durationMs: a.durationMs,
    errors: a.errors.map((e) => {
      const out: StoredAttempt["errors"][number] = { ...e };
      if (out.messageRaw === out.message) out.messageRaw = "";
      if (out.stackRaw !== undefined && out.stackRaw === out.stack) delete out.stackRaw;
      if (out.snippetRaw !== undefined && out.snippetRaw === out.snippet) delete out.snippetRaw;
      return out;
    }),
    attachmentNames: a.attachmentNames,
    ...(a.attachments?.length ? { attachments: a.attachments } : {}),
  }));
}
