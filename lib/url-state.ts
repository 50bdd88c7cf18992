import type { ChangeGroup } from "@/lib/schemas/openspec";
import { CHANGE_GROUPS } from "@/lib/schemas/values";

/**
 * The Specs filters live in the query string so a filtered view can be
 * bookmarked and shared. This module is the one place that reads and writes
 * them, shared by server pages (for prefetching) and client components.
 */

/** Remembers the selected project across reloads; server rendering reads it too. */
export const PROJECT_COOKIE = "workdeck_project";
export const PROJECT_PARAM = "project";

export type SpecsFilters = {
  status: ChangeGroup[];
  /** Inclusive day bounds on lastModified, as YYYY-MM-DD. */
  from: string | null;
  to: string | null;
  q: string;
};

type ParamSource = { get(name: string): string | null };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function readFilters(params: ParamSource): SpecsFilters {
  const status = (params.get("status") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s): s is ChangeGroup => (CHANGE_GROUPS as readonly string[]).includes(s));
  const from = params.get("from");
  const to = params.get("to");
  return {
    status: [...new Set(status)],
    from: from && DAY.test(from) ? from : null,
    to: to && DAY.test(to) ? to : null,
    q: (params.get("q") ?? "").slice(0, 200),
  };
}

/** Writes filters over `base`, dropping empty values so URLs stay short. */
export function writeFilters(base: URLSearchParams, patch: Partial<SpecsFilters>): URLSearchParams {
  const next = new URLSearchParams(base);
  const set = (key: string, value: string | null | undefined) => (value ? next.set(key, value) : next.delete(key));
  if (patch.status) set("status", CHANGE_GROUPS.filter((g) => patch.status!.includes(g)).join(","));
  if ("from" in patch) set("from", patch.from);
  if ("to" in patch) set("to", patch.to);
  if ("q" in patch) set("q", patch.q?.trim() ? patch.q : null);
  return next;
}

/** Next's `searchParams` prop (string | string[] | undefined) as something with get(). */
export function paramsFromRecord(record: Record<string, string | string[] | undefined>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === "string") params.set(key, value);
    else if (Array.isArray(value) && value[0] !== undefined) params.set(key, value[0]);
  }
  return params;
}

/** The URL param wins over the remembered cookie; unknown slugs mean "All projects". */
export function resolveProject(
  urlValue: string | null | undefined,
  cookieValue: string | null | undefined,
  known: readonly string[],
): string | null {
  const candidate = urlValue || cookieValue || null;
  return candidate && known.includes(candidate) ? candidate : null;
}

/** Inputs for the list queries, built in one place so server prefetch and client keys match. */
export function listInput(projectId: string | null): { projectId?: string } {
  return projectId ? { projectId } : {};
}

export function changeHref(projectSlug: string, changeId: string): string {
  return `/specs/${encodeURIComponent(projectSlug)}/changes/${encodeURIComponent(changeId)}`;
}

/** Nested spec ids ("payments/refunds") keep their slashes as path segments. */
export function specHref(projectSlug: string, specId: string): string {
  return `/specs/${encodeURIComponent(projectSlug)}/specs/${specId.split("/").map(encodeURIComponent).join("/")}`;
}

/** Route params may arrive still percent-encoded; ids never contain "%", so decoding once is safe. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
