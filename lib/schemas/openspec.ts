import { z } from "zod";
import { ProjectFilterInputSchema, ProjectSlugSchema } from "./common";
import { CHANGE_GROUPS } from "./values";

/** The dashboard's view of OpenSpec items. The parser package owns the official shapes. */

export const ChangeGroupSchema = z.enum(CHANGE_GROUPS);
export type ChangeGroup = z.infer<typeof ChangeGroupSchema>;

export const ValidationIssueSchema = z.object({
  level: z.enum(["ERROR", "WARNING", "INFO"]),
  path: z.string(),
  message: z.string(),
  line: z.number().int().optional(),
});
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

export const ValidationStateSchema = z.object({
  valid: z.boolean(),
  errors: z.number().int(),
  warnings: z.number().int(),
  issues: z.array(ValidationIssueSchema),
});
export type ValidationState = z.infer<typeof ValidationStateSchema>;

export const ChangeSummarySchema = z.object({
  projectSlug: z.string(),
  id: z.string(),
  title: z.string(),
  group: ChangeGroupSchema,
  completedTasks: z.number().int(),
  totalTasks: z.number().int(),
  lastModified: z.string(),
  validation: ValidationStateSchema,
  /** Set for folders that only wrap nested change folders. */
  nested: z.array(z.string()).optional(),
});
export type ChangeSummary = z.infer<typeof ChangeSummarySchema>;

export const SpecSummarySchema = z.object({
  projectSlug: z.string(),
  id: z.string(),
  requirementCount: z.number().int(),
  validation: ValidationStateSchema,
});
export type SpecSummary = z.infer<typeof SpecSummarySchema>;

export const ScenarioViewSchema = z.object({ name: z.string().nullable(), rawText: z.string() });
export const RequirementViewSchema = z.object({
  name: z.string().nullable(),
  text: z.string(),
  scenarios: z.array(ScenarioViewSchema),
});
export type RequirementView = z.infer<typeof RequirementViewSchema>;

export const DeltaViewSchema = z.object({
  spec: z.string(),
  operation: z.enum(["ADDED", "MODIFIED", "REMOVED", "RENAMED"]),
  requirement: RequirementViewSchema.nullable(),
  rename: z.object({ from: z.string(), to: z.string() }).nullable(),
});
export type DeltaView = z.infer<typeof DeltaViewSchema>;

export const TaskItemSchema = z.object({ text: z.string(), done: z.boolean(), line: z.number().int() });

export const ChangeDetailSchema = ChangeSummarySchema.extend({
  proposal: z.string().nullable(),
  design: z.string().nullable(),
  tasksMarkdown: z.string().nullable(),
  tasks: z.array(TaskItemSchema),
  deltas: z.array(DeltaViewSchema),
  files: z.array(z.string()),
});
export type ChangeDetail = z.infer<typeof ChangeDetailSchema>;

export const SpecDetailSchema = SpecSummarySchema.extend({
  title: z.string(),
  purpose: z.string().nullable(),
  requirements: z.array(RequirementViewSchema),
  markdown: z.string(),
});
export type SpecDetail = z.infer<typeof SpecDetailSchema>;

export const ArchivePreviewSchema = z.object({
  projectSlug: z.string(),
  changeId: z.string(),
  archivedAs: z.string().nullable(),
  incompleteTasks: z.number().int(),
  specUpdates: z.array(
    z.object({
      spec: z.string(),
      added: z.number().int(),
      modified: z.number().int(),
      removed: z.number().int(),
      renamed: z.number().int(),
      created: z.boolean(),
    }),
  ),
  warnings: z.array(z.string()),
  /** The official refusal (code and message) when archive would not proceed. */
  refusal: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type ArchivePreview = z.infer<typeof ArchivePreviewSchema>;

/** Input of the New proposal form, shared by the form, the router and the service. */
const DraftLine = (label: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, `${label} is empty`)
    .max(max)
    .regex(/^[^\r\n]+$/, `${label} is one line`);

/** A requirement as the proposal form and the MCP tools write it: SHALL/MUST text and at least one scenario. */
export const RequirementDraftSchema = z.object({
  name: DraftLine("A requirement name", 200),
  text: z
    .string()
    .trim()
    .min(1, "A requirement needs its text")
    .max(5000)
    .regex(/\b(SHALL|MUST)\b/, "A requirement's text says SHALL or MUST"),
  scenarios: z
    .array(
      z.object({
        name: DraftLine("A scenario name", 200),
        steps: z.array(DraftLine("A step", 1000)).min(1, "A scenario needs at least one step").max(30),
      }),
    )
    .min(1, "Each requirement needs at least one scenario")
    .max(30),
});
export type RequirementDraft = z.infer<typeof RequirementDraftSchema>;

/** One operation of a delta spec (`## ADDED|MODIFIED|REMOVED|RENAMED Requirements`). */
export const DeltaOperationSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("ADDED"), requirement: RequirementDraftSchema }),
  /** The whole requirement as it will read after the change (prefilled from the current spec). */
  z.object({ op: z.literal("MODIFIED"), requirement: RequirementDraftSchema }),
  z.object({
    op: z.literal("REMOVED"),
    name: DraftLine("The removed requirement's name", 200),
    reason: z.string().trim().max(2000).optional(),
    migration: z.string().trim().max(2000).optional(),
  }),
  z.object({ op: z.literal("RENAMED"), from: DraftLine("The old name", 200), to: DraftLine("The new name", 200) }),
]);
export type DeltaOperation = z.infer<typeof DeltaOperationSchema>;

export const CapabilitySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,99}$/, "A capability is lowercase letters, digits and hyphens (its folder under specs/)");

/** The capabilities a proposal touches and what it does to each one's requirements. */
export const CapabilityDeltaSchema = z.object({
  capability: CapabilitySchema,
  operations: z.array(DeltaOperationSchema).min(1, "Say what changes in this capability").max(50),
});
export type CapabilityDelta = z.infer<typeof CapabilityDeltaSchema>;

export const SpecDeltasSchema = z
  .array(CapabilityDeltaSchema)
  .max(20)
  .refine((list) => new Set(list.map((c) => c.capability)).size === list.length, "Each capability appears once");

export const CreateProposalInputSchema = z.object({
  projectId: ProjectSlugSchema,
  title: z.string().trim().min(3, "Title needs at least 3 characters").max(120, "Keep the title under 120 characters"),
  description: z.string().trim().min(20, "Say why in at least 20 characters").max(5000),
  whatChanges: z.string().trim().max(10_000).optional(),
  impact: z.string().trim().max(5000).optional(),
  tasks: z.array(z.string().trim().min(1).max(500)).max(200).optional(),
  /** Optional explicit id; otherwise derived from the title. */
  changeId: z.string().trim().max(100).optional(),
  /**
   * Capabilities touched and their requirement deltas (issue 13). With them the change validates
   * as OpenSpec wants (a change needs at least one delta); a draft that would not validate is refused.
   */
  specDeltas: SpecDeltasSchema.optional(),
});
export type CreateProposalInput = z.infer<typeof CreateProposalInputSchema>;

/** The files of a change the editor opens: the proposal, design, tasks and its delta specs. */
export const ChangeFileSchema = z.union([
  z.enum(["proposal.md", "design.md", "tasks.md"]),
  z.string().regex(/^specs\/[a-z0-9][a-z0-9-]{0,99}\/spec\.md$/, "A delta spec is specs/<capability>/spec.md"),
]);
export const ReadChangeFileInputSchema = z.object({
  projectId: ProjectSlugSchema,
  changeId: z.string().min(1).max(200),
  file: ChangeFileSchema,
});
export type ReadChangeFileInput = z.infer<typeof ReadChangeFileInputSchema>;

/** A file as the editor opened it; `version` (mtime + content hash, "absent" for a file not yet there) guards the write. */
export const ChangeFileContentSchema = z.object({ file: z.string(), content: z.string(), version: z.string(), exists: z.boolean() });
export type ChangeFileContent = z.infer<typeof ChangeFileContentSchema>;

export const WriteChangeFileInputSchema = ReadChangeFileInputSchema.extend({
  content: z.string().max(512 * 1024, "Keep the file under 512 KB"),
  /** The version read; a file changed on disk since then is not overwritten (409). */
  version: z.string().min(1).max(200),
});
export type WriteChangeFileInput = z.infer<typeof WriteChangeFileInputSchema>;

/** Ticks (or unticks) one task of tasks.md, named by its line and text as the page showed them. */
export const SetTaskDoneInputSchema = z.object({
  projectId: ProjectSlugSchema,
  changeId: z.string().min(1).max(200),
  line: z.number().int().positive(),
  text: z.string().max(2000),
  done: z.boolean(),
});
export type SetTaskDoneInput = z.infer<typeof SetTaskDoneInputSchema>;

/** A main spec's requirements in the shape a MODIFIED delta takes (the form prefills from it). */
export const SpecRequirementsSchema = z.object({
  specId: z.string(),
  requirements: z.array(
    z.object({ name: z.string(), text: z.string(), scenarios: z.array(z.object({ name: z.string(), steps: z.array(z.string()) })) }),
  ),
});
export type SpecRequirements = z.infer<typeof SpecRequirementsSchema>;

/** Inputs of openspec.listChanges/showChange/listSpecs/showSpec, shared by the router and the MCP tools. */
export const ListChangesInputSchema = ProjectFilterInputSchema.extend({ status: z.array(ChangeGroupSchema).optional() });
export const ChangeRefInputSchema = z.object({ projectId: ProjectSlugSchema, changeId: z.string().min(1).max(200) });
export const ListSpecsInputSchema = ProjectFilterInputSchema;
export const SpecRefInputSchema = z.object({ projectId: ProjectSlugSchema, specId: z.string().min(1).max(400) });

const SingleLine = (label: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, `${label} is empty`)
    .max(max)
    .regex(/^[^\r\n]+$/, `${label} is one line`);

/**
 * A spec delta added to a change (`specs/<capability>/spec.md`, `## ADDED Requirements`): what
 * makes a new proposal valid for OpenSpec, which wants at least one delta per change.
 */
export const AddSpecDeltaInputSchema = z.object({
  projectId: ProjectSlugSchema,
  changeId: z.string().min(1).max(200),
  capability: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,99}$/, "A capability is lowercase letters, digits and hyphens (its folder under specs/)"),
  requirements: z
    .array(
      z.object({
        name: SingleLine("A requirement name", 200),
        text: z
          .string()
          .trim()
          .min(1)
          .max(5000)
          .regex(/\b(SHALL|MUST)\b/, "A requirement's text says SHALL or MUST"),
        scenarios: z
          .array(z.object({ name: SingleLine("A scenario name", 200), steps: z.array(SingleLine("A step", 1000)).min(1).max(30) }))
          .min(1, "Each requirement needs at least one scenario")
          .max(30),
      }),
    )
    .min(1)
    .max(50),
});
export type AddSpecDeltaInput = z.infer<typeof AddSpecDeltaInputSchema>;
