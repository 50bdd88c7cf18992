import type { Session, SessionStatus, SessionType, SessionWorkItem } from "@/lib/schemas/sessions";
import { SESSION_STATUSES } from "@/lib/schemas/values";
import { changeHref } from "@/lib/url-state";

/** Display helpers for launched sessions, shared by the list, the session page and the cost views. */

export const STATUS_TONE: Record<SessionStatus, "neutral" | "green" | "amber" | "red" | "blue" | "violet"> = {
  queued: "neutral",
  running: "blue",
  completed: "green",
  failed: "red",
  stopped: "amber",
  interrupted: "amber",
  crashed: "red",
};

export const TYPE_LABEL: Record<SessionType, string> = {
  manual: "manual",
  spec_implementation: "spec",
  error_remediation: "error fix",
};

export function isActive(status: SessionStatus): boolean {
  return status === "queued" || status === "running";
}

const usd = new Intl.NumberFormat("en", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4 });

export function formatUsd(value: number): string {
  return usd.format(value);
}

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

export function formatTokens(value: number): string {
  return compact.format(value);
}

/** "1 h 04 min", "3 min 12 s", "8 s". */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** Running time so far (live sessions pass `now`), null before it started. */
export function sessionDurationMs(s: Pick<Session, "startedAt" | "endedAt">, now: number = Date.now()): number | null {
  if (!s.startedAt) return null;
  const end = s.endedAt ? new Date(s.endedAt).getTime() : now;
  return end - new Date(s.startedAt).getTime();
}

export function workItemLabel(item: SessionWorkItem | null): string {
  if (!item) return "manual prompt";
  return item.kind === "error" ? `Failure ${item.failureId}` : item.changeId;
}

export function workItemHref(item: SessionWorkItem | null, projectSlug: string): string | null {
  if (!item) return null;
  return item.kind === "error" ? `/errors/${item.failureId}` : changeHref(projectSlug, item.changeId);
}

export function sessionHref(id: number): string {
  return `/sessions/${id}`;
}

/** A Date, an ISO string (superjson-less caches) or a number, as epoch ms. */
export function toTime(value: Date | string | number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const t = new Date(value).getTime();
  return Number.isNaN(t) ? null : t;
}

/** The status filter lives in `?status=` (canonical order), so a filtered list can be bookmarked. */
export function readStatusFilter(params: { get(name: string): string | null }): SessionStatus[] {
  const values = (params.get("status") ?? "").split(",");
  return SESSION_STATUSES.filter((s) => values.includes(s));
}

export function sessionsListInput(
  projectId: string | null,
  status: SessionStatus[],
): { projectId?: string; status?: SessionStatus[]; limit: number } {
  return { ...(projectId ? { projectId } : {}), ...(status.length ? { status } : {}), limit: 200 };
}
