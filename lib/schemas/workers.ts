import { z } from "zod";
import type { SessionOptions } from "./sessions";
import type { RateLimitInfo } from "@/packages/claude-session/src/index";

/** A worker's name: what `--name` says (the host name by default), shown in the Accounts view. */
export const WorkerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a worker name is letters, digits, '.', '_' or '-' (at most 64)");

/** One account a worker holds: only its id and whether its login works there, never a credential. */
export const WorkerAccountSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "an account id"),
  ready: z.boolean(),
  /** Why it is not ready (`needs_login`, …), for the person reading the Accounts view. */
  reason: z.string().max(200).nullable().default(null),
});

export const WorkerHeartbeatInputSchema = z.strictObject({
  name: WorkerNameSchema,
  accounts: z.array(WorkerAccountSchema).max(64),
  capacity: z.number().int().min(1).max(64),
  running: z.array(z.number().int().positive()).max(256).default([]),
  version: z.string().min(1).max(40),
  host: z.string().min(1).max(255),
});
export type WorkerHeartbeatInput = z.input<typeof WorkerHeartbeatInputSchema>;

export const WorkerHeartbeatResultSchema = z.object({
  /** How often the server expects a heartbeat, and after how long without one the worker's sessions are interrupted. */
  heartbeatMs: z.number().int(),
  lostAfterMs: z.number().int(),
});
export type WorkerHeartbeatResult = z.infer<typeof WorkerHeartbeatResultSchema>;

export const WorkerHealthSchema = z.enum(["healthy", "late", "lost"]);
export type WorkerHealth = z.infer<typeof WorkerHealthSchema>;

export const WorkerSummarySchema = z.object({
  name: z.string(),
  host: z.string(),
  version: z.string(),
  accounts: z.array(WorkerAccountSchema),
  capacity: z.number().int(),
  running: z.array(z.number().int()),
  health: WorkerHealthSchema,
  firstSeenAt: z.date(),
  lastSeenAt: z.date(),
  lostAt: z.date().nullable(),
});
export type WorkerSummary = z.infer<typeof WorkerSummarySchema>;

const AccountIdSchema = WorkerAccountSchema.shape.id;
const SessionIdSchema = z.number().int().positive();

/** `workers.claim`: the next queued session for one of these accounts (the worker's ready ones). */
export const WorkerClaimInputSchema = z.strictObject({
  name: WorkerNameSchema,
  accounts: z.array(AccountIdSchema).min(1).max(64),
});
export type WorkerClaimInput = z.input<typeof WorkerClaimInputSchema>;

const TotalsSchema = z.object({
  costUsd: z.number().min(0),
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  numTurns: z.number().int().min(0),
});
export type WorkerRunTotals = z.infer<typeof TotalsSchema>;

/** What a claimed session's run needs on the worker: no credential either way (the account's login is the worker's). */
export const WorkerClaimSchema = z.object({
  sessionId: z.number().int(),
  projectSlug: z.string(),
  cwd: z.string(),
  accountId: z.string(),
  /** The run's number in the session's runs. */
  run: z.number().int(),
  /** The Claude session to resume when its transcript is on the worker; `text` then, else `freshText`. */
  resumeId: z.string().nullable(),
  text: z.string(),
  freshText: z.string(),
  options: z.custom<SessionOptions>((v) => typeof v === "object" && v !== null),
  /** The session's totals before this run (its accounting adds to them). */
  prior: TotalsSchema,
  /** This run's scoped token for its hooks and Workdeck's MCP server (null when the server has no token). */
  agentToken: z.string().nullable(),
  /** The session's last stored seq: `workers.poll` returns the commands stored after it. */
  after: z.number().int(),
});
export type WorkerClaim = z.infer<typeof WorkerClaimSchema>;

/** `workers.append`: stream-json messages of a session the worker runs, in order. */
export const WorkerAppendInputSchema = z.strictObject({
  name: WorkerNameSchema,
  sessionId: SessionIdSchema,
  messages: z.array(z.unknown()).min(1).max(1_000),
  /** The session's totals after the last `result` among them, when there is one. */
  totals: TotalsSchema.optional(),
});
export type WorkerAppendInput = z.input<typeof WorkerAppendInputSchema>;

/** The claude-session classifier's outcome (packages/claude-session classify.ts), as the worker decided it. */
export const WorkerOutcomeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("success"), text: z.string().nullable() }),
  z.object({
    kind: z.literal("usage_limit"),
    resetsAt: z.coerce.date().nullable(),
    limitType: z.enum(["five_hour", "seven_day", "seven_day_opus", "seven_day_sonnet", "overage", "unknown"]),
    text: z.string().nullable(),
    rateLimitInfo: z.custom<RateLimitInfo>((v) => typeof v === "object" && v !== null && !Array.isArray(v)).nullable(),
  }),
  z.object({ kind: z.literal("auth_failed"), status: z.number().int().nullable(), text: z.string() }),
  z.object({
    kind: z.literal("transient"),
    reason: z.enum(["overloaded", "server_error", "rate_limited", "connection"]),
    status: z.number().int().nullable(),
    text: z.string(),
  }),
  z.object({ kind: z.literal("max_turns"), text: z.string() }),
  z.object({ kind: z.literal("budget"), text: z.string() }),
  z.object({ kind: z.literal("billing"), text: z.string() }),
  z.object({ kind: z.literal("execution_error"), text: z.string() }),
  z.object({ kind: z.literal("error"), text: z.string() }),
  z.object({ kind: z.literal("crashed"), signal: z.string().nullable(), exitCode: z.number().int().nullable(), text: z.string() }),
]);

/** `workers.finish`: the end of a run on the worker. */
export const WorkerFinishInputSchema = z.strictObject({
  name: WorkerNameSchema,
  sessionId: SessionIdSchema,
  outcome: WorkerOutcomeSchema,
  /** Why the worker ended it itself (a stop, the timeout, its own shutdown), or null. */
  stopping: z.enum(["stopped", "timeout", "shutdown"]).nullable().default(null),
  /** This run's spend, and the session's totals after it. */
  run: TotalsSchema,
  totals: TotalsSchema,
  exit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable() }).nullable().default(null),
  stderr: z.string().max(4_000).nullable().default(null),
  thrown: z.string().max(4_000).nullable().default(null),
});
export type WorkerFinishInput = z.input<typeof WorkerFinishInputSchema>;

/** `workers.poll`: the worker's running sessions, each with the last seq it has seen. */
export const WorkerPollInputSchema = z.strictObject({
  name: WorkerNameSchema,
  sessions: z.array(z.strictObject({ sessionId: SessionIdSchema, after: z.number().int().min(0) })).max(256),
  /** How long to wait for a command (a long poll; at most 25 s so proxies keep the request open). */
  waitMs: z.number().int().min(0).max(25_000).default(25_000),
});
export type WorkerPollInput = z.input<typeof WorkerPollInputSchema>;

/** What a person asked of a session a worker runs (sessions.send, sessions.stop, a permission answer). */
export const WorkerCommandSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("send"), sessionId: z.number().int(), seq: z.number().int(), text: z.string() }),
  z.object({ kind: z.literal("stop"), sessionId: z.number().int(), seq: z.number().int(), reason: z.enum(["stopped", "timeout"]) }),
  z.object({
    kind: z.literal("permission"),
    sessionId: z.number().int(),
    seq: z.number().int(),
    /** As `sessions.answerPermission` takes it. */
    requestId: z.string(),
    allow: z.boolean(),
    always: z.boolean().optional(),
    message: z.string().optional(),
  }),
]);
export type WorkerCommand = z.infer<typeof WorkerCommandSchema>;

export const WorkerPollResultSchema = z.object({
  commands: z.array(WorkerCommandSchema),
  /** Sessions of the request that this worker no longer runs (interrupted after it went silent, ended elsewhere): stop them. */
  gone: z.array(z.number().int()),
});
export type WorkerPollResult = z.infer<typeof WorkerPollResultSchema>;
