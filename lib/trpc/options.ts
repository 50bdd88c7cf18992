import type {
  AnyTRPCRouter,
  inferTransformedProcedureOutput,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
  TRPCRouterRecord,
} from "@trpc/server";
import { mutate, query } from "./client";
import type { QueryFilters, QueryKey, RetryValue } from "./query-cache";

/**
 * `trpc.errors.getFailure.queryOptions({ failureId })` and friends: the keys and options the
 * cache and the hooks take, built from the procedure's path. The keys are exactly those of
 * @trpc/tanstack-react-query (`[["errors", "getFailure"], { input, type: "query" }]`), which
 * the server render prefetches under, so what it dehydrates is found here.
 */

/** Options useQuery takes beyond the key and the fetch. */
export type QueryOptionsIn<TData> = {
  enabled?: boolean;
  staleTime?: number;
  retry?: RetryValue;
  refetchInterval?: number | false;
  refetchOnWindowFocus?: boolean;
  placeholderData?: (previous: TData | undefined) => TData | undefined;
};

export type QueryOptions<TData> = QueryOptionsIn<TData> & { queryKey: QueryKey; queryFn: () => Promise<TData> };

export type MutationCallbacks<TData, TVariables> = {
  onSuccess?: (data: TData, variables: TVariables) => unknown;
  onError?: (error: Error, variables: TVariables) => unknown;
  onSettled?: (data: TData | undefined, error: Error | null, variables: TVariables) => unknown;
};

export type MutationOptions<TData, TVariables> = MutationCallbacks<TData, TVariables> & {
  mutationFn: (variables: TVariables) => Promise<TData>;
};

type PathUtils = {
  pathFilter(filters?: Omit<QueryFilters, "queryKey">): QueryFilters & { queryKey: QueryKey };
};

/** An input the procedure may go without can be left out. */
type InputArg<TInput> = undefined extends TInput ? [input?: TInput] : [input: TInput];

type QueryUtils<TInput, TOutput> = {
  queryOptions(...args: [...InputArg<TInput>, opts?: QueryOptionsIn<TOutput>]): QueryOptions<TOutput>;
  queryKey(input?: TInput): QueryKey;
  queryFilter(input?: TInput, filters?: Omit<QueryFilters, "queryKey">): QueryFilters & { queryKey: QueryKey };
} & PathUtils;

type MutationUtils<TInput, TOutput> = {
  mutationOptions(opts?: MutationCallbacks<TOutput, TInput>): MutationOptions<TOutput, TInput>;
};

type DecorateRecord<TRoot extends AnyTRPCRouter, TRecord extends TRPCRouterRecord> = {
  [K in keyof TRecord]: TRecord[K] extends TRPCQueryProcedure<infer $Def>
    ? QueryUtils<$Def["input"], inferTransformedProcedureOutput<TRoot, TRecord[K]>>
    : TRecord[K] extends TRPCMutationProcedure<infer $Def>
      ? MutationUtils<$Def["input"], inferTransformedProcedureOutput<TRoot, TRecord[K]>>
      : TRecord[K] extends TRPCRouterRecord
        ? DecorateRecord<TRoot, TRecord[K]> & PathUtils
        : never;
};

export type TRPCOptions<TRouter extends AnyTRPCRouter> = DecorateRecord<TRouter, TRouter["_def"]["record"]> & PathUtils;

/** `trpc.sessions.events.query({ id })`: a direct call, outside the cache. */
export type TRPCCaller<TRouter extends AnyTRPCRouter> = CallRecord<TRouter, TRouter["_def"]["record"]>;
type CallRecord<TRoot extends AnyTRPCRouter, TRecord extends TRPCRouterRecord> = {
  [K in keyof TRecord]: TRecord[K] extends TRPCQueryProcedure<infer $Def>
    ? { query(...args: InputArg<$Def["input"]>): Promise<inferTransformedProcedureOutput<TRoot, TRecord[K]>> }
    : TRecord[K] extends TRPCMutationProcedure<infer $Def>
      ? { mutate(...args: InputArg<$Def["input"]>): Promise<inferTransformedProcedureOutput<TRoot, TRecord[K]>> }
      : TRecord[K] extends TRPCRouterRecord
        ? CallRecord<TRoot, TRecord[K]>
        : never;
};

const queryKeyOf = (path: string[], input: unknown): QueryKey => [path, { ...(input === undefined ? {} : { input }), type: "query" }];

function recursiveProxy(path: string[], call: (path: string[], args: unknown[]) => unknown): unknown {
  return new Proxy(() => undefined, {
    get: (_, key) => (typeof key === "string" && key !== "then" ? recursiveProxy([...path, key], call) : undefined),
    apply: (_, __, args: unknown[]) => call(path, args),
  });
}

/** How procedures are called: over HTTP in the browser; tests pass an in-process one. */
export type Transport = {
  query: (path: string, input: unknown) => Promise<unknown>;
  mutate: (path: string, input: unknown) => Promise<unknown>;
};
const http: Transport = { query, mutate };

export function createTRPCOptions<TRouter extends AnyTRPCRouter>(transport: Transport = http): TRPCOptions<TRouter> {
  return recursiveProxy([], (full, [a, b]) => {
    const path = full.slice(0, -1);
    const name = path.join(".");
    switch (full.at(-1)) {
      case "queryOptions":
        return { ...(b as object), queryKey: queryKeyOf(path, a), queryFn: () => transport.query(name, a) };
      case "queryKey":
        return queryKeyOf(path, a);
      case "queryFilter":
        return { ...(b as object), queryKey: queryKeyOf(path, a) };
      case "pathFilter":
        return { ...(a as object), queryKey: path.length ? [path] : [] };
      case "mutationOptions":
        return { ...(a as object), mutationFn: (input: unknown) => transport.mutate(name, input) };
    }
    throw new Error(`trpc.${full.join(".")} is not a function`);
  }) as TRPCOptions<TRouter>;
}

export function createTRPCCaller<TRouter extends AnyTRPCRouter>(): TRPCCaller<TRouter> {
  return recursiveProxy([], (full, [input]) => {
    const name = full.slice(0, -1).join(".");
    return full.at(-1) === "mutate" ? mutate(name, input) : query(name, input);
  }) as TRPCCaller<TRouter>;
}
