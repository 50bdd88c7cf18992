import type { ChangeDetail } from "@/lib/schemas/openspec";
import type { FailureDetail } from "@/lib/schemas/errors";

/**
 * The prompts a session starts with, built from its work item. The launch form shows
 * them (sessions.promptPreview) and may send an edited one instead.
 */

const MAX_SECTION = 8_000;

function clip(text: string, max = MAX_SECTION): string {
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text;
}

export function errorRemediationPrompt(f: FailureDetail): string {
  const latest = [...f.runs].reverse().find((r) => r.inGroup && r.attempts.some((a) => a.errors.length));
  const error = latest?.attempts.flatMap((a) => a.errors).at(-1);
  const history = f.runs
    .slice(-20)
    .map((r) => `run ${r.report.seq}: ${r.status}${r.inGroup ? "" : r.fingerprint ? " (other error)" : ""}`)
    .join("\n");
  return [
    `Fix the failing Playwright test \`${f.titlePath.join(" › ")}\` in \`${f.file}\` (project "${f.projectName}").`,
    "",
    `Pattern: ${f.pattern}, ${f.occurrences} occurrence(s), ${f.consecutiveFailures} consecutive failure(s). Triage: ${f.decision} (suggested ${f.suggestedDecision}, priority ${f.priority}).`,
    `Triage rationale: ${f.rationale}`,
    f.humanRationale ? `Reviewer's note: ${f.humanRationale}` : null,
    "",
    "## Error",
    "```",
    clip(error?.message ?? f.lastMessage),
    "```",
    error?.stack ? ["", "## Stack", "```", clip(error.stack, 4000), "```"].join("\n") : null,
    "",
    "## History (oldest first)",
    history,
    "",
    "Find the root cause, fix it with the smallest change that is right (fix the code, not the test, unless the test is wrong), run the test to confirm, and summarise what you changed and why.",
  ]
    .filter((l) => l !== null)
    .join("\n");
}

export function specImplementationPrompt(c: ChangeDetail, tasksPath: string): string {
  const deltas = c.deltas
    .map(
      (d) =>
        `- ${d.operation} ${d.spec}: ${d.rename ? `${d.rename.from} → ${d.rename.to}` : (d.requirement?.name ?? d.requirement?.text.slice(0, 120) ?? "")}`,
    )
    .join("\n");
  return [
    `Implement the OpenSpec change \`${c.id}\`.`,
    "",
    "## Proposal",
    clip(c.proposal ?? "(none)"),
    c.design ? ["", "## Design", clip(c.design)].join("\n") : null,
    "",
    "## Tasks",
    clip(c.tasksMarkdown ?? "(no tasks.md)"),
    deltas ? ["", "## Spec deltas", deltas].join("\n") : null,
    "",
    `Work through the tasks in order. As you finish each one, tick it in \`${tasksPath}\` (change \`- [ ]\` to \`- [x]\`), so progress is visible. Run the project's tests before you finish, and summarise what is done and what is left.`,
  ]
    .filter((l) => l !== null)
    .join("\n");
}
