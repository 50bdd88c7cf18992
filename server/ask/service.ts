import { AskListInputSchema, AskStartInputSchema, type AskConversation, type AskStartInput } from "@/lib/schemas/ask";
import type { SessionRunner } from "../sessions/service";

/**
 * An Ask conversation is a manual session (same runner, account pool, limits and page) whose
 * prompt opens with ASK_MARKER: the line tells Claude what it is there for, and lets the Ask page
 * find its conversations among the sessions without a table of its own. Follow-ups are the
 * session's Send / Resume. Workdeck's MCP server is attached like to every launched session.
 */
export const ASK_MARKER = "[Workdeck Ask]";

const PREAMBLE =
  `${ASK_MARKER} You are answering in Workdeck's Ask chat for this project. Use the Workdeck tools (mcp__workdeck__*) to read and create work: ` +
  "proposals (create_proposal, add_spec_delta), failure triage, dependencies, sub-agents and skills (save_agent, save_skill). " +
  "Say what you created and where it appears in Workdeck.";

type AskDeps = { sessions: Pick<SessionRunner, "start" | "list"> };

export async function startAsk(deps: AskDeps, raw: AskStartInput): Promise<{ id: number }> {
  const input = AskStartInputSchema.parse(raw);
  // In the project itself, not a worktree: what it creates (proposals, .claude files) belongs to the project.
  return deps.sessions.start({ projectId: input.projectId, prompt: `${PREAMBLE}\n\n${input.text}`, overrides: { worktrees: false } });
}

export async function listAsks(deps: AskDeps, raw: { projectId?: string } = {}): Promise<AskConversation[]> {
  const input = AskListInputSchema.parse(raw);
  return (await deps.sessions.list({ projectId: input.projectId, limit: 1000 }))
    .filter((s) => s.prompt.startsWith(ASK_MARKER))
    .map((s) => ({
      id: s.id,
      projectSlug: s.projectSlug,
      status: s.status,
      question: questionOf(s.prompt),
      createdAt: s.createdAt,
      costUsd: s.costUsd,
    }));
}

function questionOf(prompt: string): string {
  const text = prompt.startsWith(PREAMBLE) ? prompt.slice(PREAMBLE.length) : prompt.slice(ASK_MARKER.length);
  return text.trim().slice(0, 300);
}
