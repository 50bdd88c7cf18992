import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { AddSpecDeltaInputSchema, type AddSpecDeltaInput } from "@/lib/schemas/openspec";
import { AppError } from "../app-error";
import { resolveInsideProject } from "../projects/paths";
import type { ProjectRegistry } from "../projects/service";
import { assertChangeStaysInside, openspecRel, projectRoot } from "./links";
import type { OpenSpecService } from "./service";

type DeltaDeps = { projects: ProjectRegistry; openspec: Pick<OpenSpecService, "showChange" | "onFilesChanged"> };

/**
 * Adds `specs/<capability>/spec.md` with `## ADDED Requirements` to an existing change. Created
 * whole or not at all (written beside, then hard-linked into place, which fails when the file
 * exists): an existing delta is never overwritten (409).
 */
export async function addSpecDelta(
  deps: DeltaDeps,
  raw: AddSpecDeltaInput,
): Promise<{ projectSlug: string; changeId: string; file: string }> {
  const input = AddSpecDeltaInputSchema.parse(raw);
  const project = deps.projects.get(input.projectId);
  const change = await deps.openspec.showChange({ projectId: project.slug, changeId: input.changeId });
  assertChangeStaysInside(project, change.id, { specs: true });
  const rel = `changes/${change.id}/specs/${input.capability}/spec.md`;
  const file = resolveInsideProject(projectRoot(project), `${openspecRel(project)}/${rel}`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.spec.md.${randomUUID().slice(0, 8)}.tmp`);
  fs.writeFileSync(tmp, renderDelta(input), { flag: "wx" });
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new AppError("CONFLICT", `The change "${change.id}" already has a delta for "${input.capability}"`, "delta_exists");
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  await deps.openspec.onFilesChanged(project.slug, [rel]);
  return { projectSlug: project.slug, changeId: change.id, file: `openspec/${rel}` };
}

function renderDelta(input: AddSpecDeltaInput): string {
  const blocks = input.requirements.map((r) =>
    [
      `### Requirement: ${r.name}`,
      r.text,
      ...r.scenarios.map((s) => [`#### Scenario: ${s.name}`, ...s.steps.map((step) => `- ${step}`)].join("\n")),
    ].join("\n\n"),
  );
  return `## ADDED Requirements\n\n${blocks.join("\n\n")}\n`;
}
