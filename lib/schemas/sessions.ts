import { z } from "zod";
import { ClaudeNameSchema } from "./claude-config";
import { ProjectSlugSchema } from "./config";
import { WorkItemRefSchema } from "./dependencies";
import { SESSION_STATUSES } from "./values";

/** Sessions (issue 4): Claude Code runs launched by Workdeck, one per work item. */

export const SessionTypeSchema = z.enum(["manual", "spec_implementation", "error_remediation"]);
export const SessionStatusSchema = z.enum(SESSION_STATUSES);
export type SessionType = z.infer<typeof SessionTypeSchema>;
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

export const ACTIVE_STATUSES = ["queued", "running"] as const satisfies readonly SessionStatus[];

/**
 * What a session works on: a work item reference (dependencies.ts) of a kind a session is launched on.
 * A change's project is the session's own `projectId`, so its reference leaves it out.
 */
export const SessionWorkItemSchema = z.discriminatedUnion("kind", [
  WorkItemRefSchema.options[0],
  WorkItemRefSchema.options[1].omit({ projectId: true }),
]);
export type SessionWorkItem = z.infer<typeof SessionWorkItemSchema>;

/** Per-launch overrides of the project's `claude.defaults`. Positivity is checked by the service (a clear message for -1). */
export const SessionOverridesSchema = z.strictObject({
  model: z.string().min(1).max(100).optional(),
  fallbackModel: z.string().min(1).max(100).optional(),
  permissionMode: z.enum(["default", "acceptEdits", "bypassPermissions", "plan"]).optional(),
  allowedTools: z.array(z.string().min(1).max(200)).max(100).optional(),
  maxTurns: z.number().int().optional(),
  maxBudgetUsd: z.number().optional(),
  timeoutMinutes: z.number().optional(),
  worktrees: z.boolean().optional(),
  mcpServers: z.record(z.string(), z.unknown()).optional(),
  priority: z.number().int().min(1).max(5).optional(),
  /** Pin the session to one account of the pool. */
  accountId: z.string().max(63).optional(),
  /** Run as this sub-agent of the project (`.claude/agents/<agent>.md`), passed with the SDK's `agents` and `agent`. */
  agent: ClaudeNameSchema.optional(),
});
export type SessionOverrides = z.infer<typeof SessionOverridesSchema>;

export const StartSessionInputSchema = z.object({
  projectId: ProjectSlugSchema,
  workItem: SessionWorkItemSchema.optional(),
  /** Required for a manual session; replaces the built prompt otherwise (the edited prompt of the launch form). */
  prompt: z.string().min(1).max(200_000).optional(),
  overrides: SessionOverridesSchema.optional(),
});
export type StartSessionInput = z.infer<typeof StartSessionInputSchema>;

export const SessionIdInputSchema = z.object({ id: z.number().int().positive() });
export const SendInputSchema = z.object({ id: z.number().int().positive(), text: z.string().trim().min(1).max(100_000) });
export const EventsInputSchema = z.object({
  id: z.number().int().positive(),
  after: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).max(5000).optional(),
});
export const OnEventsInputSchema = z.object({ id: z.number().int().positive(), lastEventId: z.coerce.number().int().min(0).nullish() });
export const ListSessionsInputSchema = z.object({
  projectId: ProjectSlugSchema.optional(),
  status: z.array(SessionStatusSchema).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});
export const PromptPreviewInputSchema = StartSessionInputSchema.pick({ projectId: true, workItem: true });
export type PromptPreviewInput = z.infer<typeof PromptPreviewInputSchema>;
export const AccountIdInputSchema = z.object({ id: z.string().min(1).max(63) });

export type SessionOptions = {
  model?: string;
  fallbackModel?: string;
  permissionMode?: "default" | "acceptEdits" | "bypassPermissions" | "plan";
  allowedTools?: string[];
  maxTurns?: number;
  maxBudgetUsd?: number;
  timeoutMinutes?: number;
  worktrees?: boolean;
  mcpServers?: Record<string, unknown>;
  accountId?: string;
  agent?: string;
  /** The sub-agent's file as it was when the session was started (a resume runs the same agent). */
  agentDefinition?: { description: string; prompt: string; tools?: string[]; model?: string };
};

/** `sessions.promptPreview`: what `start` would run with, so the launch form can show (and edit) it. */
export type PromptPreview = {
  /** The built prompt; empty for a manual session (the user writes it). */
  prompt: string;
  sessionType: SessionType;
  /** Effective options: `claude.defaults` < the project's `claude` < (at launch) the overrides. */
  options: SessionOptions;
};

export const SessionRunSchema = z.looseObject({
  n: z.number(),
  accountId: z.string(),
  resumed: z.boolean(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  costUsd: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  numTurns: z.number(),
  outcome: z.string().nullable(),
});
export type SessionRun = z.infer<typeof SessionRunSchema>;

/** `sessions.get` (a contract other tools read, DESIGN.md): the output schema is the type. Options and runs are stored JSON, passed through whole. */
export const SessionSchema = z.object({
  id: z.number(),
  sessionType: SessionTypeSchema,
  workItem: SessionWorkItemSchema.nullable(),
  status: SessionStatusSchema,
  projectSlug: z.string(),
  claudeSessionId: z.string().nullable(),
  accountId: z.string().nullable(),
  cwd: z.string(),
  worktreePath: z.string().nullable(),
  branch: z.string().nullable(),
  /** The branch the project had checked out at launch: where Merge lands the session's branch. */
  baseBranch: z.string().nullable(),
  /** Set once the worktree is gone (landed, discarded, or removed after the retention period; then the branch is kept). */
  worktreeRemovedAt: z.date().nullable(),
  /** How the work landed (`sessions.land`); null while it has not. */
  landed: z
    .object({ mode: z.enum(["merged", "discarded"]), commit: z.string().nullable(), branchCommit: z.string().nullable(), at: z.date() })
    .nullable(),
  prompt: z.string(),
  options: z.custom<SessionOptions>((v) => typeof v === "object" && v !== null),
  priority: z.number(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  endedAt: z.date().nullable(),
  costUsd: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  numTurns: z.number(),
  exitReason: z.string().nullable(),
  exitMessage: z.string().nullable(),
  runs: z.array(SessionRunSchema),
  /** The `workdeck worker` running (or that last ran) it, null when a server ran it (issue 14). */
  worker: z.string().nullable().default(null),
});
export type Session = z.infer<typeof SessionSchema>;

export type SessionEvent = {
  /** Per-session sequence number, from 1: the cursor of `events({after})` and `onEvents({lastEventId})`. */
  seq: number;
  type: string;
  payload: unknown;
  at: Date;
};

export const AccountStateSchema = z.enum(["available", "limited", "needs_login", "disabled"]);
export type AccountState = z.infer<typeof AccountStateSchema>;

export type ClaudeAccount = {
  id: string;
  /** Null for the implicit account (the environment's own login). */
  configDir: string | null;
  implicit: boolean;
  /** Name of the env var holding its OAuth token (never the token). */
  oauthTokenEnv: string | null;
  state: AccountState;
  limitedUntil: Date | null;
  lastRateLimit: unknown;
  lastError: string | null;
  sessionsCount: number;
  runningSessions: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  /** What to run to fix a needs_login account. */
  loginHint: string | null;
  /** The last `claude auth status` check (accounts.recheck, or the periodic one), if any. */
  lastCheck: AccountCheck | null;
};

/** One `claude auth status` run for an account (local; spends no tokens; reference §6.3). */
export type AccountCheck = {
  at: Date;
  /** Exit 0 and `loggedIn: true`. */
  loggedIn: boolean;
  authMethod: string | null;
  subscriptionType: string | null;
  /** What went wrong when not logged in (stderr, or the exit). */
  message: string | null;
};

/** `accounts.recheck` → the account after the check. */
export type AccountRecheckResult = { account: ClaudeAccount; check: AccountCheck };
