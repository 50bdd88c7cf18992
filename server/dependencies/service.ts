/**
 * Dependencies between work items (issue 17): "fix this failure before implementing that change",
 * "this session waits for that one". Stored by work item key (schema.ts); where each blocker
 * stands is read from the domain that owns it every time (failure resolved or ignored, session
 * completed or discarded, change folder present or archived), so nothing here can go stale.
 *
 * Adding, removing, the session queue's gate and the archive bookkeeping go through the SQL port
 * (issue 14), and so does listing the edges with where each blocker stands (All Work).
 */
import fs from "node:fs";
import { sql } from "drizzle-orm";
import { AppError } from "../app-error";
import type { Db } from "../db/client";
import type { SqlStore } from "../db/sql-store";
import { sqlStoreOf } from "../accounts/rows";
import type { EventBus } from "../events/bus";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import type { ProjectRegistry } from "../projects/service";
import {
  DependencyInputSchema,
  isHolding,
  keyRef,
  refKey,
  type Blocker,
  type DependencyEdge,
  type DependencyInput,
  type WorkItemRef,
} from "@/lib/schemas/dependencies";
import {
  blockerStandings,
  changeDir,
  changeState,
  fingerprint,
  readBlockerRowsOn,
  recordMovesOn,
  type ChangeMove,
  type DependencyRow,
} from "./states";

/**
 * `projects` finds a change's folder; without it every change side reads as broken. `sqlStore`:
 * the port (absent = one over `db`'s connection).
 */
export type DependenciesDeps = { db?: Db; sqlStore?: SqlStore; bus: EventBus; projects?: Pick<ProjectRegistry, "find"> };
/** What reading where blockers stand needs. */
type ReadDeps = Pick<DependenciesDeps, "db" | "sqlStore" | "projects">;

// ----- add / remove ------------------------------------------------------------

export async function addDependency(deps: DependenciesDeps, raw: DependencyInput): Promise<{ blocker: string; blocked: string }> {
  const input = DependencyInputSchema.parse(raw);
  const blocker = refKey(input.blocker);
  const blocked = refKey(input.blocked);
  if (blocker === blocked) throw new AppError("BAD_REQUEST", `A work item cannot wait for itself (${blocker})`, "self_dependency");
  const store = sqlStoreOf(deps);
  const fingerprints = {
    blocker: await requireExisting(deps, store, input.blocker),
    blocked: await requireExisting(deps, store, input.blocked),
  };
  const inserted = await store.transaction(
    async (tx) => {
      // Checked and added under one lock: two additions that together close a cycle cannot both pass.
      const cycle = await findPath(tx, blocked, blocker);
      if (cycle)
        throw new AppError("CONFLICT", `That would make a cycle: ${[blocker, ...cycle].join(" → ")}`, "dependency_cycle", {
          cycle: [blocker, ...cycle],
        });
      return (
        await tx.run(
          sql`INSERT INTO work_dependencies (blocker, blocked, blocker_fingerprint, blocked_fingerprint, created_at)
              VALUES (${blocker}, ${blocked}, ${fingerprints.blocker}, ${fingerprints.blocked}, ${Date.now()}) ON CONFLICT DO NOTHING`,
        )
      ).changes;
    },
    { exclusive: "workdeck:dependencies" },
  );
  if (inserted) await publish(deps, store, blocker, blocked);
  return { blocker, blocked };
}

export async function removeDependency(deps: DependenciesDeps, raw: DependencyInput): Promise<{ removed: boolean }> {
  const input = DependencyInputSchema.parse(raw);
  const [blocker, blocked] = [refKey(input.blocker), refKey(input.blocked)];
  const store = sqlStoreOf(deps);
  const removed = (await store.run(sql`DELETE FROM work_dependencies WHERE blocker = ${blocker} AND blocked = ${blocked}`)).changes > 0;
  if (removed) await publish(deps, store, blocker, blocked);
  return { removed };
}

/** Announced under the waiting item's project, so that project's open lists and boards refresh. */
async function publish(deps: DependenciesDeps, store: SqlStore, blocker: string, blocked: string): Promise<void> {
  await deps.bus.publishAsync({
    type: "work.dependenciesChanged",
    projectSlug: (await projectOf(store, blocked)) ?? (await projectOf(store, blocker)),
    blocker,
    blocked,
  });
}

async function projectOf(store: SqlStore, key: string): Promise<string | null> {
  const ref = keyRef(key);
  if (!ref) return null;
  if (ref.kind === "spec") return ref.projectId;
  const row =
    ref.kind === "error"
      ? await store.get<{ project_slug: string }>(sql`SELECT project_slug FROM test_failures WHERE id = ${ref.failureId}`)
      : await store.get<{ project_slug: string }>(sql`SELECT project_slug FROM sessions WHERE id = ${ref.sessionId}`);
  return row?.project_slug ?? null;
}

/** The item must exist now; returns a change's proposal fingerprint (null for the other kinds). */
async function requireExisting(deps: DependenciesDeps, store: SqlStore, ref: WorkItemRef): Promise<string | null> {
  if (ref.kind === "error") {
    if (!(await store.get(sql`SELECT 1 AS one FROM test_failures WHERE id = ${ref.failureId}`)))
      throw new AppError("NOT_FOUND", `No failure #${ref.failureId}`);
    return null;
  }
  if (ref.kind === "session") {
    if (!(await store.get(sql`SELECT 1 AS one FROM sessions WHERE id = ${ref.sessionId}`)))
      throw new AppError("NOT_FOUND", `No session #${ref.sessionId}`);
    return null;
  }
  const dir = changeDir(deps, ref.projectId, ref.changeId);
  if (!dir || !fs.existsSync(dir)) throw new AppError("NOT_FOUND", `No change "${ref.changeId}" in project "${ref.projectId}"`);
  return fingerprint(dir);
}

// ----- cycles ------------------------------------------------------------------

/**
 * A path from `from` to `to` along "blocks" edges, or null. A session also inherits its work item's
 * blockers, so "failure → its remediation session" counts as an edge: a failure made to wait for
 * its own fixing session would never start it.
 */
async function findPath(store: SqlStore, from: string, to: string): Promise<string[] | null> {
  const out = new Map<string, string[]>();
  for (const r of await store.all<{ blocker: string; blocked: string }>(sql`SELECT blocker, blocked FROM work_dependencies`)) {
    (out.get(r.blocker) ?? out.set(r.blocker, []).get(r.blocker)!).push(r.blocked);
  }
  // Every session working on an item: one read, then looked up by its item's key.
  const bySessionItem = new Map<string, string[]>();
  for (const r of await store.all<{ id: number | string; work_item_kind: string; work_item_ref: string; project_slug: string }>(
    sql`SELECT id, work_item_kind, work_item_ref, project_slug FROM sessions WHERE work_item_kind IS NOT NULL AND work_item_ref IS NOT NULL`,
  )) {
    const key = workItemKey({ workItemKind: r.work_item_kind, workItemRef: r.work_item_ref, projectSlug: r.project_slug });
    if (key) (bySessionItem.get(key) ?? bySessionItem.set(key, []).get(key)!).push(`session:${Number(r.id)}`);
  }
  const next = (key: string): string[] => [...(out.get(key) ?? []), ...(bySessionItem.get(key) ?? [])];
  const parent = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const key = queue.shift()!;
    if (key === to) {
      const pathBack: string[] = [];
      for (let k: string | null = key; k !== null; k = parent.get(k) ?? null) pathBack.push(k);
      return pathBack.reverse();
    }
    for (const n of next(key)) {
      if (parent.has(n)) continue;
      parent.set(n, key);
      queue.push(n);
    }
  }
  return null;
}

// ----- where blockers stand ---------------------------------------------------

/** Every dependency with its blocker's state (All Work, the board, the graph), through the SQL port. */
export async function listEdgesOn(deps: ReadDeps): Promise<DependencyEdge[]> {
  const store = sqlStoreOf(deps);
  const read = async () =>
    (await store.all<DependencyRow>(sql`SELECT * FROM work_dependencies ORDER BY id`)).map((r) => ({ ...r, id: Number(r.id) }));
  let rows = await read();
  const renames: ChangeMove[] = [];
  for (const r of rows) if (r.blocked.startsWith("change:") && !r.blocked_archived_as) changeState(deps, r, "blocked", renames);
  if (renames.some((m) => m.kind === "renamed")) {
    await recordMovesOn(store, renames);
    rows = await read();
  }
  const moves: ChangeMove[] = [];
  const states = blockerStandings(deps, rows, await readBlockerRowsOn(store, rows), moves);
  await recordMovesOn(store, moves);
  return rows.map((r, i) => ({ blocker: r.blocker, blocked: r.blocked, ...states[i]! }));
}

/** blockedBy per work item key, for All Work: a session also lists what its work item waits on. */
export function blockedByIndex(edges: DependencyEdge[]): Map<string, Blocker[]> {
  const index = new Map<string, Blocker[]>();
  for (const e of edges)
    (index.get(e.blocked) ?? index.set(e.blocked, []).get(e.blocked)!).push({ key: e.blocker, state: e.state, label: e.label, via: null });
  return index;
}

/** A session's blockers: its own, then its work item's (named as inherited); through the port. */
export async function sessionBlockers(
  deps: ReadDeps,
  s: { id: number; workItemKind: string | null; workItemRef: string | null; projectSlug: string },
): Promise<Blocker[]> {
  const own = `session:${s.id}`;
  const item = workItemKey(s);
  const store = sqlStoreOf(deps);
  const rows = (
    await store.all<DependencyRow>(sql`SELECT * FROM work_dependencies WHERE blocked IN (${own}, ${item ?? own}) ORDER BY id`)
  ).map((r) => ({ ...r, id: Number(r.id) }));
  if (!rows.length) return [];
  const moves: ChangeMove[] = [];
  const states = blockerStandings(deps, rows, await readBlockerRowsOn(store, rows), moves);
  await recordMovesOn(store, moves);
  return rows.map((r, i) => ({ key: r.blocker, ...states[i]!, via: r.blocked === own ? null : r.blocked }));
}

export function workItemKey(s: { workItemKind: string | null; workItemRef: string | null; projectSlug: string }): string | null {
  if (s.workItemKind === "error" && s.workItemRef) return `failure:${s.workItemRef}`;
  if (s.workItemKind === "spec" && s.workItemRef) return `change:${s.projectSlug}/${s.workItemRef}`;
  return null;
}

/**
 * What the queue does with a queued session: start it, let it wait (a blocker is open or broken),
 * or cancel it (a blocker was ignored or discarded; the message names it).
 */
export type Gate =
  { action: "start" } | { action: "wait"; blockers: Blocker[] } | { action: "cancel"; message: string; blockers: Blocker[] };

export async function sessionGate(
  deps: ReadDeps,
  s: { id: number; workItemKind: string | null; workItemRef: string | null; projectSlug: string },
): Promise<Gate> {
  const blockers = await sessionBlockers(deps, s);
  const dropped = blockers.filter((b) => b.state === "dropped");
  if (dropped.length)
    return { action: "cancel", blockers, message: `Cancelled: it was waiting for ${dropped.map((b) => b.label).join(", ")}` };
  const holding = blockers.filter(isHolding);
  return holding.length ? { action: "wait", blockers: holding } : { action: "start" };
}

/**
 * All Work's items with `blockedBy`: each item's own blockers, and for a session those of its
 * work item too (named as inherited). A queued session says what it waits for.
 */
export function attachBlockers<
  T extends {
    key: string;
    type: string;
    detail: string;
    links: { session: { status: string } | null; change: { projectSlug: string; id: string } | null; failure: { id: number } | null };
  },
>(items: T[], edges: DependencyEdge[]): (T & { blockedBy: Blocker[] })[] {
  const index = blockedByIndex(edges);
  return items.map((item) => {
    let blockedBy = index.get(item.key) ?? [];
    // Only a session still waiting to start inherits: once it ran, its work item's blockers are not its own.
    if (item.type === "session" && item.links.session?.status === "queued") {
      const workKey = item.links.failure
        ? `failure:${item.links.failure.id}`
        : item.links.change
          ? `change:${item.links.change.projectSlug}/${item.links.change.id}`
          : null;
      const inherited = workKey ? (index.get(workKey) ?? []).map((b) => ({ ...b, via: workKey })) : [];
      if (inherited.length) blockedBy = [...blockedBy, ...inherited];
      const holding = blockedBy.filter(isHolding);
      if (holding.length) return { ...item, blockedBy, detail: `queued · waiting for ${describeBlockers(holding)}` };
    }
    return { ...item, blockedBy };
  });
}

/** Human words for a list of blockers ("failure #3, change add-x (gone)"). */
export function describeBlockers(blockers: Blocker[]): string {
  return blockers.map((b) => b.label).join(", ");
}

// ----- the bus ---------------------------------------------------------------------

/** Events after which a blocker may have been resolved, ignored or discarded. */
function mayUnblock(event: WorkdeckEvent): boolean {
  switch (event.type) {
    case "errors.failureUpdated":
      return event.resolvedIds.length > 0;
    case "errors.triaged":
    case "openspec.archived":
    case "openspec.changed":
    case "work.dependenciesChanged":
      return true;
    case "sessions.updated":
      // A session that completed (or was discarded: land publishes an update too) releases its dependants.
      return event.status !== "running" && event.status !== "queued";
    default:
      return false;
  }
}

/**
 * Keeps dependencies in step with the bus: an archive from Workdeck names its archive folder
 * (written down at once, so the dependency reads "archived" before anything reads the disk), and
 * `onMaybeUnblocked` (the session queue) hears about every event that may resolve a blocker.
 * It is called on the next tick: the event may come from inside the queue's own bookkeeping.
 */
export function watchDependencies(deps: DependenciesDeps, onMaybeUnblocked?: () => void): () => void {
  let pending = false;
  const store = sqlStoreOf(deps);
  let archiving: Promise<void> = Promise.resolve();
  return deps.bus.on((event) => {
    if (event.type === "openspec.archived") {
      const key = `change:${event.projectSlug}/${event.changeId}`;
      // Written down before the queue hears of it (below, on a later turn, once this is stored).
      archiving = archiving.then(() => recordArchive(store, key, event.archivedAs)).catch(() => {});
    }
    if (!onMaybeUnblocked || pending || !mayUnblock(event)) return;
    pending = true;
    setImmediate(() => {
      void archiving.then(() => {
        pending = false;
        onMaybeUnblocked();
      });
    });
  });
}

/** An archived change: every dependency naming it says where it went. */
async function recordArchive(store: SqlStore, key: string, archivedAs: string): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.run(
      sql`UPDATE work_dependencies SET blocker_archived_as = ${archivedAs} WHERE blocker = ${key} AND blocker_archived_as IS NULL`,
    );
    await tx.run(
      sql`UPDATE work_dependencies SET blocked_archived_as = ${archivedAs} WHERE blocked = ${key} AND blocked_archived_as IS NULL`,
    );
  });
}
