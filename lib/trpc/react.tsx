"use client";

import { useEffect, useMemo, type ReactNode } from "react";
import type { AppRouter } from "@/server/trpc/root";
import { TRPCClientError } from "./client";
import { createTRPCCaller, createTRPCOptions } from "./options";
import { QueryClient, type DehydratedQuery } from "./query-cache";
import { QueryClientContext, useQueryClient } from "./query-hooks";
import { transformer } from "./transformer";

export { useQuery, useQueryClient } from "./query-hooks";
export { TRPCClientError } from "./client";

/** A 4xx answer retrying cannot fix (a missing change stays missing), but a timeout or a rate limit can pass. */
function retryable(error: Error): boolean {
  const status = error instanceof TRPCClientError ? (error.data?.httpStatus ?? 0) : 0;
  return status < 400 || status >= 500 || status === 408 || status === 429;
}

function createQueryClient(): QueryClient {
  return new QueryClient({
    // Live events invalidate what changed, so data is fresh until told otherwise; the stale
    // time only matters if the event stream drops.
    staleTime: 30_000,
    retry: (count, error) => retryable(error) && count < 2,
  });
}

// The options and the caller hold no state: one of each serves every component.
const trpc = createTRPCOptions<AppRouter>();
const caller = createTRPCCaller<AppRouter>();

export const useTRPC = () => trpc;
export const useTRPCClient = () => caller;

let browserQueryClient: QueryClient | undefined;

/**
 * One QueryClient per browser tab (it must survive React suspending and re-rendering the
 * provider), and a fresh one per server render so two requests never share a cache.
 */
function getQueryClient(): QueryClient {
  if (typeof window === "undefined") return createQueryClient();
  return (browserQueryClient ??= createQueryClient());
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = useMemo(getQueryClient, []);
  useEffect(() => {
    // Back on the tab or the network: what went stale meanwhile refetches.
    const onVisible = () => document.visibilityState === "visible" && queryClient.refetchStale(true);
    const onOnline = () => queryClient.refetchStale(false);
    document.addEventListener("visibilitychange", onVisible);
    window.addEventListener("online", onOnline);
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      window.removeEventListener("online", onOnline);
    };
  }, [queryClient]);
  return <QueryClientContext.Provider value={queryClient}>{children}</QueryClientContext.Provider>;
}

/**
 * The server render's prefetched queries (lib/trpc/server.ts): new ones are seeded before the
 * children render, so they paint with data; ones the tab already holds update after.
 */
export function Hydrate({ queries, children }: { queries: DehydratedQuery[]; children: ReactNode }) {
  const queryClient = useQueryClient();
  useMemo(() => queryClient.hydrate(queries, transformer.deserialize, "new"), [queryClient, queries]);
  useEffect(() => queryClient.hydrate(queries, transformer.deserialize, "known"), [queryClient, queries]);
  return children;
}
