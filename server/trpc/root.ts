import { createCallerFactory, createTRPCRouter } from "./init";
import { openspecRouter } from "./routers/openspec";
import { projectsRouter } from "./routers/projects";

export const appRouter = createTRPCRouter({
  projects: projectsRouter,
  openspec: openspecRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
