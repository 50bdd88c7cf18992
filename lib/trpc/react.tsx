"use client";

import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { createTRPCClient, httpBatchStreamLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import { transformer } from "./transformer";
import type { AppRouter } from "@/server/trpc/root";
import { createQueryClient } from "./query-client";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

let browserQueryClient: QueryClient | undefined;

/**
 * One QueryClient per browser tab (it must survive React suspending and
 * re-rendering the provider), and a fresh one per server render so two
 * requests never share a cache.
 */
function getQueryClient(): QueryClient {
  if (typeof window === "undefined") return createQueryClient();
  return (browserQueryClient ??= createQueryClient());
}

/** Same-origin in the browser; server rendering never calls over HTTP (it uses the caller). */
const url = "/api/trpc";

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          // SSE for subscriptions (resumable through tracked ids); streamed batches otherwise.
          condition: (op) => op.type === "subscription",
          true: httpSubscriptionLink({ url, transformer }),
          false: httpBatchStreamLink({ url, transformer }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
