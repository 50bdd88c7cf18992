/**
 * The enum values and small pure helpers of the domain schemas, without Zod: client components
 * import these instead of the schemas, so the browser bundle carries no Zod (a seventh of a page's
 * JS). The schemas build their `z.enum`s from these tuples, so there is one list of each.
 */

export const CHANGE_GROUPS = ["draft", "active", "completed"] as const;

export const WORK_TYPES = ["change", "failure", "session", "agent", "ci", "review", "deploy"] as const;
export const WORK_STATUSES = ["needs_you", "in_progress", "open", "failed", "done", "ignored"] as const;
export const ACTIVITY_KINDS = [
  "spec_created",
  "spec_archived",
  "failure_new",
  "failure_resolved",
  "triage",
  "session_started",
  "session_finished",
  "needs_you",
  "account_limited",
  "ci",
  "deploy",
  "review",
  "automation",
] as const;

export const PATTERNS = ["new", "flaky", "recurring", "persistent"] as const;
export const DECISIONS = ["needs_spec", "one_off_fix", "ignore", "pending"] as const;
export const FAILURE_STATUSES = ["active", "inactive", "resolved"] as const;

export const SESSION_STATUSES = ["queued", "running", "completed", "failed", "stopped", "interrupted", "crashed"] as const;

export const failureHref = (id: number) => `/errors/${id}`;
export const sessionHref = (id: number) => `/sessions/${id}`;
export const agentHref = (sessionId: string) => `/sessions/agents/${encodeURIComponent(sessionId)}`;
export const changeItemHref = (projectSlug: string, changeId: string) =>
  `/specs/${encodeURIComponent(projectSlug)}/changes/${encodeURIComponent(changeId)}`;
