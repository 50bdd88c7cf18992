import path from "node:path";
import { loadConfig, type LoadedConfig } from "./config";
import { migrateDatabase, openDatabase, type Db } from "./db/client";
import type { WorkdeckEnv } from "./env";
import { SqliteStore, type SqlStore } from "./db/sql-store";
import { EventBus } from "./events/bus";
import { servedDemoRoot } from "./projects/demo-workspace";
import { discoverProjects, ProjectRegistry } from "./projects/service";

/**
 * What every process on the database starts from: the config, the migrated database, the bus and
 * the project registry. The runtime (runtime-boot.ts) builds on it; one-shot data commands
 * (`workdeck errors list`, `workdeck ingest`) need nothing more, and open only this, without the
 * session runner, the OpenSpec service or the notifiers and what they load (issue 12).
 */
export type Store = {
  env: WorkdeckEnv;
  config: LoadedConfig;
  db: Db;
  /** The same database through the dialect-neutral port (issue 14): services moved onto it run on PostgreSQL too. */
  sqlStore: SqlStore;
  bus: EventBus;
  projects: ProjectRegistry;
  /** The demo workspace's copy when nothing is configured (issue 11), else undefined. */
  demoRoot: string | undefined;
};

export async function openStore(env: WorkdeckEnv): Promise<Store> {
  // Said, not ignored: someone who set it expects their data there, not in a SQLite file.
  if (env.databaseUrl)
    throw new Error(
      "WORKDECK_DATABASE_URL is set, but this version serves from SQLite only: `workdeck db migrate` prepares a PostgreSQL database, and its services are moving onto it. Unset WORKDECK_DATABASE_URL to use the SQLite file (WORKDECK_DB).",
    );
  const config = await loadConfig({ appRoot: env.appRoot, configPath: env.configPath });
  const db = openDatabase(env.dbPath);
  migrateDatabase(db, path.join(env.appRoot, "drizzle"));
  const sqlStore = SqliteStore.on(db.$client);
  const bus = new EventBus(db, sqlStore);
  // With nothing configured the demo is served from a copy beside the database, never from examples/ (issue 11).
  return {
    env,
    config,
    db,
    sqlStore,
    bus,
    projects: new ProjectRegistry(db),
    demoRoot: servedDemoRoot(env, config),
  };
}

/**
 * Discovers the configured projects and registers them (the `projects` table), announcing a
 * change on the bus; `beforeAnnounce` sees the removed slugs first. Returns discovery's warnings.
 */
export async function registerProjects(
  store: Store,
  beforeAnnounce: (removed: string[]) => void = () => {},
): Promise<{ warnings: string[] }> {
  const found = discoverProjects(store.config, store.env.appRoot, store.demoRoot);
  const diff = store.projects.replace(found.projects);
  if (diff.added.length || diff.removed.length) {
    beforeAnnounce(diff.removed);
    await store.bus.publishAsync({ type: "projects.changed", projectSlug: null, slugs: [...diff.added, ...diff.removed] });
  }
  return { warnings: found.warnings };
}
