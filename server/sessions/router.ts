import { tracked } from "@trpc/server";
import { z } from "zod";
import {
  EventsInputSchema,
  ListSessionsInputSchema,
  OnEventsInputSchema,
  PromptPreviewInputSchema,
  SendInputSchema,
  SessionIdInputSchema,
  SessionSchema,
  StartSessionInputSchema,
} from "@/lib/schemas/sessions";
import { LandInputSchema, LandResultSchema } from "@/lib/schemas/session-land";
import { SubscribeInputSchema } from "@/lib/schemas/common";
import { AnswerPermissionInputSchema, PendingPermissionSchema } from "@/lib/schemas/session-permissions";
import { landSession } from "./land";
import { createTRPCRouter, publicProcedure } from "../trpc/init";

/**
 * The stream messages that change the Sessions tab without a `sessions.updated`: a `result` (the
 * runner stores a running session's new turns, tokens and cost on it, e.g. after a follow-up) and
 * the account notes (the accounts view's state). Creation and finish are `sessions.updated`
 * already. Every other `sessions.event` is one line of one conversation, which the session page
 * streams on its own; forwarding those would refetch the list per message.
 */
const LIST_EVENT_TYPES = new Set(["result", "workdeck/account_switched", "workdeck/account_parked", "workdeck/account_needs_login"]);

export const sessionsRouter = createTRPCRouter({
  /** Queues a session on a work item (or a manual prompt); validates everything before anything starts. */
  start: publicProcedure
    .input(StartSessionInputSchema)
    .output(z.object({ id: z.number().int() }))
    .mutation(({ ctx, input }) => ctx.runtime.sessions.start(input)),

  /** The prompt `start` would build for the work item (empty for manual) and the effective options, to show and edit before launch. */
  promptPreview: publicProcedure.input(PromptPreviewInputSchema).query(({ ctx, input }) => ctx.runtime.sessions.promptPreview(input)),

  get: publicProcedure
    .input(SessionIdInputSchema)
    .output(SessionSchema)
    .query(({ ctx, input }) => ctx.runtime.sessions.get(input)),

  list: publicProcedure.input(ListSessionsInputSchema.optional()).query(({ ctx, input }) => ctx.runtime.sessions.list(input ?? {})),

  /** Stored messages in order, after the `after` seq. */
  events: publicProcedure.input(EventsInputSchema).query(({ ctx, input }) => ctx.runtime.sessions.events(input)),

  /** A follow-up message into a running session. */
  send: publicProcedure.input(SendInputSchema).mutation(({ ctx, input }) => ctx.runtime.sessions.send(input)),

  stop: publicProcedure.input(SessionIdInputSchema).mutation(({ ctx, input }) => ctx.runtime.sessions.stop(input)),

  /** A finished session continues (`--resume`) with a new message. */
  resume: publicProcedure.input(SendInputSchema).mutation(({ ctx, input }) => ctx.runtime.sessions.resume(input)),

  /** Tool permission requests the running session waits on (tool, input, the rule "always" adds). */
  pendingPermissions: publicProcedure
    .input(SessionIdInputSchema)
    .output(z.array(PendingPermissionSchema))
    .query(({ ctx, input }) => ctx.runtime.sessions.pendingPermissions(input)),

  /** Allow once, allow always for this session, or deny (with a message Claude reads) one request. */
  answerPermission: publicProcedure
    .input(AnswerPermissionInputSchema)
    .output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx, input }) => ctx.runtime.sessions.answerPermission(input)),

  /** What the session changed in its worktree, against the commit it started from. */
  diff: publicProcedure.input(SessionIdInputSchema).query(({ ctx, input }) => ctx.runtime.sessions.diff(input)),

  /** Merge the session's branch onto the branch the project had checked out at launch, or discard it; both remove the worktree and branch. */
  land: publicProcedure
    .input(LandInputSchema)
    .output(LandResultSchema)
    .mutation(({ ctx, input }) => landSession(ctx.runtime, input)),

  /**
   * The Sessions tab's live feed: a session created, its status, totals or account changed, or an
   * account parked. Bus ids are the tracked ids, so a reconnect resumes after the last one seen.
   */
  subscribe: publicProcedure.input(SubscribeInputSchema.optional()).subscription(async function* ({ ctx, input, signal }) {
    const stream = ctx.runtime.bus.stream({
      filter: { projectSlug: input?.projectId, types: ["sessions.updated", "sessions.event"] },
      lastEventId: input?.lastEventId ?? null,
      signal,
    });
    for await (const event of stream) {
      if (event.type === "sessions.event" && !LIST_EVENT_TYPES.has(event.eventType)) continue;
      yield tracked(String(event.id), event);
    }
  }),

  /** Stored messages after `lastEventId` (the seq), then live ones; a reconnect resumes without gaps. */
  onEvents: publicProcedure.input(OnEventsInputSchema).subscription(async function* ({ ctx, input, signal }) {
    for await (const event of ctx.runtime.sessions.onEvents({ id: input.id, lastEventId: input.lastEventId ?? null, signal })) {
      yield tracked(String(event.seq), event);
    }
  }),
});
