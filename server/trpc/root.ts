import { createCallerFactory, createTRPCRouter } from "./init";
import { agentsRouter } from "../agents/router";
import { askRouter } from "../ask/router";
import { claudeConfigRouter } from "../claude-config/router";
import { accountsRouter } from "../accounts/router";
import { errorsRouter } from "../errors/router";
import { eventsRouter } from "../events/router";
import { openspecRouter } from "../specs/router";
import { projectsRouter } from "../projects/router";
import { sessionsRouter } from "../sessions/router";
import { settingsRouter } from "../settings/router";
import { workRouter } from "../work/router";
import { deploysRouter } from "../webhooks/router";
import { workersRouter } from "../workers/router";

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
  claudeConfig: claudeConfigRouter,
  ask: askRouter,
  deploys: deploysRouter,
  workers: workersRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
