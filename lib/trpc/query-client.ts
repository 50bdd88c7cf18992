import { defaultShouldDehydrateQuery, QueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { transformer } from "./transformer";

/** HTTP statuses retrying cannot fix: a missing change stays missing. */
const NO_RETRY_CODES = new Set([
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "UNPROCESSABLE_CONTENT",
  "PAYLOAD_TOO_LARGE",
]);

/** The server render's cache (lib/trpc/server.ts prefetches into it); the browser's is query-cache.ts. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Live events invalidate what changed, so data is fresh until told
        // otherwise; the stale time only matters if the event stream drops.
        staleTime: 30_000,
        retry: (count, error) => {
          if (error instanceof TRPCClientError && NO_RETRY_CODES.has(String(error.data?.code))) return false;
          return count < 2;
        },
      },
      dehydrate: {
        // Server components prefetch with the same transformer the links use.
        serializeData: transformer.serialize,
        shouldDehydrateQuery: (query) => defaultShouldDehydrateQuery(query) || query.state.status === "pending",
        // Errors are not dehydrated: the client retries and shows its own error state.
        shouldRedactErrors: () => false,
      },
      hydrate: { deserializeData: transformer.deserialize },
    },
  });
}
