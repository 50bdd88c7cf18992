"use client";

import { createContext, useContext, useEffect, useMemo, useRef, useSyncExternalStore } from "react";
import type { TRPCClientError } from "./client";
import type { QueryOptions } from "./options";
import type { QueryClient } from "./query-cache";

/**
 * useQuery and useQueryClient over the small cache in query-cache.ts, with the
 * result fields this app reads (TanStack Query's names: data, error, status, isPending…).
 */

export const QueryClientContext = createContext<QueryClient | null>(null);

export function useQueryClient(): QueryClient {
  const client = useContext(QueryClientContext);
  if (!client) throw new Error("useQueryClient needs <TRPCReactProvider> (the dashboard layout)");
  return client;
}

/** Procedures fail with a TRPCClientError (lib/trpc/client.ts); the type says so, as tRPC's did. */
export type QueryResult<TData> = {
  data: TData | undefined;
  error: TRPCClientError | null;
  status: "pending" | "error" | "success";
  isPending: boolean;
  isError: boolean;
  isSuccess: boolean;
  isFetching: boolean;
  refetch: () => Promise<{ data: TData | undefined; error: TRPCClientError | null }>;
};

/** A success result narrows `data` (as TanStack Query's types do). */
export type NarrowedQueryResult<TData> =
  | (QueryResult<TData> & { status: "success"; isSuccess: true; isPending: false; isError: false; data: TData })
  | (QueryResult<TData> & { status: "pending"; isPending: true; isSuccess: false; isError: false })
  | (QueryResult<TData> & { status: "error"; isError: true; isPending: false; isSuccess: false; error: TRPCClientError });

export function useQuery<TData>(options: QueryOptions<TData>): NarrowedQueryResult<TData> {
  const client = useQueryClient();
  const { queryKey, enabled = true, refetchInterval, placeholderData } = options;
  const hash = JSON.stringify(queryKey);
  const query = useMemo(() => client.getQueryCache().build<TData>(queryKey), [client, hash]);
  // The latest render's fetch and retry rules (TanStack Query's observer does the same).
  if (enabled || !query.options.queryFn) query.options = options;
  const state = useSyncExternalStore(
    query.subscribe,
    () => query.state,
    () => query.state,
  );

  useEffect(() => {
    if (!enabled) return;
    query.observers++;
    if (query.isStale()) void query.fetch().catch(() => undefined);
    return () => {
      query.observers--;
    };
  }, [query, enabled]);

  useEffect(() => {
    if (!enabled || !refetchInterval) return;
    const timer = setInterval(() => void query.fetch().catch(() => undefined), refetchInterval);
    return () => clearInterval(timer);
  }, [query, enabled, refetchInterval]);

  // placeholderData: (previous) => previous keeps the last key's data on screen while the new key loads.
  const previous = useRef<TData | undefined>(undefined);
  const placeholder = state.data === undefined && state.status === "pending" ? placeholderData?.(previous.current) : undefined;
  useEffect(() => {
    if (state.data !== undefined) previous.current = state.data;
  }, [state.data]);

  const data = state.data ?? placeholder;
  const status = placeholder !== undefined ? "success" : state.status;
  return {
    data,
    error: state.error as TRPCClientError | null,
    status,
    isPending: status === "pending",
    isError: status === "error",
    isSuccess: status === "success",
    isFetching: state.fetchStatus === "fetching",
    refetch: () =>
      query.fetch().then(
        () => ({ data: query.state.data, error: null }),
        () => ({ data: query.state.data, error: query.state.error as TRPCClientError | null }),
      ),
  } as NarrowedQueryResult<TData>;
}
