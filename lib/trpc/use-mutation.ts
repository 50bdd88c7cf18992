"use client";

import { useCallback, useRef, useState } from "react";
import type { TRPCClientError } from "./client";
import type { MutationCallbacks, MutationOptions } from "./options";

/**
 * useMutation with TanStack Query's result fields. Its own module, imported by the components
 * that change things: pages that only read do not ship it (issue 12).
 */

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
