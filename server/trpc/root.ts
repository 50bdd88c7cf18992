import { createCallerFactory, createTRPCRouter } from "./init";
import { agentsRouter } from "./routers/agents";
import { errorsRouter } from "./routers/errors";
import { openspecRouter } from "./routers/openspec";
import { projectsRouter } from "./routers/projects";

export const appRouter = createTRPCRouter({
  projects: projectsRouter,
  openspec: openspecRouter,
  errors: errorsRouter,
  agents: agentsRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
