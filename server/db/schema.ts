import { sql } from "drizzle-orm";
import { type AnySQLiteColumn, customType, index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
  createdAt: integer("created_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(unixepoch() * 1000)`),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(unixepoch() * 1000)`),
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
  (t) => [
    index("events_project_id_idx").on(t.projectSlug, t.id),
    index("events_type_id_idx").on(t.type, t.id),
    // Retention (issue 10 item 8) deletes by age without scanning the table.
    index("events_created_at_idx").on(t.createdAt),
  ],
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
  (t) => [
    uniqueIndex("reports_project_hash_unique").on(t.projectSlug, t.contentHash),
    uniqueIndex("reports_project_seq_unique").on(t.projectSlug, t.seq),
  ],
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
    // SQLite cannot add an FK to an existing column: the sessions migration rebuilt the table.
    assignedSessionId: integer("assigned_session_id").references((): AnySQLiteColumn => sessions.id, { onDelete: "set null" }),
    specChangeId: text("spec_change_id"),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("error_triage_test_failure_id_idx").on(t.testFailureId),
    index("error_triage_decision_priority_idx").on(t.decision, t.priority),
  ],
);

// ----- Agents: Claude Code hook events (issue 5) -----

/**
 * Every Claude Code hook event received, payload kept whole (unknown events and fields included).
 * `duration_ms` and `success` are set on the Post event: from its PreToolUse pair (same session
 * and tool_use_id), success false for PostToolUseFailure.
 */
export const hooks = sqliteTable(
  "hooks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    sessionId: text("session_id").notNull(),
    event: text("event").notNull(),
    toolName: text("tool_name"),
    toolUseId: text("tool_use_id"),
    cwd: text("cwd"),
    /** The project whose folder contains the cwd, when one does. */
    projectSlug: text("project_slug"),
    // The Workdeck-launched session (issue 4). No FK yet: the sessions table arrives with issue 4,
    // and SQLite cannot add an FK to an existing column, so that migration rebuilds this one.
    workdeckSessionId: integer("workdeck_session_id"),
    payload: text("payload", { mode: "json" }).notNull(),
    receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
    durationMs: integer("duration_ms"),
    success: integer("success", { mode: "boolean" }),
  },
  (t) => [
    // A session's timeline, in order.
    index("hooks_session_id_idx").on(t.sessionId, t.id),
    // No index on tool_use_id: the committer pairs a Post with its Pre from memory (issue 12).
    // Retention (issue 10 item 8) deletes by age without scanning the table.
    index("hooks_received_at_idx").on(t.receivedAt),
  ],
);

/**
 * One row per Claude Code session, updated on every hook insert, so the active list and the
 * metrics read a few rows instead of aggregating a million events per request.
 */
export const agentSessions = sqliteTable(
  "agent_sessions",
  {
    sessionId: text("session_id").primaryKey(),
    projectSlug: text("project_slug"),
    // No FK yet: see hooks.workdeck_session_id.
    workdeckSessionId: integer("workdeck_session_id"),
    cwd: text("cwd"),
    /** "active" | "needs_you" | "stopped" | "ended" */
    status: text("status").notNull(),
    needsYouReason: text("needs_you_reason"),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    lastEventAt: integer("last_event_at", { mode: "timestamp_ms" }).notNull(),
    lastEvent: text("last_event").notNull(),
    currentTool: text("current_tool"),
    currentToolUseId: text("current_tool_use_id"),
    toolCount: integer("tool_count").notNull().default(0),
    failureCount: integer("failure_count").notNull().default(0),
    durationSumMs: integer("duration_sum_ms").notNull().default(0),
    durationCount: integer("duration_count").notNull().default(0),
    promptCount: integer("prompt_count").notNull().default(0),
    eventCount: integer("event_count").notNull().default(0),
    endedAt: integer("ended_at", { mode: "timestamp_ms" }),
    endReason: text("end_reason"),
  },
  (t) => [index("agent_sessions_status_last_idx").on(t.status, t.lastEventAt)],
);

// ----- Sessions: Claude Code runs Workdeck launches, their messages, the account pool (issue 4) -----

/**
 * One session = one work item, run by the real Claude Code binary. A session has one or more
 * runs (a resume, or a continuation on another account after a usage limit); the totals are the
 * session's, `runs` keeps each run's own spend and outcome.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** "manual" | "spec_implementation" | "error_remediation" */
    sessionType: text("session_type").notNull(),
    /** "error" | "spec" | null (manual) */
    workItemKind: text("work_item_kind"),
    /** The failure group id or the change id. */
    workItemRef: text("work_item_ref"),
    /** "queued" | "running" | "completed" | "failed" | "stopped" | "interrupted" | "crashed" */
    status: text("status").notNull(),
    projectSlug: text("project_slug").notNull(),
    claudeSessionId: text("claude_session_id"),
    accountId: text("account_id"),
    /** Where the agent works: the worktree when there is one, else the project folder. */
    cwd: text("cwd").notNull(),
    worktreePath: text("worktree_path"),
    branch: text("branch"),
    /** The commit the worktree branched from (what `diff` compares against). */
    baseCommit: text("base_commit"),
    prompt: text("prompt").notNull(),
    /** Effective options: model, permissionMode, maxTurns, maxBudgetUsd, timeoutMinutes, allowedTools... */
    options: text("options", { mode: "json" }).notNull(),
    /** 1-5, higher runs first (the triage priority for remediation). */
    priority: integer("priority").notNull().default(3),
    /** The message the next run starts with (a resume's text); null = the prompt. */
    pendingText: text("pending_text"),
    /** The child's pid while running, so a restarted server can kill an orphan. */
    pid: integer("pid"),
    /** The server process running it (server_leases.id): recovery only touches sessions whose owner is gone. */
    ownerLease: text("owner_lease"),
    /**
     * A random marker in the environment of the run's every process (session-processes.ts): tools that
     * leave the process group (setsid, nohup) still carry it, so stop, timeout and recovery find them.
     */
    processMark: text("process_mark"),
    /** The `workdeck worker` running it (workers.name), or null when a server runs it (issue 14). */
    worker: text("worker"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    startedAt: integer("started_at", { mode: "timestamp_ms" }),
    endedAt: integer("ended_at", { mode: "timestamp_ms" }),
    /** Not before this time (a transient failure's backoff, or waiting for an account's reset). */
    notBefore: integer("not_before", { mode: "timestamp_ms" }),
    costUsd: real("cost_usd").notNull().default(0),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    numTurns: integer("num_turns").notNull().default(0),
    /** The classifier's outcome kind of the last run (success, usage_limit, max_turns, crashed, stopped...). */
    exitReason: text("exit_reason"),
    /** The human text that goes with it (result text, error). */
    exitMessage: text("exit_message"),
    /** Transient retries used by the current run. */
    attempts: integer("attempts").notNull().default(0),
    /** Each run: account, times, own cost/tokens/turns, outcome. */
    runs: text("runs", { mode: "json" })
      .notNull()
      .default(sql`'[]'`),
    /** The branch the project had checked out at launch (what Merge lands on); null = detached HEAD or no worktree. */
    baseBranch: text("base_branch"),
    /** The session branch's last commit, uncommitted work included, when its worktree was removed (land or retention). */
    branchCommit: text("branch_commit"),
    /** When the worktree was removed (landed, discarded, or past the retention period). */
    worktreeRemovedAt: integer("worktree_removed_at", { mode: "timestamp_ms" }),
    /** "merged" | "discarded" | null (not landed). */
    landed: text("landed"),
    /** Merged: the base branch's commit that holds the session's work. */
    landedCommit: text("landed_commit"),
    landedAt: integer("landed_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    index("sessions_status_priority_idx").on(t.status, t.priority, t.id),
    index("sessions_project_created_idx").on(t.projectSlug, t.createdAt),
  ],
);

/** Every stream-json message of a session, in order (`seq` per session, from 1). */
export const sessionEvents = sqliteTable(
  "session_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    sessionId: integer("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    /** "system/init", "assistant", "user", "result", "rate_limit_event", "workdeck/..." (the runner's own notes). */
    type: text("type").notNull(),
    payload: text("payload", { mode: "json" }).notNull(),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("session_events_session_seq_unique").on(t.sessionId, t.seq)],
);

/** The account pool: configured accounts (or the implicit one) and their state. Tokens are never stored. */
export const claudeAccounts = sqliteTable("claude_accounts", {
  id: text("id").primaryKey(),
  /** Null for the implicit account (the environment's own login). */
  configDir: text("config_dir"),
  /** "available" | "limited" | "needs_login" | "disabled" */
  state: text("state").notNull().default("available"),
  limitedUntil: integer("limited_until", { mode: "timestamp_ms" }),
  /** The last rate_limit_event's info (status, rateLimitType, resetsAt, unifiedWindows...). */
  lastRateLimit: text("last_rate_limit", { mode: "json" }),
  lastError: text("last_error"),
  sessionsCount: integer("sessions_count").notNull().default(0),
  costUsd: real("cost_usd").notNull().default(0),
  inputTokens: integer("input_tokens").notNull().default(0),
  outputTokens: integer("output_tokens").notNull().default(0),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

// ----- Notifications (issue 6) -----

/**
 * Every notification Workdeck tried to send: one row per message and target, updated as retries
 * go. `dedupe_key` + `target` is unique so one event never notifies a target twice (the bus can
 * replay events polled from other processes).
 */
export const notificationDeliveries = sqliteTable(
  "notification_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** "failure_persistent" | "session_finished" | "session_failed" | "session_needs_you" | "account_limited" | "test" */
    kind: text("kind").notNull(),
    projectSlug: text("project_slug"),
    /** `webhook:<ENV>` or `bot:<ENV>:<channel>`: names, never the secret. */
    target: text("target").notNull(),
    dedupeKey: text("dedupe_key").notNull(),
    /** The bus event that caused it, if any. */
    eventId: integer("event_id"),
    /** "pending" | "sent" | "failed" */
    status: text("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** The message's fallback text; the blocks are rebuilt from it when shown. */
    text: text("text").notNull(),
    payload: text("payload", { mode: "json" }).notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
    sentAt: integer("sent_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    uniqueIndex("notification_deliveries_dedupe_unique").on(t.dedupeKey, t.target),
    index("notification_deliveries_created_idx").on(t.createdAt),
  ],
);

// ----- Auth (issue 10) -----

/**
 * Credentials the server issued: browser logins (the cookie holds a random id) and the scoped
 * tokens of launched agents. Only sha256 hashes are stored, so a copy of the database lets nobody
 * in; rows live in the database so they survive restarts and every server process on it agrees.
 */
export const authTokens = sqliteTable(
  "auth_tokens",
  {
    /** sha256 (hex) of the secret; the secret itself is only ever in the cookie or the child's env. */
    tokenHash: text("token_hash").primaryKey(),
    /** "login" | "agent" */
    kind: text("kind").notNull(),
    /** An agent token's session: valid only while that session runs, deleted with it. */
    sessionId: integer("session_id").references(() => sessions.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    /** Logins expire; agent tokens end with their session's run. */
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("auth_tokens_session_idx").on(t.sessionId), index("auth_tokens_expires_idx").on(t.expiresAt)],
);

/** Failed sign-ins per client address, for the login throttle; rows older than its window are pruned. */
export const loginFailures = sqliteTable(
  "login_failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    address: text("address").notNull(),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("login_failures_address_at_idx").on(t.address, t.at)],
);

/**
 * One row per process that runs sessions (issue 10): a second `workdeck serve` on the same database
 * must not take a live server's sessions for orphans. On this host a lease lives while its process
 * does (pid + start time, so a reused pid does not count); from another host, while it heartbeats.
 */
export const serverLeases = sqliteTable("server_leases", {
  id: text("id").primaryKey(),
  /** Host name and boot id: after a reboot every pid is somebody else's. */
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat); null where there is no /proc. */
  pidStart: text("pid_start"),
  startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
  heartbeatAt: integer("heartbeat_at", { mode: "timestamp_ms" }).notNull(),
});
export * from "../dependencies/schema";
export * from "../webhooks/schema";
export * from "../workers/schema";
