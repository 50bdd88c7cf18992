/** The name sessions see Workdeck's tools under: `mcp__workdeck__<tool>`. */
export const MCP_SERVER_NAME = "workdeck";
