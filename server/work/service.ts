/**
 * All Work (issue 6): OpenSpec changes, failure groups, Workdeck sessions and agents that need a
 * person, merged into one prioritised list. Reads what the other services already keep (the
 * OpenSpec snapshot cache, the failure/triage tables, sessions, the agents summary table) and
 * caches the merged, sorted list per project until the bus says something changed.
 *
 * Each domain is read through its own narrow summary function (errors.failureSummaries,
 * sessionSummaries, liveAgentSummaries), never its tables: the list must be built in well under
 * 50 ms with 5,000 failure groups, so it never goes through errors.listFailures (sparklines,
 * rationales, messages).
 */
import { sql, type SQL } from "drizzle-orm";
import { jsonArrayLength, jsonIsTrue, jsonText, sqlValues } from "../db/dialect-sql";
import type { Dialect, SqlStore } from "../db/sql-store";
import type { EventBus } from "../events/bus";
import type { WorkCache } from "./cache";
import type { OpenSpecService } from "../specs/service";
import { waitingOnPermission } from "../sessions/permissions";
import { sessionSummariesOn, type SessionSummary } from "../sessions/store";
import { failureSummaries } from "../errors/service";
import type { FailureStatus } from "@/lib/schemas/errors";
import { liveAgentSummaries } from "../agents/service";
import { integrationActivity, integrationActivitySql, integrationWorkItems } from "../webhooks/work-items";
import { attachBlockers, listEdgesOn } from "../dependencies/service";
import { attachHealth, DEFAULT_STUCK_MINUTES, runningHealthOn } from "../sessions/health";
import type { LoadedConfig } from "../config";
import type { ProjectRegistry } from "../projects/service";
import { WORK_EVENT_TYPES, isWorkEvent } from "@/lib/schemas/event-scope";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import {
  ActivityInputSchema,
  ListAllInputSchema,
  WorkStatusSchema,
  WorkTypeSchema,
  agentHref,
  changeItemHref,
  failureHref,
  sessionHref,
  type ActivityInput,
  type ActivityItem,
  type ActivityKind,
  type ListAllInput,
  type WorkFilter,
  type WorkItem,
  type WorkStats,
  type WorkStatus,
} from "@/lib/schemas/work";

export type WorkDeps = {
  /** Every read goes through the SQL port (issue 14), on SQLite or PostgreSQL. */
  sqlStore: SqlStore;
  bus: EventBus;
  openspec: Pick<OpenSpecService, "listChanges">;
  /** Finds a change's folder for its dependencies (issue 17); without it change blockers read as broken. */
  projects?: Pick<ProjectRegistry, "find">;
  /** `agents.stuckMinutes` (agent health, issue 17). */
  config?: Pick<LoadedConfig, "config">;
  now?: () => number;
  /** The runtime's list cache; without one (a test's hand-built deps) every call builds the list. */
  workCache?: WorkCache;
};

/** Bounds staleness of time-based states (an agent that went quiet) between bus events. */
const CACHE_TTL_MS = 10_000;
/** Sessions shown: the most recent ones; older finished sessions live on the Sessions tab. */
const SESSION_LIMIT = 500;

/** Order of the status groups: what needs a person first, finished work last. */
const STATUS_RANK: Record<WorkStatus, number> = { needs_you: 0, in_progress: 1, failed: 2, open: 3, done: 4, ignored: 5 };

const ACTIVE_SESSION = new Set(["queued", "running"]);
const FAILED_SESSION = new Set(["failed", "crashed", "interrupted"]);

// Which events change the list is shared with the browser's live dispatcher.
export { WORK_EVENT_TYPES, isWorkEvent };

/** Drops the cached lists (tests, benchmarks). */
export function invalidateWork(deps: Pick<WorkDeps, "workCache">): void {
  deps.workCache?.invalidate();
}

// ----- listAll ---------------------------------------------------------------

/** Every work item of a project (or all projects), "needs you" first, then by priority. */
export async function listAll(deps: WorkDeps, raw: ListAllInput = {}): Promise<WorkItem[]> {
  const input = ListAllInputSchema.parse(raw);
  const items = await merged(deps, input.projectId);
  return input.filter ? applyFilter(items, input.filter) : items;
}

export async function stats(deps: WorkDeps, raw: { projectId?: string } = {}): Promise<WorkStats> {
  // Read before the list: an event after this id may or may not be counted, and the feed replays it.
  const lastEventId = await deps.bus.latestId();
  const items = await merged(deps, raw.projectId);
  const byStatus = Object.fromEntries(WorkStatusSchema.options.map((s) => [s, 0])) as WorkStats["byStatus"];
  const byType = Object.fromEntries(WorkTypeSchema.options.map((t) => [t, 0])) as WorkStats["byType"];
  for (const item of items) {
    byStatus[item.status] = (byStatus[item.status] ?? 0) + 1;
    byType[item.type] = (byType[item.type] ?? 0) + 1;
  }
  return { total: items.length, byStatus, byType, lastEventId };
}

async function merged(deps: WorkDeps, projectId: string | undefined): Promise<WorkItem[]> {
  const cache = deps.workCache;
  const key = projectId ?? "";
  const now = deps.now?.() ?? Date.now();
  const hit = cache?.get(key);
  if (hit && now - hit.at < CACHE_TTL_MS) return hit.items;
  const items = await build(deps, projectId, now);
  cache?.set(key, { at: now, items });
  return items;
}

function applyFilter(items: WorkItem[], f: WorkFilter): WorkItem[] {
  const q = f.search?.trim().toLowerCase();
  return items.filter(
    (i) =>
      (!f.status?.length || f.status.includes(i.status)) &&
      (!f.types?.length || f.types.includes(i.type)) &&
      (!f.from || i.updatedAt >= f.from) &&
      (!f.to || i.updatedAt <= f.to) &&
      (!q || i.title.toLowerCase().includes(q) || i.key.toLowerCase().includes(q) || (i.projectSlug ?? "").includes(q)),
  );
}

async function build(deps: WorkDeps, projectId: string | undefined, now: number): Promise<WorkItem[]> {
  const changes = await deps.openspec.listChanges(projectId ? { projectId } : {});
  const failures = await failureSummaries(deps, { projectId });
  const sessions = await sessionSummariesOn(deps.sqlStore, { projectId, limit: SESSION_LIMIT });
  const agents = await liveAgentSummaries(deps, { projectId, now });

  // Links between domains, by id.
  const sessionById = new Map(sessions.map((s) => [s.id, s]));
  const latestSessionFor = new Map<string, SessionSummary>();
  for (const s of sessions) {
    if (!s.workItemKind || !s.workItemRef) continue;
    const k = s.workItemKind === "spec" ? `spec:${s.projectSlug}/${s.workItemRef}` : `error:${s.workItemRef}`;
    if (!latestSessionFor.has(k)) latestSessionFor.set(k, s); // sessions come newest first
  }
  const needsYouSessions = new Set<number>();
  for (const a of agents) if (a.status === "needs_you" && a.workdeckSessionId !== null) needsYouSessions.add(a.workdeckSessionId);
  // A launched session waiting on a tool permission asked from the page (issue 11).
  const waitingForPermission = await waitingOnPermission(deps.sqlStore);
  for (const id of waitingForPermission) needsYouSessions.add(id);
  const failureStatus = new Map<number, FailureStatus>();
  const failureForChange = new Map<string, { id: number; status: FailureStatus }>();
  for (const f of failures) {
    failureStatus.set(f.id, f.status);
    if (f.specChangeId) failureForChange.set(`${f.projectSlug}/${f.specChangeId}`, { id: f.id, status: f.status });
  }

  const items: Omit<WorkItem, "blockedBy" | "health">[] = [];

  for (const c of changes) {
    if (c.nested) continue;
    const session = latestSessionFor.get(`spec:${c.projectSlug}/${c.id}`);
    const sessionActive = session ? ACTIVE_SESSION.has(session.status) : false;
    const progress = c.totalTasks ? c.completedTasks / c.totalTasks : 0;
    const status: WorkStatus =
      session && needsYouSessions.has(session.id)
        ? "needs_you"
        : c.group === "completed"
          ? "done"
          : sessionActive || (c.group === "active" && c.completedTasks > 0)
            ? "in_progress"
            : "open";
    items.push({
      key: `change:${c.projectSlug}/${c.id}`,
      type: "change",
      status,
      detail: c.group === "draft" ? "draft" : c.group === "completed" ? "ready to archive" : `${c.completedTasks}/${c.totalTasks} tasks`,
      projectSlug: c.projectSlug,
      title: c.title,
      // Spec work: further along ranks higher (closest to done), a change with no tasks lowest.
      priority: c.group === "draft" ? 2 : progress >= 0.5 ? 4 : 3,
      updatedAt: new Date(c.lastModified),
      href: changeItemHref(c.projectSlug, c.id),
      links: {
        session: session ? { id: session.id, status: session.status } : null,
        change: null,
        failure: failureForChange.get(`${c.projectSlug}/${c.id}`) ?? null,
      },
      tag: c.group,
    });
  }

  for (const f of failures) {
    const {
      id,
      projectSlug: project,
      titlePath,
      projectName: pwProject,
      resolvedAt,
      lastSeenAt: lastSeen,
      pattern,
      decision,
      priority,
      assignedSessionId: assigned,
      specChangeId,
    } = f;
    const sessionRow = (assigned !== null ? sessionById.get(assigned) : undefined) ?? latestSessionFor.get(`error:${id}`);
    const session = sessionRow
      ? { id: sessionRow.id, status: sessionRow.status }
      : assigned !== null
        ? { id: assigned, status: "unknown" }
        : null;
    const resolved = f.status === "resolved";
    const status: WorkStatus = resolved
      ? "done"
      : decision === "ignore"
        ? "ignored"
        : sessionRow && needsYouSessions.has(sessionRow.id)
          ? "needs_you"
          : sessionRow && ACTIVE_SESSION.has(sessionRow.status)
            ? "in_progress"
            : // Nobody has triaged a failure that fails every run: a person has to decide (issue 13).
              decision === "pending" && pattern === "persistent" && f.status === "active"
              ? "needs_you"
              : "open";
    const title = titlePath.join(" › ");
    items.push({
      key: `failure:${id}`,
      type: "failure",
      status,
      detail: resolved ? "resolved" : decision === "pending" ? `${pattern} · untriaged` : `${pattern} · ${decision.replace(/_/g, " ")}`,
      projectSlug: project,
      title: pwProject ? `${title} [${pwProject}]` : title,
      priority,
      updatedAt: new Date(resolvedAt ?? lastSeen),
      href: failureHref(id),
      links: { session, change: specChangeId ? { projectSlug: project, id: specChangeId } : null, failure: null },
      tag: decision,
    });
  }

  for (const s of sessions) {
    const failureId = s.workItemKind === "error" ? Number(s.workItemRef) : null;
    const fStatus = failureId !== null ? failureStatus.get(failureId) : undefined;
    const status: WorkStatus = needsYouSessions.has(s.id)
      ? "needs_you"
      : ACTIVE_SESSION.has(s.status)
        ? "in_progress"
        : FAILED_SESSION.has(s.status)
          ? "failed"
          : "done";
    const subject =
      s.workItemKind === "spec"
        ? `Implement ${s.workItemRef}`
        : s.workItemKind === "error"
          ? `Fix failure #${s.workItemRef}`
          : firstLine(s.prompt);
    items.push({
      key: `session:${s.id}`,
      type: "session",
      status,
      // A remediation whose failure passed since says so: the fix worked.
      detail: waitingForPermission.has(s.id)
        ? "waiting for a tool permission"
        : fStatus === "resolved"
          ? `${s.status} · failure resolved`
          : s.status,
      projectSlug: s.projectSlug,
      title: `Session #${s.id}: ${subject}`,
      priority: Math.max(1, Math.min(5, s.priority)),
      updatedAt: new Date(s.endedAt ?? s.startedAt ?? s.createdAt),
      href: sessionHref(s.id),
      links: {
        session: { id: s.id, status: s.status },
        change: s.workItemKind === "spec" && s.workItemRef ? { projectSlug: s.projectSlug, id: s.workItemRef } : null,
        failure: failureId !== null ? { id: failureId, status: fStatus ?? "unknown" } : null,
      },
      tag: s.sessionType,
    });
  }

  for (const a of agents) {
    // A Workdeck session's agent is shown through its session item.
    if (a.status !== "needs_you" || a.workdeckSessionId !== null) continue;
    items.push({
      key: `agent:${a.sessionId}`,
      type: "agent",
      status: "needs_you",
      detail: a.needsYouReason ?? "waiting for you",
      projectSlug: a.projectSlug,
      title: `Agent in ${a.cwd ? a.cwd.split("/").slice(-2).join("/") : a.sessionId.slice(0, 8)}`,
      priority: 5,
      updatedAt: new Date(a.lastEventAt),
      href: agentHref(a.sessionId),
      links: { session: null, change: null, failure: null },
      tag: null,
    });
  }

  // CI runs, reviews and deploys (issue 15): read by their own domain.
  items.push(...(await integrationWorkItems(deps.sqlStore, projectId, needsYouSessions)));

  const stuckMs = (deps.config?.config.agents?.stuckMinutes ?? DEFAULT_STUCK_MINUTES) * 60_000;
  const health = await runningHealthOn(deps.sqlStore, { now, stuckMs });
  return attachHealth(attachBlockers(items, await listEdgesOn(deps)), health).sort(compareItems);
}

function compareItems(a: WorkItem, b: WorkItem): number {
  return (
    STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
    b.priority - a.priority ||
    b.updatedAt.getTime() - a.updatedAt.getTime() ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim()) ?? "manual session";
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

// ----- activity ----------------------------------------------------------------

const TERMINAL_SESSION = ["completed", "failed", "stopped", "crashed", "interrupted"];

/** The condition per activity kind over the events table (payload-level ones through dialect-sql). */
function kindSql(dialect: Dialect): Record<ActivityKind, SQL> {
  const payload = sql.raw("payload");
  const eventType = jsonText(dialect, payload, "eventType");
  return {
    spec_created: sql`type = 'openspec.proposalCreated'`,
    spec_archived: sql`type = 'openspec.archived'`,
    failure_new: sql`type = 'errors.failureNew'`,
    failure_resolved: sql`(type = 'errors.failureUpdated' AND ${jsonArrayLength(dialect, payload, "resolvedIds")} > 0)`,
    triage: sql`(type = 'errors.triaged' AND ${jsonIsTrue(dialect, payload, "reviewedByHuman")})`,
    session_started: sql`(type = 'sessions.event' AND ${eventType} = 'workdeck/run_started')`,
    session_finished: sql`(type = 'sessions.updated' AND ${jsonText(dialect, payload, "status")} IN (${sqlValues(TERMINAL_SESSION)}))`,
    needs_you: sql`(type = 'agents.needsYou' OR (type = 'sessions.event' AND ${eventType} = 'workdeck/permission_requested'))`,
    account_limited: sql`(type = 'sessions.event' AND ${eventType} IN ('workdeck/account_parked', 'workdeck/account_needs_login'))`,
    ...integrationActivitySql(dialect),
  };
}

type EventRow = { id: number; type: string; project_slug: string | null; payload: string; created_at: number };

/** The timeline beside the list: newest first, paged by event id. */
export async function activity(deps: Pick<WorkDeps, "sqlStore">, raw: ActivityInput = {}): Promise<ActivityItem[]> {
  const input = ActivityInputSchema.parse(raw);
  const store = deps.sqlStore;
  const conditions = kindSql(store.dialect);
  const kinds = input.types?.length ? input.types : (Object.keys(conditions) as ActivityKind[]);
  const where = [
    sql`(${sql.join(
      kinds.map((k) => conditions[k]),
      sql` OR `,
    )})`,
  ];
  if (input.before) where.push(sql`id < ${input.before}`);
  if (input.projectId) where.push(sql`project_slug = ${input.projectId}`);
  const rows = await store.all<EventRow>(
    sql`SELECT id, type, project_slug, payload, created_at FROM events WHERE ${sql.join(where, sql` AND `)} ORDER BY id DESC LIMIT ${input.limit ?? 50}`,
  );
  const parkedPayload = (sessionId: number, seq: number) =>
    store.get<{ payload: string }>(sql`SELECT payload FROM session_events WHERE session_id = ${sessionId} AND seq = ${seq}`);
  const items = rows.map(async (r) => {
    const e = JSON.parse(r.payload) as WorkdeckEvent;
    const base = { id: r.id, at: new Date(r.created_at), projectSlug: r.project_slug };
    switch (e.type) {
      case "openspec.proposalCreated":
        return { ...base, kind: "spec_created", text: `Proposal created: ${e.title}`, href: changeItemHref(e.projectSlug, e.changeId) };
      case "openspec.archived":
        return { ...base, kind: "spec_archived", text: `Change archived: ${e.changeId}`, href: null };
      case "errors.failureNew":
        return {
          ...base,
          kind: "failure_new",
          text: `${e.count} new failure ${e.count === 1 ? "group" : "groups"}`,
          href: e.count === 1 && e.failureIds[0] ? failureHref(e.failureIds[0]) : `/errors?project=${encodeURIComponent(e.projectSlug)}`,
        };
      case "errors.failureUpdated":
        return {
          ...base,
          kind: "failure_resolved",
          text: `${e.resolvedIds.length} ${e.resolvedIds.length === 1 ? "failure" : "failures"} resolved (passed in a later run)`,
          href:
            e.resolvedIds.length === 1
              ? failureHref(e.resolvedIds[0]!)
              : `/errors?project=${encodeURIComponent(e.projectSlug)}&status=resolved`,
        };
      case "errors.triaged":
        return {
          ...base,
          kind: "triage",
          text: `Failure #${e.failureId} triaged: ${e.decision.replace(/_/g, " ")} (priority ${e.priority})`,
          href: failureHref(e.failureId),
        };
      case "sessions.updated":
        return { ...base, kind: "session_finished", text: `Session #${e.sessionId} ${e.status}`, href: sessionHref(e.sessionId) };
      case "agents.needsYou":
        return { ...base, kind: "needs_you", text: `An agent needs you${e.reason ? `: ${e.reason}` : ""}`, href: agentHref(e.sessionId) };
      case "sessions.event": {
        if (e.eventType === "workdeck/run_started")
          return { ...base, kind: "session_started", text: `Session #${e.sessionId} started`, href: sessionHref(e.sessionId) };
        if (e.eventType === "workdeck/permission_requested")
          return { ...base, kind: "needs_you", text: `Session #${e.sessionId} asks permission for a tool`, href: sessionHref(e.sessionId) };
        const stored = await parkedPayload(e.sessionId, e.seq);
        const p = stored ? (JSON.parse(stored.payload) as { accountId?: string; until?: string }) : {};
        const text =
          e.eventType === "workdeck/account_parked"
            ? `Account ${p.accountId ?? "?"} hit its usage limit${p.until ? ` (parked until ${new Date(p.until).toISOString().slice(11, 16)} UTC)` : ""}`
            : `Account ${p.accountId ?? "?"} needs a new login`;
        return { ...base, kind: "account_limited", text, href: "/settings" };
      }
      case "integrations.changed":
      case "automations.ran":
        return integrationActivity(deps.sqlStore, e, base);
      default:
        return { ...base, kind: "spec_created", text: e.type, href: null };
    }
  });
  return (await Promise.all(items)) as ActivityItem[];
}
