import { createTRPCRouter, publicProcedure } from "../trpc/init";

export const projectsRouter = createTRPCRouter({
  list: publicProcedure.query(({ ctx }) => ({
    projects: ctx.runtime.projects.all(),
    warnings: ctx.runtime.warnings,
    configFile: ctx.runtime.config.file ?? null,
  })),
});
