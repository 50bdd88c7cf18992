import { z } from "zod";

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
