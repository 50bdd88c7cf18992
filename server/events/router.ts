import { tracked } from "@trpc/server";
import { isWanted } from "@/lib/schemas/event-scope";
import { EventsSubscribeInputSchema } from "@/lib/schemas/events-subscribe";
import { createTRPCRouter, publicProcedure } from "../trpc/init";

export const eventsRouter = createTRPCRouter({
  /**
   * Every event on the bus, multiplexed on one stream: the one SSE connection a browser tab
   * opens. Conversation lines and tool calls come only for the sessions the input names (see
   * EventsSubscribeInputSchema). Bus ids are the tracked ids, so a reconnect resumes after the
   * last one seen without gaps or duplicates.
   */
  subscribe: publicProcedure.input(EventsSubscribeInputSchema.optional()).subscription(async function* ({ ctx, input, signal }) {
    const want = input ?? {};
    const stream = ctx.runtime.bus.stream({ filter: { projectSlug: want.projectId }, lastEventId: want.lastEventId ?? null, signal });
    for await (const event of stream) if (isWanted(event, want)) yield tracked(String(event.id), event);
  }),
});
