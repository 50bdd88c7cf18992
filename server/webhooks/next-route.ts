import { readSecret } from "../env";
import { readBodyWithLimit } from "../http/body";
import { getRuntime } from "../runtime";
import { webhookPost, type WebhookRoute } from "./ingest";

/** A Next route handler for one webhook route (the edge answers the same through http.ts). */
export function webhookRouteHandler(route: (params: Record<string, string>) => WebhookRoute) {
  return async (request: Request, ctx: { params: Promise<Record<string, string>> }): Promise<Response> => {
    const runtime = await getRuntime();
    const { status, body } = await webhookPost({ ...runtime, readSecret: (name) => readSecret(name) }, route(await ctx.params), {
      readBody: (limit) => readBodyWithLimit(request, limit),
      header: (name) => request.headers.get(name) ?? undefined,
    });
    return Response.json(body, { status });
  };
}
