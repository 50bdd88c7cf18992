/**
 * Where each blocker stands (issue 17), read in batches (one query per kind, so 2,000
 * dependencies cost three queries) through the SQL port (issue 14). A change that
 * moved is followed (archived under changes/archive/, or renamed: a folder with the same
 * proposal), and where it went is written down by the same path.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { sqlValues } from "../db/dialect-sql";
import type { SqlStore } from "../db/sql-store";
import type { ProjectRegistry } from "../projects/service";
import { keyRef, type BlockerState } from "@/lib/schemas/dependencies";

export type DependencyRow = {
  id: number;
  blocker: string;
  blocked: string;
  blocker_archived_as: string | null;
  blocked_archived_as: string | null;
  blocker_fingerprint: string | null;
  blocked_fingerprint: string | null;
};
export type Side = "blocker" | "blocked";
export type BlockerStanding = { state: BlockerState; label: string };
type Projects = { projects?: Pick<ProjectRegistry, "find"> };

/** A change side found elsewhere, to write down: archived (on that row), or renamed (its key, on every row). */
export type ChangeMove =
  { kind: "archived"; id: number; side: Side; archivedAs: string } | { kind: "renamed"; side: Side; from: string; to: string };

/** The rows of the failures and sessions the blockers name. */
export type BlockerRows = {
  failures: Map<number, { resolved_at: number | string | null; decision: string | null }>;
  sessions: Map<number, { status: string; landed: string | null }>;
};

function blockerIds(rows: DependencyRow[], prefix: string): number[] {
  return [...new Set(rows.filter((r) => r.blocker.startsWith(prefix)).map((r) => Number(r.blocker.slice(prefix.length))))];
}

/** BlockerRows through the port. */
export async function readBlockerRowsOn(store: SqlStore, rows: DependencyRow[]): Promise<BlockerRows> {
  const failureIds = blockerIds(rows, "failure:");
  const sessionIds = blockerIds(rows, "session:");
  const failures = failureIds.length
    ? await store.all<{ id: number | string; resolved_at: number | string | null; decision: string | null }>(
        sql`SELECT f.id, f.resolved_at, t.decision FROM test_failures f LEFT JOIN error_triage t ON t.test_failure_id = f.id
            WHERE f.id IN (${sqlValues(failureIds)})`,
      )
    : [];
  const sessions = sessionIds.length
    ? await store.all<{ id: number | string; status: string; landed: string | null }>(
        sql`SELECT id, status, landed FROM sessions WHERE id IN (${sqlValues(sessionIds)})`,
      )
    : [];
  return {
    failures: new Map(failures.map((f) => [Number(f.id), f])),
    sessions: new Map(sessions.map((s) => [Number(s.id), s])),
  };
}

/** The standing of each row's blocker; changes found elsewhere are added to `moves`. */
export function blockerStandings(deps: Projects, rows: DependencyRow[], read: BlockerRows, moves: ChangeMove[]): BlockerStanding[] {
  return rows.map((r) => {
    const key = r.blocker;
    if (key.startsWith("failure:")) {
      const id = Number(key.slice(8));
      const f = read.failures.get(id);
      if (!f) return { state: "broken", label: `failure #${id} (gone)` };
      if (f.resolved_at !== null) return { state: "resolved", label: `failure #${id} (resolved)` };
      if (f.decision === "ignore") return { state: "dropped", label: `failure #${id} (ignored)` };
      return { state: "open", label: `failure #${id}` };
    }
    if (key.startsWith("session:")) {
      const id = Number(key.slice(8));
      const s = read.sessions.get(id);
      if (!s) return { state: "broken", label: `session #${id} (gone)` };
      if (s.landed === "discarded") return { state: "dropped", label: `session #${id} (discarded)` };
      if (s.status === "completed") return { state: "resolved", label: `session #${id} (completed)` };
      return { state: "open", label: `session #${id} (${s.status})` };
    }
    return changeState(deps, r, "blocker", moves);
  });
}

export function changeState(deps: Projects, r: DependencyRow, side: Side, moves: ChangeMove[]): BlockerStanding {
  const ref = keyRef(r[side]);
  if (ref?.kind !== "spec") return { state: "broken", label: `${r[side]} (unknown)` };
  const archivedAs = side === "blocker" ? r.blocker_archived_as : r.blocked_archived_as;
  if (archivedAs) return { state: "resolved", label: `change ${ref.changeId} (archived)` };
  const dir = changeDir(deps, ref.projectId, ref.changeId);
  if (dir && fs.existsSync(dir)) return { state: "open", label: `change ${ref.changeId}` };
  const moved = dir ? followChange(r, side, dir, ref.changeId) : null;
  if (moved) moves.push(moved);
  if (moved?.kind === "archived") return { state: "resolved", label: `change ${ref.changeId} (archived)` };
  if (moved?.kind === "renamed") return { state: "open", label: `change ${moved.to.replace(/^.*\//, "")} (renamed from ${ref.changeId})` };
  return { state: "broken", label: `change ${ref.changeId} (gone)` };
}

/** A change folder that is gone: archived (`changes/archive/<date>-<id>`) or renamed (same proposal). */
function followChange(r: DependencyRow, side: Side, dir: string, changeId: string): ChangeMove | null {
  const changes = path.dirname(dir);
  const archive = path.join(changes, "archive");
  const archivedAs = safeList(archive).find(
    (name) => name === changeId || (name.endsWith(`-${changeId}`) && /^\d{4}-\d{2}-\d{2}-/.test(name)),
  );
  if (archivedAs) return { kind: "archived", id: r.id, side, archivedAs };
  const print = side === "blocker" ? r.blocker_fingerprint : r.blocked_fingerprint;
  if (!print) return null;
  const renamedTo = safeList(changes).find((name) => name !== "archive" && fingerprint(path.join(changes, name)) === print);
  if (!renamedTo) return null;
  // The key moves with the folder, on every row that names it.
  const from = r[side];
  return { kind: "renamed", side, from, to: from.replace(/\/[^/]+$/, `/${renamedTo}`) };
}

/** Writes the moves down through the port; a renamed key skips rows whose pair already exists under it (UPDATE OR IGNORE's meaning). */
export async function recordMovesOn(store: SqlStore, moves: ChangeMove[]): Promise<void> {
  for (const m of moves) {
    if (m.kind === "archived") {
      const column = sql.identifier(`${m.side}_archived_as`);
      await store.run(sql`UPDATE work_dependencies SET ${column} = ${m.archivedAs} WHERE id = ${m.id}`);
      continue;
    }
    await store.transaction(async (tx) => {
      await tx.run(
        sql`UPDATE work_dependencies SET blocker = ${m.to} WHERE blocker = ${m.from}
            AND NOT EXISTS (SELECT 1 FROM work_dependencies d WHERE d.blocker = ${m.to} AND d.blocked = work_dependencies.blocked)`,
      );
      await tx.run(
        sql`UPDATE work_dependencies SET blocked = ${m.to} WHERE blocked = ${m.from}
            AND NOT EXISTS (SELECT 1 FROM work_dependencies d WHERE d.blocked = ${m.to} AND d.blocker = work_dependencies.blocker)`,
      );
    });
  }
}

/** Where a change lives on disk, or null for an unknown project. The id is validated by its schema. */
export function changeDir(deps: Projects, projectSlug: string, changeId: string): string | null {
  const project = deps.projects?.find(projectSlug);
  if (!project || changeId === "archive") return null;
  return path.join(project.openspecRoot, "openspec", "changes", changeId);
}

export function fingerprint(changeDir: string): string | null {
  try {
    return crypto
      .createHash("sha256")
      .update(fs.readFileSync(path.join(changeDir, "proposal.md")))
      .digest("hex");
  } catch {
    return null;
  }
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
