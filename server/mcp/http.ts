import type http from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { ProjectSlugSchema } from "@/lib/schemas/config";
import { agentTokenScope } from "../auth/credentials";
import { AGENT_TOKEN_PREFIX } from "../http/security";
import { UNSCOPED, type McpScope } from "./scope";
import { createWorkdeckMcpServer, type McpDeps } from "./server";

/**
 * `/api/mcp`: MCP over Streamable HTTP, answered in serve's edge after the same checks as every
 * other request (security.ts: Host, Origin on POST, WORKDECK_TOKEN or an agent token, whose
 * scope includes this path). Stateless: every POST gets a fresh server and transport, so any
 * server process on the database can answer it and nothing lives between requests; the answer
 * is plain JSON (no server-initiated messages to stream).
 */
export async function serveMcpRequest(deps: McpDeps, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  try {
    const scope = await requestScope(deps, req, url);
    if (!scope.ok) return void reply(res, scope.status, scope.message);
    const server = createWorkdeckMcpServer(deps, scope.scope);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  } catch (err) {
    deps.log.error({ err }, "MCP request failed");
    if (!res.headersSent) reply(res, 500, "Workdeck could not answer this MCP request (see the server log)");
    else res.end();
  }
}

type ScopeVerdict = { ok: true; scope: McpScope } | { ok: false; status: number; message: string };

/**
 * An agent token names a launched session: its project is the scope, whatever the URL asks.
 * Otherwise `?project=<slug>` narrows a full-token (or tokenless loopback) caller.
 */
async function requestScope(deps: McpDeps, req: http.IncomingMessage, url: URL): Promise<ScopeVerdict> {
  const asked = url.searchParams.get("project");
  const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]?.trim();
  if (token?.startsWith(AGENT_TOKEN_PREFIX)) {
    const row = await agentTokenScope(deps.sqlStore, token);
    // The edge accepted the token a moment ago; its run may have ended since.
    if (!row) return { ok: false, status: 401, message: "This agent token's session is no longer running" };
    if (asked && asked !== row.projectSlug)
      return { ok: false, status: 403, message: `This agent token belongs to project "${row.projectSlug}", not "${asked.slice(0, 63)}"` };
    return { ok: true, scope: { projectSlug: row.projectSlug, sessionId: row.sessionId } };
  }
  if (!asked) return { ok: true, scope: UNSCOPED };
  const slug = ProjectSlugSchema.safeParse(asked);
  if (!slug.success || !deps.projects.all().some((p) => p.slug === slug.data))
    return { ok: false, status: 404, message: `No project "${asked.slice(0, 63)}"` };
  return { ok: true, scope: { projectSlug: slug.data, sessionId: null } };
}

function reply(res: http.ServerResponse, status: number, message: string): void {
  res
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}
