import type http from "node:http";
import { serveNodePost } from "../http/hook-post";
import { webhookPost, type WebhookDeps, type WebhookRoute } from "./ingest";

/** The edge's side of the webhook routes: a Node request and response (the Next routes use web Requests). */
export function serveWebhookPost(
  deps: WebhookDeps,
  route: WebhookRoute,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  // A bad token is checked before the body is read, so a 401 may leave the upload undrained too.
  return serveNodePost(
    req,
    res,
    (io) => webhookPost(deps, route, io),
    (status) => status === 401 && !req.readableEnded,
  );
}
