"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type { TRPCClientError } from "./client";
import type { MutationCallbacks, MutationOptions, QueryOptions } from "./options";
import type { QueryClient } from "./query-cache";

/**
 * useQuery, useMutation and useQueryClient over the small cache in query-cache.ts, with the
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
  isPlaceholderData: boolean;
  failureCount: number;
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
    isPlaceholderData: placeholder !== undefined,
    failureCount: state.fetchFailureCount,
    refetch: () =>
      query.fetch().then(
        () => ({ data: query.state.data, error: null }),
        () => ({ data: query.state.data, error: query.state.error as TRPCClientError | null }),
      ),
  } as NarrowedQueryResult<TData>;
}

type MutationState<TData, TVariables> =
  | { status: "idle"; data: undefined; error: null; variables: undefined }
  | { status: "pending"; data: undefined; error: null; variables: TVariables }
  | { status: "success"; data: TData; error: null; variables: TVariables }
  | { status: "error"; data: undefined; error: TRPCClientError; variables: TVariables };

type MutationFlags<S extends MutationState<unknown, unknown>["status"]> = {
  isIdle: S extends "idle" ? true : false;
  isPending: S extends "pending" ? true : false;
  isSuccess: S extends "success" ? true : false;
  isError: S extends "error" ? true : false;
};

type MutationResult<TData, TVariables> = {
  [S in MutationState<TData, TVariables>["status"]]: Extract<MutationState<TData, TVariables>, { status: S }> & MutationFlags<S>;
}[MutationState<TData, TVariables>["status"]] & {
  mutate: (variables: TVariables, call?: MutationCallbacks<TData, TVariables>) => void;
  mutateAsync: (variables: TVariables, call?: MutationCallbacks<TData, TVariables>) => Promise<TData>;
  reset: () => void;
};

const IDLE = { status: "idle", data: undefined, error: null, variables: undefined } as const;

export function useMutation<TData, TVariables>(options: MutationOptions<TData, TVariables>): MutationResult<TData, TVariables> {
  const [state, setState] = useState<MutationState<TData, TVariables>>(IDLE);
  const latest = useRef(options);
  latest.current = options;

  const mutateAsync = useCallback(async (variables: TVariables, call: MutationCallbacks<TData, TVariables> = {}): Promise<TData> => {
    const opts = latest.current;
    setState({ status: "pending", data: undefined, error: null, variables });
    try {
      const data = await opts.mutationFn(variables);
      await opts.onSuccess?.(data, variables);
      await opts.onSettled?.(data, null, variables);
      setState({ status: "success", data, error: null, variables });
      await call.onSuccess?.(data, variables);
      await call.onSettled?.(data, null, variables);
      return data;
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      setState({ status: "error", data: undefined, error: error as TRPCClientError, variables });
      await opts.onError?.(error, variables);
      await opts.onSettled?.(undefined, error, variables);
      await call.onError?.(error, variables);
      await call.onSettled?.(undefined, error, variables);
      throw error;
    }
  }, []);
  const mutate = useCallback(
    (variables: TVariables, call?: MutationCallbacks<TData, TVariables>) => void mutateAsync(variables, call).catch(() => undefined),
    [mutateAsync],
  );
  const reset = useCallback(() => setState(IDLE), []);
  return {
    ...state,
    isIdle: state.status === "idle",
    isPending: state.status === "pending",
    isError: state.status === "error",
    isSuccess: state.status === "success",
    mutate,
    mutateAsync,
    reset,
  } as MutationResult<TData, TVariables>;
}
