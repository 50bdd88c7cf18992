import { describe, expect, it } from "vitest";
import { agentsUsed } from "@/app/_components/agents-config/session-agents-model";
import type { SessionEvent } from "@/lib/schemas/sessions";

const assistant = (seq: number, ...blocks: Record<string, unknown>[]): SessionEvent =>
  ({ seq, type: "assistant", payload: { type: "assistant", message: { content: blocks } }, at: new Date(0) }) as unknown as SessionEvent;

describe("agents and skills a session used, from its stream", () => {
  it("names the launch agent, the sub-agents its Agent/Task calls started and the skills it loaded, once each", () => {
    const events = [
      assistant(
        1,
        { type: "text", text: "Delegating." },
        { type: "tool_use", name: "Agent", input: { subagent_type: "reviewer", prompt: "x" } },
      ),
      assistant(
        2,
        { type: "tool_use", name: "Task", input: { subagent_type: "flake-hunter" } },
        { type: "tool_use", name: "Agent", input: { subagent_type: "reviewer" } },
      ),
      assistant(
        3,
        { type: "tool_use", name: "Skill", input: { skill: "release-notes" } },
        { type: "tool_use", name: "Bash", input: { command: "ls" } },
      ),
      { seq: 4, type: "workdeck/user_message", payload: { text: "Skill" }, at: new Date(0) } as unknown as SessionEvent,
    ];
    expect(agentsUsed(events, { agent: "triager" })).toEqual({
      mainAgent: "triager",
      subagents: ["flake-hunter", "reviewer"],
      skills: ["release-notes"],
    });
  });

  it("is empty for a plain session", () => {
    expect(agentsUsed([assistant(1, { type: "tool_use", name: "Read", input: { file_path: "a" } })], {})).toEqual({
      mainAgent: null,
      subagents: [],
      skills: [],
    });
  });
});
