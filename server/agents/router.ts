import { tracked } from "@trpc/server";
import * as agents from "./service";
import { AgentsSubscribeInputSchema, GetActivityInputSchema, GetMetricsInputSchema, ListActiveInputSchema } from "@/lib/schemas/agents";
import type { WorkdeckEventType } from "@/lib/schemas/events";
import { createTRPCRouter, publicProcedure } from "../trpc/init";

const AGENT_EVENTS: WorkdeckEventType[] = ["agents.activity", "agents.needsYou", "agents.ended", "projects.changed"];

export const agentsRouter = createTRPCRouter({
  /** Running Claude Code sessions (every project, or one), most recent first. */
  listActive: publicProcedure
    .input(ListActiveInputSchema.optional())
    .query(({ ctx, input }) => agents.listActive(ctx.runtime, input ?? {})),

  /** One session's timeline: prompts, tool calls with inputs and results, failures, stops. */
  getActivity: publicProcedure.input(GetActivityInputSchema).query(({ ctx, input }) => agents.getActivity(ctx.runtime, input)),

  getMetrics: publicProcedure
    .input(GetMetricsInputSchema.optional())
    .query(({ ctx, input }) => agents.getMetrics(ctx.runtime, input ?? {})),

  /** Hook activity, "needs you" and completion notices, live; resumes after `lastEventId` without gaps. */
  subscribe: publicProcedure.input(AgentsSubscribeInputSchema.optional()).subscription(async function* ({ ctx, input, signal }) {
    const stream = ctx.runtime.bus.stream({
      filter: { projectSlug: input?.projectId, types: AGENT_EVENTS },
      lastEventId: input?.lastEventId ?? null,
      signal,
    });
    for await (const event of stream) {
      if (input?.sessionId && "sessionId" in event && event.sessionId !== input.sessionId) continue;
      yield tracked(String(event.id), event);
    }
  }),
});
