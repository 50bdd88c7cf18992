import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { backoffDelay } from "@/lib/backoff";
import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** After a checkpoint resets the WAL, its file is cut back to this (a big ingest must not leave a huge file behind). */
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

export type OpenOptions = {
  /**
   * Pages in the WAL past which a commit also checkpoints (SQLite's default is 1,000). The server
   * sets 0 and checkpoints from a background thread instead (checkpointer.ts): a checkpoint inside
   * a commit made that commit, and every writer queued behind it, wait (issue 12).
   */
  autoCheckpoint?: number;
};

/**
 * Opens (creating if needed) the SQLite file. Called lazily: `next build`
 * imports route modules, and a native handle opened at import time would
 * leak into the build.
 */
export function openDatabase(dbPath: string, opts: OpenOptions = {}): Db {
  if (dbPath !== ":memory:") fs.mkdirSync(path.dirname(dbPath), { recursive: true });
  const sqlite = new Database(dbPath);
  // First: switching a new file to WAL takes a lock that a second process opening it must wait for.
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  if (opts.autoCheckpoint !== undefined) sqlite.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(opts.autoCheckpoint))}`);
  return drizzle(sqlite, { schema }) as Db;
}

/** Tries after the first, when several processes migrate one new file at once (see migrateDatabase). */
const MIGRATE_RETRIES = 5;

/**
 * Applies the committed SQL migrations in `drizzle/`. Idempotent, and safe when several processes
 * start on one new file at once (three `workdeck ingest` runs, a CLI beside `serve`): the
 * migrator reads what is applied before its transaction, so a second process can find the tables
 * it meant to create already made by the first ("table already exists"). Its transaction rolled
 * back whole; once the first has committed, a retry finds nothing left to apply.
 */
export function migrateDatabase(db: Db, migrationsFolder: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      migrate(db, { migrationsFolder });
      return;
    } catch (err) {
      if (attempt >= MIGRATE_RETRIES) throw err;
      sleepSync(backoffDelay(attempt, { baseMs: 25, maxMs: 800, jitter: true }));
    }
  }
}

/** Opening the database is synchronous for its callers; a short blocking wait keeps it so. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
