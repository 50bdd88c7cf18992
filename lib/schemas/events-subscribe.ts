import { z } from "zod";
import { SessionIdSchema } from "./agents";
import { SubscribeInputSchema } from "./common";

/**
 * `events.subscribe`: every bus event on one stream, so a tab holds one SSE connection (browsers
 * allow six per origin over HTTP/1.1). Two kinds are high-volume and only meaningful to a page
 * that shows them in full, so they ride along only when asked for: a launched session's
 * conversation lines (`sessionIds`) and Claude Code's tool calls (`agentSessionIds`, or
 * `allAgentActivity` for the agents table).
 */
/** `projectId`: only this project's events and project-less ones; the UI leaves it unset and filters per query. */
export const EventsSubscribeInputSchema = SubscribeInputSchema.extend({
  sessionIds: z.array(z.number().int().positive()).max(50).optional(),
  agentSessionIds: z.array(SessionIdSchema).max(50).optional(),
  allAgentActivity: z.boolean().optional(),
});
export type EventsSubscribeInput = z.infer<typeof EventsSubscribeInputSchema>;
