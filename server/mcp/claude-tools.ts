import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ClaudeItemInputSchema, ProjectInputSchema, SaveSkillInputSchema, SaveSubagentInputSchema } from "@/lib/schemas/claude-config";
import * as claude from "../claude-config/service";
import type { McpScope } from "./scope";
import { scopedProject } from "./scope";

/** Sub-agents and skills of a project (the claudeConfig router's schemas and service), for the Ask chat and agents. */
export function registerClaudeConfigTools(
  server: McpServer,
  deps: claude.ClaudeConfigDeps,
  scope: McpScope,
  run: (fn: () => unknown) => Promise<CallToolResult>,
): void {
  server.registerTool(
    "list_agents",
    {
      title: "List sub-agents",
      description: "The project's Claude Code sub-agents (.claude/agents) with their version (needed to edit one) and any problem.",
      inputSchema: ProjectInputSchema,
      annotations: { readOnlyHint: true },
    },
    (input) => run(() => claude.listSubagents(deps, { projectId: scopedProject(scope, input.projectId)! })),
  );
  server.registerTool(
    "get_agent",
    {
      title: "Get a sub-agent",
      description: "One sub-agent's fields and version.",
      inputSchema: ClaudeItemInputSchema,
      annotations: { readOnlyHint: true },
    },
    (input) => run(() => claude.getSubagent(deps, { ...input, projectId: scopedProject(scope, input.projectId)! })),
  );
  server.registerTool(
    "save_agent",
    {
      title: "Create or edit a sub-agent",
      description:
        "Writes .claude/agents/<name>.md: name (lowercase-hyphens), description (when to use it), optional tools and model, and the system prompt. version null creates; to edit, pass the version list_agents or get_agent returned (a file changed since is refused).",
      inputSchema: SaveSubagentInputSchema,
    },
    (input) => run(() => claude.saveSubagent(deps, { ...input, projectId: scopedProject(scope, input.projectId)! })),
  );
  server.registerTool(
    "list_skills",
    {
      title: "List skills",
      description: "The project's Claude Code skills (.claude/skills/<name>/SKILL.md) with their version and any problem.",
      inputSchema: ProjectInputSchema,
      annotations: { readOnlyHint: true },
    },
    (input) => run(() => claude.listSkills(deps, { projectId: scopedProject(scope, input.projectId)! })),
  );
  server.registerTool(
    "save_skill",
    {
      title: "Create or edit a skill",
      description:
        "Writes .claude/skills/<name>/SKILL.md: name, description, optional allowed tools, and the instructions. version null creates; to edit, pass the version list_skills returned.",
      inputSchema: SaveSkillInputSchema,
    },
    (input) => run(() => claude.saveSkill(deps, { ...input, projectId: scopedProject(scope, input.projectId)! })),
  );
}
