import { STATUS_WORDS } from "@/lib/format";
import { ACTIVITY_KINDS, WORK_STATUSES, WORK_TYPES } from "@/lib/schemas/values";
import type { ActivityKind, ListAllInput, WorkStatus, WorkType } from "@/lib/schemas/work";

/**
 * All Work's filters in the query string (bookmarkable). Plain functions: the server page uses
 * them to prefetch exactly what the browser asks for.
 */
export type WorkFilters = {
  status: WorkStatus[];
  type: WorkType[];
  /** Fuzzy search over title, project and detail (client-side). */
  q: string;
  /** Inclusive local-day bounds on "updated", YYYY-MM-DD (client-side). */
  from: string | null;
  to: string | null;
  /** Activity timeline kinds. */
  activity: ActivityKind[];
};

type ParamSource = { get(name: string): string | null };
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function readList<T extends string>(params: ParamSource, key: string, options: readonly T[]): T[] {
  const values = (params.get(key) ?? "").split(",").map((s) => s.trim());
  return options.filter((o) => values.includes(o));
}

export function readWorkFilters(params: ParamSource): WorkFilters {
  const from = params.get("from");
  const to = params.get("to");
  return {
    status: readList(params, "status", WORK_STATUSES),
    type: readList(params, "type", WORK_TYPES),
    q: (params.get("q") ?? "").slice(0, 200),
    from: from && DAY.test(from) ? from : null,
    to: to && DAY.test(to) ? to : null,
    activity: readList(params, "activity", ACTIVITY_KINDS),
  };
}

export function writeWorkFilters(base: URLSearchParams, patch: Partial<WorkFilters>): URLSearchParams {
  const next = new URLSearchParams(base);
  const set = (key: string, value: string | null | undefined) => (value ? next.set(key, value) : next.delete(key));
  if (patch.status) set("status", WORK_STATUSES.filter((o) => patch.status!.includes(o)).join(","));
  if (patch.type) set("type", WORK_TYPES.filter((o) => patch.type!.includes(o)).join(","));
  if (patch.activity) set("activity", ACTIVITY_KINDS.filter((o) => patch.activity!.includes(o)).join(","));
  if ("q" in patch) set("q", patch.q?.trim() ? patch.q : null);
  if ("from" in patch) set("from", patch.from);
  if ("to" in patch) set("to", patch.to);
  return next;
}

/** The server-side part (enums); search and days filter in the browser. */
export function listAllInput(projectId: string | null, filters: Pick<WorkFilters, "status" | "type">): ListAllInput {
  const filter = { ...(filters.status.length ? { status: filters.status } : {}), ...(filters.type.length ? { types: filters.type } : {}) };
  return { ...(projectId ? { projectId } : {}), ...(Object.keys(filter).length ? { filter } : {}) };
}

export function activityInput(projectId: string | null, kinds: ActivityKind[]) {
  return { ...(projectId ? { projectId } : {}), ...(kinds.length ? { types: kinds } : {}), limit: 50 };
}

/** The work statuses' words come from the one status vocabulary, so they read the same on every tab. */
export const WORK_STATUS_LABEL = Object.fromEntries(WORK_STATUSES.map((s) => [s, STATUS_WORDS[s]])) as Record<WorkStatus, string>;

export const WORK_TYPE_LABEL: Record<WorkType, string> = {
  change: "Spec change",
  failure: "Failure",
  session: "Session",
  agent: "Agent",
  ci: "CI run",
  review: "Review",
  deploy: "Deploy",
};

/** The badge colour of each work type, the same on the list and the board. */
export const WORK_TYPE_TONE: Record<WorkType, "blue" | "red" | "violet" | "amber"> = {
  change: "blue",
  failure: "red",
  session: "violet",
  agent: "amber",
  ci: "red",
  review: "blue",
  deploy: "red",
};

export const ACTIVITY_LABEL: Record<ActivityKind, string> = {
  spec_created: "Specs created",
  spec_archived: "Specs archived",
  failure_new: "New failures",
  failure_resolved: "Resolved failures",
  triage: "Triage decisions",
  session_started: "Sessions started",
  session_finished: "Sessions finished",
  needs_you: "Needs you",
  account_limited: "Account limits",
  ci: "CI runs",
  deploy: "Deploys",
  review: "Reviews",
  automation: "Automations",
};
