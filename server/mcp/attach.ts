import type { SessionsDeps } from "../sessions/deps";
import { MCP_SERVER_NAME } from "./name";

/**
 * Workdeck's MCP server in the MCP config of the sessions Workdeck launches: `/api/mcp` of this
 * server, narrowed to the session's project, authenticated with the run's agent token (minted
 * when the server has a WORKDECK_TOKEN; a tokenless loopback server needs none). The session's own
 * `mcpServers` (defaults < project < launch) stay as they are, strict or not as before; one they
 * name "workdeck" replaces ours.
 */
export function sessionMcpServers(
  own: Record<string, unknown> | undefined,
  link: SessionsDeps["hooks"],
  projectSlug: string,
  agentToken: string | undefined,
): Record<string, unknown> | undefined {
  if (!link) return own;
  const workdeck = {
    type: "http",
    url: `${link.url}/api/mcp?project=${encodeURIComponent(projectSlug)}`,
    ...(agentToken ? { headers: { Authorization: `Bearer ${agentToken}` } } : {}),
    // Connected before the first turn and never deferred behind tool search: the prompt may ask for a proposal at once.
    alwaysLoad: true,
  };
  return { [MCP_SERVER_NAME]: workdeck, ...own };
}

/**
 * Workdeck tools a launched session uses without asking: they read, or file and link work in its
 * own project. start_session is not among them (it spends on another run), so it asks like any tool.
 */
const AUTO_ALLOWED = [
  "list_work",
  "list_failures",
  "get_failure",
  "triage_failure",
  "list_changes",
  "show_change",
  "list_specs",
  "show_spec",
  "create_proposal",
  "add_spec_delta",
  "create_failure_proposal",
  "add_dependency",
  "get_session",
  "list_agents",
  "get_agent",
  "list_skills",
].map((tool) => `mcp__${MCP_SERVER_NAME}__${tool}`);

export function withWorkdeckTools(allowed: string[] | undefined, servers: Record<string, unknown> | undefined): string[] | undefined {
  if (!servers?.[MCP_SERVER_NAME]) return allowed;
  return [...(allowed ?? []), ...AUTO_ALLOWED.filter((t) => !allowed?.includes(t))];
}
