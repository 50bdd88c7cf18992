/**
 * Dependencies between work items (issue 17): "fix this failure before implementing that change",
 * "this session waits for that one". Stored by work item key (schema.ts); where each blocker
 * stands is read from the domain that owns it every time (failure resolved or ignored, session
 * completed or discarded, change folder present or archived), so nothing here can go stale.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { AppError } from "../app-error";
import type { Db } from "../db/client";
import type { EventBus } from "../events/bus";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import type { ProjectRegistry } from "../projects/service";
import {
  DependencyInputSchema,
  isHolding,
  keyRef,
  refKey,
  type Blocker,
  type BlockerState,
  type DependencyEdge,
  type DependencyInput,
  type WorkItemRef,
} from "@/lib/schemas/dependencies";

/** `projects` finds a change's folder; without it every change side reads as broken. */
export type DependenciesDeps = { db: Db; bus: EventBus; projects?: Pick<ProjectRegistry, "find"> };

type Row = {
  id: number;
  blocker: string;
  blocked: string;
  blocker_archived_as: string | null;
  blocked_archived_as: string | null;
  blocker_fingerprint: string | null;
  blocked_fingerprint: string | null;
};
type Side = "blocker" | "blocked";

// ----- add / remove ------------------------------------------------------------

export function addDependency(deps: DependenciesDeps, raw: DependencyInput): { blocker: string; blocked: string } {
  const input = DependencyInputSchema.parse(raw);
  const blocker = refKey(input.blocker);
  const blocked = refKey(input.blocked);
  if (blocker === blocked) throw new AppError("BAD_REQUEST", `A work item cannot wait for itself (${blocker})`, "self_dependency");
  const fingerprints = { blocker: requireExisting(deps, input.blocker), blocked: requireExisting(deps, input.blocked) };
  const cycle = findPath(deps.db, blocked, blocker);
  if (cycle)
    throw new AppError("CONFLICT", `That would make a cycle: ${[blocker, ...cycle].join(" → ")}`, "dependency_cycle", {
      cycle: [blocker, ...cycle],
    });
  const inserted = deps.db.$client
    .prepare(
      "INSERT OR IGNORE INTO work_dependencies (blocker, blocked, blocker_fingerprint, blocked_fingerprint, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .run(blocker, blocked, fingerprints.blocker, fingerprints.blocked, Date.now());
  if (inserted.changes) publish(deps, blocker, blocked);
  return { blocker, blocked };
}

export function removeDependency(deps: DependenciesDeps, raw: DependencyInput): { removed: boolean } {
  const input = DependencyInputSchema.parse(raw);
  const [blocker, blocked] = [refKey(input.blocker), refKey(input.blocked)];
  const removed =
    deps.db.$client.prepare("DELETE FROM work_dependencies WHERE blocker = ? AND blocked = ?").run(blocker, blocked).changes > 0;
  if (removed) publish(deps, blocker, blocked);
  return { removed };
}

/** Announced under the waiting item's project, so that project's open lists and boards refresh. */
function publish(deps: DependenciesDeps, blocker: string, blocked: string): void {
  deps.bus.publish({
    type: "work.dependenciesChanged",
    projectSlug: projectOf(deps.db, blocked) ?? projectOf(deps.db, blocker),
    blocker,
    blocked,
  });
}

function projectOf(db: Db, key: string): string | null {
  const ref = keyRef(key);
  if (!ref) return null;
  if (ref.kind === "spec") return ref.projectId;
  const row = (
    ref.kind === "error"
      ? db.$client.prepare("SELECT project_slug FROM test_failures WHERE id = ?").get(ref.failureId)
      : db.$client.prepare("SELECT project_slug FROM sessions WHERE id = ?").get(ref.sessionId)
  ) as { project_slug: string } | undefined;
  return row?.project_slug ?? null;
}

/** The item must exist now; returns a change's proposal fingerprint (null for the other kinds). */
function requireExisting(deps: DependenciesDeps, ref: WorkItemRef): string | null {
  const sqlite = deps.db.$client;
  if (ref.kind === "error") {
    if (!sqlite.prepare("SELECT 1 FROM test_failures WHERE id = ?").get(ref.failureId))
      throw new AppError("NOT_FOUND", `No failure #${ref.failureId}`);
    return null;
  }
  if (ref.kind === "session") {
    if (!sqlite.prepare("SELECT 1 FROM sessions WHERE id = ?").get(ref.sessionId))
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
function findPath(db: Db, from: string, to: string): string[] | null {
  const sqlite = db.$client;
  const out = new Map<string, string[]>();
  for (const r of sqlite.prepare("SELECT blocker, blocked FROM work_dependencies").all() as { blocker: string; blocked: string }[]) {
    (out.get(r.blocker) ?? out.set(r.blocker, []).get(r.blocker)!).push(r.blocked);
  }
  const sessionsOf = sqlite.prepare(
    "SELECT id FROM sessions WHERE work_item_kind = ? AND work_item_ref = ? AND (? IS NULL OR project_slug = ?)",
  );
  const next = (key: string): string[] => {
    const ref = keyRef(key);
    const inherited =
      ref?.kind === "error"
        ? (sessionsOf.all("error", String(ref.failureId), null, null) as { id: number }[])
        : ref?.kind === "spec"
          ? (sessionsOf.all("spec", ref.changeId, ref.projectId, ref.projectId) as { id: number }[])
          : [];
    return [...(out.get(key) ?? []), ...inherited.map((s) => `session:${s.id}`)];
  };
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

/** Every dependency with its blocker's state (All Work, the board, the graph). */
export function listEdges(deps: Pick<DependenciesDeps, "db" | "projects">): DependencyEdge[] {
  const read = () => deps.db.$client.prepare("SELECT * FROM work_dependencies ORDER BY id").all() as Row[];
  let rows = read();
  // A waiting change that was renamed keeps its dependencies under its new name.
  if (
    rows.some(
      (r) => r.blocked.startsWith("change:") && !r.blocked_archived_as && changeState(deps, r, "blocked").label.includes("(renamed from"),
    )
  )
    rows = read();
  const states = blockerStates(deps, rows);
  return rows.map((r, i) => ({ blocker: r.blocker, blocked: r.blocked, ...states[i]! }));
}

/** blockedBy per work item key, for All Work: a session also lists what its work item waits on. */
export function blockedByIndex(edges: DependencyEdge[]): Map<string, Blocker[]> {
  const index = new Map<string, Blocker[]>();
  for (const e of edges)
    (index.get(e.blocked) ?? index.set(e.blocked, []).get(e.blocked)!).push({ key: e.blocker, state: e.state, label: e.label, via: null });
  return index;
}

/** A session's blockers: its own, then its work item's (named as inherited). */
export function sessionBlockers(
  deps: Pick<DependenciesDeps, "db" | "projects">,
  s: { id: number; workItemKind: string | null; workItemRef: string | null; projectSlug: string },
): Blocker[] {
  const own = `session:${s.id}`;
  const item = workItemKey(s);
  const rows = deps.db.$client
    .prepare("SELECT * FROM work_dependencies WHERE blocked IN (?, ?) ORDER BY id")
    .all(own, item ?? own) as Row[];
  if (!rows.length) return [];
  const states = blockerStates(deps, rows);
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

export function sessionGate(
  deps: Pick<DependenciesDeps, "db" | "projects">,
  s: { id: number; workItemKind: string | null; workItemRef: string | null; projectSlug: string },
): Gate {
  const blockers = sessionBlockers(deps, s);
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

/**
 * The blocker state of each row. Reads in batches (one query per kind) so 2,000 dependencies
 * cost three queries, and follows a change that moved: archived (its folder under
 * changes/archive/) or renamed (a change folder with the same proposal), writing down where it went.
 */
function blockerStates(deps: Pick<DependenciesDeps, "db" | "projects">, rows: Row[]): { state: BlockerState; label: string }[] {
  const sqlite = deps.db.$client;
  const ids = (prefix: string) =>
    JSON.stringify([...new Set(rows.filter((r) => r.blocker.startsWith(prefix)).map((r) => Number(r.blocker.slice(prefix.length))))]);
  const failures = new Map(
    (
      sqlite
        .prepare(
          "SELECT f.id, f.resolved_at, t.decision FROM test_failures f LEFT JOIN error_triage t ON t.test_failure_id = f.id WHERE f.id IN (SELECT value FROM json_each(?))",
        )
        .all(ids("failure:")) as { id: number; resolved_at: number | null; decision: string | null }[]
    ).map((f) => [f.id, f]),
  );
  const sessions = new Map(
    (
      sqlite.prepare("SELECT id, status, landed FROM sessions WHERE id IN (SELECT value FROM json_each(?))").all(ids("session:")) as {
        id: number;
        status: string;
        landed: string | null;
      }[]
    ).map((s) => [s.id, s]),
  );
  return rows.map((r) => {
    const key = r.blocker;
    if (key.startsWith("failure:")) {
      const id = Number(key.slice(8));
      const f = failures.get(id);
      if (!f) return { state: "broken", label: `failure #${id} (gone)` };
      if (f.resolved_at !== null) return { state: "resolved", label: `failure #${id} (resolved)` };
      if (f.decision === "ignore") return { state: "dropped", label: `failure #${id} (ignored)` };
      return { state: "open", label: `failure #${id}` };
    }
    if (key.startsWith("session:")) {
      const id = Number(key.slice(8));
      const s = sessions.get(id);
      if (!s) return { state: "broken", label: `session #${id} (gone)` };
      if (s.landed === "discarded") return { state: "dropped", label: `session #${id} (discarded)` };
      if (s.status === "completed") return { state: "resolved", label: `session #${id} (completed)` };
      return { state: "open", label: `session #${id} (${s.status})` };
    }
    return changeState(deps, r, "blocker");
  });
}

function changeState(deps: Pick<DependenciesDeps, "db" | "projects">, r: Row, side: Side): { state: BlockerState; label: string } {
  const ref = keyRef(r[side]);
  if (ref?.kind !== "spec") return { state: "broken", label: `${r[side]} (unknown)` };
  const archivedAs = side === "blocker" ? r.blocker_archived_as : r.blocked_archived_as;
  if (archivedAs) return { state: "resolved", label: `change ${ref.changeId} (archived)` };
  const dir = changeDir(deps, ref.projectId, ref.changeId);
  if (dir && fs.existsSync(dir)) return { state: "open", label: `change ${ref.changeId}` };
  const moved = dir ? followChange(deps, r, side, dir, ref.changeId) : null;
  if (moved?.archivedAs) return { state: "resolved", label: `change ${ref.changeId} (archived)` };
  if (moved?.renamedTo) return { state: "open", label: `change ${moved.renamedTo} (renamed from ${ref.changeId})` };
  return { state: "broken", label: `change ${ref.changeId} (gone)` };
}

/** A change folder that is gone: archived (`changes/archive/<date>-<id>`) or renamed (same proposal). */
function followChange(
  deps: Pick<DependenciesDeps, "db">,
  r: Row,
  side: Side,
  dir: string,
  changeId: string,
): { archivedAs?: string; renamedTo?: string } | null {
  const changes = path.dirname(dir);
  const archive = path.join(changes, "archive");
  const archivedAs = safeList(archive).find(
    (name) => name === changeId || (name.endsWith(`-${changeId}`) && /^\d{4}-\d{2}-\d{2}-/.test(name)),
  );
  const sqlite = deps.db.$client;
  if (archivedAs) {
    sqlite.prepare(`UPDATE work_dependencies SET ${side}_archived_as = ? WHERE id = ?`).run(archivedAs, r.id);
    return { archivedAs };
  }
  const print = side === "blocker" ? r.blocker_fingerprint : r.blocked_fingerprint;
  if (!print) return null;
  const renamedTo = safeList(changes).find((name) => name !== "archive" && fingerprint(path.join(changes, name)) === print);
  if (!renamedTo) return null;
  // The key moves with the folder, on every row that names it.
  const oldKey = r[side];
  const newKey = oldKey.replace(/\/[^/]+$/, `/${renamedTo}`);
  sqlite.transaction(() => {
    sqlite.prepare("UPDATE OR IGNORE work_dependencies SET blocker = ? WHERE blocker = ?").run(newKey, oldKey);
    sqlite.prepare("UPDATE OR IGNORE work_dependencies SET blocked = ? WHERE blocked = ?").run(newKey, oldKey);
  })();
  return { renamedTo };
}

/** Where a change lives on disk, or null for an unknown project. The id is validated by its schema. */
function changeDir(deps: Pick<DependenciesDeps, "projects">, projectSlug: string, changeId: string): string | null {
  const project = deps.projects?.find(projectSlug);
  if (!project || changeId === "archive") return null;
  return path.join(project.openspecRoot, "openspec", "changes", changeId);
}

function fingerprint(changeDir: string): string | null {
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
  return deps.bus.on((event) => {
    if (event.type === "openspec.archived") {
      const key = `change:${event.projectSlug}/${event.changeId}`;
      const sqlite = deps.db.$client;
      sqlite
        .prepare("UPDATE work_dependencies SET blocker_archived_as = ? WHERE blocker = ? AND blocker_archived_as IS NULL")
        .run(event.archivedAs, key);
      sqlite
        .prepare("UPDATE work_dependencies SET blocked_archived_as = ? WHERE blocked = ? AND blocked_archived_as IS NULL")
        .run(event.archivedAs, key);
    }
    if (!onMaybeUnblocked || pending || !mayUnblock(event)) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      onMaybeUnblocked();
    });
  });
}
