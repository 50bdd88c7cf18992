/**
 * The browser's cache of server data: the part of TanStack Query this app uses (keyed queries,
 * stale times, retries, invalidation by key prefix or predicate, hydration from the server
 * render), in ~2 KB gzipped instead of ~12 (issue 12: every tab under 150 KB of JS). The names
 * and shapes follow TanStack Query's, so server components keep prefetching with the real one
 * and its dehydrated cache seeds this one. Framework-free: the React hooks are in query-hooks.ts.
 */

export type QueryKey = readonly unknown[];

export type QueryState<TData = unknown> = {
  data: TData | undefined;
  error: Error | null;
  status: "pending" | "error" | "success";
  fetchStatus: "idle" | "fetching";
  dataUpdatedAt: number;
  /** Failed attempts of the current (or last) fetch. */
  fetchFailureCount: number;
  isInvalidated: boolean;
};

export type QueryFilters = {
  queryKey?: QueryKey;
  exact?: boolean;
  predicate?: (query: Query) => boolean;
};

export type RetryValue = boolean | number | ((failureCount: number, error: Error) => boolean);

/** What a fetch needs; the latest mounted observer's options win, as in TanStack Query. */
export type FetchOptions<TData = unknown> = {
  queryKey: QueryKey;
  queryFn?: () => Promise<TData>;
  retry?: RetryValue;
  staleTime?: number;
  refetchOnWindowFocus?: boolean;
};

/** A stable hash: object keys sorted, so `{a, b}` and `{b, a}` are one query. */
export function hashKey(key: QueryKey): string {
  return JSON.stringify(key, (_, value: unknown) =>
    value && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((k) => [k, (value as Record<string, unknown>)[k]]),
        )
      : value,
  );
}

/** `b` is a prefix of `a`: every field `b` names matches (arrays by index), as TanStack Query matches filters. */
export function partialMatchKey(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || !a || !b || typeof a !== "object") return false;
  return Object.keys(b).every((k) => partialMatchKey((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === "[object Object]";
}

/** Keeps the old objects wherever the new data is deep-equal, so unchanged rows keep their identity (no re-render). */
export function replaceEqualDeep<T>(a: unknown, b: T): T {
  if (a === b) return a as T;
  const arrays = Array.isArray(a) && Array.isArray(b);
  if (!arrays && !(isPlain(a) && isPlain(b))) return b;
  const prev = a as Record<string, unknown>;
  const next = b as Record<string, unknown>;
  const keys = Object.keys(next);
  const out = (arrays ? [] : {}) as Record<string, unknown>;
  let same = keys.length === Object.keys(prev).length;
  for (const k of keys) {
    out[k] = replaceEqualDeep(prev[k], next[k]);
    if (out[k] !== prev[k]) same = false;
  }
  return (same ? a : out) as T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Query<TData = unknown> {
  state: QueryState<TData> = {
    data: undefined,
    error: null,
    status: "pending",
    fetchStatus: "idle",
    dataUpdatedAt: 0,
    fetchFailureCount: 0,
    isInvalidated: false,
  };
  /** Mounted, enabled observers: only these refetch on invalidation. */
  observers = 0;
  options: FetchOptions<TData>;
  private readonly listeners = new Set<() => void>();
  private promise: Promise<TData> | null = null;

  constructor(
    readonly client: QueryClient,
    readonly queryKey: QueryKey,
    readonly queryHash: string,
  ) {
    this.options = { queryKey };
  }

  setState(patch: Partial<QueryState<TData>>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  isStale(staleTime = this.options.staleTime ?? this.client.defaults.staleTime): boolean {
    return this.state.isInvalidated || this.state.data === undefined || Date.now() - this.state.dataUpdatedAt >= staleTime;
  }

  /** One fetch at a time; a second caller shares the running one. */
  fetch(): Promise<TData> {
    const queryFn = this.options.queryFn;
    if (!queryFn) return Promise.reject(new Error(`No queryFn for ${this.queryHash}`));
    this.promise ??= this.run(queryFn).finally(() => (this.promise = null));
    return this.promise;
  }

  private async run(queryFn: () => Promise<TData>): Promise<TData> {
    this.setState({ fetchStatus: "fetching", fetchFailureCount: 0 });
    for (let failures = 0; ;) {
      try {
        const data = replaceEqualDeep(this.state.data, await queryFn());
        this.setState({ data, error: null, status: "success", fetchStatus: "idle", dataUpdatedAt: Date.now(), isInvalidated: false });
        return data;
      } catch (caught) {
        const error = caught instanceof Error ? caught : new Error(String(caught));
        failures++;
        const retry = this.options.retry ?? this.client.defaults.retry;
        const again = typeof retry === "function" ? retry(failures - 1, error) : typeof retry === "number" ? failures <= retry : retry;
        if (!again) {
          this.setState({ error, status: "error", fetchStatus: "idle", fetchFailureCount: failures });
          throw error;
        }
        this.setState({ fetchFailureCount: failures });
        await sleep(Math.min(1000 * 2 ** (failures - 1), 30_000));
      }
    }
  }
}

export class QueryCache {
  private readonly queries = new Map<string, Query>();

  constructor(private readonly client: QueryClient) {}

  build<TData>(queryKey: QueryKey): Query<TData> {
    const hash = hashKey(queryKey);
    let query = this.queries.get(hash);
    if (!query) this.queries.set(hash, (query = new Query(this.client, queryKey, hash)));
    return query as Query<TData>;
  }

  get<TData>(queryKey: QueryKey): Query<TData> | undefined {
    return this.queries.get(hashKey(queryKey)) as Query<TData> | undefined;
  }

  getAll(): Query[] {
    return [...this.queries.values()];
  }

  findAll(filters: QueryFilters = {}): Query[] {
    const { queryKey, exact, predicate } = filters;
    const wanted = queryKey && exact ? hashKey(queryKey) : null;
    return this.getAll().filter(
      (q) => (!queryKey || (wanted ? q.queryHash === wanted : partialMatchKey(q.queryKey, queryKey))) && (!predicate || predicate(q)),
    );
  }
}

export type QueryClientDefaults = { staleTime: number; retry: RetryValue };

/** One dehydrated query as the server render hands it over: key, data (serialized), when it was read. */
export type DehydratedQuery = [queryKey: QueryKey, data: unknown, dataUpdatedAt: number];

export class QueryClient {
  private readonly cache = new QueryCache(this);
  readonly defaults: QueryClientDefaults;

  constructor(defaults: Partial<QueryClientDefaults> = {}) {
    this.defaults = { staleTime: 0, retry: 3, ...defaults };
  }

  getQueryCache(): QueryCache {
    return this.cache;
  }

  getQueryData<TData>(queryKey: QueryKey): TData | undefined {
    return this.cache.get<TData>(queryKey)?.state.data;
  }

  setQueryData<TData>(queryKey: QueryKey, updater: TData | undefined | ((old: TData | undefined) => TData | undefined)): TData | undefined {
    const query = this.cache.build<TData>(queryKey);
    const data = typeof updater === "function" ? (updater as (old: TData | undefined) => TData | undefined)(query.state.data) : updater;
    if (data === undefined) return undefined;
    query.setState({ data, status: "success", error: null, dataUpdatedAt: Date.now(), isInvalidated: false });
    return data;
  }

  /** Marks the matching queries stale and refetches those on screen. */
  async invalidateQueries(filters: QueryFilters = {}): Promise<void> {
    const queries = this.cache.findAll(filters);
    for (const q of queries) q.setState({ isInvalidated: true });
    await Promise.all(queries.filter((q) => q.observers > 0).map((q) => q.fetch().catch(() => undefined)));
  }

  /** Refetches the stale queries on screen (the tab came back, the network returned). */
  refetchStale(onFocus: boolean): void {
    for (const q of this.cache.getAll()) {
      if (q.observers > 0 && q.isStale() && !(onFocus && q.options.refetchOnWindowFocus === false)) void q.fetch().catch(() => undefined);
    }
  }

  async fetchQuery<TData>(options: FetchOptions<TData>): Promise<TData> {
    const query = this.cache.build<TData>(options.queryKey);
    if (!query.isStale(options.staleTime ?? this.defaults.staleTime)) return query.state.data as TData;
    if (query.observers === 0 || !query.options.queryFn) query.options = { ...query.options, ...options };
    return query.fetch();
  }

  /**
   * Seeds the cache from the server render; data the browser already has newer stays. `only`
   * picks new queries (seeded while rendering) or known ones (updated after, in an effect, so
   * no component re-renders in the middle of another's render).
   */
  hydrate(queries: readonly DehydratedQuery[], deserialize: (value: unknown) => unknown, only: "new" | "known"): void {
    for (const [queryKey, data, dataUpdatedAt] of queries) {
      const known = this.cache.get(queryKey);
      if ((only === "new") === Boolean(known)) continue;
      const query = known ?? this.cache.build(queryKey);
      if (query.state.data !== undefined && query.state.dataUpdatedAt >= dataUpdatedAt) continue;
      query.setState({ data: deserialize(data), status: "success", error: null, dataUpdatedAt, isInvalidated: false });
    }
  }
}
