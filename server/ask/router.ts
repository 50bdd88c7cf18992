import { AskListInputSchema, AskStartInputSchema } from "@/lib/schemas/ask";
import { createTRPCRouter, publicProcedure } from "../trpc/init";
import { listAsks, startAsk } from "./service";

export const askRouter = createTRPCRouter({
  /** A new conversation: a session with the question (follow-ups go through sessions.send / sessions.resume). */
  start: publicProcedure.input(AskStartInputSchema).mutation(({ ctx, input }) => startAsk(ctx.runtime, input)),
  list: publicProcedure.input(AskListInputSchema.optional()).query(({ ctx, input }) => listAsks(ctx.runtime, input ?? {})),
});
