/**
 * The domain types, as Zod schemas: the shapes the official CLI prints
 * (field order matters, JSON output is compared byte for byte) and the
 * change metadata file it validates.
 */
import { z } from 'zod';

export const ScenarioSchema = z.object({ rawText: z.string() });
export type Scenario = z.infer<typeof ScenarioSchema>;

export const RequirementSchema = z.object({ text: z.string(), scenarios: z.array(ScenarioSchema) });
export type Requirement = z.infer<typeof RequirementSchema>;

export const DeltaOperationSchema = z.enum(['ADDED', 'MODIFIED', 'REMOVED', 'RENAMED']);
export type DeltaOperation = z.infer<typeof DeltaOperationSchema>;

export const ValidationLevelSchema = z.enum(['ERROR', 'WARNING', 'INFO']);
export type ValidationLevel = z.infer<typeof ValidationLevelSchema>;

/** One finding of one rule, ESLint-report style: never thrown, always returned. */
export const ValidationIssueSchema = z.object({
  level: ValidationLevelSchema,
  path: z.string(),
  line: z.number().int().optional(),
  message: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

export const ValidationReportSchema = z.object({ valid: z.boolean(), issues: z.array(ValidationIssueSchema) });
export type ValidationReport = z.infer<typeof ValidationReportSchema>;

export const ItemTypeSchema = z.enum(['change', 'spec']);
export type ItemType = z.infer<typeof ItemTypeSchema>;

export const ValidationItemResultSchema = z.object({
  id: z.string(),
  type: ItemTypeSchema,
  valid: z.boolean(),
  issues: z.array(ValidationIssueSchema),
  durationMs: z.number(),
});
export type ValidationItemResult = z.infer<typeof ValidationItemResultSchema>;

export const RootOutputSchema = z.object({ path: z.string(), source: z.string() });
export type RootOutput = z.infer<typeof RootOutputSchema>;

export const StatusEntrySchema = z.object({
  severity: z.literal('error'),
  code: z.string(),
  message: z.string(),
  fix: z.string().optional(),
});
export type StatusEntry = z.infer<typeof StatusEntrySchema>;

export const ChangeStatusSchema = z.enum(['no-tasks', 'complete', 'in-progress']);
export type ChangeStatus = z.infer<typeof ChangeStatusSchema>;

export const ChangeListEntrySchema = z.object({
  name: z.string(),
  completedTasks: z.number(),
  totalTasks: z.number(),
  lastModified: z.string(),
  status: ChangeStatusSchema,
  nested: z.array(z.string()).optional(),
});
export type ChangeListEntry = z.infer<typeof ChangeListEntrySchema>;

export const NestedChangeWarningSchema = z.object({
  code: z.literal('nested_change_directory'),
  name: z.string(),
  nested: z.array(z.string()),
  message: z.string(),
});
export type NestedChangeWarning = z.infer<typeof NestedChangeWarningSchema>;

export const SpecListEntrySchema = z.object({ id: z.string(), requirementCount: z.number() });
export type SpecListEntry = z.infer<typeof SpecListEntrySchema>;

export const TaskItemSchema = z.object({ text: z.string(), done: z.boolean(), line: z.number() });
export type TaskItem = z.infer<typeof TaskItemSchema>;

export const TaskProgressSchema = z.object({ total: z.number(), completed: z.number() });
export type TaskProgress = z.infer<typeof TaskProgressSchema>;

/**
 * `.openspec.yaml`. `schema` is required when the file exists: the tricky
 * fixture's bad-meta change (only `skip_specs: "yes"`) is reported with
 * "schema: Invalid input: expected string, received undefined".
 */
export const ChangeMetadataSchema = z.object({
  schema: z.string(),
  created: z.string().optional(),
});
// `skip_specs` / `retire_capabilities` are not type-checked here: the CLI reports
// only the `schema` problem for `skip_specs: "yes"` (tricky fixture, bad-meta);
// they are read as markers (`=== true`) by model/change.ts.
export type ChangeMetadata = z.infer<typeof ChangeMetadataSchema>;
