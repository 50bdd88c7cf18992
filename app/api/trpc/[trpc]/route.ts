import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { readBodyWithLimit } from "@/server/http/body";
import { isAppError } from "@/server/app-error";
import { getRuntime } from "@/server/runtime";
import { createContext } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";

export const dynamic = "force-dynamic";

async function handler(req: Request): Promise<Response> {
  const runtime = await getRuntime();
  let request = req;
  if (req.method === "POST") {
    // The tRPC adapter would buffer any size; read it ourselves under the limit.
    try {
      const body = await readBodyWithLimit(req, runtime.env.maxBodyBytes);
      request = new Request(req.url, { method: req.method, headers: req.headers, body: Buffer.from(body) });
    } catch (err) {
      if (isAppError(err)) return Response.json({ error: { message: err.message, code: err.code } }, { status: 413 });
      throw err;
    }
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () => createContext(runtime),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") runtime.log.error({ err: error.cause ?? error, path }, "tRPC procedure failed");
    },
  });
}

export { handler as GET, handler as POST };
