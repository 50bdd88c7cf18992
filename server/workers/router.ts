import { z } from "zod";
import {
  WorkerAppendInputSchema,
  WorkerClaimInputSchema,
  WorkerClaimSchema,
  WorkerFinishInputSchema,
  WorkerHeartbeatInputSchema,
  WorkerHeartbeatResultSchema,
  WorkerPollInputSchema,
  WorkerPollResultSchema,
  WorkerSummarySchema,
} from "@/lib/schemas/workers";
import type { Runtime } from "../runtime";
import { createTRPCRouter, publicProcedure } from "../trpc/init";
import { heartbeat, listWorkers } from "./service";
import {
  appendFromWorker,
  claimForWorker,
  finishFromWorker,
  interruptLostWorkers,
  pollForWorker,
  type WorkerSessionDeps,
} from "./sessions";

/** The runtime as the workers' services take it, with the silence limit of this deployment. */
export function workerDeps(runtime: Runtime): WorkerSessionDeps {
  return { ...runtime, lostAfterMs: runtime.env.workerLostMs };
}

export { interruptLostWorkers };

export const workersRouter = createTRPCRouter({
  /** A `workdeck worker`'s heartbeat: the accounts it holds (ids and readiness), its capacity and running sessions. */
  heartbeat: publicProcedure
    .input(WorkerHeartbeatInputSchema)
    .output(WorkerHeartbeatResultSchema)
    .mutation(({ ctx, input }) => heartbeat(workerDeps(ctx.runtime), input)),

  /** Every worker heard from, with its health (healthy, late, lost) and the accounts it holds. */
  list: publicProcedure.output(z.array(WorkerSummarySchema)).query(({ ctx }) => listWorkers(workerDeps(ctx.runtime))),

  /** The next queued session for one of the worker's ready accounts, now running on it (null: none). */
  claim: publicProcedure
    .input(WorkerClaimInputSchema)
    .output(WorkerClaimSchema.nullable())
    .mutation(({ ctx, input }) => claimForWorker(workerDeps(ctx.runtime), input)),

  /** A batch of the run's stream-json messages, stored in order and announced as a local run's. */
  append: publicProcedure
    .input(WorkerAppendInputSchema)
    .output(z.object({ stored: z.number().int(), lastSeq: z.number().int() }))
    .mutation(({ ctx, input }) => appendFromWorker(workerDeps(ctx.runtime), input)),

  /** The run's end as the worker's classifier decided it. */
  finish: publicProcedure
    .input(WorkerFinishInputSchema)
    .output(z.object({ status: z.string() }))
    .mutation(({ ctx, input }) => finishFromWorker(workerDeps(ctx.runtime), input)),

  /** Long poll (≤ 25 s): what was asked of the worker's sessions (send, stop, permission answers), and which it no longer runs. */
  poll: publicProcedure
    .input(WorkerPollInputSchema)
    .output(WorkerPollResultSchema)
    .mutation(({ ctx, input, signal }) => pollForWorker(workerDeps(ctx.runtime), input, signal)),
});
