/**
 * Small events for bus tests and benches: an `openspec.changed` named by its change id, the
 * label a test compares, and a wait for something a listener collects.
 */
import type { WorkdeckEvent, WorkdeckEventInput } from "@/lib/schemas/events";

export const changedEvent = (id: string, projectSlug = "p"): WorkdeckEventInput => ({
  type: "openspec.changed",
  projectSlug,
  changeIds: [id],
  specIds: [],
  paths: [],
});

export const changeLabel = (e: WorkdeckEvent): string => (e.type === "openspec.changed" ? e.changeIds[0]! : e.type);

/** Polls `check` every 25 ms up to `ms`; fails naming `what`. */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting: ${what}`);
}
