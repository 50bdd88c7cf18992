import { AccountIdInputSchema } from "@/lib/schemas/sessions";
import { createTRPCRouter, publicProcedure } from "../trpc/init";

export const accountsRouter = createTRPCRouter({
  /** The pool: each account's state, parked-until, last rate-limit info, sessions and cost, and what to run when it needs a login. */
  list: publicProcedure.query(({ ctx }) => ctx.runtime.sessions.accounts.list((id) => ctx.runtime.sessions.runningCount(id))),

  /** Runs `claude auth status` for the account (no tokens spent) and updates its state: needs_login becomes available when it passes. */
  recheck: publicProcedure.input(AccountIdInputSchema).mutation(({ ctx, input }) => ctx.runtime.sessions.recheckAccount(input)),
});
