import { createTRPCRouter, publicProcedure } from "../init";

export const accountsRouter = createTRPCRouter({
  /** The pool: each account's state, parked-until, last rate-limit info, sessions and cost. */
  list: publicProcedure.query(({ ctx }) => ctx.runtime.sessions.accounts.list((id) => ctx.runtime.sessions.runningCount(id))),
});
