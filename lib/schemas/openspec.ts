import { z } from "zod";

/** The dashboard's view of OpenSpec items. The parser package owns the official shapes. */

export const ChangeGroupSchema = z.enum(["draft", "active", "completed"]);
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
    z.object({ spec: z.string(), added: z.number().int(), modified: z.number().int(), removed: z.number().int(), renamed: z.number().int(), created: z.boolean() }),
  ),
  warnings: z.array(z.string()),
  /** The official refusal (code and message) when archive would not proceed. */
  refusal: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type ArchivePreview = z.infer<typeof ArchivePreviewSchema>;

/** Input of the New proposal form, shared by the form, the router and the service. */
export const CreateProposalInputSchema = z.object({
  projectId: z.string().min(1),
  title: z.string().trim().min(3, "Title needs at least 3 characters").max(120, "Keep the title under 120 characters"),
  description: z.string().trim().min(20, "Say why in at least 20 characters").max(5000),
  whatChanges: z.string().trim().max(10_000).optional(),
  impact: z.string().trim().max(5000).optional(),
  tasks: z.array(z.string().trim().min(1).max(500)).max(200).optional(),
  /** Optional explicit id; otherwise derived from the title. */
  changeId: z.string().trim().max(100).optional(),
});
export type CreateProposalInput = z.infer<typeof CreateProposalInputSchema>;

/** Inputs of openspec.listChanges/showChange/listSpecs/showSpec, shared by the router and the MCP tools. */
export const ListChangesInputSchema = z.object({ projectId: z.string().max(63).optional(), status: z.array(ChangeGroupSchema).optional() });
export const ChangeRefInputSchema = z.object({ projectId: z.string().min(1).max(63), changeId: z.string().min(1).max(200) });
export const ListSpecsInputSchema = z.object({ projectId: z.string().max(63).optional() });
export const SpecRefInputSchema = z.object({ projectId: z.string().min(1).max(63), specId: z.string().min(1).max(400) });

const SingleLine = (label: string, max: number) => z.string().trim().min(1, `${label} is empty`).max(max).regex(/^[^\r\n]+$/, `${label} is one line`);

/**
 * A spec delta added to a change (`specs/<capability>/spec.md`, `## ADDED Requirements`): what
 * makes a new proposal valid for OpenSpec, which wants at least one delta per change.
 */
export const AddSpecDeltaInputSchema = z.object({
  projectId: z.string().min(1).max(63),
  changeId: z.string().min(1).max(200),
  capability: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, "A capability is lowercase letters, digits and hyphens (its folder under specs/)"),
  requirements: z
    .array(
      z.object({
        name: SingleLine("A requirement name", 200),
        text: z.string().trim().min(1).max(5000).regex(/\b(SHALL|MUST)\b/, "A requirement's text says SHALL or MUST"),
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
