/** The remediation prompt of a failed deploy or CI run (issue 15): the rule's instructions, then the evidence. */

import type { IntegrationItemRow } from "../webhooks/service";

type ItemRow = Pick<
  IntegrationItemRow,
  "kind" | "project_slug" | "provider" | "title" | "detail" | "url" | "branch" | "commit_sha" | "evidence" | "occurrences"
>;

const DEFAULT_INSTRUCTIONS: Record<string, string> = {
  deploy:
    "A deployment of this project failed. Find the cause from the evidence below (the log tail first), fix it in the code or the build configuration, and check that the build passes locally. Do not deploy; say what you changed and why.",
  ci: "A CI run of this project failed. Reproduce the failing job locally from the evidence below, fix the cause (not the test, unless the test is wrong), and run the job's command again. Say what you changed and why.",
};

export function remediationPrompt(item: ItemRow, instructions?: string): string {
  const what = item.kind === "deploy" ? "Failed deploy" : "Failed CI run";
  return [
    instructions ?? DEFAULT_INSTRUCTIONS[item.kind] ?? DEFAULT_INSTRUCTIONS.ci,
    "",
    `## ${what}: ${item.title}`,
    `- Provider: ${item.provider}${item.url ? ` (${item.url})` : ""}`,
    `- Status: ${item.detail}${item.occurrences > 1 ? `, ${item.occurrences} times in a row` : ""}`,
    ...(item.branch ? [`- Branch: ${item.branch}`] : []),
    ...(item.commit_sha ? [`- Commit: ${item.commit_sha}`] : []),
    "",
    "## Evidence",
    "```",
    item.evidence.slice(-8000),
    "```",
  ].join("\n");
}
