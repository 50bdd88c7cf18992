import type http from "node:http";
import type { McpDeps } from "../mcp/server";
import { serveHookPost, type HookPostDeps } from "./hook-post";
import { serveReportPost, type ReportPostDeps } from "./report-post";
import { checkRequest, stampClientAddress, type Credentials, type Verdict } from "./security";
import { serveWebhookPost } from "../webhooks/http";
import { webhookRoute, type WebhookDeps } from "../webhooks/ingest";

/** Body limit checked at the edge; routes apply their own, smaller or larger. */
export const EDGE_BODY_LIMIT = 256 * 1024 * 1024;

const HOOKS_PATH = /^\/api\/hooks\/?$/;
const REPORTS_PATH = /^\/api\/reports\/?$/;
const MCP_PATH = /^\/api\/mcp\/?$/;

/**
 * Imported on the first `/api/mcp` request: the MCP SDK and its JSON Schema validator hold about
 * 25 MB that a server no MCP client talks to never needs (issue 12).
 */
let mcpHttp: Promise<typeof import("../mcp/http")> | null = null;

export type EdgeOptions = {
  bindHost: string;
  token: string | undefined;
  credentials: Credentials;
  hooks: HookPostDeps;
  /** `POST /api/reports`, streamed to the ingest worker from here (issue 12); absent = left to Next. */
  reports?: ReportPostDeps;
  /** `/api/mcp` (Streamable HTTP, server/mcp/http.ts), answered here after the same checks; absent = left to Next. */
  mcp?: McpDeps;
  /** `POST /api/webhooks/*` (issue 15), authenticated by their senders' signatures; absent = left to Next. */
  webhooks?: WebhookDeps;
  /** Next's handler once it is prepared; until then everything but hooks answers 503. */
  next(): http.RequestListener | null;
};

/**
 * `workdeck serve`'s request handler: binding, token (incl. agent tokens), Host, Origin and body
 * size checks on every request, then `POST /api/hooks` (the hot path: every tool call of every
 * agent, issue 12) and `POST /api/reports` answered here, and everything else handed to Next.
 */
export function edgeHandler(opts: EdgeOptions): http.RequestListener {
  return async (req, res) => {
    const reqUrl = new URL(req.url ?? "/", "http://local");
    stampClientAddress(req.headers, req.socket.remoteAddress);
    // Login sessions and agent tokens are database lookups (async on either dialect, issue 14); one
    // that fails refuses the request. The body stays paused meanwhile: nothing reads it before routing.
    const verdict = await checkRequest(
      { method: req.method ?? "GET", pathname: reqUrl.pathname, headers: req.headers },
      { bindHost: opts.bindHost, token: opts.token, maxBodyBytes: EDGE_BODY_LIMIT, credentials: opts.credentials },
    ).catch((): Verdict => ({ ok: false, status: 503, message: "Could not check this request's credentials; try again" }));
    if (!verdict.ok) {
      if (verdict.redirectToLogin) {
        res.writeHead(303, { location: `/login?next=${encodeURIComponent(reqUrl.pathname + reqUrl.search)}` }).end();
        return;
      }
      res.writeHead(verdict.status, { "content-type": "application/json" }).end(JSON.stringify({ error: verdict.message }));
      return;
    }
    if (req.method === "POST" && HOOKS_PATH.test(reqUrl.pathname)) {
      void serveHookPost(opts.hooks, req, res);
      return;
    }
    if (opts.reports && req.method === "POST" && REPORTS_PATH.test(reqUrl.pathname)) {
      void serveReportPost(opts.reports, req, res, reqUrl);
      return;
    }
    if (opts.mcp && MCP_PATH.test(reqUrl.pathname)) {
      const deps = opts.mcp;
      (mcpHttp ??= import("../mcp/http"))
        .then(({ serveMcpRequest }) => serveMcpRequest(deps, req, res, reqUrl))
        .catch(() => {
          if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "Internal error" }));
        });
      return;
    }
    const webhook = opts.webhooks && req.method === "POST" ? webhookRoute(reqUrl.pathname) : null;
    if (webhook) {
      void serveWebhookPost(opts.webhooks!, webhook, req, res);
      return;
    }
    const next = opts.next();
    if (next) return next(req, res);
    res.writeHead(503, { "content-type": "application/json", "retry-after": "1" }).end(JSON.stringify({ error: "Workdeck is starting" }));
  };
}
