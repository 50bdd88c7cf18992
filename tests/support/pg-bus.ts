/**
 * A PostgreSQL database migrated for Workdeck, and one "instance" of the event bus on it (its own
 * pool, its bus polling only hourly so anything faster came by NOTIFY, its LISTEN connection):
 * what the scale-out tests and bench on PostgreSQL stand up (issue 14).
 */
import path from "node:path";
import pg from "pg";
import { migratePgDatabase, openPgDatabase } from "@/server/db/pg-client";
import { PostgresStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { PgNotifier } from "@/server/events/pg-notifier";

// Not from ./temp: benches run this under plain ESM, where __dirname does not exist.
const repoRoot = path.resolve(import.meta.dirname, "../..");
const HOUR = 3_600_000;
const quiet = { info: () => {}, warn: () => {} };

/** Applies drizzle/pg to the database at `url`. */
export async function migratePostgres(url: string): Promise<void> {
  const db = openPgDatabase(url);
  try {
    await migratePgDatabase(db, path.join(repoRoot, "drizzle", "pg"));
  } finally {
    await db.$client.end();
  }
}

/** The same server's URL for another database on it. */
export const databaseUrl = (serverUrl: string, database: string): string => serverUrl.replace(/\/postgres$/, `/${database}`);

export type PgBusInstance = { store: PostgresStore; bus: EventBus; notifier: PgNotifier; close(): Promise<void> };

export async function pgBusInstance(url: string): Promise<PgBusInstance> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const store = new PostgresStore(pool);
  const bus = new EventBus(null, store);
  const notifier = new PgNotifier(url, quiet);
  await bus.startPolling(HOUR);
  bus.useNotifier(notifier);
  await notifier.start();
  return {
    store,
    bus,
    notifier,
    async close() {
      bus.stopPolling();
      await notifier.close();
      await pool.end();
    },
  };
}
