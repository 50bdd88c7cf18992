/**
 * Zod schemas that double as the domain types.
 *
 * The first group mirrors @fission-ai/openspec 1.13.2 (MIT), dist/core/schemas/*.js, message for
 * message: `validate <spec>` reports these Zod issues verbatim (order and wording included).
 */
import { z } from 'zod';
import {
  MAX_DELTAS_PER_CHANGE,
  MAX_WHY_SECTION_LENGTH,
  MIN_WHY_SECTION_LENGTH,
  VALIDATION_MESSAGES,
} from './validation/constants';

// ---------------------------------------------------------------------------
// Parsed OpenSpec documents (official schemas)
// ---------------------------------------------------------------------------

export const ScenarioSchema = z.object({
  rawText: z.string().min(1, VALIDATION_MESSAGES.SCENARIO_EMPTY),
});
export type Scenario = z.infer<typeof ScenarioSchema>;

export const RequirementSchema = z.object({
  text: z.string().min(1, VALIDATION_MESSAGES.REQUIREMENT_EMPTY),
  scenarios: z.array(ScenarioSchema).min(1, VALIDATION_MESSAGES.REQUIREMENT_NO_SCENARIOS),
});
export type Requirement = z.infer<typeof RequirementSchema>;

export const SpecSchema = z.object({
  name: z.string().min(1, VALIDATION_MESSAGES.SPEC_NAME_EMPTY),
  overview: z.string().min(1, VALIDATION_MESSAGES.SPEC_PURPOSE_EMPTY),
  requirements: z.array(RequirementSchema).min(1, VALIDATION_MESSAGES.SPEC_NO_REQUIREMENTS),
  metadata: z
    .object({
      version: z.string().default('1.0.0'),
      format: z.literal('openspec'),
      sourcePath: z.string().optional(),
    })
    .optional(),
});
export type Spec = z.infer<typeof SpecSchema>;

export const DeltaOperationType = z.enum(['ADDED', 'MODIFIED', 'REMOVED', 'RENAMED']);
export type DeltaOperation = z.infer<typeof DeltaOperationType>;

export const DeltaSchema = z.object({
  spec: z.string().min(1, VALIDATION_MESSAGES.DELTA_SPEC_EMPTY),
  operation: DeltaOperationType,
  description: z.string().min(1, VALIDATION_MESSAGES.DELTA_DESCRIPTION_EMPTY),
  requirement: RequirementSchema.optional(),
  requirements: z.array(RequirementSchema).optional(),
  rename: z.object({ from: z.string(), to: z.string() }).optional(),
});
export type Delta = z.infer<typeof DeltaSchema>;

export const ChangeSchema = z.object({
  name: z.string().min(1, VALIDATION_MESSAGES.CHANGE_NAME_EMPTY),
  why: z
    .string()
    .min(MIN_WHY_SECTION_LENGTH, VALIDATION_MESSAGES.CHANGE_WHY_TOO_SHORT)
    .max(MAX_WHY_SECTION_LENGTH, VALIDATION_MESSAGES.CHANGE_WHY_TOO_LONG),
  whatChanges: z.string().min(1, VALIDATION_MESSAGES.CHANGE_WHAT_EMPTY),
  deltas: z
    .array(DeltaSchema)
    .min(1, VALIDATION_MESSAGES.CHANGE_NO_DELTAS)
    .max(MAX_DELTAS_PER_CHANGE, VALIDATION_MESSAGES.CHANGE_TOO_MANY_DELTAS),
  metadata: z
    .object({
      version: z.string().default('1.0.0'),
      format: z.literal('openspec-change'),
      sourcePath: z.string().optional(),
    })
    .optional(),
});
export type Change = z.infer<typeof ChangeSchema>;

/** `.openspec.yaml` (dist/core/change-metadata/schema.js). */
const KEBAB_ID_REGEX = /^[a-z0-9]+(?:-[a-z0-9]+)*$/u;
const KebabIdentifierSchema = (label: string) =>
  z.string().superRefine((value, ctx) => {
    if (!KEBAB_ID_REGEX.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `${label} must be kebab-case with lowercase letters, numbers, and single hyphen separators`,
      });
    }
  });
export const ChangeMetadataSchema = z.object({
  schema: z.string().min(1, { message: 'schema is required' }),
  created: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'created must be YYYY-MM-DD format' })
    .optional(),
  goal: z.string().min(1).optional(),
  affected_areas: z.array(z.string().min(1)).optional(),
  initiative: z
    .object({ store: KebabIdentifierSchema('Store id'), id: KebabIdentifierSchema('Initiative id') })
    .strict()
    .optional(),
  skip_specs: z.boolean().optional(),
  retire_capabilities: z.boolean().optional(),
});
export type ChangeMetadata = z.infer<typeof ChangeMetadataSchema>;

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

export const ValidationLevelSchema = z.enum(['ERROR', 'WARNING', 'INFO']);
export type ValidationLevel = z.infer<typeof ValidationLevelSchema>;

export const ValidationIssueSchema = z.object({
  level: ValidationLevelSchema,
  path: z.string(),
  message: z.string(),
  line: z.number().int().optional(),
});
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

export const ValidationReportSchema = z.object({
  valid: z.boolean(),
  issues: z.array(ValidationIssueSchema),
  summary: z.object({ errors: z.number(), warnings: z.number(), info: z.number() }),
});
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

const TypeTotalsSchema = z.object({ items: z.number(), passed: z.number(), failed: z.number() });
export const ValidationSummarySchema = z.object({
  totals: TypeTotalsSchema,
  byType: z.object({ change: TypeTotalsSchema.optional(), spec: TypeTotalsSchema.optional() }),
});
export type ValidationSummary = z.infer<typeof ValidationSummarySchema>;

// ---------------------------------------------------------------------------
// CLI envelopes
// ---------------------------------------------------------------------------

export const RootOutputSchema = z.object({ path: z.string(), source: z.string() });
export type RootOutput = z.infer<typeof RootOutputSchema>;

export const StatusEntrySchema = z.object({
  severity: z.literal('error'),
  code: z.string(),
  message: z.string(),
  fix: z.string().optional(),
});
export type StatusEntry = z.infer<typeof StatusEntrySchema>;

// ---------------------------------------------------------------------------
// List / tasks
// ---------------------------------------------------------------------------

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

export const TaskItemSchema = z.object({
  text: z.string(),
  done: z.boolean(),
  /** 1-based line in the task file. */
  line: z.number().int(),
  /** Task file path relative to the change directory. */
  file: z.string(),
});
export type TaskItem = z.infer<typeof TaskItemSchema>;

export const TaskProgressSchema = z.object({ total: z.number(), completed: z.number() });
export type TaskProgress = z.infer<typeof TaskProgressSchema>;
