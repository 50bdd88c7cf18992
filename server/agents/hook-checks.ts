/**
 * What hook ingest accepts as a fact (issue 10 item 8). A value that is not one is stored as
 * "unknown", never refused: `workdeck hooks send` drops a hook the server answers with a 4xx, and
 * one bad field must not cost the event (or break Claude Code's hook). The reason goes back in
 * the answer's `warnings`, and the payload is kept whole, so the raw value is still there.
 */
import { sql } from "drizzle-orm";
import { step, type StoreSteps } from "../db/sql-store";

/** No tool call runs a day: a longer one is a Pre whose Post never came, or a corrupt duration_ms. */
export const MAX_TOOL_DURATION_MS = 24 * 3600_000;

/**
 * The duration to store for a finished tool call, from the Pre/Post pair or else the CLI's own
 * `duration_ms`: a whole number of milliseconds in [0, 24 h], or null with the reason in
 * `warnings` (one 1e308 would otherwise make a project's average tool duration 5e+307).
 */
export function toolDuration(value: unknown, warnings: string[]): number | null {
  if (value === undefined || value === null) return null;
  const why =
    typeof value !== "number" || !Number.isFinite(value)
      ? "is not a number"
      : value < 0
        ? "is negative"
        : value > MAX_TOOL_DURATION_MS
          ? "is more than 24 hours"
          : null;
  if (!why) return Math.round(value as number);
  warnings.push(`The tool call's duration (${String(value).slice(0, 40)}) ${why}; stored without a duration.`);
  return null;
}

/**
 * The Workdeck session an `x-workdeck-session-id` header names, when it exists. One that names
 * no session (a stale spool entry after a reset, or a forged header) is not linked.
 */
export function* knownWorkdeckSession(id: number | undefined, warnings: string[]): StoreSteps<number | null> {
  if (id === undefined) return null;
  if (yield* step.get(sql`SELECT id FROM sessions WHERE id = ${id}`)) return id;
  warnings.push(`x-workdeck-session-id names no Workdeck session ${id}; the event is stored without that link.`);
  return null;
}
