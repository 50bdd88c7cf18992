"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useMemo, useRef } from "react";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { useTRPC } from "@/lib/trpc/react";
import { useSelectedProject } from "./selected-project";

/**
 * The page's live connections: OpenSpec, errors and sessions events for the selected
 * project, each turned into cache invalidations so React Query refetches
 * only what is on screen. Server state stays in the query cache; nothing is
 * copied into component state.
 */
export function LiveUpdates() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { slug } = useSelectedProject();
  // The link resumes from the last tracked id on its own reconnects; this
  // ref carries it across a re-subscribe (switching project) too.
  const lastEventId = useRef<string | null>(null);
  const lastErrorsEventId = useRef<string | null>(null);
  const lastSessionsEventId = useRef<string | null>(null);

  // Keyed on the project only: a new id per event must not restart the stream.
  const input = useMemo(
    () => ({ ...(slug ? { projectId: slug } : {}), lastEventId: lastEventId.current }),
    [slug],
  );

  const errorsInput = useMemo(
    () => ({ ...(slug ? { projectId: slug } : {}), lastEventId: lastErrorsEventId.current }),
    [slug],
  );

  const sessionsInput = useMemo(
    () => ({ ...(slug ? { projectId: slug } : {}), lastEventId: lastSessionsEventId.current }),
    [slug],
  );

  const subscription = useSubscription(
    trpc.openspec.subscribe.subscriptionOptions(input, {
      onData(envelope) {
        lastEventId.current = envelope.id;
        void invalidateFor(envelope.data);
      },
    }),
  );

  // A second stream rather than a wider first one: each router's subscribe
  // keeps its own event filter and resume cursor.
  const errorsSubscription = useSubscription(
    trpc.errors.subscribe.subscriptionOptions(errorsInput, {
      onData(envelope) {
        lastErrorsEventId.current = envelope.id;
        // Lists, stats and details all depend on ingest and triage; only
        // the queries on screen refetch, so invalidating them all is cheap.
        if (envelope.data.type !== "projects.changed") void queryClient.invalidateQueries(trpc.errors.pathFilter());
        // All Work and the command palette list failures too (their own feed covers the /work page).
        void queryClient.invalidateQueries(trpc.work.listAll.pathFilter());
      },
    }),
  );

  // The Sessions tab (list, costs, accounts) refetches on these instead of polling.
  const sessionsSubscription = useSubscription(
    trpc.sessions.subscribe.subscriptionOptions(sessionsInput, {
      onData(envelope) {
        lastSessionsEventId.current = envelope.id;
        void queryClient.invalidateQueries(trpc.sessions.list.pathFilter());
        void queryClient.invalidateQueries(trpc.sessions.get.pathFilter());
        // Account state and per-account cost move with sessions (sticky accounts, parking).
        void queryClient.invalidateQueries(trpc.accounts.pathFilter());
      },
    }),
  );

  function invalidateFor(event: WorkdeckEvent) {
    const lists = [
      // All Work and the command palette list changes too.
      queryClient.invalidateQueries(trpc.work.listAll.pathFilter()),
      queryClient.invalidateQueries(trpc.openspec.listChanges.pathFilter()),
      queryClient.invalidateQueries(trpc.openspec.listSpecs.pathFilter()),
    ];
    if (event.type === "projects.changed") {
      return Promise.all([...lists, queryClient.invalidateQueries(trpc.projects.pathFilter()), queryClient.invalidateQueries(trpc.openspec.pathFilter())]);
    }
    // Any file in a project can change a detail's validation (a main spec
    // edit changes whether a delta applies), so every detail of that project.
    // Only OpenSpec events reach this stream; they always name their project.
    const projectId = event.projectSlug ?? undefined;
    return Promise.all([
      ...lists,
      queryClient.invalidateQueries(trpc.openspec.showChange.queryFilter({ projectId })),
      queryClient.invalidateQueries(trpc.openspec.showSpec.queryFilter({ projectId })),
      queryClient.invalidateQueries(trpc.openspec.validateChange.queryFilter({ projectId })),
      queryClient.invalidateQueries(trpc.openspec.previewArchive.queryFilter({ projectId })),
    ]);
  }

  // "pending" is tRPC's name for an open stream that is waiting for data.
  const streams = [subscription.status, errorsSubscription.status, sessionsSubscription.status];
  const live = streams.every((s) => s === "pending");
  const failed = streams.includes("error");
  const label = live ? "Live" : failed ? "Offline — retrying" : "Connecting…";
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400" role="status" title="Edits on disk and new test reports appear here without a reload">
      <span aria-hidden className={`size-1.5 rounded-full ${live ? "bg-emerald-500" : failed ? "bg-red-500" : "bg-amber-400"}`} />
      {label}
    </span>
  );
}
