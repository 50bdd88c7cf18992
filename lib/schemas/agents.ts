import { z } from "zod";
import { ProjectFilterInputSchema, ProjectSlugSchema, SubscribeInputSchema } from "./common";

/**
 * Agent activity domain types (issue 5), shared by the hooks ingest endpoint,
 * `workdeck hooks send`, the agents router and the Sessions tab. Everything
 * here is read from Claude Code hook events (reference: claude-cli.md §4).
 */

/**
 * What every hook payload carries (`BaseHookInput`). Loose on purpose: the CLI adds events and
 * fields often, and an unknown event or field must be stored, not rejected.
 */
export const HookPayloadSchema = z.looseObject({
  session_id: z.string({ error: "session_id is required (a Claude Code hook payload)" }).min(1, "session_id is empty").max(200),
  hook_event_name: z.string().min(1).max(100).optional(),
  cwd: z.string().max(4096).optional(),
  transcript_path: z.string().max(4096).optional(),
  tool_name: z.string().max(300).optional(),
  tool_use_id: z.string().max(300).optional(),
});
export type HookPayload = z.infer<typeof HookPayloadSchema>;

/**
 * `active`: doing something; `needs_you`: waiting for a permission or input (Notification,
 * PermissionRequest); `stopped`: the turn ended (Stop) and nothing followed yet; `ended`:
 * SessionEnd, or a Stop with no follow-up for the idle period.
 */
export const AgentStatusSchema = z.enum(["active", "needs_you", "stopped", "ended"]);
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

/** One stored hook event as ingest reports it. */
export const HookIngestResultSchema = z.object({
  id: z.number().int(),
  sessionId: z.string(),
  event: z.string(),
  projectSlug: z.string().nullable(),
  status: AgentStatusSchema,
  durationMs: z.number().int().nullable(),
  /** What was stored as unknown instead of as sent (an absurd duration, a session id naming no session); absent when nothing was. */
  warnings: z.array(z.string()).optional(),
});
export type HookIngestResult = z.infer<typeof HookIngestResultSchema>;

/** What a session's, or all sessions', tool calls add up to (the summary row and the metrics). */
const ToolTotalsSchema = z.object({
  /** Completed tool calls (PostToolUse + PostToolUseFailure). */
  toolCount: z.number().int(),
  failureCount: z.number().int(),
  /** toolCount > 0 ? successes / toolCount : null */
  successRate: z.number().nullable(),
  avgToolDurationMs: z.number().nullable(),
  promptCount: z.number().int(),
  eventCount: z.number().int(),
});

/** A Claude Code session as the agents summary table keeps it. */
export const AgentSessionSchema = z.object({
  sessionId: z.string(),
  projectSlug: z.string().nullable(),
  /** The Workdeck-launched session this agent belongs to (issue 4), when known. */
  workdeckSessionId: z.number().int().nullable(),
  cwd: z.string().nullable(),
  status: AgentStatusSchema,
  startedAt: z.date(),
  lastEventAt: z.date(),
  lastEvent: z.string(),
  currentTool: z.string().nullable(),
  ...ToolTotalsSchema.shape,
  /** Minutes since the last event, once that is at least the idle threshold; null while busy. */
  idleMinutes: z.number().int().nullable(),
  /** What a Notification or PermissionRequest asked for, while the status is needs_you. */
  needsYouReason: z.string().nullable(),
  endedAt: z.date().nullable(),
  endReason: z.string().nullable(),
});
export type AgentSession = z.infer<typeof AgentSessionSchema>;

export const ListActiveInputSchema = ProjectFilterInputSchema;
export type ListActiveInput = z.infer<typeof ListActiveInputSchema>;

export const SessionIdSchema = z.string().min(1).max(200);

export const GetActivityInputSchema = z.object({
  sessionId: SessionIdSchema,
  /** The most recent items (tool calls count once); older ones are left out. */
  limit: z.number().int().positive().max(5000).default(1000),
});
export type GetActivityInput = z.input<typeof GetActivityInputSchema>;

export const TimelineKindSchema = z.enum([
  "session_start",
  "prompt",
  "tool",
  "notification",
  "permission_request",
  "stop",
  "session_end",
  "other",
]);
export type TimelineKind = z.infer<typeof TimelineKindSchema>;

/** One line of a session's timeline. A tool call is one item (its Pre and Post joined on tool_use_id). */
export const TimelineItemSchema = z.object({
  /** The hooks row id of the item's first event. */
  id: z.number().int(),
  at: z.date(),
  kind: TimelineKindSchema,
  /** The hook event name as received (the unknown ones included). */
  event: z.string(),
  toolName: z.string().nullable(),
  toolUseId: z.string().nullable(),
  /** running: Pre seen, no Post yet; ok: PostToolUse; failed: PostToolUseFailure. */
  toolStatus: z.enum(["running", "ok", "failed"]).nullable(),
  input: z.unknown().optional(),
  result: z.unknown().optional(),
  error: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  /** Prompt text, notification message, the last assistant message of a Stop, the end reason. */
  text: z.string().nullable(),
});
export type TimelineItem = z.infer<typeof TimelineItemSchema>;

export const AgentActivitySchema = z.object({
  session: AgentSessionSchema,
  items: z.array(TimelineItemSchema),
  /** Items left out by the limit. */
  truncated: z.boolean(),
});
export type AgentActivity = z.infer<typeof AgentActivitySchema>;

export const GetMetricsInputSchema = z.object({ sessionId: SessionIdSchema.optional(), projectId: ProjectSlugSchema.optional() });
export type GetMetricsInput = z.infer<typeof GetMetricsInputSchema>;

export const ToolMetricSchema = z.object({
  toolName: z.string(),
  count: z.number().int(),
  failures: z.number().int(),
  avgDurationMs: z.number().nullable(),
});

export const AgentMetricsSchema = z.object({
  sessions: z.number().int(),
  activeSessions: z.number().int(),
  needsYou: z.number().int(),
  ...ToolTotalsSchema.shape,
  /** Per tool, only for one session (a whole-machine breakdown would scan every event). */
  byTool: z.array(ToolMetricSchema).nullable(),
});
export type AgentMetrics = z.infer<typeof AgentMetricsSchema>;

export const AgentsSubscribeInputSchema = SubscribeInputSchema.extend({ sessionId: SessionIdSchema.optional() });

/** Settings' "Send test event": which project's installed hook to run. */
export const SendTestHookInputSchema = z.object({ projectId: ProjectSlugSchema });

export const HookTestResultSchema = z.object({
  delivered: z.boolean(),
  /** ISO time the test event was stored, when it arrived. */
  receivedAt: z.string().nullable(),
  /** The server the installed command posts to (null: nothing installed). */
  url: z.string().nullable(),
  message: z.string(),
});
export type HookTestResult = z.infer<typeof HookTestResultSchema>;
