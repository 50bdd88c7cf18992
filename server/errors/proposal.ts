/**
 * Spec proposals from failures: the New proposal form's draft (the failure's evidence), creating
 * the OpenSpec change from it, and linking a failure to a change. Reads and the link go through
 * the SQL port (issue 14).
 */
import path from "node:path";
import { sql } from "drizzle-orm";
import { AppError } from "../app-error";
import type { RecentRun } from "./groups";
import type { OpenSpecService } from "../specs/service";
import { getFailure, groupRow, type StoreDeps } from "./listing";
import { changeAndPublish, type TriageDeps } from "./triage";
import type { CapabilityDelta } from "@/lib/schemas/openspec";
import {
  CreateSpecProposalInputSchema,
  LinkProposalInputSchema,
  type CreateSpecProposalInput,
  type FailureGroup,
  type LinkProposalInput,
  type ProposalDraft,
} from "@/lib/schemas/errors";

/** What the proposal procedures need beyond the errors deps: the OpenSpec service (runtime.openspec). */
export type ProposalDeps = TriageDeps & { openspec: Pick<OpenSpecService, "createProposal" | "showChange"> };

const DRAFT_HREF_LIMIT = 8000;
const RUN_ERROR_LABEL: Record<NonNullable<FailureGroup["runErrorKind"]>, string> = {
  "global-setup": "global setup",
  "global-teardown": "global teardown",
  "load-error": "spec file that does not load",
  other: "run-level error",
};
const SPARK: Record<RecentRun, string> = { failed: "✗", flaky: "~", passed: "✓", skipped: "s", absent: "·" };

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const indent = (text: string) =>
  text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");

/** "runs 3, 4, 5" / "runs 3–8" for a list of run numbers. */
function describeSeqs(seqs: number[]): string {
  if (seqs.length === 0) return "no runs";
  if (seqs.length === 1) return `run ${seqs[0]}`;
  const contiguous = seqs.every((n, i) => i === 0 || n === seqs[i - 1]! + 1);
  if (contiguous && seqs.length >= 3) return `runs ${seqs[0]}–${seqs.at(-1)}`;
  return `runs ${seqs.length <= 8 ? seqs.join(", ") : `${seqs.slice(0, 3).join(", ")}, …, ${seqs.slice(-3).join(", ")}`}`;
}

/**
 * The New proposal form's fields for a failure, filled with its evidence: the test, the error of
 * its last occurrence, a stack excerpt, the run history and the triage rationale.
 */
export async function proposalDraft(deps: StoreDeps, input: { failureId: number }): Promise<ProposalDraft> {
  const detail = await getFailure(deps, input);
  const testName = detail.runErrorKind
    ? `${RUN_ERROR_LABEL[detail.runErrorKind]} (${detail.file})`
    : `${detail.file} › ${detail.titlePath.join(" › ")}${detail.projectName ? ` [${detail.projectName}]` : ""}`;
  const shortName = detail.runErrorKind
    ? `${RUN_ERROR_LABEL[detail.runErrorKind]} in ${detail.file}`
    : (detail.titlePath.at(-1) ?? detail.file);
  const title = clip(`${detail.heuristics.notImplemented ? "Implement" : "Specify"}: ${shortName}`, 120);

  const occurrences = detail.runs.filter((r) => r.inGroup);
  const last = occurrences.at(-1);
  const lastError = last?.attempts.flatMap((a) => a.errors).find((e) => e.message || e.stack);
  const stackLines = (lastError?.stack ?? "")
    .split("\n")
    .filter((l) => /^\s*at\s/.test(l))
    .slice(0, 8);
  // Stacks of test errors keep the producing machine's absolute paths: show them from the spec's
  // own path (or node_modules/…, or the last two segments) in a document meant for the repository.
  const specPath = detail.repoPath ?? detail.file;
  const shortPath = (abs: string) => {
    const at = abs.lastIndexOf(`/${specPath}`);
    if (at >= 0 && abs.endsWith(specPath)) return specPath;
    const modules = abs.lastIndexOf("/node_modules/");
    if (modules >= 0) return abs.slice(modules + 1);
    return abs.split("/").slice(-2).join("/");
  };
  for (let k = 0; k < stackLines.length; k++)
    stackLines[k] = stackLines[k]!.replace(/(?<![\w.:])\/(?:[^\s/:()]+\/)+[^\s/:()]+/g, shortPath);
  const failedRuns = detail.runs.filter((r) => r.status === "unexpected").map((r) => r.report.seq);
  const flakyRuns = detail.runs.filter((r) => r.status === "flaky").map((r) => r.report.seq);
  const message = clip(detail.lastMessage.split("\n").slice(0, 12).join("\n"), 1200);

  const history = [
    `Run history (the project's last ${detail.recentRuns.length} runs, oldest first; ✗ failed, ~ flaky, ✓ passed, s skipped, · absent): ${detail.recentRuns.map((r) => SPARK[r]).join(" ")}`,
    `Failed in ${describeSeqs(failedRuns)}${flakyRuns.length ? `, flaky in ${describeSeqs(flakyRuns)}` : ""}; ${detail.occurrences} occurrence${detail.occurrences === 1 ? "" : "s"}, ${detail.consecutiveFailures} in a row at the end; first seen in run ${detail.firstSeen.seq}, last seen in run ${detail.lastSeen.seq}.`,
  ];
  const triage = [
    `Triage (Workdeck failure #${detail.id}): ${detail.pattern}, suggested ${detail.suggestedDecision} (priority ${detail.suggestedPriority}, confidence ${detail.confidence}).`,
    detail.rationale,
    detail.reviewedByHuman ? `Decision: ${detail.decision}${detail.humanRationale ? ` (${detail.humanRationale})` : ""}.` : "",
  ].filter(Boolean);

  const build = (messageText: string, stack: string[]) =>
    [
      `The ${detail.runErrorKind ? "run-level failure" : "test"} ${testName} fails (${detail.pattern}, ${detail.occurrences} occurrence${detail.occurrences === 1 ? "" : "s"}); this change specifies the behaviour it expects.`,
      "",
      `Error (run ${detail.lastSeen.seq}):`,
      "",
      indent(messageText || detail.lastMessage.split("\n")[0] || "(no message)"),
      ...(stack.length ? ["", "Stack excerpt:", "", indent(stack.map((l) => l.trim()).join("\n"))] : []),
      "",
      ...history,
      "",
      ...triage,
    ].join("\n");

  const whatChanges = [
    `- Specify the behaviour that ${detail.runErrorKind ? `the ${RUN_ERROR_LABEL[detail.runErrorKind]} relies on` : `\`${detail.titlePath.join(" › ")}\` checks`} (requirements and scenarios).`,
    `- ${detail.heuristics.notImplemented ? "Implement the missing feature" : "Change the implementation (or the test) to match the specification"}.`,
    `- Keep \`${detail.file}\` passing in CI.`,
  ].join("\n");
  const impact = [
    `- Affected ${detail.runErrorKind ? "stage" : "test"}: \`${detail.file}\`${detail.projectName ? ` (Playwright project \`${detail.projectName}\`)` : ""}`,
    `- Failure group #${detail.id} in Workdeck (${detail.heuristics.pathCategory === "other" ? "" : `${detail.heuristics.pathCategory} test, `}${detail.heuristics.timeout ? "times out, " : ""}${detail.heuristics.hook ? `raised in ${detail.heuristics.hook}, ` : ""}${detail.occurrences} occurrence${detail.occurrences === 1 ? "" : "s"})`,
  ].join("\n");
  const tasks = [
    clip(`Write the requirement and scenarios for ${shortName}`, 500),
    detail.heuristics.notImplemented ? "Implement the feature" : "Implement the specified behaviour",
    clip(
      `Make ${detail.runErrorKind ? `the ${RUN_ERROR_LABEL[detail.runErrorKind]}` : `\`${shortName}\``} pass again (Workdeck failure #${detail.id})`,
      500,
    ),
  ];

  const specDeltas = [failureDelta(detail, shortName, message)];

  const href = (description: string) => {
    const q = new URLSearchParams({
      project: detail.projectSlug,
      title,
      description,
      whatChanges,
      impact,
      tasks: tasks.join("\n"),
      failureId: String(detail.id),
    });
    return `/specs/new?${q.toString()}`;
  };
  // The link must stay a reasonable URL: shorten the evidence until it fits.
  let description = clip(build(message, stackLines), 5000);
  for (const [m, st] of [
    [message, stackLines.slice(0, 4)],
    [clip(message, 400), stackLines.slice(0, 2)],
    [clip(message.split("\n")[0] ?? "", 200), []],
  ] as const) {
    if (href(description).length <= DRAFT_HREF_LIMIT) break;
    description = clip(build(m, [...st]), 5000);
  }
  return {
    failureId: detail.id,
    projectId: detail.projectSlug,
    title,
    description,
    whatChanges,
    impact,
    tasks,
    href: href(description),
    specChangeId: detail.specChangeId,
    specDeltas,
  };
}

const oneLine = (text: string, max: number) => clip(text.replace(/\s+/g, " ").trim(), max);

/**
 * The draft's first delta: one ADDED requirement, in the capability named after the spec file,
 * with the test as its scenario. OpenSpec refuses a change without a delta, and a proposal from a
 * failure used to have none; the person rewrites the wording, the structure already validates.
 */
function failureDelta(detail: Awaited<ReturnType<typeof getFailure>>, shortName: string, message: string): CapabilityDelta {
  const base = path.posix.basename(detail.file).replace(/\.(spec|test|e2e)?\.?[cm]?[jt]sx?$/, "");
  const capability =
    base
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 100) || "behaviour";
  const test = detail.runErrorKind
    ? `the ${RUN_ERROR_LABEL[detail.runErrorKind]} of \`${detail.file}\``
    : `\`${detail.titlePath.join(" › ")}\``;
  const firstLine = oneLine(message.split("\n").find((l) => l.trim()) ?? "", 300);
  return {
    capability,
    operations: [
      {
        op: "ADDED",
        requirement: {
          name: oneLine(detail.heuristics.notImplemented ? `Implement ${shortName}` : shortName, 200),
          text: `The system SHALL behave as ${test} expects${detail.projectName ? ` (Playwright project \`${detail.projectName}\`)` : ""}.`,
          scenarios: [
            {
              name: oneLine(shortName, 200),
              steps: [
                oneLine(`**WHEN** ${test} runs`, 1000),
                oneLine(`**THEN** it passes${firstLine ? ` (today: ${firstLine})` : ""}`, 1000),
              ],
            },
          ],
        },
      },
    ],
  };
}

/**
 * "Create spec proposal": writes the OpenSpec change (the draft, with any field the caller gives
 * replacing the draft's) through the openspec service, and links it to the failure.
 */
export async function createSpecProposal(
  deps: ProposalDeps,
  raw: CreateSpecProposalInput,
): Promise<{ projectSlug: string; changeId: string; path: string; failure: FailureGroup }> {
  const input = CreateSpecProposalInputSchema.parse(raw);
  const before = await groupRow(deps, input.failureId);
  if (before.spec_change_id) {
    throw new AppError(
      "CONFLICT",
      `Failure #${input.failureId} is already linked to the change "${before.spec_change_id}"; unlink it first (errors.linkProposal with changeId null).`,
    );
  }
  const draft = await proposalDraft(deps, { failureId: input.failureId });
  const created = await deps.openspec.createProposal({
    projectId: draft.projectId,
    title: input.title ?? draft.title,
    description: input.description ?? draft.description,
    whatChanges: input.whatChanges ?? draft.whatChanges,
    impact: input.impact ?? draft.impact,
    tasks: input.tasks ?? draft.tasks,
    changeId: input.changeId,
    specDeltas: input.specDeltas ?? draft.specDeltas,
  });
  return { ...created, failure: await setSpecChange(deps, input.failureId, created.changeId) };
}

/** Links an existing change of the failure's project (validated: it must exist there) or unlinks (null). */
export async function linkProposal(deps: ProposalDeps, raw: LinkProposalInput): Promise<FailureGroup> {
  const input = LinkProposalInputSchema.parse(raw);
  const before = await groupRow(deps, input.failureId);
  if (input.changeId !== null) await deps.openspec.showChange({ projectId: before.project_slug, changeId: input.changeId });
  return setSpecChange(deps, input.failureId, input.changeId);
}

/** Records the link and announces it (errors.triaged), in one transaction. */
function setSpecChange(deps: TriageDeps, failureId: number, changeId: string | null): Promise<FailureGroup> {
  return changeAndPublish(deps, failureId, async (tx) => {
    await tx.run(
      sql`UPDATE error_triage SET spec_change_id = ${changeId}, updated_at = ${Date.now()} WHERE test_failure_id = ${failureId}`,
    );
  });
}
