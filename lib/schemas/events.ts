import { z } from "zod";

/**
 * Events on the one bus. Watchers, writers and (later) ingest and the session
 * runner publish these; subscriptions forward them to the browser, which
 * invalidates the matching React Query caches.
 */
export const OpenSpecChangedEventSchema = z.object({
  type: z.literal("openspec.changed"),
  projectSlug: z.string(),
  /** Which items the file change touched; "*" when a whole tree was re-read. */
  changeIds: z.array(z.string()),
  specIds: z.array(z.string()),
  paths: z.array(z.string()),
});

export const OpenSpecProposalCreatedEventSchema = z.object({
  type: z.literal("openspec.proposalCreated"),
  projectSlug: z.string(),
  changeId: z.string(),
  title: z.string(),
});

export const OpenSpecArchivedEventSchema = z.object({
  type: z.literal("openspec.archived"),
  projectSlug: z.string(),
  changeId: z.string(),
  archivedAs: z.string(),
});

export const ProjectsChangedEventSchema = z.object({
  type: z.literal("projects.changed"),
  projectSlug: z.null(),
  slugs: z.array(z.string()),
});

/** Errors (issue 3): ingest and triage. Ids only: the UI refetches what it shows. */
export const ErrorsReportIngestedEventSchema = z.object({
  type: z.literal("errors.reportIngested"),
  projectSlug: z.string(),
  reportId: z.number().int(),
  seq: z.number().int(),
  tests: z.number().int(),
  unexpected: z.number().int(),
  flaky: z.number().int(),
});

export const ErrorsFailureNewEventSchema = z.object({
  type: z.literal("errors.failureNew"),
  projectSlug: z.string(),
  reportId: z.number().int(),
  /** At most 500 ids; `count` is the full number. */
  failureIds: z.array(z.number().int()),
  count: z.number().int(),
});

export const ErrorsFailureUpdatedEventSchema = z.object({
  type: z.literal("errors.failureUpdated"),
  projectSlug: z.string(),
  reportId: z.number().int().nullable(),
  /** At most 500 ids; `count` is the full number. */
  failureIds: z.array(z.number().int()),
  count: z.number().int(),
  resolvedIds: z.array(z.number().int()),
});

export const ErrorsTriagedEventSchema = z.object({
  type: z.literal("errors.triaged"),
  projectSlug: z.string(),
  failureId: z.number().int(),
  decision: z.string(),
  priority: z.number().int(),
  reviewedByHuman: z.boolean(),
  assignedSessionId: z.number().int().nullable(),
  /** The OpenSpec change linked to the failure (absent in events stored before it existed). */
  specChangeId: z.string().nullable().optional(),
});

/** Agents (issue 5): one per stored hook event; the UI refetches the agents queries on screen. */
export const AgentsActivityEventSchema = z.object({
  type: z.literal("agents.activity"),
  /** Null when the session's cwd is in no known project. */
  projectSlug: z.string().nullable(),
  sessionId: z.string(),
  hookId: z.number().int(),
  event: z.string(),
  toolName: z.string().nullable(),
  status: z.enum(["active", "needs_you", "stopped", "ended"]),
});

/** A session started waiting for a permission or for input (Notification, PermissionRequest). */
export const AgentsNeedsYouEventSchema = z.object({
  type: z.literal("agents.needsYou"),
  projectSlug: z.string().nullable(),
  sessionId: z.string(),
  reason: z.string().nullable(),
});

/** The completion notice: a session left the active list (SessionEnd, or a Stop nothing followed). */
export const AgentsEndedEventSchema = z.object({
  type: z.literal("agents.ended"),
  projectSlug: z.string().nullable(),
  sessionId: z.string(),
  reason: z.string(),
  toolCount: z.number().int(),
  failureCount: z.number().int(),
});

/** Sessions (issue 4): a stored stream-json message of a launched session (read it from session_events). */
export const SessionsEventEventSchema = z.object({
  type: z.literal("sessions.event"),
  projectSlug: z.string(),
  sessionId: z.number().int(),
  seq: z.number().int(),
  eventType: z.string(),
});

/** A session's status, totals or account changed. */
export const SessionsUpdatedEventSchema = z.object({
  type: z.literal("sessions.updated"),
  projectSlug: z.string(),
  sessionId: z.number().int(),
  status: z.string(),
});

/** Work item dependencies (issue 17): one was added or removed, or a side moved (archived, renamed). */
export const WorkDependenciesChangedEventSchema = z.object({
  type: z.literal("work.dependenciesChanged"),
  projectSlug: z.string().nullable(),
  blocker: z.string(),
  blocked: z.string(),
});

/** Webhooks and deploys (issue 15): a `ci`, `review` or `deploy` item, or a deploy of the timeline, changed. */
export const IntegrationsChangedEventSchema = z.object({
  type: z.literal("integrations.changed"),
  projectSlug: z.string(),
  kind: z.enum(["ci", "review", "deploy"]),
  /** The work item, when one opened, reopened, updated or resolved. */
  itemId: z.number().int().nullable(),
  change: z.enum(["opened", "reopened", "updated", "resolved", "none"]),
  /** The deploy of the timeline, for `deploy`. */
  deployId: z.number().int().nullable(),
});

/** An automation rule acted on an item (issue 15): launched a session, notified, or was held back. */
export const AutomationsRanEventSchema = z.object({
  type: z.literal("automations.ran"),
  projectSlug: z.string(),
  runId: z.number().int(),
});

/** Agent health (issue 17): a running session became active, idle or stuck, or ended failed. Published once per change. */
export const SessionsHealthEventSchema = z.object({
  type: z.literal("sessions.health"),
  projectSlug: z.string(),
  sessionId: z.number().int(),
  health: z.enum(["active", "idle", "stuck", "failed"]),
  previous: z.enum(["active", "idle", "stuck", "failed"]).nullable(),
  /** Its last stream message or hook event (ms). */
  lastProgressAt: z.number(),
});

export const WorkdeckEventSchema = z.discriminatedUnion("type", [
  OpenSpecChangedEventSchema,
  OpenSpecProposalCreatedEventSchema,
  OpenSpecArchivedEventSchema,
  ProjectsChangedEventSchema,
  ErrorsReportIngestedEventSchema,
  ErrorsFailureNewEventSchema,
  ErrorsFailureUpdatedEventSchema,
  ErrorsTriagedEventSchema,
  AgentsActivityEventSchema,
  AgentsNeedsYouEventSchema,
  AgentsEndedEventSchema,
  SessionsEventEventSchema,
  SessionsUpdatedEventSchema,
  IntegrationsChangedEventSchema,
  AutomationsRanEventSchema,
  WorkDependenciesChangedEventSchema,
  SessionsHealthEventSchema,
]);

export type WorkdeckEventInput = z.infer<typeof WorkdeckEventSchema>;
export type WorkdeckEvent = WorkdeckEventInput & { id: number; at: number };
export type WorkdeckEventType = WorkdeckEvent["type"];
