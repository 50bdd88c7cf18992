import { tracked } from "@trpc/server";
import { z } from "zod";
import * as work from "./service";
import { addDependency, removeDependency } from "../dependencies/service";
import { DependencyInputSchema } from "@/lib/schemas/dependencies";
import { ActivityInputSchema, ListAllInputSchema, WorkItemSchema, WorkSubscribeInputSchema } from "@/lib/schemas/work";
import { ProjectFilterInputSchema } from "@/lib/schemas/common";
import { createTRPCRouter, publicProcedure } from "../trpc/init";

export const workRouter = createTRPCRouter({
  /** Specs, failures, sessions and agents that need you, in one list: needs you first, then priority. */
  listAll: publicProcedure
    .input(ListAllInputSchema.optional())
    .output(z.array(WorkItemSchema))
    .query(({ ctx, input }) => work.listAll(ctx.runtime, input ?? {})),

  stats: publicProcedure.input(ProjectFilterInputSchema.optional()).query(({ ctx, input }) => work.stats(ctx.runtime, input ?? {})),

  /** The activity timeline: specs created/archived, failures new/resolved, sessions, triage, account limits. */
  activity: publicProcedure.input(ActivityInputSchema.optional()).query(({ ctx, input }) => work.activity(ctx.runtime, input ?? {})),

  /** "blocked waits for blocker" (issue 17); a cycle is refused with its path named. */
  addDependency: publicProcedure
    .input(DependencyInputSchema)
    .output(z.object({ blocker: z.string(), blocked: z.string() }))
    .mutation(({ ctx, input }) => addDependency(ctx.runtime, input)),
  removeDependency: publicProcedure
    .input(DependencyInputSchema)
    .output(z.object({ removed: z.boolean() }))
    .mutation(({ ctx, input }) => removeDependency(ctx.runtime, input)),

  /** One live feed of spec, error, session and agent events; resumes after `lastEventId` without gaps. */
  subscribe: publicProcedure.input(WorkSubscribeInputSchema.optional()).subscription(async function* ({ ctx, input, signal }) {
    const stream = ctx.runtime.bus.stream({
      filter: { projectSlug: input?.projectId, types: work.WORK_EVENT_TYPES },
      lastEventId: input?.lastEventId ?? null,
      signal,
    });
    for await (const event of stream) if (work.isWorkEvent(event)) yield tracked(String(event.id), event);
  }),
});
