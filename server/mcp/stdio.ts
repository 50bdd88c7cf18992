import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { McpScope } from "./scope";
import { createWorkdeckMcpServer, type McpDeps } from "./server";

/**
 * `workdeck mcp`: the MCP server on stdin/stdout until the client closes stdin. Nothing else may
 * write to stdout (it is the protocol), so the caller logs to stderr only.
 */
export async function runStdioMcp(deps: McpDeps, scope: McpScope): Promise<void> {
  const server = createWorkdeckMcpServer(deps, scope);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
    // The transport does not notice the client going away by itself.
    process.stdin.once("end", () => void server.close().finally(resolve));
    process.stdin.once("close", () => void server.close().finally(resolve));
  });
  await server.connect(transport);
  await closed;
}
