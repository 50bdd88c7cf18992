import { readSecret } from "../env";
import { createTRPCRouter, publicProcedure } from "../trpc/init";
import { DeployTimelineInputSchema, IntegrationItemsInputSchema } from "@/lib/schemas/integrations";
import { automationsView, deployTimeline, integrationItems } from "./service";

/** `deploys.*` (issue 15): the deploy timeline, the ci/review/deploy items, the automations. */
export const deploysRouter = createTRPCRouter({
  /** The last N deploys (status, commit, duration), newest first. */
  timeline: publicProcedure.input(DeployTimelineInputSchema.optional()).query(({ ctx, input }) => deployTimeline(ctx.runtime, input ?? {})),
  /** CI failures, reviews and failed deploys with their evidence. */
  items: publicProcedure
    .input(IntegrationItemsInputSchema.optional())
    .query(({ ctx, input }) => integrationItems(ctx.runtime, input ?? {})),
  /** The `automations` rules, which integrations are configured, and what the rules did lately. */
  automations: publicProcedure.query(({ ctx }) => automationsView({ ...ctx.runtime, readSecret: (name) => readSecret(name) })),
});
