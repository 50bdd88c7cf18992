import { sql } from "drizzle-orm";
import type { SessionOptions } from "@/lib/schemas/sessions";
import type { SqlStore } from "@/server/db/sql-store";
import { sessionInsertValues } from "@/server/sessions/rows";

/**
 * A manual session of project "demo", queued, written straight into `store` (no worktree, no
 * notes): where the queue's tests start, as if sessions.start had just stored it.
 */
export async function insertQueuedSession(
  store: SqlStore,
  fields: { priority?: number; options?: SessionOptions; cwd?: string; prompt?: string } = {},
): Promise<number> {
  const r = await store.run<{ id: number | string }>(
    sql`INSERT INTO sessions ${sessionInsertValues({
      sessionType: "manual",
      status: "queued",
      projectSlug: "demo",
      cwd: fields.cwd ?? "/tmp",
      prompt: fields.prompt ?? "do it",
      options: fields.options ?? {},
      priority: fields.priority ?? 3,
      runs: [],
      createdAt: new Date(),
    })} RETURNING id`,
  );
  return Number(r.row!.id);
}
