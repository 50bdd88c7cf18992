/**
 * The browser's query cache (lib/trpc/query-cache.ts, issue 12): it must find what the server
 * render dehydrated under tRPC's keys, refetch only queries on screen when invalidated, keep
 * unchanged rows' identity across refetches, and stop retrying on errors retrying cannot fix.
 */
import { describe, expect, it } from "vitest";
import { TRPCClientError } from "@/lib/trpc/client";
import { createTRPCOptions } from "@/lib/trpc/options";
import { QueryClient, replaceEqualDeep } from "@/lib/trpc/query-cache";
import { transformer } from "@/lib/trpc/transformer";
import type { AppRouter } from "@/server/trpc/root";

const trpc = createTRPCOptions<AppRouter>();

describe("query cache", () => {
  it("hydrates under the server's keys (object keys in any order), with Dates back, and keeps newer data the tab holds", () => {
    const client = new QueryClient({ staleTime: 30_000 });
    const key = trpc.errors.getFailure.queryKey({ failureId: 7 });
    const at = new Date("2026-01-02T03:04:05Z");
    client.hydrate(
      [[[["errors", "getFailure"], { type: "query", input: { failureId: 7 } }], transformer.serialize({ id: 7, at }), 1000]],
      transformer.deserialize,
      "new",
    );
    expect(client.getQueryData(key)).toEqual({ id: 7, at });
    const query = client.getQueryCache().get(key)!;
    expect(query.isStale()).toBe(true); // read at 1000 ms after the epoch: long ago
    client.setQueryData(key, { id: 7, at, fresh: true });
    client.hydrate([[key, { id: 7 }, 2000]], transformer.deserialize, "known");
    expect(client.getQueryData(key)).toEqual({ id: 7, at, fresh: true });
  });

  it("invalidation by path marks every matching query and refetches only those on screen", async () => {
    const client = new QueryClient();
    const calls: string[] = [];
    const options = (failureId: number) => ({
      queryKey: trpc.errors.getFailure.queryKey({ failureId }),
      queryFn: async () => (calls.push(`getFailure ${failureId}`), { failureId }),
    });
    await client.fetchQuery(options(1));
    await client.fetchQuery(options(2));
    client.setQueryData(trpc.sessions.get.queryKey({ id: 1 }), { id: 1 });
    const onScreen = client.getQueryCache().get(options(1).queryKey)!;
    onScreen.observers = 1;
    calls.length = 0;
    await client.invalidateQueries(trpc.errors.pathFilter());
    expect(calls).toEqual(["getFailure 1"]);
    expect(client.getQueryCache().get(options(2).queryKey)!.state.isInvalidated).toBe(true);
    expect(client.getQueryCache().get(trpc.sessions.get.queryKey({ id: 1 }))!.state.isInvalidated).toBe(false);
  });

  it("a refetch keeps unchanged rows' identity", () => {
    const before = {
      rows: [
        { id: 1, tags: ["a"] },
        { id: 2, tags: ["b"] },
      ],
    };
    const after = replaceEqualDeep(before, {
      rows: [
        { id: 1, tags: ["a"] },
        { id: 2, tags: ["c"] },
      ],
    });
    expect(after.rows[0]).toBe(before.rows[0]);
    expect(after.rows[1]).not.toBe(before.rows[1]);
    expect(replaceEqualDeep(before, structuredClone(before))).toBe(before);
  });

  it("does not retry a NOT_FOUND, and reports the error", async () => {
    const client = new QueryClient({
      retry: (count, error) => !(error instanceof TRPCClientError && error.data?.code === "NOT_FOUND") && count < 2,
    });
    let attempts = 0;
    const fetching = client.fetchQuery({
      queryKey: ["x"],
      queryFn: () => {
        attempts++;
        return Promise.reject(new TRPCClientError("No failure 9", { code: "NOT_FOUND" }));
      },
    });
    await expect(fetching).rejects.toThrow("No failure 9");
    expect(attempts).toBe(1);
    expect(client.getQueryCache().get(["x"])!.state.status).toBe("error");
  });
});
