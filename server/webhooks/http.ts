import type http from "node:http";
import { readNodeBody } from "../http/hook-post";
import { webhookPost, type WebhookDeps, type WebhookRoute } from "./ingest";

/** The edge's side of the webhook routes: a Node request and response (the Next routes use web Requests). */
export async function serveWebhookPost(deps: WebhookDeps, route: WebhookRoute, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let refused = false;
  const { status, body } = await webhookPost(deps, route, {
    readBody: (limit) =>
      readNodeBody(req, limit).catch((err: unknown) => {
        refused = true;
        throw err;
      }),
    header: (name) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    },
  });
  const json = JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = { "content-type": "application/json", "content-length": Buffer.byteLength(json) };
  // An upload refused before its end (too large, or a bad token checked first) is not drained.
  if (refused || (status === 401 && !req.readableEnded)) headers.connection = "close";
  res.writeHead(status, headers).end(json);
}
