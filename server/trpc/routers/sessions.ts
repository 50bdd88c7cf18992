import { tracked } from "@trpc/server";
import {
  EventsInputSchema,
  ListSessionsInputSchema,
  OnEventsInputSchema,
  PromptPreviewInputSchema,
  SendInputSchema,
  SessionIdInputSchema,
  StartSessionInputSchema,
} from "@/lib/schemas/sessions";
import { createTRPCRouter, publicProcedure } from "../init";

export const sessionsRouter = createTRPCRouter({
  /** Queues a session on a work item (or a manual prompt); validates everything before anything starts. */
  start: publicProcedure.input(StartSessionInputSchema).mutation(({ ctx, input }) => ctx.runtime.sessions.start(input)),

  /** The prompt `start` would build for the work item (empty for manual) and the effective options, to show and edit before launch. */
  promptPreview: publicProcedure.input(PromptPreviewInputSchema).query(({ ctx, input }) => ctx.runtime.sessions.promptPreview(input)),

  get: publicProcedure.input(SessionIdInputSchema).query(({ ctx, input }) => ctx.runtime.sessions.get(input)),

  list: publicProcedure.input(ListSessionsInputSchema.optional()).query(({ ctx, input }) => ctx.runtime.sessions.list(input ?? {})),

  /** Stored messages in order, after the `after` seq. */
  events: publicProcedure.input(EventsInputSchema).query(({ ctx, input }) => ctx.runtime.sessions.events(input)),

  /** A follow-up message into a running session. */
  send: publicProcedure.input(SendInputSchema).mutation(({ ctx, input }) => ctx.runtime.sessions.send(input)),

  stop: publicProcedure.input(SessionIdInputSchema).mutation(({ ctx, input }) => ctx.runtime.sessions.stop(input)),

  /** A finished session continues (`--resume`) with a new message. */
  resume: publicProcedure.input(SendInputSchema).mutation(({ ctx, input }) => ctx.runtime.sessions.resume(input)),

  /** What the session changed in its worktree, against the commit it started from. */
  diff: publicProcedure.input(SessionIdInputSchema).query(({ ctx, input }) => ctx.runtime.sessions.diff(input)),

  /** Stored messages after `lastEventId` (the seq), then live ones; a reconnect resumes without gaps. */
  onEvents: publicProcedure.input(OnEventsInputSchema).subscription(async function* ({ ctx, input, signal }) {
    for await (const event of ctx.runtime.sessions.onEvents({ id: input.id, lastEventId: input.lastEventId ?? null, signal })) {
      yield tracked(String(event.seq), event);
    }
  }),
});
