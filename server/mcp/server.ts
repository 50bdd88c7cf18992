import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Runtime } from "../runtime";
import { MCP_SERVER_NAME } from "./name";
import { registerResources } from "./resources";
import type { McpScope } from "./scope";
import { registerTools } from "./tools";

export type McpDeps = Pick<Runtime, "sqlStore" | "bus" | "projects" | "openspec" | "sessions" | "config" | "log">;

export { MCP_SERVER_NAME };

/** One MCP server over the runtime's services, narrowed to `scope`; one per connection (stdio) or request (HTTP). */
export function createWorkdeckMcpServer(deps: McpDeps, scope: McpScope): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: "1.0.0" },
    {
      instructions:
        "Workdeck tracks OpenSpec changes, Playwright failure groups and Claude Code sessions. File a proposal with create_proposal " +
        "(or create_failure_proposal for a failure), record a triage decision with triage_failure, queue work with start_session." +
        (scope.projectSlug ? ` This connection is scoped to the project "${scope.projectSlug}": pass it as projectId.` : ""),
    },
  );
  registerTools(server, deps, scope);
  registerResources(server, deps, scope);
  return server;
}
