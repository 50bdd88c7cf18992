import { z } from "zod";
import { ProjectFilterInputSchema, ProjectSlugSchema, SubscribeInputSchema } from "./common";
import { BlockerSchema } from "./dependencies";
import { ACTIVITY_KINDS, WORK_STATUSES, WORK_TYPES } from "./values";

/**
 * All Work (issue 6): OpenSpec changes, failure groups, Workdeck sessions and agents that need
 * a person, as one prioritised list. The services own their own types; these are the merged view.
 */

/** `ci`, `review` and `deploy` arrive by webhook or poller (issue 15, server/webhooks). */
export const WorkTypeSchema = z.enum(WORK_TYPES);
export type WorkType = z.infer<typeof WorkTypeSchema>;

/**
 * One status vocabulary over four domains: `needs_you` (an agent waits for a person), `in_progress`
 * (a session runs, a change is being ticked off), `open` (to do), `failed` (a session that ended
 * badly), `done` (completed, resolved) and `ignored` (triaged away).
 */
export const WorkStatusSchema = z.enum(WORK_STATUSES);
export type WorkStatus = z.infer<typeof WorkStatusSchema>;

export const WorkLinksSchema = z.object({
  /** A failure's assigned (or latest remediation) session; a change's implementing session; a session itself. */
  session: z.object({ id: z.number().int(), status: z.string() }).nullable(),
  /** A failure's proposal; a session's spec change. */
  change: z.object({ projectSlug: z.string(), id: z.string() }).nullable(),
  /** A session's failure; a proposal's source failure. `status` says when it got resolved. */
  failure: z.object({ id: z.number().int(), status: z.string() }).nullable(),
});
export type WorkLinks = z.infer<typeof WorkLinksSchema>;

export const WorkItemSchema = z.object({
  /** Stable across refetches: `change:<project>/<id>`, `failure:<id>`, `session:<id>`, `agent:<claude session id>`. */
  key: z.string(),
  type: WorkTypeSchema,
  status: WorkStatusSchema,
  /** The domain's own status word ("pending triage", "running", "3/7 tasks", "resolved"...). */
  detail: z.string(),
  projectSlug: z.string().nullable(),
  title: z.string(),
  /** 1-5; higher first (failures: the triage priority). */
  priority: z.number().int().min(1).max(5),
  updatedAt: z.date(),
  href: z.string(),
  links: WorkLinksSchema,
  /** Triage decision for failures, session type for sessions, group for changes. */
  tag: z.string().nullable(),
  /** What this item waits for (issue 17), with each blocker's state; a session also lists its work item's. */
  blockedBy: z.array(BlockerSchema),
  /** Agent health of the session (or of the session working on it): active, idle, stuck or failed (issue 17); absent on kinds without sessions. */
  health: z.enum(["active", "idle", "stuck", "failed"]).nullable().optional(),
});
export type WorkItem = z.infer<typeof WorkItemSchema>;

export const WorkFilterSchema = z.object({
  status: z.array(WorkStatusSchema).optional(),
  types: z.array(WorkTypeSchema).optional(),
  /** Case-insensitive substring of title, key or project (the browser adds fuzzy search on top). */
  search: z.string().max(200).optional(),
  /** Updated at or after / at or before. */
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});
export type WorkFilter = z.infer<typeof WorkFilterSchema>;

export const ListAllInputSchema = ProjectFilterInputSchema.extend({ filter: WorkFilterSchema.optional() });
export type ListAllInput = z.infer<typeof ListAllInputSchema>;

export const WorkStatsSchema = z.object({
  total: z.number().int(),
  byStatus: z.record(WorkStatusSchema, z.number().int()),
  byType: z.record(WorkTypeSchema, z.number().int()),
  /** The newest event id when counted: a live feed opened from this page resumes there, missing nothing in between. */
  lastEventId: z.number().int(),
});
export type WorkStats = z.infer<typeof WorkStatsSchema>;

/** What the activity timeline shows; each kind is one or more bus event types. */
export const ActivityKindSchema = z.enum(ACTIVITY_KINDS);
export type ActivityKind = z.infer<typeof ActivityKindSchema>;

export const ActivityInputSchema = z.object({
  projectId: ProjectSlugSchema.optional(),
  types: z.array(ActivityKindSchema).optional(),
  /** Event id cursor: items older than this. */
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(200).optional(),
});
export type ActivityInput = z.infer<typeof ActivityInputSchema>;

export const ActivityItemSchema = z.object({
  /** The event's durable id (the next page's `before`). */
  id: z.number().int(),
  at: z.date(),
  kind: ActivityKindSchema,
  projectSlug: z.string().nullable(),
  text: z.string(),
  href: z.string().nullable(),
});
export type ActivityItem = z.infer<typeof ActivityItemSchema>;

export const WorkSubscribeInputSchema = SubscribeInputSchema;

export { agentHref, changeItemHref, failureHref, sessionHref } from "./values";
