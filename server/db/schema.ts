import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Projects discovered by scanning or listed in the config. The slug is the id everywhere. */
export const projects = sqliteTable("projects", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  path: text("path").notNull(),
  openspecPath: text("openspec_path").notNull(),
  /** "config" | "scan" | "demo" */
  source: text("source").notNull(),
  /** Whether the last discovery pass still found it; gone projects keep their history. */
  present: integer("present", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch() * 1000)`),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch() * 1000)`),
});

/**
 * Every event published on the bus, in order. The autoincrement id is the
 * cursor subscriptions resume from, so a reconnecting browser misses nothing.
 */
export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type").notNull(),
    projectSlug: text("project_slug"),
    payload: text("payload", { mode: "json" }).notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("events_project_id_idx").on(t.projectSlug, t.id), index("events_type_id_idx").on(t.type, t.id)],
);
