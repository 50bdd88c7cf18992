import { createCallerFactory, createTRPCRouter } from "./init";
import { errorsRouter } from "./routers/errors";
import { openspecRouter } from "./routers/openspec";
import { projectsRouter } from "./routers/projects";

export const appRouter = createTRPCRouter({
  projects: projectsRouter,
  openspec: openspecRouter,
  errors: errorsRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
