import type { Decision, FailureStatus, ListFailuresInput, Pattern } from "@/lib/schemas/errors";
import { DECISIONS, FAILURE_STATUSES, PATTERNS } from "@/lib/schemas/values";

/**
 * The Errors tab's filters, read from and written to the query string so a
 * filtered view can be bookmarked. Plain functions (no "use client"): the
 * server page calls them to prefetch exactly the query the browser asks for.
 */

export type ErrorsFilters = {
  pattern: Pattern[];
  decision: Decision[];
  status: FailureStatus[];
  /** Fuzzy search over test, file, Playwright project and message (client-side). */
  q: string;
  /** Inclusive local-day bounds on "last seen", YYYY-MM-DD (client-side). */
  from: string | null;
  to: string | null;
};

type ParamSource = { get(name: string): string | null };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function readList<T extends string>(params: ParamSource, key: string, options: readonly T[]): T[] {
  const values = (params.get(key) ?? "").split(",").map((s) => s.trim());
  // Canonical order, so `?pattern=flaky,new` and `?pattern=new,flaky` share one cache entry.
  return options.filter((o) => values.includes(o));
}

export function readErrorsFilters(params: ParamSource): ErrorsFilters {
  const from = params.get("from");
  const to = params.get("to");
  return {
    pattern: readList(params, "pattern", PATTERNS),
    decision: readList(params, "decision", DECISIONS),
    status: readList(params, "status", FAILURE_STATUSES),
    q: (params.get("q") ?? "").slice(0, 200),
    from: from && DAY.test(from) ? from : null,
    to: to && DAY.test(to) ? to : null,
  };
}

/** Writes filters over `base`, dropping empty values so URLs stay short. */
export function writeErrorsFilters(base: URLSearchParams, patch: Partial<ErrorsFilters>): URLSearchParams {
  const next = new URLSearchParams(base);
  const set = (key: string, value: string | null | undefined) => (value ? next.set(key, value) : next.delete(key));
  if (patch.pattern) set("pattern", PATTERNS.filter((o) => patch.pattern!.includes(o)).join(","));
  if (patch.decision) set("decision", DECISIONS.filter((o) => patch.decision!.includes(o)).join(","));
  if (patch.status) set("status", FAILURE_STATUSES.filter((o) => patch.status!.includes(o)).join(","));
  if ("q" in patch) set("q", patch.q?.trim() ? patch.q : null);
  if ("from" in patch) set("from", patch.from);
  if ("to" in patch) set("to", patch.to);
  return next;
}

/**
 * The server-side part of the filters (enums only). Search and dates filter
 * in the browser: typing must not refetch 10,000 rows per key, and "a day"
 * is the viewer's local day, which the server does not know.
 */
export function listFailuresInput(
  projectId: string | null,
  filters: Pick<ErrorsFilters, "pattern" | "decision" | "status">,
): ListFailuresInput {
  return {
    ...(projectId ? { projectId } : {}),
    ...(filters.pattern.length ? { pattern: filters.pattern } : {}),
    ...(filters.decision.length ? { decision: filters.decision } : {}),
    ...(filters.status.length ? { status: filters.status } : {}),
  };
}

export function statsInput(projectId: string | null): { projectId?: string } {
  return projectId ? { projectId } : {};
}

export function failureHref(failureId: number): string {
  return `/errors/${failureId}`;
}
