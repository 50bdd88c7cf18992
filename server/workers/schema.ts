import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * `workdeck worker` processes on other machines (issue 14), as their heartbeats describe them.
 * A worker holds some accounts' Claude logins; the server only ever learns the account ids and
 * whether each is ready, never a credential. A row stays after the worker goes silent, marked
 * lost, so the Accounts view can say where an account was last held.
 */
export const workers = sqliteTable("workers", {
  /** `--name`, unique across the deployment (the host name by default). */
  name: text("name").primaryKey(),
  /** JSON: `[{ id, ready, reason }]`, the accounts this worker holds and whether each can run now. */
  accounts: text("accounts").notNull().default("[]"),
  /** `--max-concurrent`: sessions it runs at once. */
  capacity: integer("capacity").notNull(),
  /** JSON: the ids of the sessions it is running, as of its last heartbeat. */
  running: text("running").notNull().default("[]"),
  /** The Workdeck version it runs, and its host (for people reading the Accounts view). */
  version: text("version").notNull(),
  host: text("host").notNull(),
  firstSeenAt: integer("first_seen_at", { mode: "timestamp_ms" }).notNull(),
  lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
  /** Set when it was silent past the limit and its sessions were interrupted; cleared by its next heartbeat. */
  lostAt: integer("lost_at", { mode: "timestamp_ms" }),
});
