import { sql, type SQL } from "drizzle-orm";
import { jsonNumber, jsonText, sqlValues } from "../db/dialect-sql";
import type { Dialect, SqlStore } from "../db/sql-store";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { deploysHref } from "@/lib/schemas/integrations";
import type { ActivityItem, WorkItem, WorkStatus } from "@/lib/schemas/work";

/**
 * The `ci`, `review` and `deploy` items as All Work shows them (issue 15), read by
 * server/work/service.ts beside its own kinds: one query, narrow columns, the latest
 * automation session of each item joined in.
 */

type Row = {
  id: number;
  kind: "ci" | "review" | "deploy";
  project_slug: string;
  provider: string;
  status: string;
  title: string;
  detail: string;
  occurrences: number;
  priority: number;
  last_seen_at: number;
  resolved_at: number | null;
  refs: string | null;
  session_id: number | null;
  session_status: string | null;
};

const ACTIVE_SESSION = new Set(["queued", "running"]);

export async function integrationWorkItems(
  store: SqlStore,
  projectId: string | undefined,
  needsYouSessions: ReadonlySet<number>,
): Promise<Omit<WorkItem, "blockedBy">[]> {
  const rows = await store.all<Row>(
    sql`SELECT i.id, i.kind, i.project_slug, i.provider, i.status, i.title, i.detail, i.occurrences, i.priority, i.last_seen_at, i.resolved_at, i.refs,
               s.id AS session_id, s.status AS session_status
        FROM integration_items i
        LEFT JOIN sessions s ON s.id = COALESCE(
          (SELECT r.session_id FROM automation_runs r WHERE r.item_key = i.kind || ':' || i.id AND r.session_id IS NOT NULL ORDER BY r.id DESC LIMIT 1),
          ${jsonNumber(store.dialect, sql`i.refs`, "sessionId")})
        ${projectId ? sql`WHERE i.project_slug = ${projectId}` : sql.empty()}`,
  );
  return rows.map((r) => {
    const refs = r.refs ? (JSON.parse(r.refs) as { changeId?: string; failureId?: number }) : {};
    const session = r.session_id !== null ? { id: r.session_id, status: r.session_status ?? "unknown" } : null;
    const status: WorkStatus =
      r.status === "resolved"
        ? "done"
        : session && needsYouSessions.has(session.id)
          ? "needs_you"
          : session && ACTIVE_SESSION.has(session.status) && r.kind !== "review"
            ? "in_progress"
            : "open";
    return {
      key: `${r.kind}:${r.id}`,
      type: r.kind,
      status,
      detail:
        r.status === "resolved"
          ? r.kind === "review"
            ? r.detail
            : "resolved"
          : r.occurrences > 1
            ? `${r.detail} · ${r.occurrences} times`
            : r.detail,
      projectSlug: r.project_slug,
      title: r.title,
      priority: r.priority,
      updatedAt: new Date(r.resolved_at ?? r.last_seen_at),
      href: deploysHref(r.project_slug, r.id),
      links: {
        session,
        change: refs.changeId ? { projectSlug: r.project_slug, id: refs.changeId } : null,
        failure: refs.failureId !== undefined ? { id: refs.failureId, status: "unknown" } : null,
      },
      tag: r.provider,
    };
  });
}

/** The timeline's kinds for this domain, as conditions over the events table, on either dialect. */
export function integrationActivitySql(dialect: Dialect): Record<"ci" | "deploy" | "review" | "automation", SQL> {
  const payload = sql.raw("payload");
  const change = (kind: string, changes: string[]) =>
    sql`(type = 'integrations.changed' AND ${jsonText(dialect, payload, "kind")} = ${kind} AND ${jsonText(dialect, payload, "change")} IN (${sqlValues(changes)}))`;
  return {
    ci: change("ci", ["opened", "reopened", "resolved"]),
    deploy: change("deploy", ["opened", "reopened", "resolved"]),
    review: change("review", ["opened", "resolved"]),
    automation: sql`type = 'automations.ran'`,
  };
}

type Base = { id: number; at: Date; projectSlug: string | null };

/** One timeline line for an integrations or automations event; null for any other event. */
export async function integrationActivity(store: SqlStore, e: WorkdeckEvent, base: Base): Promise<ActivityItem | null> {
  if (e.type === "integrations.changed") {
    const item =
      e.itemId !== null
        ? await store.get<{ title: string; detail: string }>(sql`SELECT title, detail FROM integration_items WHERE id = ${e.itemId}`)
        : undefined;
    const title = item?.title ?? `${e.kind} item`;
    const text =
      e.change === "resolved"
        ? e.kind === "review"
          ? `${title} ${item?.detail ?? "closed"}`
          : `Resolved by a later success: ${title}`
        : e.change === "reopened"
          ? `Failing again: ${title}`
          : title;
    return { ...base, kind: e.kind, text, href: deploysHref(e.projectSlug, e.itemId ?? undefined) };
  }
  if (e.type === "automations.ran") {
    const run = await store.get<{
      trigger: string;
      action: string;
      status: string;
      reason: string | null;
      session_id: number | null;
      item_key: string;
    }>(sql`SELECT trigger, action, status, reason, session_id, item_key FROM automation_runs WHERE id = ${e.runId}`);
    const text = !run
      ? "Automation ran"
      : run.status === "launched"
        ? `Automation (${run.trigger.replace(/_/g, " ")}) launched session #${run.session_id}`
        : run.status === "notified"
          ? `Automation (${run.trigger.replace(/_/g, " ")}) notified for ${run.item_key}`
          : `Automation (${run.trigger.replace(/_/g, " ")}) held back: ${run.reason ?? run.status}`;
    return { ...base, kind: "automation", text, href: run?.session_id ? `/sessions/${run.session_id}` : "/settings/automations" };
  }
  return null;
}
