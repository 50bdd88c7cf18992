import { z } from "zod";
import { WorkerHeartbeatInputSchema, WorkerHeartbeatResultSchema, WorkerSummarySchema } from "@/lib/schemas/workers";
import { createTRPCRouter, publicProcedure } from "../trpc/init";
import { heartbeat, listWorkers } from "./service";

export const workersRouter = createTRPCRouter({
  /** A `workdeck worker`'s heartbeat: the accounts it holds (ids and readiness), its capacity and running sessions. */
  heartbeat: publicProcedure
    .input(WorkerHeartbeatInputSchema)
    .output(WorkerHeartbeatResultSchema)
    .mutation(({ ctx, input }) => heartbeat(ctx.runtime, input)),

  /** Every worker heard from, with its health (healthy, late, lost) and the accounts it holds. */
  list: publicProcedure.output(z.array(WorkerSummarySchema)).query(({ ctx }) => listWorkers(ctx.runtime)),
});
