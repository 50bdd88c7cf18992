"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useMemo, useRef } from "react";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { useTRPC } from "@/lib/trpc/react";

/** Hook events arrive by the thousand per second under load; the screen refetches at most this often. */
const INVALIDATE_EVERY_MS = 400;

/**
 * The agents event stream (every project, one project or one session), turned into throttled
 * invalidations of the agents queries on screen. `onEvent` sees each event (completion notices).
 * Returns whether the stream is open.
 */
export function useAgentsLive(filter: { projectId?: string; sessionId?: string }, onEvent?: (event: WorkdeckEvent) => void): boolean {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const lastEventId = useRef<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;

  // Keyed on the filter only: a new id per event must not restart the stream.
  const input = useMemo(
    () => ({ ...(filter.projectId ? { projectId: filter.projectId } : {}), ...(filter.sessionId ? { sessionId: filter.sessionId } : {}), lastEventId: lastEventId.current }),
    [filter.projectId, filter.sessionId],
  );
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);

  const subscription = useSubscription(
    trpc.agents.subscribe.subscriptionOptions(input, {
      onData(envelope) {
        lastEventId.current = envelope.id;
        onEventRef.current?.(envelope.data);
        if (timer.current) return;
        timer.current = setTimeout(() => {
          timer.current = null;
          void queryClient.invalidateQueries(trpc.agents.pathFilter());
        }, INVALIDATE_EVERY_MS);
      },
    }),
  );
  return subscription.status === "pending";
}
