import { sql } from "drizzle-orm";
import { customType, index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Projects discovered by scanning or listed in the config. The slug is the id everywhere. */
export const projects = sqliteTable("projects", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  path: text("path").notNull(),
  openspecPath: text("openspec_path").notNull(),
  /** "config" | "scan" | "demo" */
  source: text("source").notNull(),
  /** Whether the last discovery pass still found it; gone projects keep their history. */
  present: integer("present", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch() * 1000)`),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch() * 1000)`),
});

/**
 * Every event published on the bus, in order. The autoincrement id is the
 * cursor subscriptions resume from, so a reconnecting browser misses nothing.
 */
export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type").notNull(),
    projectSlug: text("project_slug"),
    payload: text("payload", { mode: "json" }).notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("events_project_id_idx").on(t.projectSlug, t.id), index("events_type_id_idx").on(t.type, t.id)],
);

// ----- Errors: Playwright reports, test results, failure groups, triage (issue 3) -----

/**
 * One ingested Playwright run. `seq` numbers a project's reports 1, 2, 3… in
 * ingest order: that is the "report order" the triage rules walk, and what a
 * rationale calls "run N". The content hash makes a re-sent report a no-op.
 */
export const reports = sqliteTable(
  "reports",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectSlug: text("project_slug").notNull(),
    seq: integer("seq").notNull(),
    /** sha256 of the body as received. */
    contentHash: text("content_hash").notNull(),
    /** "json" | "junit" */
    format: text("format").notNull(),
    source: text("source"),
    branch: text("branch"),
    commit: text("commit"),
    startedAt: integer("started_at", { mode: "timestamp_ms" }),
    durationMs: integer("duration_ms"),
    /** Playwright's own `stats` (expected/unexpected/flaky/skipped). */
    stats: text("stats", { mode: "json" }).notNull(),
    /** Top-level run errors (global setup/teardown, load errors), ANSI kept for rendering. */
    runErrors: text("run_errors", { mode: "json" }).notNull(),
    testCount: integer("test_count").notNull(),
    /** What the format could not show (JUnit hides flaky results). */
    warnings: text("warnings", { mode: "json" }).notNull(),
    ingestedAt: integer("ingested_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("reports_project_hash_unique").on(t.projectSlug, t.contentHash), uniqueIndex("reports_project_seq_unique").on(t.projectSlug, t.seq)],
);

/** A stable test identity: project + spec file + title path + Playwright project (`key` = the classifier's testKey). */
export const testCases = sqliteTable(
  "test_cases",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectSlug: text("project_slug").notNull(),
    key: text("key").notNull(),
    file: text("file").notNull(),
    /** The file relative to the repository when the report says (path category uses it). */
    repoPath: text("repo_path"),
    titlePath: text("title_path", { mode: "json" }).$type<string[]>().notNull(),
    projectName: text("project_name").notNull(),
    repeatIndex: integer("repeat_index").notNull().default(0),
    /**
     * Set on the synthetic cases made from run-level errors (the classifier's run-errors.ts):
     * "global-setup" | "global-teardown" | "load-error" | "other". Null for real tests.
     */
    runErrorKind: text("run_error_kind"),
    /**
     * The test's final status in the project's last 20 reports up to `recentSeq`, oldest first,
     * one letter each: F unexpected, K flaky, P expected, S skipped, - absent. Kept at ingest
     * (only tests in a report are touched: reports after `recentSeq` are ones it was absent
     * from), so the Errors tab's sparklines never read test_results.
     */
    recentStatuses: text("recent_statuses").notNull().default(""),
    recentSeq: integer("recent_seq").notNull().default(0),
  },
  (t) => [uniqueIndex("test_cases_project_key_unique").on(t.projectSlug, t.key)],
);

/**
 * Raw-deflated JSON. Declared TEXT (SQLite keeps a BLOB as-is in a TEXT column): the attempts of
 * failed results were 85% of the database before compression (Playwright repeats message, stack
 * and code frame in every attempt), and only the failure detail page ever reads them.
 */
const deflatedJson = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "text" });

/**
 * One row per test per report. Kept lean because it is the big table (a
 * million rows is 200 runs of 5,000 tests): attempts and fingerprint are only
 * stored for `unexpected`/`flaky` results, the only ones anyone reads back.
 */
export const testResults = sqliteTable(
  "test_results",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    reportId: integer("report_id")
      .notNull()
      .references(() => reports.id, { onDelete: "cascade" }),
    testCaseId: integer("test_case_id")
      .notNull()
      .references(() => testCases.id, { onDelete: "cascade" }),
    /** Final outcome: "expected" | "unexpected" | "flaky" | "skipped". */
    status: text("status").notNull(),
    retries: integer("retries").notNull(),
    durationMs: integer("duration_ms").notNull(),
    /** Per-attempt status, duration, errors (raw, ANSI kept) and attachment names; null for passes and skips. */
    attempts: deflatedJson("attempts"),
    fingerprint: text("fingerprint"),
    /** The classifier's Fingerprint (flags, headline), so re-classification never re-parses errors. */
    fingerprintMeta: text("fingerprint_meta", { mode: "json" }),
  },
  // (test_case_id, report_id) is how histories are read: per test, in report order.
  (t) => [uniqueIndex("test_results_case_report_unique").on(t.testCaseId, t.reportId)],
);

/**
 * A failure group = test case + error fingerprint. The group of a test's latest
 * fingerprint carries the test's classification (the rules are per test case).
 */
export const testFailures = sqliteTable(
  "test_failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectSlug: text("project_slug").notNull(),
    testCaseId: integer("test_case_id")
      .notNull()
      .references(() => testCases.id, { onDelete: "cascade" }),
    fingerprint: text("fingerprint").notNull(),
    firstReportId: integer("first_report_id").notNull(),
    lastReportId: integer("last_report_id").notNull(),
    /** When the last occurrence's run started (or was ingested): the `from`/`to` filters. */
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
    occurrences: integer("occurrences").notNull(),
    consecutiveFailures: integer("consecutive_failures").notNull(),
    /** "new" | "flaky" | "recurring" | "persistent" */
    pattern: text("pattern").notNull(),
    /** It failed (or was flaky) in the project's latest report. */
    active: integer("active", { mode: "boolean" }).notNull(),
    /** { pathCategory, notImplemented, setupTeardown, hook, timeout } */
    heuristics: text("heuristics", { mode: "json" }).notNull(),
    lastMessage: text("last_message").notNull(),
    /** Set when the test passed in a later report; cleared if the same failure comes back. */
    resolvedAt: integer("resolved_at", { mode: "timestamp_ms" }),
    resolvedReportId: integer("resolved_report_id"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("test_failures_case_fingerprint_unique").on(t.testCaseId, t.fingerprint),
    index("test_failures_project_seen_idx").on(t.projectSlug, t.lastSeenAt),
    // Ingest re-classifies every unresolved group of the project.
    index("test_failures_project_open_idx").on(t.projectSlug, t.resolvedAt),
  ],
);

/** One triage row per failure group: the engine's suggestion beside the human decision. */
export const errorTriage = sqliteTable(
  "error_triage",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    testFailureId: integer("test_failure_id")
      .notNull()
      .references(() => testFailures.id, { onDelete: "cascade" }),
    /** "needs_spec" | "one_off_fix" | "ignore" | "pending"; stays pending until a person decides. */
    decision: text("decision").notNull().default("pending"),
    /** The engine's latest suggestion: "needs_spec" | "one_off_fix". */
    suggestedDecision: text("suggested_decision").notNull(),
    /** Which rule produced the suggestion: "persistent" | "recurring" | "feature-not-implemented" | "default". */
    decisionRule: text("decision_rule").notNull(),
    /** The suggestion a human decision went against, as it was then (null when the human agreed). */
    overriddenSuggestion: text("overridden_suggestion"),
    /** The engine's rationale (rule and evidence). */
    rationale: text("rationale").notNull(),
    /** Why the person decided as they did. */
    humanRationale: text("human_rationale"),
    confidence: real("confidence").notNull(),
    /** 1–5; the engine's until a person sets it. */
    priority: integer("priority").notNull(),
    suggestedPriority: integer("suggested_priority").notNull(),
    reviewedByHuman: integer("reviewed_by_human", { mode: "boolean" }).notNull().default(false),
    reviewedAt: integer("reviewed_at", { mode: "timestamp_ms" }),
    // FK to sessions.id ON DELETE SET NULL arrives with the sessions table (SQLite cannot add an FK to an existing column).
    assignedSessionId: integer("assigned_session_id"),
    specChangeId: text("spec_change_id"),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("error_triage_test_failure_id_idx").on(t.testFailureId),
    index("error_triage_decision_priority_idx").on(t.decision, t.priority),
  ],
);
