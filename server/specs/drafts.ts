/**
 * Proposals that validate (issue 13 item 1): a proposal's capability deltas rendered to delta
 * specs and checked, before anything is written, by the validator the Specs tab runs (the parser's
 * change rules, over the real root with the draft laid on top); and a spec's requirements in the
 * shape a MODIFIED delta takes, for the form to prefill.
 */
import * as parser from "@workdeck/openspec-parser/fs";
import { AppError } from "../app-error";
import { assertSpecId, resolveInsideProject } from "../projects/paths";
import type { ProjectRegistry } from "../projects/service";
import { assertSpecFileStaysInside, openspecRel, projectRoot } from "./links";
import {
  CreateProposalInputSchema,
  type CapabilityDelta,
  type CreateProposalInput,
  type SpecDetail,
  type SpecRequirements,
  type ValidationIssue,
  type ValidationState,
} from "@/lib/schemas/openspec";
import type { Project } from "@/lib/schemas/project";

// Structural, so the service can import this file without a cycle.
type DraftDeps = { projects: ProjectRegistry; openspec: { showSpec(input: { projectId: string; specId: string }): Promise<SpecDetail> } };

/** Same shape and rule as the Specs tab's states (non-strict: only ERRORs fail). */
function toValidationState(valid: boolean, issues: ValidationIssue[]): ValidationState {
  return {
    valid,
    errors: issues.filter((i) => i.level === "ERROR").length,
    warnings: issues.filter((i) => i.level === "WARNING").length,
    issues,
  };
}

/** Delta files by capability, as the parser writes them inside the change. */
export function renderSpecDeltas(deltas: CapabilityDelta[] | undefined): Record<string, string> | undefined {
  if (!deltas?.length) return undefined;
  return Object.fromEntries(deltas.map((d) => [d.capability, parser.renderDeltaSpec(d.operations)]));
}

/** The parser's create input for a proposal (the same for the check and the write). */
export function createChangeInput(input: CreateProposalInput): parser.CreateChangeInput {
  return {
    id: input.changeId || undefined,
    title: input.title,
    why: input.description,
    whatChanges: input.whatChanges,
    impact: input.impact,
    tasks: input.tasks,
    specs: renderSpecDeltas(input.specDeltas),
  };
}

/** What `validate <id>` would say of the change this proposal creates; `changeId` is the id it would get. */
export function checkDraft(project: Project, input: CreateProposalInput): ValidationState & { changeId: string } {
  // Never read through a linked openspec/ that leaves the project.
  resolveInsideProject(projectRoot(project), `${openspecRel(project)}/changes`);
  const tree = parser.readOpenSpecTreeSync(project.openspecRoot);
  const { id, issues } = parser.draftChangeIssues(tree, createChangeInput(input), new Date());
  return { ...toValidationState(!issues.some((i) => i.level === "ERROR"), issues), changeId: id };
}

/**
 * `openspec.validateProposal`: the form's live check. Field errors (an empty title, a requirement
 * without SHALL) come back as issues on the field's path instead of a 400, so the form can show
 * them beside the field while the person types.
 */
export function validateProposal(deps: DraftDeps, raw: unknown): ValidationState & { changeId: string | null } {
  const parsed = CreateProposalInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ level: "ERROR" as const, path: i.path.join("."), message: i.message }));
    return { ...toValidationState(false, issues), changeId: null };
  }
  const project = deps.projects.get(parsed.data.projectId);
  if (project.problem) throw new AppError("UNPROCESSABLE", project.problem);
  return checkDraft(project, parsed.data);
}

/** Refuses (422, with the validator's errors) a proposal with deltas that would not validate. */
export function assertDraftValid(project: Project, input: CreateProposalInput): void {
  if (!input.specDeltas?.length) return;
  const state = checkDraft(project, input);
  const errors = state.issues.filter((i) => i.level === "ERROR" && i.path !== "id");
  if (errors.length) {
    throw new AppError(
      "UNPROCESSABLE",
      `The proposal would not validate: ${errors
        .slice(0, 3)
        .map((e) => `${e.path}: ${e.message}`)
        .join("; ")}`,
      "proposal_invalid",
    );
  }
}

/** A bulleted scenario body back into its steps (`- **WHEN** x` → `**WHEN** x`); other lines kept as they are. */
function scenarioSteps(raw: string): string[] {
  return raw
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^####\s/.test(l))
    .map((l) => l.replace(/^[-*+]\s+/, ""));
}

/** `openspec.specRequirements`: a main spec's requirements as a MODIFIED delta would restate them. */
export async function specRequirements(deps: DraftDeps, input: { projectId: string; specId: string }): Promise<SpecRequirements> {
  const project = deps.projects.get(input.projectId);
  const id = assertSpecId(input.specId);
  assertSpecFileStaysInside(project, id);
  const spec = await deps.openspec.showSpec({ projectId: project.slug, specId: id });
  return {
    specId: spec.id,
    requirements: spec.requirements.map((r) => ({
      name: r.name ?? "",
      text: r.text,
      scenarios: r.scenarios.map((s) => ({ name: s.name ?? "", steps: scenarioSteps(s.rawText) })),
    })),
  };
}
