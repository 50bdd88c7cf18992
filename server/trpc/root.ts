import { createCallerFactory, createTRPCRouter } from "./init";
import { agentsRouter } from "./routers/agents";
import { accountsRouter } from "./routers/accounts";
import { errorsRouter } from "./routers/errors";
import { eventsRouter } from "./routers/events";
import { openspecRouter } from "./routers/openspec";
import { projectsRouter } from "./routers/projects";
import { sessionsRouter } from "./routers/sessions";
import { settingsRouter } from "./routers/settings";
import { workRouter } from "./routers/work";

export const appRouter = createTRPCRouter({
  projects: projectsRouter,
  openspec: openspecRouter,
  errors: errorsRouter,
  agents: agentsRouter,
  sessions: sessionsRouter,
  accounts: accountsRouter,
  work: workRouter,
  settings: settingsRouter,
  events: eventsRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
