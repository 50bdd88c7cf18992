import { z } from "zod";
import { ProjectSlugSchema } from "./config";

/**
 * Claude Code sub-agents (`.claude/agents/<name>.md`) and skills (`.claude/skills/<name>/SKILL.md`)
 * of a project, as Claude Code reads them: YAML frontmatter between `---` lines, then the body
 * (an agent's system prompt, a skill's instructions). Names are lowercase letters, digits and
 * single hyphens, at most 64 characters (the Agent Skills rule; Claude Code names agents alike),
 * and a skill's name matches its folder.
 */
export const ClaudeNameSchema = z
  .string()
  .min(1, "A name is required")
  .max(64, "A name has at most 64 characters")
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "A name is lowercase letters, digits and single hyphens, not at either end");

/** The file's content hash when it was read; a save or delete naming another one is refused (edited on disk meanwhile). */
export const FileVersionSchema = z.string().regex(/^[0-9a-f]{64}$/, "version is the hash a read returned");

const Description = z
  .string()
  .trim()
  .min(1, "A description is required: Claude decides when to use it from this")
  .max(1024, "Keep the description under 1024 characters");
const ToolList = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[^,\r\n]+$/, "One tool per entry"),
  )
  .max(100);

export const SubagentFieldsSchema = z.object({
  name: ClaudeNameSchema,
  description: Description,
  /** Tools it may use; none listed = every tool of the session. */
  tools: ToolList.optional(),
  /** `sonnet`, `opus`, `haiku`, `inherit` or a full model id; none = the session's. */
  model: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._:-]+$/, "A model is an alias or a model id")
    .optional(),
  prompt: z.string().trim().min(1, "The system prompt is empty").max(100_000),
});
export type SubagentFields = z.infer<typeof SubagentFieldsSchema>;

export const SkillFieldsSchema = z.object({
  name: ClaudeNameSchema,
  description: Description,
  /** `allowed-tools` in the frontmatter. */
  allowedTools: ToolList.optional(),
  body: z.string().trim().min(1, "The instructions are empty").max(100_000),
});
export type SkillFields = z.infer<typeof SkillFieldsSchema>;

/** What a listing shows per file, valid or not (a file Claude Code would skip says why). */
export type ClaudeFileInfo = {
  name: string;
  /** Relative to the project, forward slashes. */
  file: string;
  version: string;
  /** Empty when Claude Code reads it as written. */
  problems: string[];
};
export type SubagentFile = ClaudeFileInfo & { fields: Partial<SubagentFields> };
export type SkillFile = ClaudeFileInfo & { fields: Partial<SkillFields> };

export const ProjectInputSchema = z.object({ projectId: ProjectSlugSchema });
export const ClaudeItemInputSchema = z.object({ projectId: ProjectSlugSchema, name: ClaudeNameSchema });

/** `version: null` creates (refused when the file exists); a version updates the file read with it. */
export const SaveSubagentInputSchema = z.object({
  projectId: ProjectSlugSchema,
  version: FileVersionSchema.nullable(),
  fields: SubagentFieldsSchema,
});
export const SaveSkillInputSchema = z.object({
  projectId: ProjectSlugSchema,
  version: FileVersionSchema.nullable(),
  fields: SkillFieldsSchema,
});
export const DeleteClaudeItemInputSchema = ClaudeItemInputSchema.extend({ version: FileVersionSchema });
export type SaveSubagentInput = z.infer<typeof SaveSubagentInputSchema>;
export type SaveSkillInput = z.infer<typeof SaveSkillInputSchema>;
export type DeleteClaudeItemInput = z.infer<typeof DeleteClaudeItemInputSchema>;
