import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Work that arrives by itself (issue 15): inbound webhooks (GitHub, GitLab, Railway), the work
 * items they open and resolve (`ci`, `review`, `deploy`), the deploy timeline, the automations
 * they trigger, and the one lock that keeps the pollers to one process per database.
 */

/** Every stored delivery, by its sender's id: a replay of the same id is acknowledged and not stored twice. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** "github" | "gitlab" | "railway" | "railway_poll" */
    source: text("source").notNull(),
    /** X-GitHub-Delivery, X-Gitlab-Event-UUID, or a hash of the body (Railway sends no id). */
    deliveryId: text("delivery_id").notNull(),
    /** "workflow_run.completed", "Pipeline Hook", "Deployment.failed"... */
    event: text("event").notNull(),
    projectSlug: text("project_slug"),
    receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_source_id_unique").on(t.source, t.deliveryId),
    index("webhook_deliveries_received_idx").on(t.receivedAt),
  ],
);

/**
 * One `ci`, `review` or `deploy` work item per subject (a workflow on a branch, a pull request, a
 * service in an environment): a later failure of the same subject reopens it, a later success
 * resolves it, the way a passing report resolves a failure group.
 */
export const integrationItems = sqliteTable(
  "integration_items",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** "ci" | "review" | "deploy" */
    kind: text("kind").notNull(),
    projectSlug: text("project_slug").notNull(),
    /** "github" | "gitlab" | "railway" */
    provider: text("provider").notNull(),
    /** `ci:github:owner/name:CI:main`, `review:gitlab:group/app!12`, `deploy:railway:<service>:<environment>`. */
    subjectKey: text("subject_key").notNull(),
    /** "open" | "resolved" */
    status: text("status").notNull(),
    title: text("title").notNull(),
    /** The provider's own status word ("failure", "FAILED", "merged"...). */
    detail: text("detail").notNull(),
    /** The run, pull request or deployment on the provider's site. */
    url: text("url"),
    branch: text("branch"),
    commitSha: text("commit_sha"),
    /** Failing jobs, or the tail of the build/deploy log: what a remediation prompt is built from. */
    evidence: text("evidence").notNull().default(""),
    /** Links found for a review: `{ changeId?, failureId?, sessionId? }`. */
    refs: text("refs", { mode: "json" }).$type<{ changeId?: string; failureId?: number; sessionId?: number }>(),
    occurrences: integer("occurrences").notNull().default(1),
    priority: integer("priority").notNull(),
    firstSeenAt: integer("first_seen_at", { mode: "timestamp_ms" }).notNull(),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
    resolvedAt: integer("resolved_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    uniqueIndex("integration_items_subject_unique").on(t.subjectKey),
    index("integration_items_project_idx").on(t.projectSlug, t.status),
  ],
);

/** The deploy timeline: one row per deployment, its latest status. */
export const deploys = sqliteTable(
  "deploys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectSlug: text("project_slug").notNull(),
    provider: text("provider").notNull(),
    deploymentId: text("deployment_id").notNull(),
    serviceId: text("service_id"),
    serviceName: text("service_name"),
    environmentName: text("environment_name"),
    /** Railway's: BUILDING, DEPLOYING, SUCCESS, FAILED, CRASHED, REMOVED... */
    status: text("status").notNull(),
    commitSha: text("commit_sha"),
    commitMessage: text("commit_message"),
    branch: text("branch"),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    /** Set when a terminal status arrives: duration = finished - started. */
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
    logTail: text("log_tail"),
  },
  (t) => [
    uniqueIndex("deploys_deployment_unique").on(t.provider, t.deploymentId),
    index("deploys_project_idx").on(t.projectSlug, t.startedAt),
  ],
);

/** What each automation rule did for an item: the one-session-per-item check and the per-project rate limit read it. */
export const automationRuns = sqliteTable(
  "automation_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** `ci:<id>`, `deploy:<id>`, `failure:<id>`. */
    itemKey: text("item_key").notNull(),
    /** "deploy_failed" | "ci_failed" | "failure_persistent" */
    trigger: text("trigger").notNull(),
    ruleIndex: integer("rule_index").notNull(),
    /** "launch_session" | "notify" */
    action: text("action").notNull(),
    projectSlug: text("project_slug").notNull(),
    /** "launching" | "launched" | "notified" | "skipped" | "rate_limited" | "failed" */
    status: text("status").notNull(),
    reason: text("reason"),
    sessionId: integer("session_id"),
    /** The bus event that triggered it: one run per rule and event, whichever process sees it. */
    eventId: integer("event_id").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("automation_runs_event_rule_unique").on(t.eventId, t.ruleIndex, t.itemKey),
    index("automation_runs_item_idx").on(t.itemKey),
    index("automation_runs_project_idx").on(t.projectSlug, t.createdAt),
  ],
);

/** Named leases with an expiry: the Railway poller and the automations run in one process per database. */
export const integrationLocks = sqliteTable("integration_locks", {
  name: text("name").primaryKey(),
  owner: text("owner").notNull(),
  expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
});
