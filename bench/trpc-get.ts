import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createContext } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import type { Runtime } from "@/server/runtime";

/**
 * A GET of one tRPC query through the HTTP handler the server runs (serialisation included), the
 * URL built once so the timed calls measure only the handler. Answers the status and the list.
 */
export function trpcGet(runtime: Runtime, procedure: string, input: unknown): () => Promise<{ status: number; data?: unknown[] }> {
  const url = `http://127.0.0.1/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;
  return async () => {
    const res = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request(url),
      router: appRouter,
      createContext: () => createContext(runtime),
    });
    const body = (await res.json()) as { result?: { data?: unknown[] } };
    return { status: res.status, data: body.result?.data };
  };
}
