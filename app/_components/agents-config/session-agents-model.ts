import type { SessionEvent, SessionOptions } from "@/lib/schemas/sessions";

/**
 * Which sub-agents and skills a session used, read from its stream: the agent it was launched as
 * (`overrides.agent`), the sub-agents its Agent/Task calls started (`subagent_type`), and the
 * skills its Skill calls loaded.
 */
export type AgentsUsed = { mainAgent: string | null; subagents: string[]; skills: string[] };

type Block = { type?: string; name?: string; input?: Record<string, unknown> };

export function agentsUsed(events: SessionEvent[], options: SessionOptions): AgentsUsed {
  const subagents = new Set<string>();
  const skills = new Set<string>();
  for (const e of events) {
    if (e.type !== "assistant") continue;
    const content = (e.payload as { message?: { content?: unknown } })?.message?.content;
    if (!Array.isArray(content)) continue;
    for (const block of content as Block[]) {
      if (block.type !== "tool_use") continue;
      if ((block.name === "Agent" || block.name === "Task") && typeof block.input?.subagent_type === "string")
        subagents.add(block.input.subagent_type);
      if (block.name === "Skill") {
        const skill = block.input?.skill ?? block.input?.command;
        if (typeof skill === "string") skills.add(skill.replace(/^\//, ""));
      }
    }
  }
  return { mainAgent: options.agent ?? null, subagents: [...subagents].sort(), skills: [...skills].sort() };
}
