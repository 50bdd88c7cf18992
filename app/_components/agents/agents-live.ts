"use client";

import { useCallback } from "react";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { useLiveEvents } from "../shell/live-updates";

/**
 * Agents activity (every project, one project or one session) on the tab's one stream, with
 * every tool call of what is shown; the dispatcher refreshes the agents queries on screen.
 * `onEvent` sees each agents event of the filter (completion notices). Returns whether the
 * stream is open.
 */
export function useAgentsLive(filter: { projectId?: string; sessionId?: string }, onEvent?: (event: WorkdeckEvent) => void): boolean {
  const { projectId, sessionId } = filter;
  const listener = useCallback(
    (event: WorkdeckEvent) => {
      if (!onEvent || !event.type.startsWith("agents.")) return;
      const e = event as Extract<WorkdeckEvent, { type: `agents.${string}` }>;
      if (sessionId && e.sessionId !== sessionId) return;
      // Like the bus's project filter: an agent outside every known project shows everywhere.
      if (projectId && e.projectSlug && e.projectSlug !== projectId) return;
      onEvent(event);
    },
    [onEvent, projectId, sessionId],
  );
  return useLiveEvents(sessionId ? { agentSessionIds: [sessionId] } : { allAgentActivity: true }, listener);
}
