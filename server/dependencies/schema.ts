import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * "This work item waits for that one" (issue 17). Each side is a work item key as All Work
 * spells it (`failure:<id>`, `session:<id>`, `change:<project>/<id>`), so listAll joins them
 * without a lookup. Failures and sessions have database ids that never change; a change's id
 * is its folder name, so a change side carries what keeps it findable after an archive or a
 * rename: where it was archived to, and a fingerprint of its proposal.md at the time (a folder
 * renamed with the same proposal is the same change). Rows are never deleted because a side
 * disappeared: such a dependency shows as broken until a person removes it.
 */
export const workDependencies = sqliteTable(
  "work_dependencies",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** The item that must be resolved first. */
    blocker: text("blocker").notNull(),
    /** The item that waits. */
    blocked: text("blocked").notNull(),
    /** A change side archived: the archive folder name (`2026-12-04-add-x`). */
    blockerArchivedAs: text("blocker_archived_as"),
    blockedArchivedAs: text("blocked_archived_as"),
    /** sha256 of a change side's proposal.md when the dependency was added (rename detection). */
    blockerFingerprint: text("blocker_fingerprint"),
    blockedFingerprint: text("blocked_fingerprint"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("work_dependencies_pair_idx").on(t.blocker, t.blocked), index("work_dependencies_blocked_idx").on(t.blocked)],
);
