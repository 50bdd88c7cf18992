import { defaultShouldDehydrateQuery, QueryClient } from "@tanstack/react-query";
import { transformer } from "./transformer";

/** The server render's cache (lib/trpc/server.ts prefetches into it); the browser's is query-cache.ts. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Live events invalidate what changed, so data is fresh until told
        // otherwise; the stale time only matters if the event stream drops.
        staleTime: 30_000,
        // No retries while rendering: a failed prefetch is left out of the page and the browser
        // fetches it again with its own retry rules (query-cache.ts). Retrying here held a page
        // whose item is missing for ~3 s before its error view.
        retry: false,
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
