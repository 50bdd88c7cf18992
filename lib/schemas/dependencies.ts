import { z } from "zod";
import { ProjectSlugSchema } from "./config";

/**
 * Dependencies between work items (issue 17). A work item is referenced the way `sessions.start`
 * names its `workItem`, plus sessions themselves (DESIGN.md, "Dependencies and the board").
 */
const ChangeIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, "a change id is lowercase letters, digits and hyphens");

export const WorkItemRefSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("error"), failureId: z.number().int().positive() }),
  z.object({ kind: z.literal("spec"), projectId: ProjectSlugSchema, changeId: ChangeIdSchema }),
  z.object({ kind: z.literal("session"), sessionId: z.number().int().positive() }),
]);
export type WorkItemRef = z.infer<typeof WorkItemRefSchema>;

export const DependencyInputSchema = z.object({ blocker: WorkItemRefSchema, blocked: WorkItemRefSchema });
export type DependencyInput = z.infer<typeof DependencyInputSchema>;

/**
 * Where a blocker stands: `open` (still to do), `resolved` (failure resolved, change archived,
 * session completed), `dropped` (failure ignored, session discarded: what waits on it is
 * cancelled), `broken` (the item is gone: shown, never silently dropped).
 */
export const BlockerStateSchema = z.enum(["open", "resolved", "dropped", "broken"]);
export type BlockerState = z.infer<typeof BlockerStateSchema>;

export const BlockerSchema = z.object({
  /** The blocker's work item key (`failure:3`, `change:billing-api/add-x`, `session:7`). */
  key: z.string(),
  state: BlockerStateSchema,
  /** A person's words for it: "failure #3", "change add-x (archived)", "session #7". */
  label: z.string(),
  /** Set when the blocker is inherited: a session waits on what its work item waits on. */
  via: z.string().nullable(),
});
export type Blocker = z.infer<typeof BlockerSchema>;

export const DependencyEdgeSchema = z.object({ blocker: z.string(), blocked: z.string(), state: BlockerStateSchema, label: z.string() });
export type DependencyEdge = z.infer<typeof DependencyEdgeSchema>;

/** A blocker that still holds its dependant back (open, or broken until a person removes it). */
export const isHolding = (b: Pick<Blocker, "state">) => b.state === "open" || b.state === "broken";

export function refKey(ref: WorkItemRef): string {
  switch (ref.kind) {
    case "error":
      return `failure:${ref.failureId}`;
    case "spec":
      return `change:${ref.projectId}/${ref.changeId}`;
    case "session":
      return `session:${ref.sessionId}`;
  }
}

/** The reverse of refKey for the three kinds that can depend on each other; null for anything else. */
export function keyRef(key: string): WorkItemRef | null {
  const m = /^(failure|session):(\d+)$/.exec(key);
  if (m) return m[1] === "failure" ? { kind: "error", failureId: Number(m[2]) } : { kind: "session", sessionId: Number(m[2]) };
  const c = /^change:([^/]+)\/(.+)$/.exec(key);
  return c ? { kind: "spec", projectId: c[1]!, changeId: c[2]! } : null;
}
