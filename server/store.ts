import path from "node:path";
import { loadConfig, type LoadedConfig } from "./config";
import { migrateDatabase, openDatabase, type Db } from "./db/client";
import type { WorkdeckEnv } from "./env";
import { PostgresStore, SqliteStore, type SqlStore } from "./db/sql-store";
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
  /**
   * The SQLite connection, for what is SQLite's by nature (the WAL checkpointer, the ingest
   * worker's file). Absent on PostgreSQL, so nothing there can reach a SQLite file by mistake.
   */
  db?: Db;
  /** The database through the dialect-neutral port (issue 14): SQLite, or PostgreSQL when WORKDECK_DATABASE_URL is set. */
  sqlStore: SqlStore;
  bus: EventBus;
  projects: ProjectRegistry;
  /** The demo workspace's copy when nothing is configured (issue 11), else undefined. */
  demoRoot: string | undefined;
  /** Closes the database (the SQLite file, or the PostgreSQL pool). */
  close(): Promise<void>;
};

type OpenedDatabase = { db?: Db; sqlStore: SqlStore; close(): Promise<void> };

export async function openStore(env: WorkdeckEnv): Promise<Store> {
  const config = await loadConfig({ appRoot: env.appRoot, configPath: env.configPath });
  const opened = env.databaseUrl ? await openPostgres(env.databaseUrl, env.appRoot) : openSqlite(env);
  const bus = new EventBus(opened.db ?? null, opened.sqlStore);
  // With nothing configured the demo is served from a copy beside the database, never from examples/ (issue 11).
  return {
    env,
    config,
    ...opened,
    bus,
    projects: new ProjectRegistry(opened.sqlStore),
    demoRoot: servedDemoRoot(env, config),
  };
}

function openSqlite(env: WorkdeckEnv): OpenedDatabase {
  const db = openDatabase(env.dbPath);
  migrateDatabase(db, path.join(env.appRoot, "drizzle"));
  return { db, sqlStore: SqliteStore.on(db.$client), close: async () => void db.$client.close() };
}

/**
 * A pool on the database, migrated before anything else uses it (several instances starting at
 * once take turns: migratePgDatabase's advisory lock). A database that cannot be reached or
 * refuses the login fails the start with one line that names the URL without its password.
 */
async function openPostgres(url: string, appRoot: string): Promise<OpenedDatabase> {
  const { describePgUrl, isPostgresUrl, migratePgDatabase, openPgDatabase } = await import("./db/pg-client");
  if (!isPostgresUrl(url)) throw new Error("WORKDECK_DATABASE_URL must be a postgres:// or postgresql:// URL");
  const pgDb = openPgDatabase(url);
  try {
    await migratePgDatabase(pgDb, path.join(appRoot, "drizzle", "pg"));
  } catch (err) {
    await pgDb.$client.end().catch(() => {});
    const reason = ((err as Error).message || String(err)).split("\n")[0];
    throw new Error(`cannot open the PostgreSQL database ${describePgUrl(url)} (WORKDECK_DATABASE_URL): ${reason}`);
  }
  return { sqlStore: new PostgresStore(pgDb.$client), close: () => pgDb.$client.end() };
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
  await store.projects.mirror();
  if (diff.added.length || diff.removed.length) {
    beforeAnnounce(diff.removed);
    await store.bus.publishAsync({ type: "projects.changed", projectSlug: null, slugs: [...diff.added, ...diff.removed] });
  }
  return { warnings: found.warnings };
}
