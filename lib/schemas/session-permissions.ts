import { z } from "zod";

/** Steering sessions (issue 11, DESIGN.md): tool permission requests a running session waits on. */

export const AnswerPermissionInputSchema = z.object({
  id: z.number().int().positive(),
  requestId: z.string().min(1).max(200),
  allow: z.boolean(),
  /** Why it was denied: Claude reads it and goes on without the tool. */
  message: z.string().trim().max(2_000).optional(),
  /** Allow, and add the suggested rule for the rest of the session. */
  always: z.boolean().optional(),
});
export type AnswerPermissionInput = z.infer<typeof AnswerPermissionInputSchema>;

export const PendingPermissionSchema = z.object({
  requestId: z.string(),
  toolName: z.string(),
  input: z.record(z.string(), z.unknown()),
  /** The rule "Allow always" adds for this session, as Claude Code writes it (e.g. `Bash(npm test:*)`). */
  rule: z.string(),
  /** Why Claude Code asks, when it says. */
  reason: z.string().nullable(),
  askedAt: z.number(),
  /** When it is denied unless answered. */
  expiresAt: z.number(),
});
export type PendingPermission = z.infer<typeof PendingPermissionSchema>;
