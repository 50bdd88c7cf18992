/** Formatting and inputs shared by the agents panel, the timeline and their server pages. */

export const shortId = (id: string) => id.slice(0, 8);

export function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const formatRate = (rate: number | null) => (rate === null ? "—" : `${Math.round(rate * 100)}%`);

/** The listActive input for the selected project (the same on the server and in the browser, so the prefetch is used). */
export function agentInput(slug: string | null): { projectId?: string } {
  return slug ? { projectId: slug } : {};
}
